//! The report's counts (`PeriodCounts`) accumulated line by line or from a batch's packed lines, in memory, for
//! both backends (the SQLite ledger's `counts` and the PostgreSQL ledger's `period_counts` feed the same tally,
//! so the two count alike).
//!
//! Distinct persons and (person, 所属期) pairs are counted with a dense person number (the 身份证号 packed into a
//! u64) and one bit per person in each group (per 所属期 for the pairs), so the lines may come in any order; group
//! names are interned, no String per row. Two tallies of disjoint batches (two threads) merge, persons matched by
//! 身份证号, so a person seen on both sides counts once.

use super::packed::{Packed, Person};
use super::{LedgerError, LineCounts, PeriodCounts};
use crate::domain::PaymentKind;
use crate::domain::month::YearMonth;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;

/// A committed batch to read: its id, month and number of lines (to share the work out).
pub(in crate::ledger) struct BatchRef {
    pub id: i64,
    pub month: YearMonth,
    pub lines: i64,
}

/// What one thread counted: the tally and each of its batches' (month, lines, 分).
#[derive(Default)]
pub(in crate::ledger) struct Counted {
    pub tally: Tally,
    pub months: Vec<(YearMonth, u64, i64)>,
}

impl Counted {
    /// The counts of everything added, `by_month` holding every month from `from` to `to`.
    pub fn finish(self, from: YearMonth, to: YearMonth) -> PeriodCounts {
        let counted = self;
        let mut months: BTreeMap<YearMonth, LineCounts> = BTreeMap::new();
        let mut m = from;
        while m <= to {
            months.insert(m, LineCounts::default());
            m = m.next();
        }
        for (month, lines, amount_fen) in counted.months {
            let m = months.entry(month).or_default();
            m.lines += lines;
            m.amount_fen += amount_fen;
        }
        let ([totals, regular, arrears, funeral, reissued, returned], [by_category, by_item, by_town]) =
            counted.tally.finish();
        PeriodCounts {
            totals,
            regular,
            arrears,
            funeral,
            reissued,
            returned,
            by_category,
            by_item,
            by_town,
            by_month: months,
        }
    }
}

/// `period_counts` for another backend (the PostgreSQL ledger): the same tally, fed one batch at a time, either
/// its packed lines or its lines one by one.
#[derive(Default)]
pub(in crate::ledger) struct Counter {
    counted: Counted,
    /// The batch being fed line by line: its month, lines and 分.
    open: Option<(YearMonth, u64, i64)>,
}

impl Counter {
    /// A batch's packed lines (`Packed::decode` checks them against `count` and `total`); line k is counted as
    /// returned when `returned[k]`. Err: the blob does not decode (a damaged ledger).
    pub fn packed(
        &mut self,
        month: YearMonth,
        blob: &[u8],
        count: u64,
        total: i64,
        returned: &[bool],
    ) -> Result<(), String> {
        let p = Packed::decode(blob, (count, total))?;
        let (lines, fen) = self.counted.tally.add_packed(&p, returned)?;
        self.counted.months.push((month, lines, fen));
        Ok(())
    }

    /// One line of a batch of `month` read row by row (all of a batch's lines before the next batch's).
    #[allow(clippy::too_many_arguments)]
    pub fn line(
        &mut self,
        month: YearMonth,
        person_id: &str,
        period: &str,
        kind: PaymentKind,
        names: [&str; 3],
        amount_fen: i64,
        returned: bool,
    ) {
        if self.open.is_some_and(|(m, _, _)| m != month) {
            self.end_batch();
        }
        let tally = &mut self.counted.tally;
        let (Ok(person), Ok(period)) = (
            tally.person_index(person_id.as_bytes(), || Ok::<_, LedgerError>(person_id)),
            tally.period_index(period.as_bytes(), || Ok::<_, LedgerError>(period)),
        ) else {
            unreachable!("the texts are given")
        };
        let open = self.open.get_or_insert((month, 0, 0));
        if returned {
            tally.add_returned(person, period, amount_fen);
            return;
        }
        let mut index = [0; 3];
        for (dim, name) in names.into_iter().enumerate() {
            index[dim] = tally.name_slot(dim, name);
        }
        tally.add(person, period, kind, index, amount_fen);
        open.1 += 1;
        open.2 += amount_fen;
    }

