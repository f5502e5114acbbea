//! Choosing the standard (rule 2 of docs/domain.md): which 标准 rows match a recipient, which one is in force on a month's first day, and
//! the checks that make a pick never silent (overlaps, gaps, a recipient nobody's row matches).
//!
//! Rows with the same 项目 and the same keys form a chain of dated versions. An open-ended row ends the day before
//! the next version of the chain starts (a county appends the new notice's rows without editing the old ones); an
//! explicit 终止日期 that reaches into the next version, or two versions starting the same day, is an overlap.

use crate::domain::recipient::{AttrKey, AttrNames};
use crate::domain::{Location, Problem, Problems, Recipient, Standard};
use chrono::NaiveDate;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Validated standards with each row's effective end date, indexed for matching.
#[derive(Debug, Clone)]
pub struct StandardTable {
    rows: Vec<Standard>,
    /// Inclusive effective end of each row (explicit 终止日期, or the day before the chain's next version).
    effective_end: Vec<Option<NaiveDate>>,
    /// Item names in the order they first appear in the file.
    items: Vec<Arc<str>>,
    /// Every key column any row names (sorted): a recipient's values for these decide which rows match.
    key_columns: Vec<String>,
    /// For each of `key_columns`: a value of it when every row's value is a word (是, 农村 …), none a number.
    /// A recipient with a number there can match no row: refused, never silently left unmatched.
    word_keys: Vec<Option<String>>,
}

/// The 项目 a recipient can be owed, each with the rows of that item matching them (as `items_for` returns).
pub type ItemRows = Arc<Vec<ItemRow>>;

/// A 项目 and the rows of that item matching a recipient.
pub type ItemRow = (Arc<str>, Vec<usize>);

/// Distinct combinations a `Matcher` remembers; past this, recipients are matched by scanning the rows.
const MATCHER_CACHE_MAX: usize = 10_000;

/// `items_for` with a cache: recipients with the same 项目 column and the same values in the table's key columns
/// match the same rows, so the rows are scanned once per distinct combination (a county has a few dozen).
pub struct Matcher<'t> {
    table: &'t StandardTable,
    /// The 项目 column and the key columns' values, length-prefixed (built in `buf`) → the items, or `None` when
    /// no row matches.
    cache: rustc_hash::FxHashMap<String, Option<ItemRows>>,
    buf: String,
    /// The key columns found in the column names of the last recipient's roster (one roster: found once).
    keys: Option<(Arc<AttrNames>, Vec<AttrKey>)>,
}

impl<'t> Matcher<'t> {
    pub fn new(table: &'t StandardTable) -> Matcher<'t> {
        Matcher { table, cache: Default::default(), buf: String::new(), keys: None }
    }

    /// Same result as `StandardTable::items_for` (the same problem, per recipient, when nothing matches).
    pub fn items_for(&mut self, r: &Recipient) -> Result<ItemRows, Problem> {
        // Length-prefixed parts, so no two different combinations give the same key whatever the values hold.
        // Pushed piece by piece (this runs once per recipient; `write!` spent more in formatting than the lookup).
        let push = |buf: &mut String, v: &str| {
            buf.push_str(itoa::Buffer::new().format(v.len()));
            buf.push(':');
            buf.push_str(v);
        };
        self.buf.clear();
        match &r.item {
            Some(it) => push(&mut self.buf, it),
            None => self.buf.push('-'),
        }
        let names = r.attr_names();
        let keys = match &self.keys {
            Some((of, keys)) if Arc::ptr_eq(of, names) => keys,
            _ => {
                let keys = self.table.key_columns.iter().map(|k| names.key(k)).collect();
                &self.keys.insert((names.clone(), keys)).1
            }
        };
        for &k in keys {
            self.buf.push('|');
            push(&mut self.buf, r.attr_at(k));
        }
        let found = match self.cache.get(self.buf.as_str()) {
            Some(found) => found.clone(),
            None => {
                let found = self.table.items_for(r).ok().map(Arc::new);
                // A key column unique per person would make this a copy of the roster: stop growing it then.
                if self.cache.len() < MATCHER_CACHE_MAX {
                    self.cache.insert(self.buf.clone(), found.clone());
                }
                found
            }
        };
        // A failing combination is cached as `None`; its problem (located at this recipient) is made again.
        found.ok_or_else(|| self.table.items_for(r).err().unwrap_or_else(|| no_match_problem(r)))
    }
}

/// What a recipient is owed for one 项目 in one month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// The row (index into `StandardTable::rows`) in force on the month's first day.
    InForce(usize),
    /// No version of this item for this recipient has started yet, or the last one has ended.
    NotOwed,
}

