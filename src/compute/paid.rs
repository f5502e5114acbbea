//! What the ledger shows as paid (正常 + 补发) for the earlier months that arrears re-check, per roster person,
//! 项目 and 所属期 — in a form that holds a province's year: one sorted `(u64, i64)` pair per (person, 项目, 所属期)
//! (16 bytes, no strings), found by the person's range and a short scan. Pure: the CLI feeds it the ledger's
//! lines; nothing here reads a file.
//!
//! A person is the first roster row with their 身份证号 (a roster with one row per 项目 lists a person several
//! times); lines of people no longer on the roster are not kept — arrears only compare people on the roster.

use crate::domain::id_card::pack;
use crate::domain::money::from_fen;
use crate::domain::{Recipient, YearMonth};
use rust_decimal::Decimal;
use rustc_hash::{FxBuildHasher, FxHashMap};
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Sums of committed lines per (person, 项目, 所属期).
#[derive(Debug, Default, Clone)]
pub struct PaidIndex {
    /// The person (first roster row of the same 身份证号) of each roster row.
    person_of_row: Vec<u32>,
    /// The months covered, in the order their index is stored in a key.
    months: Vec<YearMonth>,
    items: Vec<Box<str>>,
    item_ids: FxHashMap<Box<str>, u16>,
    /// `key(person, item, month)` → Σ 分, sorted by key, one entry per key.
    entries: Vec<(u64, i64)>,
}

/// Which sums of a `PaidIndex` one computation has compared with an owed line: a bit per sum, set from any
/// thread.
pub struct Compared(Vec<AtomicU64>);

fn key(person: u32, item: u16, month: u16) -> u64 {
    (u64::from(person) << 32) | (u64::from(item) << 16) | u64::from(month)
}

/// Builds a `PaidIndex` from the ledger's lines, in any order: through `add`, or from several threads at once
/// through `sink`s.
pub struct PaidIndexBuilder {
    /// Packed 身份证号 (`id_card::pack`) → person.
    persons: HashMap<u64, u32, FxBuildHasher>,
    /// Behind a lock only for the sinks (which take it once per `SINK_CHUNK` lines); `add` needs none.
    index: Mutex<PaidIndex>,
    /// The months kept (read by the sinks without the lock); moved into the index by `finish`.
    months: Vec<YearMonth>,
}

/// Lines a sink keeps before adding them to the builder under its lock.
const SINK_CHUNK: usize = 1 << 16;

/// Adds lines to a `PaidIndexBuilder` from one thread: the persons and months are the builder's (read-only), the
/// 项目 numbers are the builder's (looked up under its lock only for a 项目 new to this sink), and the lines are
/// added to the builder's in chunks. `finish` adds the last chunk.
pub struct PaidSink<'b> {
    builder: &'b PaidIndexBuilder,
    items: FxHashMap<Box<str>, u16>,
    chunk: Vec<(u64, i64)>,
}

impl PaidSink<'_> {
    /// One committed line, as `PaidIndexBuilder::add`.
    pub fn add(&mut self, id: &str, item: &str, period: YearMonth, fen: i64) {
        let b = self.builder;
        let Some((person, month)) = b.person_month(id, period) else { return };
        let item = match self.items.get(item) {
            Some(&i) => i,
            None => {
                let i = item_id(&mut b.index.lock().expect("a sink panicked"), item);
                self.items.insert(item.into(), i);
                i
            }
        };
        self.chunk.push((key(person, item, month), fen));
        if self.chunk.len() == SINK_CHUNK {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if !self.chunk.is_empty() {
            self.builder.index.lock().expect("a sink panicked").entries.extend_from_slice(&self.chunk);
            self.chunk.clear();
        }
    }

    /// Add the lines still held to the builder.
    pub fn finish(mut self) {
        self.flush();
    }
}

/// The number of `item` in `index`, added when new.
fn item_id(index: &mut PaidIndex, item: &str) -> u16 {
    if let Some(&i) = index.item_ids.get(item) {
        return i;
    }
    let i = u16::try_from(index.items.len()).expect("fewer than 65,536 distinct 项目");
    index.items.push(item.into());
    index.item_ids.insert(item.into(), i);
    i
}

impl PaidIndexBuilder {
    /// For `roster`, keeping only lines whose 所属期 is one of `months`.
    pub fn new(roster: &[Recipient], months: &[YearMonth]) -> PaidIndexBuilder {
        assert!(months.len() <= usize::from(u16::MAX), "fewer than 65,536 months");
        if months.is_empty() {
            // Nothing to re-check (the usual first batch of a year): no person map to build.
            return PaidIndexBuilder {
                persons: HashMap::default(),
                index: Mutex::new(PaidIndex::default()),
                months: Vec::new(),
            };
        }
        let mut persons = HashMap::with_capacity_and_hasher(roster.len(), FxBuildHasher);
        let person_of_row = roster
            .iter()
            .enumerate()
            .map(|(ri, r)| *persons.entry(r.id.packed()).or_insert(u32::try_from(ri).expect("fewer than 2^32 rows")))
            .collect();
        PaidIndexBuilder {
            persons,
            index: Mutex::new(PaidIndex { person_of_row, ..PaidIndex::default() }),
            months: months.to_vec(),
        }
    }

