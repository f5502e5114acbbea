//! The `youfu` binary: everything is in the library; this only hands over to the CLI layer, which turns a panic
//! into exit code 1 and a Chinese line asking for a report.

fn main() {
    // Rust ignores SIGPIPE, so a `println!` into a pipe whose reader has gone (`youfu check --json | head`)
    // panics, which would be reported as an internal error. A command-line tool in a pipeline is expected to end
    // quietly then, as cat and grep do: the default action, end by the signal, is restored. Files being written
    // are left as `.youfu-未完成-…` work folders, which the next run removes (their lock is no longer held).
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any thread is started; setting a signal's disposition to
    // SIG_DFL installs no handler and touches no Rust state.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    std::process::exit(youfu::cli::internal::run_guarded(youfu::cli::main));
}
