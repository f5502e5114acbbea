//! A 优抚对象 as one row of the 花名册 (or several rows, one per 项目, when the roster carries a 项目 column).

use super::{IdCard, Location, YearMonth};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// 状态 column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Status {
    /// 正常 (or blank).
    Normal,
    /// 暂停: not paid while suspended; the reason is printed next to the person.
    Suspended { reason: String },
    /// 停发: not paid from 停发年月 (or at all, when no month is given).
    Stopped,
    /// 死亡: paid through the month of 死亡日期.
    Deceased,
}

#[derive(Debug, Clone, Serialize)]
pub struct Recipient {
    /// The roster row (file, sheet, Excel row).
    pub location: Location,
    pub name: String,
    pub id: IdCard,
    /// Normalised 类别.
    pub category: String,
    /// Every column of the row under its canonical header, value normalised (full-width → half-width, trimmed).
    /// Standards' key columns are matched against these.
    pub attrs: Attrs,
    /// 服役年限, for per-service-year rates.
    pub service_years: Option<Decimal>,
    /// 起发年月.
    pub start_month: Option<YearMonth>,
    pub status: Status,
    /// 停发年月: first month not paid.
    pub stop_month: Option<YearMonth>,
    pub death_date: Option<NaiveDate>,
    /// 年度确认日期.
    pub confirmed_on: Option<NaiveDate>,
    /// 乡镇（街道）.
    pub town: String,
    /// 开户行.
    pub bank: String,
    /// 银行账号 (digits only, as text).
    pub account: String,
    /// 项目, when the roster carries one item per row.
    pub item: Option<String>,
    /// 丧葬补助月数 override for this person.
    pub funeral_months: Option<u32>,
}

impl Recipient {
    /// The value of a column for standard matching (empty when absent).
    pub fn attr(&self, column: &str) -> &str {
        self.attrs.get(column).unwrap_or("")
    }
}

/// The column names of one roster, sorted, shared by all its recipients.
#[derive(Debug, PartialEq, Eq)]
pub struct AttrNames {
    names: Box<[Box<str>]>,
    /// Open-addressing hash table: slot → 1 + position in `names`, 0 = empty. Standards look a person's columns
    /// up for every row of the 标准表, so this is on the compute hot path.
    slots: Box<[u8]>,
}

/// A cheap hash of a column name: its length and first 8 bytes (names are short; a collision only costs a
/// comparison).
fn name_hash(name: &str) -> u64 {
    let b = name.as_bytes();
    let mut head = [0u8; 8];
    let n = b.len().min(8);
    head[..n].copy_from_slice(&b[..n]);
    (u64::from_le_bytes(head) ^ (b.len() as u64).rotate_left(56)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

impl AttrNames {
    /// The names in sorted order (duplicates dropped); a recipient's values are stored in this order.
    pub fn new<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> Arc<AttrNames> {
        let mut v: Vec<Box<str>> = names.into_iter().map(|s| Box::from(s.as_ref())).collect();
        v.sort();
        v.dedup();
        assert!(v.len() < 255, "a roster has fewer than 255 named columns");
        let mut slots = vec![0u8; (v.len() * 2).next_power_of_two().max(4)];
        let mask = slots.len() - 1;
        for (i, name) in v.iter().enumerate() {
            let mut at = (name_hash(name) >> 32) as usize & mask;
            while slots[at] != 0 {
                at = (at + 1) & mask;
            }
            slots[at] = i as u8 + 1;
        }
        Arc::new(AttrNames { names: v.into_boxed_slice(), slots: slots.into_boxed_slice() })
    }

    /// The names, sorted.
    pub fn names(&self) -> impl ExactSizeIterator<Item = &str> {
        self.names.iter().map(|s| &**s)
    }

    fn position(&self, name: &str) -> Option<usize> {
        let mask = self.slots.len() - 1;
        let mut at = (name_hash(name) >> 32) as usize & mask;
        loop {
            let i = (self.slots[at] as usize).checked_sub(1)?;
            if *self.names[i] == *name {
                return Some(i);
            }
            at = (at + 1) & mask;
        }
    }
}

/// Every column of a roster row under its canonical header, values normalised. Compact: the names are shared
/// by the whole roster and the values of a row sit in one buffer (a map of owned strings took ~3 KB a person).
#[derive(Clone)]
pub struct Attrs {
    names: Arc<AttrNames>,
    /// The values concatenated, in the order of `names`.
    text: Box<str>,
    /// End of each value in `text`.
    ends: Box<[u32]>,
}

impl Attrs {
    /// The values, one per name of `names` in its sorted order.
    pub fn new<'a>(names: Arc<AttrNames>, values: impl IntoIterator<Item = &'a str>) -> Attrs {
        let mut b = AttrsBuilder::default();
        for v in values {
            b.push(v);
        }
        b.finish(names)
    }

    /// The value of a column (`None` when the roster has no such column).
    pub fn get(&self, name: &str) -> Option<&str> {
        let i = self.names.position(name)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        Some(&self.text[start..self.ends[i] as usize])
    }

    /// (name, value) pairs in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.names.names().enumerate().map(|(i, n)| {
            let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
            (n, &self.text[start..self.ends[i] as usize])
        })
    }
}