fn row_ref(s: &Standard) -> String {
    match s.location.row {
        Some(r) => format!("第{r}行"),
        None => "（未知行）".into(),
    }
}

impl StandardTable {
    /// Check the rows (overlapping versions) and work out effective end dates.
    pub fn new(rows: Vec<Standard>) -> Result<StandardTable, Problems> {
        let mut problems = Problems::default();
        let mut chains: BTreeMap<(&str, &BTreeMap<String, String>), Vec<usize>> = BTreeMap::new();
        for (i, s) in rows.iter().enumerate() {
            chains.entry((&*s.item, &s.keys)).or_default().push(i);
        }
        let mut effective_end: Vec<Option<NaiveDate>> = rows.iter().map(|s| s.end).collect();
        for idx in chains.values() {
            let mut idx = idx.clone();
            idx.sort_by_key(|&i| (rows[i].start, rows[i].location.row));
            for pair in idx.windows(2) {
                let (a, b) = (&rows[pair[0]], &rows[pair[1]]);
                let clash = a.start == b.start || a.end.is_some_and(|e| e >= b.start);
                if clash {
                    problems.push(overlap_problem(a, b));
                } else if a.end.is_none() {
                    effective_end[pair[0]] = b.start.pred_opt();
                }
            }
        }
        let mut items: Vec<Arc<str>> = Vec::new();
        for s in &rows {
            if !items.contains(&s.item) {
                items.push(s.item.clone());
            }
        }
        let mut key_columns: Vec<String> = rows.iter().flat_map(|s| s.keys.keys().cloned()).collect();
        key_columns.sort();
        key_columns.dedup();
        let word_keys = key_columns
            .iter()
            .map(|k| {
                let mut values = rows.iter().filter_map(|s| s.keys.get(k));
                let first = values.clone().next().cloned();
                if values.any(|v| is_number(v)) { None } else { first }
            })
            .collect();
        problems.into_result(StandardTable { rows, effective_end, items, key_columns, word_keys })
    }

    pub fn rows(&self) -> &[Standard] {
        &self.rows
    }

    pub fn row(&self, i: usize) -> &Standard {
        &self.rows[i]
    }

    pub fn items(&self) -> &[Arc<str>] {
        &self.items
    }

    /// Effective inclusive end date of row `i`.
    pub fn effective_end(&self, i: usize) -> Option<NaiveDate> {
        self.effective_end[i]
    }

    fn in_force(&self, i: usize, date: NaiveDate) -> bool {
        self.rows[i].start <= date && self.effective_end[i].is_none_or(|e| date <= e)
    }

    /// Rows in force on `date`, in file order.
    pub fn in_force_on(&self, date: NaiveDate) -> Vec<usize> {
        (0..self.rows.len()).filter(|&i| self.in_force(i, date)).collect()
    }

    /// The roster columns the rows are keyed on (each once): all that matching reads of a recipient's `attrs`.
    pub fn key_columns(&self) -> &[String] {
        &self.key_columns
    }

    /// Rows whose keys all match the recipient (and whose 项目 is the recipient's, when the roster names one).
    pub fn matching(&self, r: &Recipient) -> Vec<usize> {
        (0..self.rows.len())
            .filter(|&i| {
                let s = &self.rows[i];
                r.item.as_ref().is_none_or(|it| **it == *s.item) && s.keys.iter().all(|(k, v)| r.attr(k) == v)
            })
            .collect()
    }

    /// The 项目 a recipient can be owed (in file order), or a problem when no row matches them at all.
    pub fn items_for(&self, r: &Recipient) -> Result<Vec<ItemRow>, Problem> {
        if let Some(p) = self.number_for_word(r) {
            return Err(p);
        }
        let matching = self.matching(r);
        if matching.is_empty() {
            return Err(no_match_problem(r));
        }
        let mut out: Vec<ItemRow> = Vec::new();
        for item in &self.items {
            let rows: Vec<usize> = matching.iter().copied().filter(|&i| self.rows[i].item == *item).collect();
            if !rows.is_empty() {
                out.push((item.clone(), rows));
            }
        }
        Ok(out)
    }