    /// After the last line of a batch read row by row.
    pub fn end_batch(&mut self) {
        if let Some(done) = self.open.take() {
            self.counted.tally.end_batch();
            self.counted.months.push(done);
        }
    }

    pub fn finish(mut self, from: YearMonth, to: YearMonth) -> PeriodCounts {
        self.end_batch();
        self.counted.finish(from, to)
    }
}

/// Two lists of batches with about equal line counts (the larger batches first, each to the lighter side), each
/// in month order: consecutive months share most persons, which keeps `PersonNumbers`' cursor moving forward.
/// Fewer than two batches: all on the first side.
pub(in crate::ledger) fn split(batches: Vec<BatchRef>) -> (Vec<BatchRef>, Vec<BatchRef>) {
    if batches.len() < 2 {
        return (batches, Vec::new());
    }
    let mut order: Vec<BatchRef> = batches;
    order.sort_by_key(|b| std::cmp::Reverse(b.lines));
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let (mut load_a, mut load_b) = (0i64, 0i64);
    for batch in order {
        if load_a <= load_b {
            load_a += batch.lines;
            a.push(batch);
        } else {
            load_b += batch.lines;
            b.push(batch);
        }
    }
    a.sort_by_key(|b| b.month);
    b.sort_by_key(|b| b.month);
    (a, b)
}

/// A set of small numbers (dense person numbers), one bit each, grown on demand.
#[derive(Default)]
struct BitSet(Vec<u64>);

impl BitSet {
    /// The numbers in the set, ascending.
    fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.0.iter().enumerate().flat_map(|(w, &bits)| {
            let mut bits = bits;
            std::iter::from_fn(move || {
                (bits != 0).then(|| {
                    let b = bits.trailing_zeros();
                    bits &= bits - 1;
                    w as u32 * 64 + b
                })
            })
        })
    }

    /// Add `i`; true when it was not in the set yet.
    fn insert(&mut self, i: u32) -> bool {
        let (word, bit) = ((i / 64) as usize, 1u64 << (i % 64));
        if word >= self.0.len() {
            self.0.resize(word + 1, 0);
        }
        let new = self.0[word] & bit == 0;
        self.0[word] |= bit;
        new
    }
}

/// A group's counts while the lines stream by in any order: the persons it has seen, and per 所属期 (by its dense
/// number) the persons with a (person, 所属期) pair that counted for 人次.
#[derive(Default)]
struct Group {
    counts: LineCounts,
    persons: BitSet,
    pairs: Vec<BitSet>,
}

impl Group {
    fn add(&mut self, person: u32, period: usize, amount_fen: i64, counts_times: bool) {
        self.counts.lines += 1;
        self.counts.amount_fen += amount_fen;
        if self.persons.insert(person) {
            self.counts.persons += 1;
        }
        if counts_times {
            if period >= self.pairs.len() {
                self.pairs.resize_with(period + 1, BitSet::default);
            }
            if self.pairs[period].insert(person) {
                self.counts.person_times += 1;
            }
        }
    }
}

impl Group {
    /// Add `other`'s counts, its persons renumbered by `persons` and its 所属期 by `periods`.
    fn merge(&mut self, other: Group, persons: &[u32], periods: &[usize]) {
        self.counts.lines += other.counts.lines;
        self.counts.amount_fen += other.counts.amount_fen;
        for p in other.persons.iter() {
            if self.persons.insert(persons[p as usize]) {
                self.counts.persons += 1;
            }
        }
        for (period, set) in other.pairs.iter().enumerate() {
            let period = periods[period];
            if period >= self.pairs.len() {
                self.pairs.resize_with(period + 1, BitSet::default);
            }
            for p in set.iter() {
                if self.pairs[period].insert(persons[p as usize]) {
                    self.counts.person_times += 1;
                }
            }
        }
    }
}