/// Builds one `Attrs` after another in a reused buffer: values are pushed in the order of the names.
#[derive(Default)]
pub struct AttrsBuilder {
    text: String,
    ends: Vec<u32>,
}

impl AttrsBuilder {
    /// The buffer the next value is written into; call `end_value` after writing it.
    pub fn buf(&mut self) -> &mut String {
        &mut self.text
    }

    /// The value written into `buf` since the last one is complete.
    pub fn end_value(&mut self) {
        let end = u32::try_from(self.text.len()).expect("a roster row holds less than 4 GB of text");
        self.ends.push(end);
    }

    pub fn push(&mut self, value: &str) {
        self.text.push_str(value);
        self.end_value();
    }

    /// The row's attributes; the builder is left empty for the next row.
    pub fn finish(&mut self, names: Arc<AttrNames>) -> Attrs {
        assert_eq!(self.ends.len(), names.names.len(), "one value per column");
        let attrs = Attrs { names, text: Box::from(self.text.as_str()), ends: Box::from(self.ends.as_slice()) };
        self.text.clear();
        self.ends.clear();
        attrs
    }
}

impl From<BTreeMap<String, String>> for Attrs {
    fn from(map: BTreeMap<String, String>) -> Attrs {
        let names = AttrNames::new(map.keys());
        Attrs::new(names, map.values().map(String::as_str))
    }
}

impl PartialEq for Attrs {
    fn eq(&self, other: &Attrs) -> bool {
        self.iter().eq(other.iter())
    }
}

impl std::fmt::Debug for Attrs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for Attrs {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attrs_keep_every_column_by_name() {
        let names = AttrNames::new(["等级", "城乡", "护理"]);
        // sorted by name (UTF-8 order): 城乡 (E5 9F 8E) < 护理 (E6 8A A4) < 等级 (E7 AD 89)
        assert_eq!(names.names().collect::<Vec<_>>(), ["城乡", "护理", "等级"]);
        let a = Attrs::new(names.clone(), ["农村", "", "一级"]);
        assert_eq!(a.get("等级"), Some("一级"));
        assert_eq!(a.get("城乡"), Some("农村"));
        assert_eq!(a.get("护理"), Some(""));
        assert_eq!(a.get("性质"), None);
        assert_eq!(serde_json::to_string(&a).unwrap(), r#"{"城乡":"农村","护理":"","等级":"一级"}"#);
        assert_eq!(format!("{a:?}"), r#"{"城乡": "农村", "护理": "", "等级": "一级"}"#);

        let map: BTreeMap<String, String> =
            [("城乡", "农村"), ("护理", ""), ("等级", "一级")].map(|(k, v)| (k.to_string(), v.to_string())).into();
        assert_eq!(Attrs::from(map), a);
        assert_ne!(Attrs::new(names, ["城镇", "", "一级"]), a);
    }

    #[test]
    fn every_name_of_a_wide_roster_is_found() {
        // 40 names sharing lengths and 8-byte prefixes ("备注1" … "备注40" all start with the same 6 bytes).
        let names: Vec<String> = (1..=40).map(|i| format!("备注{i}")).collect();
        let shared = AttrNames::new(&names);
        let sorted: Vec<String> = shared.names().map(str::to_string).collect();
        let a = Attrs::new(shared, sorted.iter().map(|n| &n[6..]));
        for i in 1..=40 {
            assert_eq!(a.get(&format!("备注{i}")), Some(i.to_string().as_str()));
        }
        assert_eq!(a.get("备注41"), None);
        assert_eq!(a.get("备注"), None);
        assert_eq!(a.get(""), None);
    }

    #[test]
    fn a_builder_is_reused_row_after_row() {
        let names = AttrNames::new(["姓名", "村"]);
        let mut b = AttrsBuilder::default();
        b.push("张三");
        b.buf().push_str("松林");
        b.buf().push('村');
        b.end_value();
        let first = b.finish(names.clone());
        b.push("李四");
        b.push("");
        let second = b.finish(names);
        assert_eq!((first.get("姓名"), first.get("村")), (Some("张三"), Some("松林村")));
        assert_eq!((second.get("姓名"), second.get("村")), (Some("李四"), Some("")));
    }

    #[test]
    #[should_panic(expected = "one value per column")]
    fn a_value_missing_is_a_bug() {
        let mut b = AttrsBuilder::default();
        b.push("张三");
        b.finish(AttrNames::new(["姓名", "村"]));
    }
}