    /// `KEY_NOT_TEXT`: the recipient has a number in a key column where every standard has a word (护理 = 1
    /// where the standards say 是). Matched as text it would match no row of that column, and the item keyed on it
    /// would be dropped without a word (and its earlier payments listed for 追缴).
    fn number_for_word(&self, r: &Recipient) -> Option<Problem> {
        let (k, word) = self
            .key_columns
            .iter()
            .zip(&self.word_keys)
            .find_map(|(k, w)| w.as_ref().filter(|_| is_number(r.attr(k))).map(|w| (k, w)))?;
        Some(
            Problem::new("KEY_NOT_TEXT", format!("{k}是数字，而标准表中{k}列写的是文字（如“{word}”），二者无法匹配"))
                .at(recipient_location(r).with_column(k.clone()))
                .value(r.attr(k).to_string())
                .hint(format!("请按标准表的写法填写{k}（如“{word}”），不要用 1/0 等数字代替。")),
        )
    }

    /// Pick the row of `item` in force on `date` among `rows` (the rows of that item matching the recipient).
    pub fn select(&self, r: &Recipient, item: &str, rows: &[usize], date: NaiveDate) -> Result<Selection, Problem> {
        let mut active = rows.iter().copied().filter(|&i| self.in_force(i, date));
        match (active.next(), active.next()) {
            (Some(i), None) => Ok(Selection::InForce(i)),
            (None, _) => {
                let first = rows.iter().map(|&i| self.rows[i].start).min();
                let last = rows
                    .iter()
                    .map(|&i| self.effective_end[i])
                    .try_fold(NaiveDate::MIN, |acc, e| e.map(|e| acc.max(e)));
                let before_first = first.is_some_and(|f| date < f);
                let after_last = last.is_some_and(|l| date > l);
                if before_first || after_last {
                    Ok(Selection::NotOwed)
                } else {
                    Err(gap_problem(self, r, item, rows, date))
                }
            }
            (Some(_), Some(_)) => {
                let active: Vec<usize> = rows.iter().copied().filter(|&i| self.in_force(i, date)).collect();
                Err(ambiguous_problem(self, r, item, &active, date))
            }
        }
    }
}

/// A value that is a number (digits, a point, a sign), as a number cell or typed digits read.
fn is_number(v: &str) -> bool {
    v.bytes().any(|b| b.is_ascii_digit()) && v.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+'))
}

fn recipient_location(r: &Recipient) -> Location {
    r.location.to_location()
}

fn overlap_problem(a: &Standard, b: &Standard) -> Problem {
    let end = a.end.map(|e| e.to_string()).unwrap_or_else(|| "（无）".into());
    Problem::new(
        "OVERLAPPING_STANDARDS",
        format!(
            "项目“{}”（{}）有两条标准同时有效：{}（起始 {}，终止 {}）与{}（起始 {}）",
            a.item,
            a.key_text(),
            row_ref(a),
            a.start,
            end,
            row_ref(b),
            b.start
        ),
    )
    .at(b.location.clone())
    .hint(
        "同一项目、同一适用条件的标准，有效期不能重叠：请删除重复行，或把前一条的终止日期改为后一条起始日期的前一天。",
    )
}

fn no_match_problem(r: &Recipient) -> Problem {
    Problem::new(
        "NO_STANDARD",
        format!(
            "{}（{}，类别“{}”{}）在标准表中没有任何匹配的标准",
            r.name,
            r.id,
            r.category,
            r.item.as_ref().map(|i| format!("，项目“{i}”")).unwrap_or_default()
        ),
    )
    .at(recipient_location(r))
    .hint("请在标准表中为该类别（及等级、性质等条件）增加标准行，或核对花名册中的类别、等级、性质是否填写正确。")
}

fn gap_problem(t: &StandardTable, r: &Recipient, item: &str, rows: &[usize], date: NaiveDate) -> Problem {
    let listed: Vec<String> = rows
        .iter()
        .map(|&i| {
            let s = &t.rows[i];
            match t.effective_end[i] {
                Some(e) => format!("标准表{}（{} 至 {}）", row_ref(s), s.start, e),
                None => format!("标准表{}（{} 起）", row_ref(s), s.start),
            }
        })
        .collect();
    Problem::new(
        "NO_STANDARD_IN_FORCE",
        format!("{}（{}）的项目“{}”在 {} 没有有效的标准；相关标准行：{}", r.name, r.id, item, date, listed.join("、")),
    )
    .at(recipient_location(r))
    .hint("标准的有效期之间有空档：请补上该期间的标准行，或修正终止日期。")
}

