//! Totals of a batch: by 类别, by 乡镇, and the bank transfers (one per recipient account).

use super::batch::MonthBatch;
use crate::domain::PaymentKind;
use crate::domain::Recipient;
use crate::domain::category::KNOWN;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

/// 人数 / 笔数 / 金额 of one group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupTotal {
    pub name: String,
    /// Distinct recipients paid.
    pub persons: usize,
    /// Payment lines.
    pub lines: usize,
    pub amount: Decimal,
}

fn group_by<'a>(
    batch: &MonthBatch,
    roster: &'a [Recipient],
    key: impl Fn(&'a Recipient) -> &'a str,
) -> Vec<GroupTotal> {
    /// A group while the payments go by: its distinct recipients, the last one counted, lines and amount.
    struct Acc {
        persons: BTreeSet<usize>,
        last: Option<usize>,
        count: usize,
        lines: usize,
        amount: Decimal,
    }
    // A batch from compute_month is in roster order (each recipient's lines together): a recipient is new to a
    // group when it differs from the group's last one, and no set is needed. Any other order uses the set.
    let grouped = batch.payments.is_sorted_by_key(|p| p.recipient);
    let mut order: Vec<&str> = Vec::new();
    let mut acc: rustc_hash::FxHashMap<&str, Acc> = Default::default();
    for p in &batch.payments {
        let k = key(&roster[p.recipient]);
        let e = acc.entry(k).or_insert_with(|| {
            order.push(k);
            Acc { persons: BTreeSet::new(), last: None, count: 0, lines: 0, amount: Decimal::ZERO }
        });
        if grouped {
            if e.last != Some(p.recipient) {
                e.last = Some(p.recipient);
                e.count += 1;
            }
        } else if e.persons.insert(p.recipient) {
            e.count += 1;
        }
        e.lines += 1;
        e.amount += p.amount;
    }
    order
        .into_iter()
        .map(|k| {
            let a = &acc[k];
            GroupTotal { name: k.to_string(), persons: a.count, lines: a.lines, amount: a.amount }
        })
        .collect()
}

/// By 类别, in the order of the domain's list (then any others in roster order).
pub fn by_category(batch: &MonthBatch, roster: &[Recipient]) -> Vec<GroupTotal> {
    let mut g = group_by(batch, roster, |r| &*r.category);
    g.sort_by_key(|t| KNOWN.iter().position(|k| *k == t.name).unwrap_or(KNOWN.len()));
    g
}

/// By 乡镇, in the order they first appear among the payments; a blank 乡镇 is shown as （未填）.
pub fn by_town(batch: &MonthBatch, roster: &[Recipient]) -> Vec<GroupTotal> {
    let mut g = group_by(batch, roster, |r| &*r.town);
    for t in &mut g {
        if t.name.is_empty() {
            t.name = "（未填）".into();
        }
    }
    g
}

/// One bank transfer: a recipient's account and the sum of their payments this batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transfer {
    pub recipient: usize,
    pub amount: Decimal,
    pub lines: usize,
    /// The kinds of payment in it (正常, 补发, 丧葬补助), sorted, once each.
    pub kinds: Kinds,
}

/// A set of payment kinds, iterated in `PaymentKind` order: four bits, so a million transfers allocate nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Kinds(u8);

impl Kinds {
    pub fn of(kind: PaymentKind) -> Kinds {
        let mut k = Kinds::default();
        k.add(kind);
        k
    }

    pub fn add(&mut self, kind: PaymentKind) {
        self.0 |= 1 << kind as u8;
    }

    /// The kinds held, in `PaymentKind` order.
    pub fn iter(self) -> impl Iterator<Item = PaymentKind> {
        PaymentKind::ALL.into_iter().filter(move |k| self.0 & (1 << *k as u8) != 0)
    }
}

impl Serialize for Kinds {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

/// One transfer per (recipient, account), in roster order.
pub fn transfers(batch: &MonthBatch) -> Vec<Transfer> {
    each_transfer(batch).collect()
}

/// As `transfers`, one at a time. A batch from compute_month is in roster order (each recipient's lines
/// together): its transfers are summed as they are taken, and nothing is held (a province's million transfers
/// were a 40 MB list, made twice at the peak of `pay`: for the bank file and for the ledger). Lines in another
/// order (a batch put together by hand) are grouped in a list first.
pub fn each_transfer(batch: &MonthBatch) -> impl Iterator<Item = Transfer> + '_ {
    let grouped = batch.payments.is_sorted_by_key(|p| p.recipient);
    let runs = grouped.then_some(Runs { payments: &batch.payments });
    let listed = (!grouped).then(|| unordered_transfers(batch).into_iter());
    runs.into_iter().flatten().chain(listed.into_iter().flatten())
}