    /// A sink for lines read on another thread (see `PaidSink`).
    pub fn sink(&self) -> PaidSink<'_> {
        let chunk = if self.months.is_empty() { Vec::new() } else { Vec::with_capacity(SINK_CHUNK) };
        PaidSink { builder: self, items: FxHashMap::default(), chunk }
    }

    /// The person and the month's number of a line kept in the index; `None` for a line not kept.
    fn person_month(&self, id: &str, period: YearMonth) -> Option<(u32, u16)> {
        if self.months.is_empty() {
            return None;
        }
        // A 身份证号 that does not pack was never on a roster (the roster's are checked).
        let &person = pack(id.as_bytes()).and_then(|k| self.persons.get(&k))?;
        let month = self.months.iter().position(|m| *m == period)?;
        Some((person, month as u16))
    }

    /// Room for `lines` more lines (the ledger knows how many its batches hold): no doubling of a large vector.
    pub fn reserve(&mut self, lines: usize) {
        if !self.months.is_empty() {
            self.index.get_mut().expect("a sink panicked").entries.reserve_exact(lines);
        }
    }

    /// One committed line (or a sum of several): 身份证号, 项目, 所属期, 分.
    pub fn add(&mut self, id: &str, item: &str, period: YearMonth, fen: i64) {
        let Some((person, month)) = self.person_month(id, period) else { return };
        let index = self.index.get_mut().expect("a sink panicked");
        let item = item_id(index, item);
        index.entries.push((key(person, item, month), fen));
    }

    /// Sort, and add up the lines of the same key (a 补发 adds to the 正常 line of its 所属期).
    pub fn finish(self) -> PaidIndex {
        let mut index = self.index.into_inner().expect("a sink panicked");
        index.months = self.months;
        let entries = &mut index.entries;
        entries.sort_unstable_by_key(|e| e.0);
        entries.dedup_by(|later, kept| {
            if later.0 == kept.0 {
                kept.1 += later.1;
                true
            } else {
                false
            }
        });
        entries.shrink_to_fit();
        index
    }
}