/// Dense person numbers (0, 1, 2, … in order of first sight) by packed 身份证号, looked up without random access
/// in the common case: a batch's lines come sorted by (所属期, 身份证号), and most persons recur every month, so
/// each batch walks a cursor forward through the numbers known before it (sorted by key), galloping over gaps
/// and searching again only when the keys restart (a new 所属期). A new person after every known key is appended
/// (so the first batch builds the sorted numbers directly); other new persons go to a small map, merged into the
/// sorted numbers when the batch ends. Any order of lines gives the same numbers' meaning (one
/// per person); only the speed depends on the order.
#[derive(Default)]
struct PersonNumbers {
    known: Vec<(u64, u32)>,
    cursor: usize,
    fresh: FxHashMap<u64, u32>,
    /// Persons whose 身份证号 does not pack (one String per such person, not per line).
    others: FxHashMap<String, u32>,
    count: u32,
}

impl PersonNumbers {
    fn packed(&mut self, key: u64) -> u32 {
        let known = &self.known;
        let from = self.cursor;
        let at = match known.get(from) {
            Some(&(k, n)) if k == key => return n,
            Some(&(k, _)) if k < key => {
                // Gallop: the next key is usually a step or two ahead.
                let mut step = 1;
                while from + step < known.len() && known[from + step].0 < key {
                    step *= 2;
                }
                let end = (from + step + 1).min(known.len());
                from + step / 2 + known[from + step / 2..end].partition_point(|e| e.0 < key)
            }
            _ => known.partition_point(|e| e.0 < key),
        };
        self.cursor = at;
        if let Some(&(k, n)) = known.get(at)
            && k == key
        {
            return n;
        }
        let next = self.count;
        if at == known.len() {
            // After every known key (the whole first batch, which comes sorted): appended, still sorted. It
            // cannot be in `fresh`, which holds only keys that had a known key after them.
            self.known.push((key, next));
            self.count += 1;
            return next;
        }
        let n = *self.fresh.entry(key).or_insert(next);
        if n == next {
            self.count += 1;
        }
        n
    }

    fn other(&mut self, id: &str) -> u32 {
        if let Some(&n) = self.others.get(id) {
            return n;
        }
        let n = self.count;
        self.count += 1;
        self.others.insert(id.to_string(), n);
        n
    }

    /// Merge the batch's new persons into the sorted numbers, for the next batch's cursor.
    fn end_batch(&mut self) {
        if !self.fresh.is_empty() {
            let mut fresh: Vec<(u64, u32)> = self.fresh.drain().collect();
            fresh.sort_unstable();
            let known = std::mem::take(&mut self.known);
            let mut merged = Vec::with_capacity(known.len() + fresh.len());
            let (mut a, mut b) = (known.into_iter().peekable(), fresh.into_iter().peekable());
            loop {
                let take_a = match (a.peek(), b.peek()) {
                    (Some(x), Some(y)) => x.0 < y.0,
                    (Some(_), None) => true,
                    (None, Some(_)) => false,
                    (None, None) => break,
                };
                merged.extend(if take_a { a.next() } else { b.next() });
            }
            self.known = merged;
        }
        self.cursor = 0;
    }
}

/// Everything `period_counts` accumulates: dense numbers for persons, 所属期 and group names, and the groups.
/// Texts are compared as bytes with the last one seen (consecutive lines mostly share them) before any lookup.
#[derive(Default)]
pub(in crate::ledger) struct Tally {
    persons: PersonNumbers,
    last_person: Option<(Vec<u8>, u32)>,
    /// The 所属期 texts seen, in the order first seen (a handful), and the last one's number.
    periods: Vec<String>,
    last_period: Option<usize>,
    /// 类别 / 项目 / 乡镇: name (as stored) → group number, the names by number, and the last name and number.
    names: [FxHashMap<Box<[u8]>, usize>; 3],
    labels: [Vec<String>; 3],
    last_names: [Option<(Vec<u8>, usize)>; 3],
    named: [Vec<Group>; 3],
    /// All lines that reached recipients, 正常, 补发, 丧葬补助, 重发; and the lines the bank returned.
    kinds: [Group; 6],
}

