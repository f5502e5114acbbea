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
    /// 迁出: the 抚恤关系 moved to another county in 迁出年月 (`Transfer::moved_out`); paid until the new place
    /// takes over under the transfer rule (`compute::transfer`).
    MovedOut,
}

/// 抚恤关系转移 columns of a row (docs/domain.md rule 10). Boxed in `Recipient` because few people carry it: one
/// pointer a person, not three fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transfer {
    /// 迁出年月 (this county's roster, 状态 迁出): the month the 抚恤关系 left.
    pub moved_out: Option<YearMonth>,
    /// 迁入年月 (the new county's roster): the month the 抚恤关系 arrived.
    pub moved_in: Option<YearMonth>,
    /// 原发放地: the county that paid before the move (required with 迁入年月), as written.
    pub moved_from: Option<Box<str>>,
}

/// A roster row's place: as a `Location`, but the file and sheet names are shared by the whole roster (a
/// `Location` per person held a copy of the path), behind one pointer (16 bytes a person, not 40).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RowLocation {
    pub place: Arc<RowPlace>,
    pub row: Option<u32>,
}

/// The file and sheet of a roster's rows.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RowPlace {
    pub file: Box<str>,
    pub sheet: Option<Box<str>>,
}

/// Shown with the file and sheet as fields of its own (as before they were shared: `read_roster --dump` of two
/// builds compares).
impl std::fmt::Debug for RowLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowLocation")
            .field("file", &self.file())
            .field("sheet", &self.sheet())
            .field("row", &self.row)
            .finish()
    }
}

/// Serialised as its `Location`.
impl Serialize for RowLocation {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_location().serialize(serializer)
    }
}

impl RowLocation {
    pub fn file(&self) -> &str {
        &self.place.file
    }

    pub fn sheet(&self) -> Option<&str> {
        self.place.sheet.as_deref()
    }

    /// The row's `Location` (for a problem about it).
    pub fn to_location(&self) -> Location {
        Location { file: self.file().to_string(), sheet: self.sheet().map(str::to_string), row: self.row, column: None }
    }
}

impl From<Location> for RowLocation {
    fn from(l: Location) -> RowLocation {
        let place = RowPlace { file: l.file.into_boxed_str(), sheet: l.sheet.map(String::into_boxed_str) };
        RowLocation { place: Arc::new(place), row: l.row }
    }
}

/// As `Location` shows it (the same code: `roster.xlsx 工作表「花名册」第12行`).
impl std::fmt::Display for RowLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.to_location().fmt(f)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Recipient {
    /// The roster row (file, sheet, Excel row).
    pub location: RowLocation,
    /// 姓名. The texts of a recipient are `Box<str>` (16 bytes, not a `String`'s 24: a million recipients).
    pub name: Box<str>,
    pub id: IdCard,
    /// Normalised 类别 (shared by everyone of the 类别).
    pub category: Arc<str>,
    /// The other columns of the row under their canonical header, value normalised (full-width → half-width,
    /// trimmed). The columns kept in the fields of their own (姓名, 身份证号, 类别, 乡镇, 开户行, 银行账号) are not
    /// repeated here: `attr` finds every column. Standards' key columns are matched against these.
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
    /// 乡镇（街道）(shared by everyone of the town).
    pub town: Arc<str>,
    /// 开户行 (shared where the text repeats).
    pub bank: Arc<str>,
    /// 银行账号 (digits only, as text).
    pub account: Box<str>,
    /// 项目, when the roster carries one item per row.
    pub item: Option<Box<str>>,
    /// 丧葬补助月数 override for this person.
    pub funeral_months: Option<u32>,
    /// 迁出年月, 迁入年月, 原发放地, when the row has any of them.
    pub transfer: Option<Box<Transfer>>,
}

impl Recipient {
    /// The value of a column for standard matching (empty when absent).
    pub fn attr(&self, column: &str) -> &str {
        self.attr_at(self.attrs.names.key(column))
    }

    /// The column names of this recipient's roster (shared by all its recipients).
    pub fn attr_names(&self) -> &Arc<AttrNames> {
        &self.attrs.names
    }

