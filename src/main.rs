//! The `youfu` binary: everything is in the library; this only hands over to the CLI layer, which turns a panic
//! into exit code 1 and a Chinese line asking for a report.

fn main() {
    std::process::exit(youfu::cli::internal::run_guarded(youfu::cli::main));
}
