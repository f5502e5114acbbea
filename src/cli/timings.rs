//! Phase timings for profiling long runs: with `YOUFU_TIMINGS=1` in the environment each phase's wall time and the
//! elapsed total are printed to stderr with the resident memory
//! (`[timings] read inputs 1.234 s (total 1.234 s, resident 80 MB)`), after what the readers noted during the
//! phase (`input::notes`); otherwise nothing. The only place youfu prints timings.

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
        for note in crate::input::notes::take() {
            eprintln!("[timings] {note}");
        }
        eprintln!(
            "[timings] {what} {:.3} s (total {:.3} s, resident {} MB)",
            (now - self.last).as_secs_f64(),
            (now - self.start).as_secs_f64(),
            resident_mb().map_or("?".to_string(), |m| m.to_string())
        );
        self.last = now;
    }
}

/// Resident set size now, from /proc (Linux); None elsewhere.
fn resident_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}