    /// `attr` of a column found once. `key` must come from `self.attr_names()` (or the same shared names):
    /// another roster's key would read another column.
    pub fn attr_at(&self, key: AttrKey) -> &str {
        match key.0 {
            Some(Slot::Stored(i)) => self.attrs.value(i),
            Some(Slot::Field(field)) => match field {
                Field::Name => &self.name,
                Field::Id => self.id.as_str(),
                Field::Category => &self.category,
                Field::Town => &self.town,
                Field::Bank => &self.bank,
                Field::Account => &self.account,
            },
            None => "",
        }
    }
}

/// The columns a `Recipient` keeps in fields of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Name,
    Id,
    Category,
    Town,
    Bank,
    Account,
}

/// Whether a roster column's value is kept in a field of `Recipient` (姓名, 身份证号, 类别, 乡镇, 开户行, 银行账号)
/// rather than in `attrs`, when the names are made by `AttrNames::with_fields`.
pub fn kept_in_field(column: &str) -> bool {
    Field::of(column).is_some()
}

impl Field {
    fn of(column: &str) -> Option<Field> {
        Some(match column {
            "姓名" => Field::Name,
            "身份证号" => Field::Id,
            "类别" => Field::Category,
            "乡镇" => Field::Town,
            "开户行" => Field::Bank,
            "银行账号" => Field::Account,
            _ => return None,
        })
    }
}

/// Where a column's value is: the `i`-th value an `Attrs` stores, or a field of the `Recipient`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Stored(usize),
    Field(Field),
}

/// A column found once in one roster's `AttrNames` (`AttrNames::key`), for `Recipient::attr_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttrKey(Option<Slot>);

/// The column names of one roster, sorted, shared by all its recipients.
#[derive(Debug, PartialEq, Eq)]
pub struct AttrNames {
    names: Box<[Box<str>]>,
    /// Where the value of each name is.
    kinds: Box<[Slot]>,
    /// How many values an `Attrs` stores.
    stored: usize,
    /// Open-addressing hash table: slot → 1 + position in `names`, 0 = empty. Standards look a person's columns
    /// up for every row of the 标准表, so this is on the compute hot path.
    slots: Box<[u32]>,
}

/// A cheap hash of a column name: its length and first 8 bytes (names are short; a collision only costs a
/// comparison). The multiplier is 2^64 / φ (Fibonacci hashing): it mixes every bit of the packed bytes into the
/// high bits, so nearby names (same first character, different length) land in different slots.
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
        AttrNames::build(names, false)
    }

    /// As `new`, but the columns `kept_in_field` are not stored: their values are the `Recipient`'s fields, and
    /// values are given for the other names only.
    pub fn with_fields<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> Arc<AttrNames> {
        AttrNames::build(names, true)
    }

    fn build<S: AsRef<str>>(names: impl IntoIterator<Item = S>, fields: bool) -> Arc<AttrNames> {
        let mut v: Vec<Box<str>> = names.into_iter().map(|s| Box::from(s.as_ref())).collect();
        v.sort();
        v.dedup();
        let mut stored = 0;
        let kinds: Box<[Slot]> = v
            .iter()
            .map(|name| match Field::of(name).filter(|_| fields) {
                Some(field) => Slot::Field(field),
                None => {
                    stored += 1;
                    Slot::Stored(stored - 1)
                }
            })
            .collect();
        // Slots hold 1 + index as u32: any number of columns a file can have (the readers stop at 16,384).
        let mut slots = vec![0u32; (v.len() * 2).next_power_of_two().max(4)];
        let mask = slots.len() - 1;
        for (i, name) in v.iter().enumerate() {
            let mut at = (name_hash(name) >> 32) as usize & mask;
            while slots[at] != 0 {
                at = (at + 1) & mask;
            }
            slots[at] = u32::try_from(i + 1).expect("fewer than 2^32 columns");
        }
        Arc::new(AttrNames { names: v.into_boxed_slice(), kinds, stored, slots: slots.into_boxed_slice() })
    }

    /// The names, sorted.
    pub fn names(&self) -> impl ExactSizeIterator<Item = &str> {
        self.names.iter().map(|s| &**s)
    }

    /// Where a column is, to read it from many recipients with `Recipient::attr_at`.
    pub fn key(&self, name: &str) -> AttrKey {
        AttrKey(self.position(name))
    }

    fn position(&self, name: &str) -> Option<Slot> {
        let mask = self.slots.len() - 1;
        let mut at = (name_hash(name) >> 32) as usize & mask;
        loop {
            let i = (self.slots[at] as usize).checked_sub(1)?;
            if *self.names[i] == *name {
                return Some(self.kinds[i]);
            }
            at = (at + 1) & mask;
        }
    }
}

