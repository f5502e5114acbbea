//! Progress on stderr for the long commands (`pay`, `commit`, `arrears`, `report`): a spinner with the current
//! step, its number and the time elapsed, e.g. `⠋ [3/5] 写出发放明细和代发文件… 4s`. Drawn only when stderr is a
//! terminal; under cron, in a pipe or in the tests it draws nothing, so scripts see exactly the same output.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;

/// The steps of one command as they happen.
pub struct Progress {
    bar: Option<ProgressBar>,
    steps: usize,
    done: usize,
}

impl Progress {
    /// A spinner over `steps` steps, or nothing when stderr is not a terminal (or `YOUFU_PROGRESS=0`).
    pub fn new(steps: usize) -> Progress {
        let off = std::env::var("YOUFU_PROGRESS").is_ok_and(|v| v == "0");
        Progress::with_target(steps, !off && std::io::stderr().is_terminal())
    }

    fn with_target(steps: usize, draw: bool) -> Progress {
        let bar = draw.then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {prefix} {msg}… {elapsed}").expect("a valid template"),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Progress { bar, steps, done: 0 }
    }

    /// Start the next step, named for the user (`读取花名册和标准表`).
    pub fn step(&mut self, what: &str) {
        self.done += 1;
        if let Some(bar) = &self.bar {
            bar.set_prefix(format!("[{}/{}]", self.done.min(self.steps), self.steps));
            bar.set_message(what.to_string());
        }
    }

    /// Whether anything is drawn.
    #[cfg(test)]
    fn is_drawn(&self) -> bool {
        self.bar.is_some()
    }
}

impl Drop for Progress {
    /// The spinner's line is cleared when the command ends (or fails), before its own messages are printed.
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_numbered_and_nothing_is_made_without_a_terminal() {
        let mut p = Progress::with_target(2, false);
        p.step("计算");
        assert_eq!((p.done, p.is_drawn()), (1, false));
        // With a terminal: "[n/steps]" and the step's name, the count held at the total.
        let mut p = Progress::with_target(2, true);
        p.step("读取花名册和标准表");
        let bar = p.bar.as_ref().unwrap();
        assert_eq!((bar.prefix(), bar.message()), ("[1/2]".to_string(), "读取花名册和标准表".to_string()));
        p.step("计算");
        p.step("多出的一步");
        let bar = p.bar.as_ref().unwrap();
        assert_eq!((bar.prefix(), bar.message()), ("[2/2]".to_string(), "多出的一步".to_string()));
    }
}
