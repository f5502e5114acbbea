//! Threads in one place: how wide youfu works, and the three shapes its concurrency takes. Every module may use
//! this one (it uses none): the core splits a batch, the edges read and write, and all of them ask `width()`.
//!
//! **Width.** `width()` is the number of threads a step shares its work among: the cores the process may use
//! (`std::thread::available_parallelism`, as rayon's pool takes it), so a 16-core server uses 16 where this 2-core
//! machine uses 2. `RAYON_NUM_THREADS=N` sets it for a benchmark or a test; inside a `rayon::ThreadPool::install`
//! it is that pool's size, so a test can run a step at several widths in one process.
//!
//! **Splitting work** (rayon's pool, `width()` threads): the parts of a CSV roster (`in_turn`, each thread keeping its caches from part to part) and the duplicate check in
//! `input::roster`, counting a file's bytes in `input::sheet`, the sheets of payments.xlsx in
//! `output::payments_xlsx`. Results are collected by index (`collect` of an indexed iterator, `in_turn`'s slots),
//! never in the order threads finish, so every output is the same at every width. The roster's slices in
//! `compute::batch` (`each_part`) are taken in turn by `width()` scoped threads and handed on in slice order to
//! the caller as they finish, so a batch's lines are not held twice (slices and the list they are appended to).
//!
//! **Pipelines** (threads of their own, bounded channels): a stage runs ahead of its reader by a few items and
//! then waits, so a fast reader never fills memory with what a slower step has not taken yet; spent buffers go
//! back up the pipe to be refilled. They are not on rayon's pool because their threads block on each other.
//! - An .xlsx roster: the sheet's XML inflated on a thread, 2 pieces of 4 MB ahead (`input::xlsx_scan`) → cells
//!   made into rows on a thread, 8 batches of `STREAM_ROWS` ahead (`input::sheet`) → rows converted into
//!   recipients by `width()` workers, 2 × `width()` batches ahead, and merged in row order (`input::roster`,
//!   through `ordered`).
//! - A CSV with quoted fields, an .xls or .ods roster: rows read on the caller's thread → `ordered` as above.
//!   (A CSV without quotes is not a pipeline: it is cut at line breaks and its parts are split work.)
//!
//! **Two different jobs at once** (`alongside`): one job on a scoped thread while the caller does another, where
//! each is one thread's work — `pay` hashes its inputs while the roster is read, checks the accounts while the
//! batch is computed and writes its files while the draft is recorded (`cli::pay_schedule`, which says why each
//! overlap), `report` reads the roster while the ledger is counted, the ledger reads its batches in two halves
//! on two connections (`ledger::sqlite::counts`, `ledger::sqlite::store`; two whatever the width: more
//! connections on more cores is not measured yet, and `for_each_paid_split` gives its caller two sinks). The ledger also keeps one background thread that gets
//! a large draft's pages written early (`ledger::sqlite::store`): it only makes writing start sooner.

use std::collections::BTreeMap;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex};

/// How many threads a step shares its work among (see the module header).
pub fn width() -> usize {
    rayon::current_num_threads().max(1)
}

/// `a` on this thread while `b` runs on a scoped thread of its own; both results. A panic in `b` is raised here.
pub fn alongside<A, B: Send>(a: impl FnOnce() -> A, b: impl FnOnce() -> B + Send) -> (A, B) {
    std::thread::scope(|scope| {
        let other = scope.spawn(b);
        let mine = a();
        (mine, other.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
    })
}

/// `work` over `jobs`, taken in turn by every thread of rayon's pool (`width()`), each thread with its own
/// `state()` kept from job to job (a cache that pays off over many jobs); the results in the order of `jobs`.
pub fn in_turn<J: Send, R: Send, S>(
    jobs: Vec<J>,
    state: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, J) -> R + Sync,
) -> Vec<R> {
    let n = jobs.len();
    let queue = Mutex::new(jobs.into_iter().enumerate());
    let done: Vec<Vec<(usize, R)>> = rayon::broadcast(|_| {
        let mut s = state();
        let mut mine = Vec::new();
        loop {
            let job = queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).next();
            let Some((k, job)) = job else { break };
            mine.push((k, work(&mut s, job)));
        }
        mine
    });
    let mut slots: Vec<Option<R>> = (0..n).map(|_| None).collect();
    for (k, r) in done.into_iter().flatten() {
        slots[k] = Some(r);
    }
    slots.into_iter().map(|r| r.expect("every job is done")).collect()
}