fn ambiguous_problem(t: &StandardTable, r: &Recipient, item: &str, active: &[usize], date: NaiveDate) -> Problem {
    let listed: Vec<String> =
        active.iter().map(|&i| format!("标准表{}（{}）", row_ref(&t.rows[i]), t.rows[i].key_text())).collect();
    Problem::new(
        "AMBIGUOUS_STANDARD",
        format!("{}（{}）的项目“{}”在 {} 同时匹配多条标准：{}", r.name, r.id, item, date, listed.join("、")),
    )
    .at(recipient_location(r))
    .hint(
        "一个人的同一项目只能适用一条标准：请在标准表中收窄适用条件（类别、等级、性质、城乡等），使其中一条不再匹配。",
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::{IdCard, Status, Unit};
    use rust_decimal::Decimal;
    use std::str::FromStr;

    pub fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// A standard row at Excel row `row` of standards.xlsx.
    pub fn std_row(
        row: u32,
        item: &str,
        keys: &[(&str, &str)],
        amount: &str,
        unit: Unit,
        start: &str,
        end: Option<&str>,
    ) -> Standard {
        Standard {
            location: Location::file("standards.xlsx").with_sheet(Some("标准".into())).with_row(row),
            item: item.into(),
            keys: keys.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            key_order: keys.iter().map(|(k, _)| k.to_string()).collect(),
            amount: Decimal::from_str(amount).unwrap(),
            unit,
            start: date(start),
            end: end.map(date),
            basis: format!("示例文件{row}"),
        }
    }

    /// A recipient at roster row `row` with the given attributes.
    pub fn person(row: u32, id: &str, category: &str, attrs: &[(&str, &str)]) -> Recipient {
        let mut map: BTreeMap<String, String> = attrs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        map.insert("类别".into(), category.into());
        Recipient {
            location: Location::file("roster.xlsx").with_sheet(Some("花名册".into())).with_row(row).into(),
            name: format!("测试{row}").into(),
            id: IdCard::parse(id).unwrap(),
            category: category.into(),
            attrs: map.into(),
            service_years: None,
            start_month: None,
            status: Status::Normal,
            stop_month: None,
            death_date: None,
            confirmed_on: None,
            town: "城关镇".into(),
            bank: "示例银行".into(),
            account: "6217000000000000001".into(),
            item: None,
            funeral_months: None,
            transfer: None,
        }
    }

    pub const ID1: &str = "440304198001010017";
    pub const ID2: &str = "11010519491231002X";

    fn disabled_chain() -> Vec<Standard> {
        vec![
            std_row(
                2,
                "残疾抚恤金",
                &[("类别", "残疾军人"), ("等级", "一级"), ("性质", "因战")],
                "106670",
                Unit::PerYear,
                "2022-08-01",
                None,
            ),
            std_row(
                3,
                "残疾抚恤金",
                &[("类别", "残疾军人"), ("等级", "一级"), ("性质", "因战")],
                "113070",
                Unit::PerYear,
                "2023-08-01",
                None,
            ),
        ]
    }

    #[test]
    fn open_ended_version_ends_before_the_next() {
        let t = StandardTable::new(disabled_chain()).unwrap();
        assert_eq!(t.effective_end(0), Some(date("2023-07-31")));
        assert_eq!(t.effective_end(1), None);
        let r = person(5, ID1, "残疾军人", &[("等级", "一级"), ("性质", "因战")]);
        let items = t.items_for(&r).unwrap();
        assert_eq!(items, vec![("残疾抚恤金".into(), vec![0, 1])]);
        let rows = &items[0].1;
        assert_eq!(t.select(&r, "残疾抚恤金", rows, date("2023-07-01")), Ok(Selection::InForce(0)));
        assert_eq!(t.select(&r, "残疾抚恤金", rows, date("2023-08-01")), Ok(Selection::InForce(1)));
        assert_eq!(t.select(&r, "残疾抚恤金", rows, date("2022-07-01")), Ok(Selection::NotOwed));
    }

    #[test]
    fn same_start_is_an_overlap_naming_both_rows() {
        let mut rows = disabled_chain();
        rows[1].start = date("2022-08-01");
        let e = StandardTable::new(rows).unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!(
            e.0[0].to_string(),
            "standards.xlsx 工作表「标准」第3行：项目“残疾抚恤金”（类别=残疾军人，等级=一级，性质=因战）有两条标准同时有效：第2行（起始 2022-08-01，终止 （无））与第3行（起始 2022-08-01）。同一项目、同一适用条件的标准，有效期不能重叠：请删除重复行，或把前一条的终止日期改为后一条起始日期的前一天。 [OVERLAPPING_STANDARDS]"
        );
    }

    #[test]
    fn explicit_end_reaching_into_next_version_is_an_overlap() {
        let mut rows = disabled_chain();
        rows[0].end = Some(date("2023-08-01"));
        assert_eq!(StandardTable::new(rows).unwrap_err().0[0].code, "OVERLAPPING_STANDARDS");
        let mut rows = disabled_chain();
        rows[0].end = Some(date("2023-07-31"));
        assert!(StandardTable::new(rows).is_ok());
    }

    #[test]
    fn gap_between_versions_is_an_error() {
        let mut rows = disabled_chain();
        rows[0].end = Some(date("2023-06-30"));
        let t = StandardTable::new(rows).unwrap();
        let r = person(7, ID1, "残疾军人", &[("等级", "一级"), ("性质", "因战")]);
        let e = t.select(&r, "残疾抚恤金", &[0, 1], date("2023-07-01")).unwrap_err();
        assert_eq!(e.code, "NO_STANDARD_IN_FORCE");
        assert_eq!(
            e.message,
            "测试7（440304198001010017）的项目“残疾抚恤金”在 2023-07-01 没有有效的标准；相关标准行：标准表第2行（2022-08-01 至 2023-06-30）、标准表第3行（2023-08-01 起）"
        );
        assert_eq!(e.location.unwrap().row, Some(7));
    }

    #[test]
    fn blank_key_matches_anyone_and_two_matches_are_ambiguous() {
        let rows = vec![
            std_row(2, "地方补贴", &[("城乡", "农村")], "100", Unit::PerMonth, "2023-01-01", None),
            std_row(3, "地方补贴", &[("类别", "残疾军人")], "80", Unit::PerMonth, "2023-01-01", None),
        ];
        let t = StandardTable::new(rows).unwrap();
        let rural_disabled = person(9, ID2, "残疾军人", &[("城乡", "农村")]);
        let e = t.select(&rural_disabled, "地方补贴", &[0, 1], date("2024-03-01")).unwrap_err();
        assert_eq!(e.code, "AMBIGUOUS_STANDARD");
        assert!(
            e.message.ends_with("同时匹配多条标准：标准表第2行（城乡=农村）、标准表第3行（类别=残疾军人）"),
            "{}",
            e.message
        );
        let urban = person(10, ID1, "烈士遗属", &[("城乡", "城镇")]);
        assert_eq!(t.items_for(&urban).unwrap_err().code, "NO_STANDARD");
    }

    #[test]
    fn matcher_caches_by_key_values_but_names_each_unmatched_recipient() {
        let mut rows = disabled_chain();
        rows.push(std_row(4, "地方补贴", &[("城乡", "农村")], "100", Unit::PerMonth, "2023-01-01", None));
        let t = StandardTable::new(rows).unwrap();
        assert_eq!(t.key_columns, vec!["城乡", "性质", "等级", "类别"]);
        let mut m = Matcher::new(&t);
        // Each `person` has column names of its own (as two rosters would): the key columns are found again for
        // each, not read at another roster's places.
        // Same key values (the unrelated 乡镇-like attribute does not count): one entry, the same rows.
        let a = person(5, ID1, "残疾军人", &[("等级", "一级"), ("性质", "因战"), ("城乡", "农村"), ("备注", "甲")]);
        let b = person(6, ID2, "残疾军人", &[("等级", "一级"), ("性质", "因战"), ("城乡", "农村"), ("备注", "乙")]);
        let ia = m.items_for(&a).unwrap();
        let ib = m.items_for(&b).unwrap();
        assert!(Arc::ptr_eq(&ia, &ib));
        assert_eq!(*ia, vec![("残疾抚恤金".into(), vec![0, 1]), ("地方补贴".into(), vec![2])]);
        assert_eq!(*ia, t.items_for(&a).unwrap());
        // 城镇: only the disabled chain.
        let c = person(7, ID1, "残疾军人", &[("等级", "一级"), ("性质", "因战"), ("城乡", "城镇")]);
        assert_eq!(*m.items_for(&c).unwrap(), vec![("残疾抚恤金".into(), vec![0, 1])]);
        // The 项目 column is part of the key.
        let mut d = a.clone();
        d.item = Some("地方补贴".into());
        assert_eq!(*m.items_for(&d).unwrap(), vec![("地方补贴".into(), vec![2])]);
        // Nobody matches: each recipient's own problem, also when the key is already cached.
        let e = person(8, ID1, "烈士遗属", &[("城乡", "城镇")]);
        let f = person(9, ID2, "烈士遗属", &[("城乡", "城镇")]);
        assert_eq!(
            m.items_for(&e).unwrap_err().to_string(),
            "roster.xlsx 工作表「花名册」第8行：测试8（440304198001010017，类别“烈士遗属”）在标准表中没有任何匹配的标准。请在标准表中为该类别（及等级、性质等条件）增加标准行，或核对花名册中的类别、等级、性质是否填写正确。 [NO_STANDARD]"
        );
        assert_eq!(m.items_for(&f).unwrap_err(), t.items_for(&f).unwrap_err());
        assert_eq!(m.items_for(&f).unwrap_err().location.unwrap().row, Some(9));
        assert_eq!(m.cache.len(), 4);
    }

    /// 护理 = 1 where the standards write 是: refused naming the column (it matched no 护理费 row, silently),
    /// for each recipient, cached or not. Where a standard's value is itself a number, numbers are compared as
    /// any value is.
    #[test]
    fn a_number_in_a_key_column_of_words_is_refused() {
        let rows = vec![
            std_row(2, "残疾抚恤金", &[("类别", "残疾军人")], "50000", Unit::PerYear, "2023-01-01", None),
            std_row(3, "护理费", &[("类别", "残疾军人"), ("护理", "是")], "30000", Unit::PerYear, "2023-01-01", None),
            std_row(4, "地方补贴", &[("类别", "残疾军人"), ("片区", "2")], "100", Unit::PerMonth, "2023-01-01", None),
        ];
        let t = StandardTable::new(rows).unwrap();
        let mut m = Matcher::new(&t);
        let one = person(5, ID1, "残疾军人", &[("护理", "1"), ("片区", "2")]);
        let again = person(6, ID2, "残疾军人", &[("护理", "1"), ("片区", "2")]);
        assert_eq!(
            m.items_for(&one).unwrap_err().to_string(),
            "roster.xlsx 工作表「花名册」第5行「护理」列：护理是数字，而标准表中护理列写的是文字（如“是”），二者无法匹配\
             （值：“1”）。请按标准表的写法填写护理（如“是”），不要用 1/0 等数字代替。 [KEY_NOT_TEXT]"
        );
        assert_eq!(m.items_for(&again).unwrap_err().location.unwrap().row, Some(6));
        assert_eq!(m.items_for(&again).unwrap_err(), t.items_for(&again).unwrap_err());
        // 否, blank, and a number in 片区 (whose standard holds a number) are values like any other.
        for value in ["否", ""] {
            let r = person(7, ID1, "残疾军人", &[("护理", value), ("片区", "3")]);
            assert_eq!(*m.items_for(&r).unwrap(), vec![("残疾抚恤金".into(), vec![0])]);
        }
        let r = person(8, ID1, "残疾军人", &[("护理", "是"), ("片区", "2")]);
        assert_eq!(m.items_for(&r).unwrap().len(), 3);
    }

    #[test]
    fn roster_item_column_restricts_to_that_item() {
        let rows = vec![
            std_row(2, "残疾抚恤金", &[("类别", "残疾军人")], "50000", Unit::PerYear, "2023-01-01", None),
            std_row(3, "护理费", &[("类别", "残疾军人")], "30000", Unit::PerYear, "2023-01-01", None),
        ];
        let t = StandardTable::new(rows).unwrap();
        let mut r = person(4, ID1, "残疾军人", &[]);
        assert_eq!(t.items_for(&r).unwrap().len(), 2);
        r.item = Some("护理费".into());
        assert_eq!(t.items_for(&r).unwrap(), vec![("护理费".into(), vec![1])]);
        r.item = Some("取暖费".into());
        assert_eq!(t.items_for(&r).unwrap_err().code, "NO_STANDARD");
    }
}