/// The transfers of lines grouped by recipient: each run of one recipient's lines is one transfer.
struct Runs<'a> {
    payments: &'a [super::batch::Payment],
}

impl Iterator for Runs<'_> {
    type Item = Transfer;

    fn next(&mut self) -> Option<Transfer> {
        let (first, rest) = self.payments.split_first()?;
        let mut t =
            Transfer { recipient: first.recipient, amount: first.amount, lines: 1, kinds: Kinds::of(first.kind) };
        let n = rest.iter().take_while(|p| p.recipient == first.recipient).count();
        for p in &rest[..n] {
            t.amount += p.amount;
            t.lines += 1;
            t.kinds.add(p.kind);
        }
        self.payments = &rest[n..];
        Some(t)
    }
}

/// `transfers` of lines in any order: grouped through a map, then sorted by recipient.
fn unordered_transfers(batch: &MonthBatch) -> Vec<Transfer> {
    let mut out: Vec<Transfer> = Vec::new();
    let mut index: HashMap<usize, usize> = HashMap::new();
    for p in &batch.payments {
        match index.get(&p.recipient).copied() {
            Some(i) => {
                out[i].amount += p.amount;
                out[i].lines += 1;
                out[i].kinds.add(p.kind);
            }
            None => {
                index.insert(p.recipient, out.len());
                out.push(Transfer { recipient: p.recipient, amount: p.amount, lines: 1, kinds: Kinds::of(p.kind) });
            }
        }
    }
    out.sort_by_key(|t| t.recipient);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::batch::{History, Rules, compute_month};
    use crate::compute::standards::StandardTable;
    use crate::compute::standards::tests::{ID1, ID2, person, std_row};
    use crate::domain::Unit;
    use rust_decimal_macros::dec;

    #[test]
    fn groups_and_transfers_add_up() {
        let t = StandardTable::new(vec![
            std_row(2, "残疾抚恤金", &[("类别", "残疾军人")], "106670", Unit::PerYear, "2022-08-01", None),
            std_row(3, "定期抚恤金", &[("类别", "烈士遗属")], "27980", Unit::PerYear, "2022-08-01", None),
            std_row(4, "地方补贴", &[("城乡", "农村")], "100", Unit::PerMonth, "2023-01-01", None),
        ])
        .unwrap();
        let mut a = person(5, ID1, "烈士遗属", &[("城乡", "农村")]);
        a.town = "东坝镇".into();
        let b = person(6, ID2, "残疾军人", &[("城乡", "城镇")]);
        let roster = vec![a, b];
        let batch =
            compute_month("2024-03".parse().unwrap(), &roster, &t, &Rules::default(), &History::default()).unwrap();
        // a: 27980/12 = 2331.67 + 100.00 = 2431.67; b: 8889.17
        let cats = by_category(&batch, &roster);
        assert_eq!(cats[0], GroupTotal { name: "残疾军人".into(), persons: 1, lines: 1, amount: dec!(8889.17) });
        assert_eq!(cats[1], GroupTotal { name: "烈士遗属".into(), persons: 1, lines: 2, amount: dec!(2431.67) });
        let towns = by_town(&batch, &roster);
        assert_eq!(towns.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["东坝镇", "城关镇"]);
        let tr = transfers(&batch);
        assert_eq!(
            tr,
            vec![
                Transfer { recipient: 0, amount: dec!(2431.67), lines: 2, kinds: Kinds::of(PaymentKind::Regular) },
                Transfer { recipient: 1, amount: dec!(8889.17), lines: 1, kinds: Kinds::of(PaymentKind::Regular) },
            ]
        );
        // Lines not in roster order (a batch put together by hand) give the same transfers.
        let mut reversed = batch.clone();
        reversed.payments.reverse();
        assert_eq!(transfers(&reversed), tr);
        // … and the same groups (counted through the set of recipients instead of the last one seen); 乡镇 come in
        // the order they first appear, here reversed.
        let mut reversed_towns = by_town(&reversed, &roster);
        reversed_towns.reverse();
        assert_eq!((by_category(&reversed, &roster), reversed_towns), (cats, towns));
        // 2431.67 + 8889.17 = 11320.84
        assert_eq!(batch.total(), dec!(11320.84));
        assert_eq!(tr.iter().map(|t| t.amount).sum::<Decimal>(), batch.total());
    }

    #[test]
    fn kinds_are_a_set_in_kind_order() {
        let mut k = Kinds::of(PaymentKind::Funeral);
        k.add(PaymentKind::Regular);
        k.add(PaymentKind::Funeral);
        assert_eq!(k.iter().collect::<Vec<_>>(), [PaymentKind::Regular, PaymentKind::Funeral]);
        assert_eq!(serde_json::to_string(&k).unwrap(), r#"["正常","丧葬补助"]"#);
        assert_ne!(k, Kinds::of(PaymentKind::Regular));
    }
}
