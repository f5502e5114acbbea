//! Phase timings for profiling long runs: with `YOUFU_TIMINGS=1` in the environment each phase's wall time and the
//! elapsed total are printed to stderr (`[timings] read roster 1.234 s (total 1.234 s)`); otherwise nothing.

use std::time::Instant;

/// A stopwatch over the phases of one command.
pub struct Timings {
    on: bool,
    start: Instant,
    last: Instant,
}

impl Timings {
    /// Reads `YOUFU_TIMINGS` once; any value other than empty or `0` turns the timings on.
    pub fn from_env() -> Timings {
        let on = std::env::var("YOUFU_TIMINGS").is_ok_and(|v| !v.is_empty() && v != "0");
        let now = Instant::now();
        Timings { on, start: now, last: now }
    }

    /// End the current phase, named `what`.
    pub fn phase(&mut self, what: &str) {
        if !self.on {
            return;
        }
        let now = Instant::now();
        eprintln!(
            "[timings] {what} {:.3} s (total {:.3} s)",
            (now - self.last).as_secs_f64(),
            (now - self.start).as_secs_f64()
        );
        self.last = now;
    }
}