impl PaidIndex {
    /// An index of everything paid for `months`, from (身份证号, 项目, 所属期, 分) lines.
    pub fn from_lines<'a>(
        roster: &[Recipient],
        months: &[YearMonth],
        lines: impl IntoIterator<Item = (&'a str, &'a str, YearMonth, i64)>,
    ) -> PaidIndex {
        let mut b = PaidIndexBuilder::new(roster, months);
        for (id, item, period, fen) in lines {
            b.add(id, item, period, fen);
        }
        b.finish()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// How many (person, 项目, 所属期) sums it holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The person (first roster row of the same 身份证号) of roster row `ri`.
    pub fn person_of(&self, ri: usize) -> usize {
        self.person_of_row.get(ri).map_or(ri, |p| *p as usize)
    }

    /// A fresh record of what one computation compared (nothing yet).
    pub fn compared(&self) -> Compared {
        Compared((0..self.entries.len().div_ceil(64)).map(|_| AtomicU64::new(0)).collect())
    }

    /// What was paid to roster row `ri`'s person for `item` and `period` (zero when nothing), marked compared.
    pub fn take(&self, compared: &Compared, ri: usize, item: &str, period: YearMonth) -> Decimal {
        let (Some(&item), Some(month)) = (self.item_ids.get(item), self.months.iter().position(|m| *m == period))
        else {
            return Decimal::ZERO;
        };
        let k = key(self.person_of(ri) as u32, item, month as u16);
        match self.entries.binary_search_by_key(&k, |e| e.0) {
            Ok(i) => {
                compared.0[i / 64].fetch_or(1 << (i % 64), Ordering::Relaxed);
                from_fen(self.entries[i].1)
            }
            Err(_) => Decimal::ZERO,
        }
    }

    /// Sums not yet compared with any owed line (paid, but owed nothing under today's data), non-zero, in key
    /// order: (person's roster row, 项目, 所属期, amount).
    pub fn not_compared<'a>(
        &'a self,
        compared: &'a Compared,
    ) -> impl Iterator<Item = (usize, &'a str, YearMonth, Decimal)> + 'a {
        self.entries.iter().enumerate().filter_map(move |(i, &(k, fen))| {
            let seen = compared.0[i / 64].load(Ordering::Relaxed) & (1 << (i % 64)) != 0;
            (!seen && fen != 0).then(|| {
                let (person, item, month) = ((k >> 32) as usize, ((k >> 16) & 0xFFFF) as usize, (k & 0xFFFF) as usize);
                (person, &*self.items[item], self.months[month], from_fen(fen))
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::standards::tests::{ID1, ID2, person};
    use rust_decimal_macros::dec;

    fn ym(s: &str) -> YearMonth {
        s.parse().unwrap()
    }

    #[test]
    fn lines_of_one_key_add_up_and_strangers_and_other_months_are_dropped() {
        // Rows 0 and 2 are the same person (one row per 项目); row 1 another.
        let roster =
            vec![person(2, ID1, "残疾军人", &[]), person(3, ID2, "烈士遗属", &[]), person(4, ID1, "残疾军人", &[])];
        let months = [ym("2024-01"), ym("2024-02")];
        let idx = PaidIndex::from_lines(
            &roster,
            &months,
            [
                (ID1, "残疾抚恤金", ym("2024-01"), 888_917), // 8889.17 正常
                (ID1, "残疾抚恤金", ym("2024-01"), 53_333),  // + 533.33 补发 = 9422.50
                (ID1, "护理费", ym("2024-02"), 100_000),
                (ID2, "定期抚恤金", ym("2024-01"), 233_167),
                (ID2, "定期抚恤金", ym("2023-12"), 233_167), // not a month re-checked
                ("110101190001010000", "定期抚恤金", ym("2024-01"), 1), // not on the roster
            ],
        );
        assert_eq!(idx.len(), 3);
        assert_eq!((idx.person_of(0), idx.person_of(1), idx.person_of(2)), (0, 1, 0));
        let c = idx.compared();
        assert_eq!(idx.take(&c, 0, "残疾抚恤金", ym("2024-01")), dec!(9422.50));
        // Row 2 is the same person: the 护理费 paid for February is found from either row.
        assert_eq!(idx.take(&c, 2, "护理费", ym("2024-02")), dec!(1000.00));
        assert_eq!(idx.take(&c, 1, "定期抚恤金", ym("2024-02")), dec!(0));
        assert_eq!(idx.take(&c, 1, "没有的项目", ym("2024-01")), dec!(0));
        // Only ID2's January sum was never compared; a new computation starts with nothing compared.
        let left: Vec<_> = idx.not_compared(&c).collect();
        assert_eq!(left, [(1, "定期抚恤金", ym("2024-01"), dec!(2331.67))]);
        assert_eq!(idx.not_compared(&idx.compared()).count(), 3);
    }

    /// Lines added through two sinks on two threads (项目 first seen in another order on each, chunks smaller and
    /// larger than `SINK_CHUNK`) give the index `add` gives.
    #[test]
    fn sinks_on_two_threads_build_the_same_index_as_add() {
        let roster = vec![person(2, ID1, "残疾军人", &[]), person(3, ID2, "烈士遗属", &[])];
        let months = [ym("2024-01"), ym("2024-02")];
        let items = ["残疾抚恤金", "护理费", "定期抚恤金"];
        // 3 × 2 × 2 × 30000 = 360000 lines of 1 分: more than five chunks per sink.
        let mut lines = Vec::new();
        for n in 0..30_000 {
            for id in [ID1, ID2] {
                for m in months {
                    for item in items {
                        lines.push((id, item, m, 1 + (n % 3) as i64));
                    }
                }
            }
        }
        let whole = PaidIndex::from_lines(&roster, &months, lines.iter().copied());
        let builder = PaidIndexBuilder::new(&roster, &months);
        std::thread::scope(|scope| {
            let (front, back) = lines.split_at(lines.len() / 3);
            let mut a = builder.sink();
            let mut b = builder.sink();
            scope.spawn(move || {
                back.iter().rev().for_each(|&(id, item, m, fen)| b.add(id, item, m, fen));
                b.finish();
            });
            front.iter().for_each(|&(id, item, m, fen)| a.add(id, item, m, fen));
            a.finish();
        });
        let split = builder.finish();
        // 2 persons × 3 项目 × 2 months = 12 sums; each of 30000 lines of 1, 2, 3 分 in turn: 60000 分.
        assert_eq!((split.len(), whole.len()), (12, 12));
        let (cs, cw) = (split.compared(), whole.compared());
        for ri in 0..2 {
            for m in months {
                for item in items {
                    assert_eq!(split.take(&cs, ri, item, m), dec!(600.00));
                    assert_eq!(whole.take(&cw, ri, item, m), dec!(600.00));
                }
            }
        }
    }
}