/// The columns of a roster row under their canonical header, values normalised. Compact: the names are shared
/// by the whole roster and the values of a row sit in one allocation with their ends (a map of owned strings
/// took ~3 KB a person; a text and an ends array of their own took two allocations: 64 bytes a person more).
/// With names made by `AttrNames::with_fields` the columns a `Recipient` keeps in its own fields are left out.
#[derive(Clone)]
pub struct Attrs {
    names: Arc<AttrNames>,
    /// The end of each value (one per stored name), then the values concatenated in the order of `names`. The
    /// ends are u16 (little-endian) when the text is at most `u16::MAX` bytes, which is every real row, and u32
    /// otherwise: `wide` tells which from the length alone.
    data: Box<[u8]>,
}

impl Attrs {
    /// The values, one per stored name of `names` in its sorted order.
    pub fn new<'a>(names: Arc<AttrNames>, values: impl IntoIterator<Item = &'a str>) -> Attrs {
        let mut b = AttrsBuilder::default();
        for v in values {
            b.push(v);
        }
        b.finish(names)
    }

    /// The value of a column (`None` when the roster has no such column, or its value is kept in a field of
    /// the `Recipient`: `Recipient::attr` finds those).
    pub fn get(&self, name: &str) -> Option<&str> {
        match self.names.position(name)? {
            Slot::Stored(i) => Some(self.value(i)),
            Slot::Field(_) => None,
        }
    }

    /// Whether the ends are u32: a text over `u16::MAX` bytes makes `data` longer than any narrow layout can be
    /// (narrow: 2·stored + text ≤ 2·stored + 65535; wide: 4·stored + text > 2·stored + 65535).
    fn wide(data: &[u8], stored: usize) -> bool {
        data.len() > 2 * stored + u16::MAX as usize
    }

    /// The `i`-th value stored.
    fn value(&self, i: usize) -> &str {
        let stored = self.names.stored;
        let (width, data) = (if Attrs::wide(&self.data, stored) { 4 } else { 2 }, &self.data[..]);
        let end = |k: usize| -> usize {
            let b = &data[k * width..(k + 1) * width];
            if width == 2 {
                u16::from_le_bytes([b[0], b[1]]) as usize
            } else {
                u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize
            }
        };
        let text = &data[stored * width..];
        let start = if i == 0 { 0 } else { end(i - 1) };
        let bytes = &text[start..end(i)];
        debug_assert!(std::str::from_utf8(bytes).is_ok());
        // SAFETY: `AttrsBuilder::finish` copied the text from a `String` and the ends from the positions where
        // whole `&str` values ended in it, so every value lies on char boundaries and is valid UTF-8 (the data is
        // never changed after). Checking it again would cost every standard look-up of the computation.
        unsafe { std::str::from_utf8_unchecked(bytes) }
    }

    /// (name, value) pairs of the stored values, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.names.names().zip(self.names.kinds.iter()).filter_map(|(n, kind)| match kind {
            Slot::Stored(i) => Some((n, self.value(*i))),
            Slot::Field(_) => None,
        })
    }
}

/// Builds one `Attrs` after another in a reused buffer: values are pushed in the order of the names. Also shares
/// the short texts that repeat from row to row (类别, 乡镇, 开户行) so a million people hold a few hundred copies.
#[derive(Default)]
pub struct AttrsBuilder {
    text: String,
    ends: Vec<u32>,
    shared: rustc_hash::FxHashMap<Box<str>, Arc<str>>,
}

