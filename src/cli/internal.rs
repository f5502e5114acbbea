//! A bug ends as the README promises: exit code 1 (`exit::INTERNAL`) and one Chinese line asking for a report,
//! with the version and where it happened, instead of Rust's English panic text and exit code 101. The panic
//! unwinds first, so what the run was writing is dropped (temporary outputs removed, an open ledger transaction
//! rolled back) before the process exits.

use super::exit;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set by the first panic: a worker thread's panic is re-raised where it is joined, and one line is enough.
static REPORTED: AtomicBool = AtomicBool::new(false);

/// Run the CLI (`run` returns the exit code); a panic anywhere in it returns `exit::INTERNAL`.
pub fn run_guarded(run: impl FnOnce() -> i32) -> i32 {
    let default_hook = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        if REPORTED.swap(true, Ordering::SeqCst) {
            return;
        }
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let place = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
        eprintln!("{}", internal_error_line(&message, &place));
        // A developer asking for the backtrace gets Rust's own report as well.
        if std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0") {
            default_hook(info);
        }
    }));
    panic::catch_unwind(AssertUnwindSafe(|| {
        #[cfg(feature = "fault-injection")]
        if std::env::var_os("YOUFU_TEST_PANIC").is_some() {
            panic!("YOUFU_TEST_PANIC");
        }
        run()
    }))
    .unwrap_or(exit::INTERNAL)
}

/// The line printed for a panic with `message` at `place` (file:line).
pub fn internal_error_line(message: &str, place: &str) -> String {
    format!("内部错误，请报告：youfu {} 在 {place} 出错：{message}", env!("CARGO_PKG_VERSION"))
}
