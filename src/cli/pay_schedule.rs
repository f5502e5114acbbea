//! `pay`'s schedule: which of its steps run at the same time, and on which thread. pay.rs says what each step
//! does; here is only how they overlap, chosen by measurement on 2 cores with a province's million recipients
//! (docs/benchmarks.md). Threads are started through `crate::parallel` (its header lists every site).
//!
//! The ledger's draft is always recorded on the calling thread: the ledger is not shared between threads.

use crate::parallel;
use std::sync::mpsc;

/// Read the roster and the standards (`read`, which uses every core itself) while the input files' digests are
/// worked out (`hash`) on a thread of their own: hashing fills the moments reading leaves a core idle.
pub(super) fn read_while_hashing<R, H: Send>(read: impl FnOnce() -> R, hash: impl FnOnce() -> H + Send) -> (R, H) {
    parallel::alongside(read, hash)
}

/// Compute the batch while the accounts' Luhn notices are worked out on a thread of their own (a pass over a
/// province's million accounts, bound by memory, not by the check): it fills the moments the computation leaves
/// a core idle.
pub(super) fn compute_while_checking_accounts<B, W: Send>(
    compute: impl FnOnce() -> B,
    check: impl FnOnce() -> W + Send,
) -> (B, W) {
    parallel::alongside(compute, check)
}

/// Called by payments.xlsx once it leaves a core to other work.
pub(super) type CoreFree = Box<dyn FnOnce() + Send>;

/// What the output step gave: each file's result, the draft's and the tally.
pub(super) struct Written<X, P, O, T, D> {
    /// payments.xlsx, `None` with --no-xlsx.
    pub xlsx: Option<X>,
    /// payments.csv.
    pub payments: P,
    /// The bank file and the lists.
    pub others: O,
    /// manifest.json's counts and the total.
    pub tally: T,
    /// The draft recorded (not yet finished).
    pub draft: D,
}

/// Write the files while the draft is recorded on this thread.
///
/// Without payments.xlsx: payments.csv, then the bank file and the lists, then the tally, on a second thread while
/// this one records the draft. The two take about as long, so each keeps a core (with a thread per file, three
/// threads shared two cores and the draft, the longest, was left to finish alone).
///
/// With payments.xlsx, which takes several times as long as everything else together: the workbook on a thread
/// of its own (its 发放明细 sheets filled at once on rayon's pool), and this thread records the draft, then
/// writes the other files one after another — once the workbook calls `CoreFree` (with two sheets filling, a
/// third thread would only slow them; their save, which deflates the package, is one thread's work). Should the
/// workbook fail first, this thread goes on at once; its error comes with the results.
pub(super) fn write_while_recording<X: Send, P: Send, O: Send, T: Send, D>(
    xlsx: Option<impl FnOnce(CoreFree) -> X + Send>,
    payments: impl FnOnce() -> P + Send,
    others: impl FnOnce() -> O + Send,
    tally: impl FnOnce() -> T + Send,
    draft: impl FnOnce() -> D,
) -> Written<X, P, O, T, D> {
    match xlsx {
        None => {
            let (draft, (payments, others, tally)) = parallel::alongside(draft, || {
                let payments = payments();
                (payments, others(), tally())
            });
            Written { xlsx: None, payments, others, tally, draft }
        }
        Some(xlsx) => {
            let (free, core_free) = mpsc::channel::<()>();
            let ((draft, payments, others, tally), xlsx) = parallel::alongside(
                || {
                    // Err: the workbook ended without freeing a core (it failed); the rest runs at once.
                    let _ = core_free.recv();
                    let draft = draft();
                    (draft, payments(), others(), tally())
                },
                move || {
                    xlsx(Box::new(move || {
                        let _ = free.send(());
                    }))
                },
            );
            Written { xlsx: Some(xlsx), payments, others, tally, draft }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// With payments.xlsx the draft waits for the workbook to free a core, and the files follow the draft; without
    /// it the files are written beside the draft. Every result comes back in its place.
    #[test]
    fn the_draft_waits_for_the_workbook_to_free_a_core() {
        let order = Mutex::new(Vec::new());
        let log = |what: &'static str| order.lock().unwrap().push(what);
        let written = write_while_recording(
            Some(|core_free: CoreFree| {
                std::thread::sleep(std::time::Duration::from_millis(50));
                log("sheets filled");
                core_free();
                "xlsx"
            }),
            || "payments",
            || "others",
            || "tally",
            || {
                log("draft");
                "draft"
            },
        );
        assert_eq!(
            (written.xlsx, written.payments, written.others, written.tally, written.draft),
            (Some("xlsx"), "payments", "others", "tally", "draft")
        );
        assert_eq!(*order.lock().unwrap(), ["sheets filled", "draft"]);

        // A workbook that fails before freeing a core does not hold the rest up.
        let written = write_while_recording(Some(|_: CoreFree| "failed"), || 1, || 2, || 3, || 4);
        assert_eq!((written.xlsx, written.payments, written.draft), (Some("failed"), 1, 4));

        let written = write_while_recording(None::<fn(CoreFree) -> ()>, || 1, || 2, || 3, || 4);
        assert_eq!((written.xlsx, written.payments, written.others, written.tally, written.draft), (None, 1, 2, 3, 4));
    }
}