/// How many distinct texts one builder shares before it stops remembering new ones (a column that does not
/// repeat, such as a bank branch written out per person, should not grow a map as large as the roster).
const SHARED_TEXTS: usize = 4096;

impl AttrsBuilder {
    /// `text` as a shared `Arc<str>`: the same allocation for every row with the same text.
    pub fn shared(&mut self, text: &str) -> Arc<str> {
        if let Some(s) = self.shared.get(text) {
            return s.clone();
        }
        let s: Arc<str> = Arc::from(text);
        if self.shared.len() < SHARED_TEXTS {
            self.shared.insert(Box::from(text), s.clone());
        }
        s
    }

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
        assert_eq!(self.ends.len(), names.stored, "one value per column");
        let narrow = self.text.len() <= u16::MAX as usize;
        let width = if narrow { 2 } else { 4 };
        let mut data = Vec::with_capacity(width * self.ends.len() + self.text.len());
        for &end in &self.ends {
            if narrow {
                data.extend_from_slice(&(end as u16).to_le_bytes());
            } else {
                data.extend_from_slice(&end.to_le_bytes());
            }
        }
        data.extend_from_slice(self.text.as_bytes());
        debug_assert_eq!(Attrs::wide(&data, names.stored), !narrow);
        let attrs = Attrs { names, data: data.into_boxed_slice() };
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
    fn columns_kept_in_fields_are_named_but_not_stored() {
        let names = AttrNames::with_fields(["姓名", "等级", "乡镇", "村"]);
        // every name is known (sorted: 乡镇 E4 B9 A1 < 姓名 E5 A7 93 < 村 E6 9D 91 < 等级 E7 AD 89) …
        assert_eq!(names.names().collect::<Vec<_>>(), ["乡镇", "姓名", "村", "等级"]);
        // … but only 村 and 等级 take a value
        let a = Attrs::new(names, ["松林村", "一级"]);
        assert_eq!((a.get("村"), a.get("等级")), (Some("松林村"), Some("一级")));
        assert_eq!((a.get("姓名"), a.get("乡镇")), (None, None));
        assert_eq!(a.iter().collect::<Vec<_>>(), [("村", "松林村"), ("等级", "一级")]);
        assert!(kept_in_field("银行账号") && !kept_in_field("村"));
    }

    #[test]
    fn a_row_location_shows_as_a_location() {
        let loc = Location::file("r.xlsx").with_sheet(Some("花名册".into())).with_row(12);
        let row = RowLocation::from(loc.clone());
        assert_eq!(row.to_string(), "r.xlsx 工作表「花名册」第12行");
        assert_eq!(row.to_location(), loc);
        assert_eq!(serde_json::to_string(&row).unwrap(), r#"{"file":"r.xlsx","sheet":"花名册","row":12}"#);
        let csv = RowLocation::from(Location::file("r.csv").with_row(3));
        assert_eq!(csv.to_string(), "r.csv 第3行");
    }

    #[test]
    #[should_panic(expected = "one value per column")]
    fn a_value_missing_is_a_bug() {
        let mut b = AttrsBuilder::default();
        b.push("张三");
        b.finish(AttrNames::new(["姓名", "村"]));
    }

    #[test]
    fn repeated_texts_share_one_allocation_up_to_a_limit() {
        let mut b = AttrsBuilder::default();
        let (a, again, other) = (b.shared("城关镇"), b.shared("城关镇"), b.shared("东坝镇"));
        assert!(Arc::ptr_eq(&a, &again));
        assert!(!Arc::ptr_eq(&a, &other));
        assert_eq!((&*a, &*other), ("城关镇", "东坝镇"));
        // Past SHARED_TEXTS distinct texts a new one is still returned, just not remembered.
        for n in 0..SHARED_TEXTS {
            b.shared(&n.to_string());
        }
        let (x, y) = (b.shared("新乡镇"), b.shared("新乡镇"));
        assert_eq!(&*x, "新乡镇");
        assert!(!Arc::ptr_eq(&x, &y));
        assert!(Arc::ptr_eq(&a, &b.shared("城关镇")), "texts seen before are still shared");
    }
}