/// A back-pressured pipeline: `next` makes jobs on this thread (given back a finished job to refill, when one
/// is free), `width()` worker threads turn each into a result with `work` (each worker with its own `state()`),
/// and `done` takes the results here in the order their jobs were made, whatever order the workers finish in.
/// At most 2 × `width()` jobs wait for a worker: `next` is not called again until one is taken. `next` returns
/// `None` when there is nothing more.
pub fn ordered<J: Send, R: Send, S>(
    mut next: impl FnMut(Option<J>) -> Option<J>,
    state: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, &J) -> R + Sync,
    mut done: impl FnMut(R),
) {
    let workers = width();
    let (work_tx, work_rx) = mpsc::sync_channel::<(usize, J)>(2 * workers);
    // Held by the workers only: should they all end (a panic), sending fails instead of waiting for ever.
    let work_rx = Arc::new(Mutex::new(work_rx));
    let (done_tx, done_rx) = mpsc::channel::<(usize, R, J)>();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let (work_rx, done_tx, state, work) = (Arc::clone(&work_rx), done_tx.clone(), &state, &work);
            scope.spawn(move || {
                let mut s = state();
                loop {
                    let job = work_rx.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).recv();
                    let Ok((seq, job)) = job else { break };
                    let result = work(&mut s, &job);
                    if done_tx.send((seq, result, job)).is_err() {
                        break;
                    }
                }
            });
        }
        drop((work_rx, done_tx));
        let mut order = InOrder { waiting: BTreeMap::new(), next: 0, free: Vec::new() };
        let mut seq = 0;
        loop {
            // Results are merged while jobs are still being made, so that finished ones are not held meanwhile.
            while let Ok(finished) = done_rx.try_recv() {
                order.take(finished, &mut done);
            }
            let Some(job) = next(order.free.pop()) else { break };
            if work_tx.send((seq, job)).is_err() {
                break;
            }
            seq += 1;
        }
        drop(work_tx);
        for finished in done_rx {
            order.take(finished, &mut done);
        }
    });
}

/// Results of `ordered` that came before the ones ahead of them, waiting for those; and the jobs free to refill.
struct InOrder<R, J> {
    waiting: BTreeMap<usize, R>,
    next: usize,
    free: Vec<J>,
}

impl<R, J> InOrder<R, J> {
    fn take(&mut self, (seq, result, job): (usize, R, J), done: &mut impl FnMut(R)) {
        self.free.push(job);
        self.waiting.insert(seq, result);
        while let Some(result) = self.waiting.remove(&self.next) {
            done(result);
            self.next += 1;
        }
    }
}

/// The two ends of a pipeline stage that runs ahead of its reader on a thread of its own: at most `depth` items
/// wait to be read (then `Feed::send` waits), and the reader gives spent buffers (`B`) back to be refilled.
pub fn ahead<T, B>(depth: usize) -> (Feed<T, B>, Ahead<T, B>) {
    let (tx, rx) = mpsc::sync_channel(depth);
    let (back, returned) = mpsc::channel();
    (Feed { tx, returned }, Ahead { rx, back })
}

/// The producing end of `ahead`.
pub struct Feed<T, B> {
    tx: SyncSender<T>,
    returned: Receiver<B>,
}

impl<T, B> Feed<T, B> {
    /// Hand an item on (waiting while `depth` are unread); `false` once the reader has gone: stop producing.
    pub fn send(&self, item: T) -> bool {
        self.tx.send(item).is_ok()
    }

    /// A buffer the reader gave back, if one is waiting, to refill instead of allocating anew.
    pub fn spent(&self) -> Option<B> {
        self.returned.try_recv().ok()
    }
}

/// The reading end of `ahead`.
pub struct Ahead<T, B> {
    rx: Receiver<T>,
    back: Sender<B>,
}

