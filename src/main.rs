//! The `youfu` binary: everything is in the library; this only hands over to the CLI layer.

fn main() {
    std::process::exit(youfu::cli::main());
}