impl Tally {
    /// The dense number of the person `id`; `text` gives it as checked UTF-8 when it does not pack.
    pub(in crate::ledger) fn person_index<'a>(
        &mut self,
        id: &[u8],
        text: impl FnOnce() -> Result<&'a str, LedgerError>,
    ) -> Result<u32, LedgerError> {
        if let Some((last, i)) = &self.last_person
            && last.as_slice() == id
        {
            return Ok(*i);
        }
        let index = match crate::domain::id_card::pack(id) {
            Some(key) => self.persons.packed(key),
            None => self.persons.other(text()?),
        };
        match &mut self.last_person {
            Some((last, i)) => {
                last.clear();
                last.extend_from_slice(id);
                *i = index;
            }
            None => self.last_person = Some((id.to_vec(), index)),
        }
        Ok(index)
    }

    /// The number of the 所属期 `period` (a key only, as text: the database's CHECK keeps its format).
    pub(in crate::ledger) fn period_index<'a>(
        &mut self,
        period: &[u8],
        text: impl FnOnce() -> Result<&'a str, LedgerError>,
    ) -> Result<usize, LedgerError> {
        if let Some(i) = self.last_period
            && self.periods[i].as_bytes() == period
        {
            return Ok(i);
        }
        let index = match self.periods.iter().position(|p| p.as_bytes() == period) {
            Some(i) => i,
            None => {
                let text = text()?;
                self.periods.push(text.to_string());
                self.periods.len() - 1
            }
        };
        self.last_period = Some(index);
        Ok(index)
    }

    /// The group number of `name` in dimension `dim` (类别 / 项目 / 乡镇).
    pub(in crate::ledger) fn name_index<'a>(
        &mut self,
        dim: usize,
        name: &[u8],
        text: impl FnOnce() -> Result<&'a str, LedgerError>,
    ) -> Result<usize, LedgerError> {
        if let Some((last, i)) = &self.last_names[dim]
            && last.as_slice() == name
        {
            return Ok(*i);
        }
        let index = match self.names[dim].get(name) {
            Some(&i) => i,
            None => self.name_slot(dim, text()?),
        };
        self.last_names[dim] = Some((name.to_vec(), index));
        Ok(index)
    }

    /// The group number of a name new to `names[dim]`, or known.
    pub(in crate::ledger) fn name_slot(&mut self, dim: usize, name: &str) -> usize {
        if let Some(&i) = self.names[dim].get(name.as_bytes()) {
            return i;
        }
        let i = self.named[dim].len();
        self.named[dim].push(Group::default());
        self.labels[dim].push(name.to_string());
        self.names[dim].insert(name.as_bytes().into(), i);
        i
    }

    /// The number of the 所属期 text `period`, known or new.
    pub(in crate::ledger) fn period_slot(&mut self, period: &str) -> usize {
        match self.periods.iter().position(|p| p == period) {
            Some(i) => i,
            None => {
                self.periods.push(period.to_string());
                self.periods.len() - 1
            }
        }
    }

    /// Add another tally of other batches (counted on another thread): its persons are matched to these by
    /// 身份证号, its 所属期 and group names by text, so a person counted on both sides counts once.
    pub(in crate::ledger) fn merge(&mut self, mut other: Tally) {
        self.persons.end_batch();
        other.persons.end_batch();
        let mut persons = vec![0u32; other.persons.count as usize];
        for &(key, n) in &other.persons.known {
            persons[n as usize] = self.persons.packed(key);
        }
        for (id, n) in &other.persons.others {
            persons[*n as usize] = self.persons.other(id);
        }
        self.persons.end_batch();
        let periods: Vec<usize> = other.periods.iter().map(|p| self.period_slot(p)).collect();
        for (mine, theirs) in self.kinds.iter_mut().zip(other.kinds) {
            mine.merge(theirs, &persons, &periods);
        }
        for (dim, (labels, groups)) in other.labels.into_iter().zip(other.named).enumerate() {
            for (name, group) in labels.iter().zip(groups) {
                let i = self.name_slot(dim, name);
                self.named[dim][i].merge(group, &persons, &periods);
            }
        }
        self.last_person = None;
        self.last_period = None;
        self.last_names = Default::default();
    }

    /// Add a whole batch's packed lines (`end_batch` included): its dictionaries are numbered here once, then
    /// each line is only numbers. The lines' indexes were checked by `Packed::decode`. Line k is counted as
    /// returned when `returned[k]` (an empty slice: none). Returns the lines and 分 that reached recipients.
    pub(in crate::ledger) fn add_packed(&mut self, p: &Packed, returned: &[bool]) -> Result<(u64, i64), String> {
        let (mut lines, mut fen) = (0u64, 0i64);
        let periods: Vec<usize> = p.periods.iter().map(|t| self.period_slot(t)).collect();
        let names: [Vec<usize>; 3] =
            std::array::from_fn(|dim| p.names[dim].iter().map(|t| self.name_slot(dim, t)).collect());
        let mut last: Option<(Person, u32)> = None;
        for (k, line) in p.lines().enumerate() {
            let line = line?;
            let person = match last {
                Some((key, n)) if key == line.person => n,
                _ => {
                    let n = match line.person {
                        Person::Packed(key) => self.persons.packed(key),
                        Person::Other(i) => self.persons.other(p.others[i]),
                    };
                    last = Some((line.person, n));
                    n
                }
            };
            if returned.get(k).copied().unwrap_or(false) {
                self.add_returned(person, periods[line.period], line.amount_fen);
                continue;
            }
            let [c, i, t] = line.names;
            self.add(person, periods[line.period], line.kind, [names[0][c], names[1][i], names[2][t]], line.amount_fen);
            lines += 1;
            fen += line.amount_fen;
        }
        // The text caches (`last_person` …) are left as they are: a number once given never changes.
        self.end_batch();
        Ok((lines, fen))
    }

    /// After each batch's lines (see `PersonNumbers::end_batch`).
    pub(in crate::ledger) fn end_batch(&mut self) {
        self.persons.end_batch();
    }

    /// A line the bank returned: counted only among the returned.
    pub(in crate::ledger) fn add_returned(&mut self, person: u32, period: usize, amount_fen: i64) {
        self.kinds[5].add(person, period, amount_fen, true);
    }

    pub(in crate::ledger) fn add(
        &mut self,
        person: u32,
        period: usize,
        kind: PaymentKind,
        names: [usize; 3],
        amount_fen: i64,
    ) {
        // A 重发 brings a returned 所属期's money to its recipient: a 人次 like the regular payment it replaces.
        let regular = kind == PaymentKind::Regular || kind == PaymentKind::Reissue;
        self.kinds[0].add(person, period, amount_fen, regular);
        let own = match kind {
            PaymentKind::Regular => 1,
            PaymentKind::Arrears => 2,
            PaymentKind::Funeral => 3,
            PaymentKind::Reissue => 4,
        };
        self.kinds[own].add(person, period, amount_fen, true);
        for (dim, index) in names.into_iter().enumerate() {
            self.named[dim][index].add(person, period, amount_fen, regular);
        }
    }

    #[allow(clippy::type_complexity)]
    pub(in crate::ledger) fn finish(self) -> ([LineCounts; 6], [BTreeMap<String, LineCounts>; 3]) {
        let kinds = self.kinds.map(|g| g.counts);
        let mut labels = self.labels.into_iter();
        let maps = self.named.map(|groups| {
            let labels = labels.next().unwrap_or_default();
            labels.into_iter().zip(groups).map(|(name, g)| (name, g.counts)).collect()
        });
        (kinds, maps)
    }
}