impl<T, B> Ahead<T, B> {
    /// The next item; `None` once the producer has ended and every item is read.
    pub fn recv(&self) -> Option<T> {
        self.rx.recv().ok()
    }

    /// Give a spent buffer back to the producer (dropped if it has ended).
    pub fn give_back(&self, buffer: B) {
        let _ = self.back.send(buffer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap()
    }

    #[test]
    fn width_is_the_pools() {
        assert_eq!(pool(3).install(width), 3);
        assert_eq!(pool(1).install(width), 1);
    }

    /// Jobs that finish out of order (the later the job, the sooner it is done) still reach `done` in order, at
    /// every width; finished jobs are given back to be refilled.
    #[test]
    fn ordered_gives_results_in_the_order_of_the_jobs() {
        for threads in [1, 2, 5] {
            let (mut made, mut refilled) = (0u64, 0);
            let mut got = Vec::new();
            pool(threads).install(|| {
                ordered(
                    |spare: Option<Vec<u64>>| {
                        if made == 40 {
                            return None;
                        }
                        refilled += usize::from(spare.is_some());
                        let mut job = spare.unwrap_or_default();
                        job.clear();
                        job.push(made);
                        made += 1;
                        Some(job)
                    },
                    || 0u64,
                    |calls, job| {
                        *calls += 1;
                        std::thread::sleep(std::time::Duration::from_micros(40 - job[0]) * 50);
                        job[0] * 10
                    },
                    |r| got.push(r),
                )
            });
            assert_eq!(got, (0..40).map(|k| k * 10).collect::<Vec<_>>(), "{threads} threads");
            assert!(refilled > 0, "{threads} threads: no job was given back");
        }
    }

    /// Each thread keeps its state from job to job; results come in the order of the jobs, at every width.
    #[test]
    fn in_turn_gives_results_in_the_order_of_the_jobs() {
        for threads in [1, 2, 5] {
            let jobs: Vec<u64> = (0..50).collect();
            let got = pool(threads).install(|| {
                in_turn(
                    jobs,
                    || 0usize,
                    |seen, job| {
                        *seen += 1;
                        std::thread::sleep(std::time::Duration::from_micros(50 - job) * 20);
                        (job * 10, *seen)
                    },
                )
            });
            assert_eq!(got.iter().map(|r| r.0).collect::<Vec<_>>(), (0..50).map(|k| k * 10).collect::<Vec<_>>());
            // The per-thread counts: 50 jobs in all, so some thread's state saw more than one when threads < 50.
            assert!(got.iter().any(|r| r.1 > 1), "{threads} threads: no state kept from job to job");
        }
        assert!(in_turn(Vec::<u8>::new(), || (), |_, j| j).is_empty());
    }

    #[test]
    fn ordered_with_no_jobs_gives_nothing() {
        let mut got = Vec::<u8>::new();
        ordered(|_: Option<u8>| None, || (), |_, &j| j, |r| got.push(r));
        assert!(got.is_empty());
    }

    /// A worker's panic reaches the caller instead of leaving it waiting to hand out work.
    #[test]
    fn a_panicking_worker_ends_the_pipeline() {
        let caught = std::panic::catch_unwind(|| {
            pool(2).install(|| ordered(|_: Option<u8>| Some(1), || (), |_, _| -> u8 { panic!("worker") }, |_| {}))
        });
        assert!(caught.is_err());
    }

    #[test]
    fn a_stage_ahead_waits_at_its_depth_and_gets_items_back() {
        let (feed, reader) = ahead::<Vec<u8>, Vec<u8>>(2);
        assert!(feed.send(vec![1]) && feed.send(vec![2]));
        assert!(matches!(feed.tx.try_send(vec![3]), Err(mpsc::TrySendError::Full(_))), "a third waits");
        assert_eq!(reader.recv(), Some(vec![1]));
        reader.give_back(vec![1]);
        assert_eq!(feed.spent(), Some(vec![1]));
        assert_eq!(feed.spent(), None);
        drop(feed);
        assert_eq!((reader.recv(), reader.recv()), (Some(vec![2]), None));
        let (feed, reader) = ahead::<u8, ()>(1);
        drop(reader);
        assert!(!feed.send(1), "the reader has gone");
    }
}
