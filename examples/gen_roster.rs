//! Synthetic 示例 (sample) fixtures: a 花名册 shaped like the bureaus' own sheets, the same sheet as Excel's GBK CSV,
//! a dated 标准表, a sample youfu.toml and NOTES.md; or a plain roster of any size for benchmarks.
//!
//! Every person is invented: names from common 姓/名 characters, 身份证号 with the fictional region 5199xx and a
//! correct check character, bank accounts with a 6217/6228/6230 prefix. Everything is deterministic from `--seed`.
//!
//! ```text
//! cargo run --release --example gen_roster -- --fixtures fixtures
//! cargo run --release --example gen_roster -- --rows 1000000 --format xlsx --out big.xlsx [--seed 2024] [--long-texts]
//! ```

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use youfu::domain::id_card::check_char;
use youfu::domain::money::{RoundingMode, round_fen};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

// ---------------------------------------------------------------------------------------------------------------
// PRNG: splitmix64, so that no extra crate is needed and every run with one seed gives the same bytes.

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (the modulo bias is irrelevant for sample data).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }
    /// True with probability `per_mille` / 1000.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
    fn date(&mut self, from: NaiveDate, to: NaiveDate) -> NaiveDate {
        from + chrono::Days::new(self.below((to - from).num_days() as u64 + 1))
    }
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

// ---------------------------------------------------------------------------------------------------------------
// The kinds of recipient, in the order of `youfu::domain::category::KNOWN`.

struct Kind {
    name: &'static str,
    /// How many in the 225-person fixture; also the weight in `--rows` mode.
    count: u64,
    /// Birth years, inclusive.
    born: (i32, i32),
    /// Share of men, per mille.
    male: u64,
    /// (age at enlistment min, max, years of service min, max); None for survivors and children.
    service: Option<(i32, i32, i32, i32)>,
}

const KINDS: [Kind; 13] = [
    Kind { name: "残疾军人", count: 102, born: (1940, 2000), male: 960, service: Some((18, 20, 2, 16)) },
    Kind { name: "烈士遗属", count: 14, born: (1930, 1995), male: 300, service: None },
    Kind { name: "因公牺牲军人遗属", count: 8, born: (1935, 1998), male: 300, service: None },
    Kind { name: "病故军人遗属", count: 12, born: (1930, 1995), male: 300, service: None },
    Kind { name: "在乡复员军人", count: 10, born: (1926, 1935), male: 1000, service: Some((16, 20, 3, 10)) },
    Kind { name: "带病回乡退伍军人", count: 10, born: (1940, 1965), male: 1000, service: Some((18, 20, 2, 6)) },
    Kind { name: "参战退役人员", count: 24, born: (1955, 1966), male: 990, service: Some((18, 20, 3, 8)) },
    Kind { name: "参试退役人员", count: 8, born: (1940, 1965), male: 980, service: Some((18, 20, 3, 10)) },
    Kind { name: "农村籍退役士兵", count: 24, born: (1940, 1963), male: 1000, service: Some((18, 20, 2, 8)) },
    Kind { name: "烈士子女", count: 8, born: (1940, 1969), male: 500, service: None },
    Kind {
        name: "在乡退伍红军老战士", count: 2, born: (1920, 1924), male: 1000, service: Some((12, 15, 8, 20))
    },
    Kind {
        name: "在乡西路军红军老战士", count: 1, born: (1920, 1922), male: 1000, service: Some((13, 15, 8, 20))
    },
    Kind { name: "红军失散人员", count: 2, born: (1920, 1924), male: 1000, service: Some((12, 15, 2, 6)) },
];

const DISABLED: usize = 0;
const RURAL_SOLDIER: usize = 8;

const GRADES: [&str; 10] = ["一级", "二级", "三级", "四级", "五级", "六级", "七级", "八级", "九级", "十级"];
const NATURES: [&str; 3] = ["因战", "因公", "因病"];

const TOWNS: [&str; 6] = ["城关镇", "东坝镇", "西河乡", "南山乡", "北湖街道", "青石乡"];
const VILLAGES: [[&str; 5]; 6] = [
    ["城东社区", "城西社区", "和平社区", "红星村", "柏林村"],
    ["东坝村", "石桥村", "团结村", "新民村", "桂花村"],
    ["西河村", "胜利村", "龙井村", "五星村", "光明村"],
    ["南山村", "茶园村", "长岭村", "高峰村", "双河村"],
    ["北湖社区", "新街社区", "湖滨社区", "河东社区", "金桥社区"],
    ["青石村", "白岩村", "松林村", "大田村", "回龙村"],
];

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林",
    "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田", "董", "袁", "潘", "蒋",
    "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁", "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪",
    "范", "金", "石", "廖", "贾", "夏", "韦", "付", "方", "白", "邹", "孟", "熊", "秦", "邱", "江", "尹", "薛", "段",
    "雷", "侯", "龙", "史", "陶", "黎", "贺", "顾", "毛", "郝", "龚", "邵", "万", "严", "武", "戴", "莫", "孔", "向",
];
const MALE_GIVEN: &[&str] = &[
    "伟", "强", "军", "建", "国", "明", "华", "志", "勇", "刚", "平", "林", "峰", "海", "兵", "斌", "德", "福", "贵",
    "富", "成", "文", "武", "山", "忠", "义", "东", "春", "生", "荣", "祥", "庆", "发", "全", "友", "永", "长", "宝",
    "民", "学", "俊", "光", "明", "先", "开", "继", "世", "良", "正", "云", "新", "树", "才", "中", "洪", "清",
];
const FEMALE_GIVEN: &[&str] = &[
    "芳", "秀", "英", "华", "兰", "珍", "玉", "桂", "凤", "梅", "霞", "红", "丽", "琴", "云", "莲", "淑", "秋", "金",
    "翠", "菊", "萍", "敏", "静", "燕", "艳", "娟", "慧", "素", "琼", "银", "春", "月", "香", "群", "平",
];

/// (account prefix, 开户行)
const BANKS: [(&str, &str); 3] =
    [("6228", "中国农业银行示例县支行"), ("6217", "中国建设银行示例县支行"), ("6230", "示例县农村商业银行")];

const SUSPEND_REASONS: [&str; 3] = ["服刑期间中止发放", "下落不明，待核实", "年度确认逾期，暂停发放"];

// ---------------------------------------------------------------------------------------------------------------
// A person, before being laid out as cells.

#[derive(Debug, Clone)]
struct Person {
    kind: usize,
    name: String,
    male: bool,
    id: String,
    town: usize,
    village: &'static str,
    grade: Option<usize>,
    nature: Option<usize>,
    rural: bool,
    enlisted: Option<NaiveDate>,
    discharged: Option<NaiveDate>,
    service_years: Option<i32>,
    /// 护理: Some(true) 是, Some(false) 否, None blank.
    nursing: Option<bool>,
    /// 起发年月, first day of the month.
    start: NaiveDate,
    /// 状态 text; "" for blank.
    status: &'static str,
    suspend_reason: String,
    stop_month: Option<NaiveDate>,
    death: Option<NaiveDate>,
    confirmed: NaiveDate,
    bank: &'static str,
    account: String,
    note: String,
}

impl Person {
    fn birth(&self) -> NaiveDate {
        let b = self.id.as_bytes();
        let n = |r: std::ops::Range<usize>| std::str::from_utf8(&b[r]).unwrap().parse::<u32>().unwrap();
        ymd(n(6..10) as i32, n(10..12), n(12..14))
    }
    fn kind_name(&self) -> &'static str {
        KINDS[self.kind].name
    }
}

/// Luhn check digit for a string of digits (the digit that would be appended).
fn luhn_digit(payload: &str) -> u32 {
    let sum: u32 = payload
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, c)| {
            let d = (c - b'0') as u32;
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

fn luhn_ok(number: &str) -> bool {
    let (payload, last) = number.split_at(number.len() - 1);
    luhn_digit(payload) == last.parse::<u32>().unwrap()
}

/// Makes people. IDs are unique without remembering them: each kind has its own region codes
/// (5199 + two digits = kind × 6 + town + 1), and the n-th person of a kind is mapped by a bijection
/// (an affine permutation modulo the kind's capacity) onto (town, birth day, sequence number).
struct Generator {
    rng: Rng,
    counters: [u64; 13],
    offsets: [u64; 13],
}

impl Generator {
    fn new(seed: u64) -> Generator {
        let mut rng = Rng(seed);
        let mut offsets = [0; 13];
        for (k, o) in offsets.iter_mut().enumerate() {
            *o = rng.below(Self::capacity(k));
        }
        Generator { rng, counters: [0; 13], offsets }
    }

    fn days(kind: usize) -> u64 {
        let (a, b) = KINDS[kind].born;
        (ymd(b, 12, 31) - ymd(a, 1, 1)).num_days() as u64 + 1
    }

    /// 6 towns × birth days × 500 sequence numbers (the 17th digit's parity is the sex, chosen freely).
    fn capacity(kind: usize) -> u64 {
        6 * Self::days(kind) * 500
    }

    fn id_slot(&mut self, kind: usize) -> (usize, NaiveDate, u64) {
        let cap = Self::capacity(kind);
        let n = self.counters[kind];
        assert!(n < cap, "too many people of kind {}", KINDS[kind].name);
        self.counters[kind] += 1;
        // 1_000_000_007 is prime and larger than every capacity, so it is coprime with it.
        let j = ((1_000_000_007u128 * n as u128 + self.offsets[kind] as u128) % cap as u128) as u64;
        let seq = j % 500;
        let rest = j / 500;
        let days = Self::days(kind);
        let birth = ymd(KINDS[kind].born.0, 1, 1) + chrono::Days::new(rest % days);
        ((rest / days) as usize, birth, seq)
    }

    fn name(&mut self, male: bool) -> String {
        let pool = if male { MALE_GIVEN } else { FEMALE_GIVEN };
        let mut s = self.rng.pick(SURNAMES).to_string();
        s.push_str(self.rng.pick::<&str>(pool));
        if self.rng.chance(700) {
            s.push_str(self.rng.pick::<&str>(pool));
        }
        s
    }

    fn account(&mut self, valid: bool) -> (&'static str, String) {
        let (prefix, bank) = self.rng.pick(&BANKS);
        let mut s = prefix.to_string();
        for _ in 0..14 {
            s.push((b'0' + self.rng.below(10) as u8) as char);
        }
        let d = luhn_digit(&s);
        let d = if valid { d } else { (d + 1 + self.rng.below(9) as u32) % 10 };
        s.push(char::from_digit(d, 10).unwrap());
        (bank, s)
    }

    fn disabled_grade(&mut self) -> (usize, usize) {
        // weights for 一级..十级: most people are in the lighter grades
        const W: [u64; 10] = [1, 2, 3, 4, 6, 8, 12, 14, 14, 14];
        let mut r = self.rng.below(W.iter().sum());
        let mut g = 0;
        while r >= W[g] {
            r -= W[g];
            g += 1;
        }
        let nature = if g <= 5 { self.rng.pick(&[0, 0, 1, 1, 2]) } else { self.rng.pick(&[0, 1]) };
        (g, nature)
    }

    /// A normal (正常) person of a kind, confirmed in 2023 or early 2024, paid since before 2024.
    fn person(&mut self, kind: usize) -> Person {
        let k = &KINDS[kind];
        let (town, birth, seq) = self.id_slot(kind);
        let male = self.rng.chance(k.male);
        let mut id = format!(
            "5199{:02}{}{:02}{}",
            kind * 6 + town + 1,
            birth.format("%Y%m%d"),
            seq / 5,
            (seq % 5) * 2 + u64::from(male)
        );
        id.push(check_char(id.as_bytes()));
        let (mut enlisted, mut discharged, mut service_years) = (None, None, None);
        if let Some((a0, a1, y0, y1)) = k.service {
            let age = self.rng.range(a0 as i64, a1 as i64) as i32;
            let ey = birth.year() + age;
            let em = self.rng.range(1, 12) as u32;
            let e = ymd(ey, em, self.rng.range(1, 28) as u32);
            let years = (self.rng.range(y0 as i64, y1 as i64) as i32).min(2023 - ey).max(1);
            let d = ymd(ey + years, self.rng.range(1, 12) as u32, self.rng.range(1, 28) as u32);
            enlisted = Some(e);
            discharged = Some(d);
            service_years = Some(years);
        }
        let (grade, nature) = if kind == DISABLED {
            let (g, n) = self.disabled_grade();
            (Some(g), Some(n))
        } else {
            (None, None)
        };
        let urban_town = town == 0 || town == 4;
        let rural = if kind == RURAL_SOLDIER { true } else { self.rng.chance(if urban_town { 200 } else { 800 }) };
        let nursing = match grade {
            Some(g) if g <= 1 => Some(self.rng.chance(600)),
            Some(_) => self.rng.chance(500).then_some(false),
            None => None,
        };
        // paid since: from 2005 (or the day after discharge / the 18th birthday, if later) to 2023-12
        let earliest = [Some(ymd(2005, 1, 1)), discharged, Some(ymd(birth.year() + 18, birth.month(), 1))]
            .into_iter()
            .flatten()
            .max()
            .unwrap();
        let s = self.rng.date(earliest.min(ymd(2023, 12, 1)), ymd(2023, 12, 31));
        let start = ymd(s.year(), s.month(), 1);
        let confirmed = self.rng.date(ymd(2023, 3, 1), ymd(2024, 2, 29));
        let (bank, account) = self.account(true);
        let status = if self.rng.chance(900) { "正常" } else { "" };
        Person {
            kind,
            name: self.name(male),
            male,
            id,
            town,
            village: self.rng.pick(&VILLAGES[town]),
            grade,
            nature,
            rural,
            enlisted,
            discharged,
            service_years,
            nursing,
            start,
            status,
            suspend_reason: String::new(),
            stop_month: None,
            death: None,
            confirmed,
            bank,
            account,
            note: String::new(),
        }
    }

    /// Set the years of service, moving the discharge date to match.
    fn set_service(p: &mut Person, years: i32) {
        let e = p.enlisted.expect("a serviceman");
        p.service_years = Some(years);
        p.discharged = Some(ymd(e.year() + years, p.discharged.unwrap().month(), p.discharged.unwrap().day()));
        if p.start < p.discharged.unwrap() {
            p.start = ymd(p.discharged.unwrap().year() + 1, 1, 1).max(ymd(2005, 1, 1));
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Cells: one model for the xlsx and the CSV, so both describe the same people with the same values.

#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Empty,
    Text(String),
    Int(i64),
    /// A date cell shown as yyyy/m/d.
    Date(NaiveDate),
    /// A date cell (first of the month) shown as yyyy年m月.
    Month(NaiveDate),
}

impl Cell {
    fn text(s: impl Into<String>) -> Cell {
        let s = s.into();
        if s.is_empty() { Cell::Empty } else { Cell::Text(s) }
    }
    /// As Excel (zh-CN) displays it, which is what "save as CSV" writes.
    fn excel_display(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Int(n) => n.to_string(),
            Cell::Date(d) => format!("{}/{}/{}", d.year(), d.month(), d.day()),
            Cell::Month(d) => format!("{}年{}月", d.year(), d.month()),
        }
    }
    /// Plain ISO forms, for the `--rows` CSV.
    fn plain(&self) -> String {
        match self {
            Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
            Cell::Month(d) => d.format("%Y-%m").to_string(),
            other => other.excel_display(),
        }
    }
}

const COLUMNS: [&str; 23] = [
    "序号",
    "姓名",
    "性别",
    "身份证号",
    "类别",
    "等级",
    "性质",
    "城乡",
    "入伍时间",
    "退伍时间",
    "服役年限",
    "护理",
    "起发年月",
    "状态",
    "暂停原因",
    "停发年月",
    "死亡日期",
    "年度确认日期",
    "开户行",
    "银行账号",
    "乡镇（街道）",
    "村（社区）",
    "备注",
];
const C_NAME: usize = 1;
const C_ID: usize = 3;
const C_GRADE: usize = 5;
const C_ENLIST: usize = 8;
const C_DISCHARGE: usize = 9;
const C_YEARS: usize = 10;
const C_START: usize = 12;
const C_DEATH: usize = 16;
const C_CONFIRM: usize = 17;
const C_BANK: usize = 18;
const C_ACCOUNT: usize = 19;
const C_TOWN: usize = 20;
const C_VILLAGE: usize = 21;
const C_NOTE: usize = 22;

fn cells(p: &Person, serial: usize) -> Vec<Cell> {
    let opt_date = |d: Option<NaiveDate>| d.map_or(Cell::Empty, Cell::Date);
    vec![
        Cell::Int(serial as i64),
        Cell::text(p.name.clone()),
        Cell::text(if p.male { "男" } else { "女" }),
        Cell::text(p.id.clone()),
        Cell::text(p.kind_name()),
        p.grade.map_or(Cell::Empty, |g| Cell::text(GRADES[g])),
        p.nature.map_or(Cell::Empty, |n| Cell::text(NATURES[n])),
        Cell::text(if p.rural { "农村" } else { "城镇" }),
        opt_date(p.enlisted),
        opt_date(p.discharged),
        p.service_years.map_or(Cell::Empty, |y| Cell::Int(y as i64)),
        p.nursing.map_or(Cell::Empty, |n| Cell::text(if n { "是" } else { "否" })),
        Cell::Month(p.start),
        Cell::text(p.status),
        Cell::text(p.suspend_reason.clone()),
        p.stop_month.map_or(Cell::Empty, |m| Cell::text(m.format("%Y-%m").to_string())),
        opt_date(p.death),
        Cell::Date(p.confirmed),
        Cell::text(p.bank),
        Cell::text(p.account.clone()),
        Cell::text(TOWNS[p.town]),
        Cell::text(p.village),
        Cell::text(p.note.clone()),
    ]
}

/// Date typed as text, in one of the three forms seen in real sheets.
fn date_as_text(d: NaiveDate, form: usize) -> Cell {
    Cell::Text(match form % 3 {
        0 => format!("{}.{:02}.{:02}", d.year(), d.month(), d.day()),
        1 => format!("{}年{}月{}日", d.year(), d.month(), d.day()),
        _ => format!("{}/{}/{}", d.year(), d.month(), d.day()),
    })
}

fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_digit() { char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap() } else { c })
        .collect()
}

struct Formats {
    plain: Format,
    text: Format,
    date: Format,
    month: Format,
}

impl Formats {
    fn new(border: bool) -> Formats {
        let b = |f: Format| {
            if border { f.set_border(FormatBorder::Thin) } else { f }
        };
        Formats {
            plain: b(Format::new()),
            text: b(Format::new().set_num_format("@")),
            date: b(Format::new().set_num_format("yyyy/m/d")),
            month: b(Format::new().set_num_format("yyyy\"年\"m\"月\"")),
        }
    }
}

fn write_cell(ws: &mut Worksheet, row: u32, col: u16, cell: &Cell, f: &Formats) -> Res<()> {
    let text_col = col as usize == C_ID || col as usize == C_ACCOUNT;
    match cell {
        Cell::Empty => {
            ws.write_blank(row, col, if text_col { &f.text } else { &f.plain })?;
        }
        Cell::Text(s) => {
            ws.write_string_with_format(row, col, s, if text_col { &f.text } else { &f.plain })?;
        }
        Cell::Int(n) => {
            ws.write_number_with_format(row, col, *n as f64, &f.plain)?;
        }
        Cell::Date(d) | Cell::Month(d) => {
            let dt = ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)?;
            let fmt = if matches!(cell, Cell::Month(_)) { &f.month } else { &f.date };
            ws.write_datetime_with_format(row, col, &dt, fmt)?;
        }
    }
    Ok(())
}

fn fixed_properties(title: &str) -> Res<DocProperties> {
    Ok(DocProperties::new()
        .set_title(title)
        .set_author("youfu gen_roster（示例数据）")
        .set_comment("示例数据，人员均为虚构")
        .set_creation_datetime(&ExcelDateTime::from_ymd(2024, 3, 1)?))
}

// ---------------------------------------------------------------------------------------------------------------
// The fixture set.

const TITLE: &str = "示例县2024年优抚对象花名册（示例数据，人员均为虚构）";
const BLANK_AFTER: usize = 120;

/// A person worth naming in NOTES.md.
struct Notable {
    index: usize,
    what: String,
}

struct Roster {
    people: Vec<Person>,
    rows: Vec<Vec<Cell>>,
    notables: Vec<Notable>,
}

/// Excel row (1-based, as the user sees it) of the i-th person (0-based).
fn excel_row(i: usize) -> usize {
    if i < BLANK_AFTER { 5 + i } else { 6 + i }
}

fn build_roster(seed: u64) -> Roster {
    let mut g = Generator::new(seed);
    let mut order: Vec<usize> = KINDS.iter().enumerate().flat_map(|(k, kind)| vec![k; kind.count as usize]).collect();
    for i in (1..order.len()).rev() {
        let j = g.rng.below(i as u64 + 1) as usize;
        order.swap(i, j);
    }
    let mut people: Vec<Person> = order.iter().map(|&k| g.person(k)).collect();
    // the first 26 disabled people cover every 等级 × 性质 (因病 only 一级–六级)
    let combos: Vec<(usize, usize)> =
        (0..10).flat_map(|gr| (0..3).filter(move |&n| n < 2 || gr <= 5).map(move |n| (gr, n))).collect();
    for (p, &(gr, n)) in people.iter_mut().filter(|p| p.kind == DISABLED).zip(&combos) {
        p.grade = Some(gr);
        p.nature = Some(n);
        p.nursing = if gr <= 1 { Some(true) } else { None };
    }

    let mut used = BTreeSet::new();
    let mut notables = Vec::new();
    let mut take = |people: &mut Vec<Person>, pred: &dyn Fn(&Person) -> bool, what: &str, f: &dyn Fn(&mut Person)| {
        // search from a spread-out starting point, so that notable people sit all over the sheet
        let n = people.len();
        let from = (notables.len() * 37 + 3) % n;
        let i = (0..n).map(|k| (from + k) % n).find(|&i| !used.contains(&i) && pred(&people[i])).expect("a candidate");
        used.insert(i);
        f(&mut people[i]);
        notables.push(Notable { index: i, what: what.to_string() });
        i
    };
    let disabled = |p: &Person| p.kind == DISABLED;
    let of = |k: &'static str| move |p: &Person| p.kind_name() == k;

    take(
        &mut people,
        &disabled,
        "残疾军人五级因战，2024-03-05死亡：死亡当月（2024-03）照发，之后停发",
        &|p| {
            p.grade = Some(4);
            p.nature = Some(0);
            p.rural = false;
            p.nursing = None;
            p.status = "死亡";
            p.death = Some(ymd(2024, 3, 5));
            p.confirmed = ymd(2023, 6, 12);
            p.note = "示例：2024年3月5日死亡".into();
        },
    );
    take(
        &mut people,
        &disabled,
        "残疾军人一级因战，护理=是，城镇：两个项目（残疾抚恤金＋护理费）",
        &|p| {
            p.grade = Some(0);
            p.nature = Some(0);
            p.rural = false;
            p.nursing = Some(true);
            p.status = "正常";
        },
    );
    take(
        &mut people,
        &of("参战退役人员"),
        "暂停（服刑期间中止发放）：不发，原因列在人员旁",
        &|p| {
            p.status = "暂停";
            p.suspend_reason = "服刑期间中止发放".into();
        },
    );
    take(
        &mut people,
        &of("带病回乡退伍军人"),
        "停发，停发年月2024-03：2024-02照发，2024-03起不发",
        &|p| {
            p.status = "停发";
            p.stop_month = Some(ymd(2024, 3, 1));
            p.note = "示例：迁出本县，自2024年3月停发".into();
        },
    );
    take(&mut people, &disabled, "起发年月“2024年2月”（文本）：今年新起发，七级因公", &|p| {
        p.grade = Some(6);
        p.nature = Some(1);
        p.nursing = None;
        p.rural = false;
        p.start = ymd(2024, 2, 1);
        p.confirmed = ymd(2024, 1, 22);
        p.note = "示例：2024年新评残".into();
    });
    take(
        &mut people,
        &of("农村籍退役士兵"),
        "服役年限7：2022标准7×40=280.00元/月，2023标准7×42=294.00元/月",
        &|p| {
            Generator::set_service(p, 7);
        },
    );
    take(&mut people, &of("烈士遗属"), "银行账号为空（开户行有）：无法代发", &|p| {
        p.account.clear();
        p.note = "示例：账号待补".into();
    });
    take(&mut people, &of("病故军人遗属"), "银行账号不通过Luhn校验：警告，不是错误", &|p| {
        let mut s = p.account[..18].to_string();
        let d = (luhn_digit(&s) + 5) % 10;
        s.push(char::from_digit(d, 10).unwrap());
        p.account = s;
    });
    take(
        &mut people,
        &of("参试退役人员"),
        "年度确认日期2022-11-15：逾期未确认（状态仍为正常；下方金额未计逾期规则）",
        &|p| {
            p.status = "正常";
            p.confirmed = ymd(2022, 11, 15);
        },
    );
    take(
        &mut people,
        &|p: &Person| disabled(p) && p.grade.is_some_and(|g| g > 1),
        "残疾军人二级因病，护理=是，农村：三个项目（残疾抚恤金＋护理费＋县级优抚补贴）",
        &|p| {
            p.grade = Some(1);
            p.nature = Some(2);
            p.rural = true;
            p.nursing = Some(true);
        },
    );
    // cell-level oddities are applied below, after the rows are laid out; these people carry them
    let fw5 = take(
        &mut people,
        &of("农村籍退役士兵"),
        "服役年限写作全角“５”：5×42=210.00元/月",
        &|p| {
            Generator::set_service(p, 5);
        },
    );
    let fw12 = take(
        &mut people,
        &|p: &Person| disabled(p) && p.grade.is_some_and(|g| g >= 2) && p.enlisted.is_some_and(|e| e.year() <= 2005),
        "服役年限写作全角“１２”",
        &|p| Generator::set_service(p, 12),
    );
    let trail = take(&mut people, &of("因公牺牲军人遗属"), "姓名末尾有空格", &|_| {});
    let lead = take(&mut people, &of("残疾军人"), "姓名开头有空格", &|_| {});
    take(&mut people, &of("烈士子女"), "起发年月2024-04（日期单元格）：2024-03尚未起发", &|p| {
        p.start = ymd(2024, 4, 1);
        p.confirmed = ymd(2024, 2, 26);
        p.note = "示例：2024年4月起发".into();
    });
    let death_text = take(
        &mut people,
        &of("烈士遗属"),
        "死亡日期写作文本“2024年1月18日”：2024-01照发，2024-02起停发",
        &|p| {
            p.status = "死亡";
            p.death = Some(ymd(2024, 1, 18));
            p.confirmed = ymd(2023, 9, 3);
        },
    );
    take(&mut people, &of("农村籍退役士兵"), "暂停（下落不明，待核实）", &|p| {
        p.status = "暂停";
        p.suspend_reason = "下落不明，待核实".into();
    });
    take(&mut people, &of("病故军人遗属"), "停发，停发年月为空：不发", &|p| {
        p.status = "停发";
        p.note = "示例：经核查不再符合条件".into();
    });
    take(&mut people, &of("在乡复员军人"), "2023-12-02死亡：2024年各月不发", &|p| {
        p.status = "死亡";
        p.death = Some(ymd(2023, 12, 2));
        p.confirmed = ymd(2023, 5, 20);
    });
    let arabic = take(
        &mut people,
        &|p: &Person| disabled(p) && p.grade.is_some_and(|g| (2..=5).contains(&g)),
        "等级写作“3级”（阿拉伯数字），三级因病",
        &|p| {
            p.grade = Some(2);
            p.nature = Some(2);
            p.nursing = Some(false);
        },
    );
    take(&mut people, &of("红军失散人员"), "起发年月写作文本“2019-08”", &|p| {
        p.start = ymd(2019, 8, 1);
    });

    // the notable people may have taken the only holder of a combination: give it back to someone else
    for &(gr, n) in &combos {
        let count = |people: &[Person], c: (usize, usize)| {
            people.iter().filter(|p| p.grade == Some(c.0) && p.nature == Some(c.1)).count()
        };
        if count(&people, (gr, n)) > 0 {
            continue;
        }
        let i = (0..people.len())
            .find(|&i| {
                let p = &people[i];
                p.kind == DISABLED && !used.contains(&i) && count(&people, (p.grade.unwrap(), p.nature.unwrap())) > 1
            })
            .expect("a disabled person in a shared combination");
        let p = &mut people[i];
        p.grade = Some(gr);
        p.nature = Some(n);
        p.nursing = if gr <= 1 { Some(true) } else { None };
    }

    // lay out the cells, then apply the written-by-hand oddities
    let mut rows: Vec<Vec<Cell>> = people.iter().enumerate().map(|(i, p)| cells(p, i + 1)).collect();
    let mut r = Rng(seed ^ 0x5EED);
    let notable_set: BTreeSet<usize> = notables.iter().map(|n| n.index).collect();
    for (i, row) in rows.iter_mut().enumerate() {
        let p = &people[i];
        // 起发年月: mostly a date cell, sometimes text "2019-08" or "2024年2月"
        match r.below(10) {
            0..=2 => row[C_START] = Cell::Text(p.start.format("%Y-%m").to_string()),
            3 => row[C_START] = Cell::Text(format!("{}年{}月", p.start.year(), p.start.month())),
            _ => {}
        }
        if notable_set.contains(&i) {
            continue;
        }
        // a few dates typed as text
        for c in [C_ENLIST, C_DISCHARGE, C_CONFIRM] {
            if let Cell::Date(d) = row[c]
                && r.chance(60)
            {
                row[c] = date_as_text(d, r.below(3) as usize);
            }
        }
        // 等级 sometimes "3级"
        if let Some(gr) = p.grade
            && gr >= 2
            && r.chance(100)
        {
            row[C_GRADE] = Cell::Text(format!("{}级", gr + 1));
        }
    }
    rows[fw5][C_YEARS] = Cell::Text(full_width("5"));
    rows[fw12][C_YEARS] = Cell::Text(full_width("12"));
    rows[trail][C_NAME] = Cell::Text(format!("{} ", people[trail].name));
    rows[lead][C_NAME] = Cell::Text(format!(" {}", people[lead].name));
    rows[death_text][C_DEATH] = Cell::Text("2024年1月18日".into());
    rows[arabic][C_GRADE] = Cell::Text("3级".into());
    let n2024 = notables.iter().find(|n| n.what.contains("2024年2月")).unwrap().index;
    rows[n2024][C_START] = Cell::Text("2024年2月".into());
    let n2019 = notables.iter().find(|n| n.what.contains("2019-08")).unwrap().index;
    rows[n2019][C_START] = Cell::Text("2019-08".into());
    let n2404 = notables.iter().find(|n| n.what.contains("2024-04")).unwrap().index;
    rows[n2404][C_START] = Cell::Month(ymd(2024, 4, 1));
    // one confirmation typed in each text form, on notable-free rows, so each form is surely present
    let mut forms = 0;
    for (i, row) in rows.iter_mut().enumerate() {
        if forms < 3
            && !notable_set.contains(&i)
            && let Cell::Date(d) = row[C_CONFIRM]
        {
            row[C_CONFIRM] = date_as_text(d, forms);
            forms += 1;
        }
    }
    Roster { people, rows, notables }
}

fn header_rows() -> [Vec<String>; 4] {
    let mut title = vec![String::new(); 23];
    title[0] = TITLE.into();
    let mut unit = vec![String::new(); 23];
    unit[0] = "单位：元".into();
    unit[19] = "制表日期：2024年3月1日".into();
    let mut h1: Vec<String> = COLUMNS.iter().map(|s| s.to_string()).collect();
    h1[C_BANK] = "银行信息".into();
    h1[C_ACCOUNT] = String::new();
    let mut h2 = vec![String::new(); 23];
    h2[C_BANK] = COLUMNS[C_BANK].into();
    h2[C_ACCOUNT] = COLUMNS[C_ACCOUNT].into();
    [title, unit, h1, h2]
}

fn total_row(n: usize) -> Vec<String> {
    let mut r = vec![String::new(); 23];
    r[0] = "合计".into();
    r[1] = format!("共{n}人");
    r
}

fn write_roster_xlsx(roster: &Roster, path: &Path) -> Res<()> {
    let mut wb = Workbook::new();
    wb.set_properties(&fixed_properties(TITLE)?);
    let ws = wb.add_worksheet();
    ws.set_name("花名册")?;
    let f = Formats::new(true);
    let title = Format::new().set_bold().set_font_size(16).set_align(FormatAlign::Center);
    let left = Format::new().set_align(FormatAlign::Left);
    let right = Format::new().set_align(FormatAlign::Right);
    let head = Format::new()
        .set_bold()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_text_wrap()
        .set_border(FormatBorder::Thin);
    let total = Format::new().set_bold().set_border(FormatBorder::Thin);

    let widths: [f64; 23] = [
        5.0, 8.0, 5.0, 20.0, 16.0, 6.0, 6.0, 6.0, 10.0, 10.0, 6.0, 5.0, 9.0, 6.0, 16.0, 8.0, 10.0, 11.0, 24.0, 21.0,
        10.0, 10.0, 24.0,
    ];
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
    }
    // the whole column is text (`@`), so what someone types there later stays text too
    let text_column = Format::new().set_num_format("@");
    ws.set_column_format(C_ID as u16, &text_column)?;
    ws.set_column_format(C_ACCOUNT as u16, &text_column)?;
    ws.set_row_height(0, 30)?;
    ws.merge_range(0, 0, 0, 22, TITLE, &title)?;
    ws.merge_range(1, 0, 1, 2, "单位：元", &left)?;
    ws.merge_range(1, 19, 1, 22, "制表日期：2024年3月1日", &right)?;
    for (c, name) in COLUMNS.iter().enumerate() {
        let c16 = c as u16;
        if c == C_BANK {
            ws.merge_range(2, c16, 2, c16 + 1, "银行信息", &head)?;
            ws.write_string_with_format(3, c16, *name, &head)?;
        } else if c == C_ACCOUNT {
            ws.write_string_with_format(3, c16, *name, &head)?;
        } else {
            ws.merge_range(2, c16, 3, c16, name, &head)?;
        }
    }
    for (i, row) in roster.rows.iter().enumerate() {
        let r = excel_row(i) as u32 - 1;
        for (c, cell) in row.iter().enumerate() {
            write_cell(ws, r, c as u16, cell, &f)?;
        }
    }
    let last = excel_row(roster.rows.len() - 1) as u32; // 0-based row after the last person
    for (c, v) in total_row(roster.rows.len()).iter().enumerate() {
        ws.write_string_with_format(last, c as u16, v, &total)?;
    }
    ws.set_freeze_panes(4, 2)?;
    ws.set_landscape();
    ws.set_paper_size(9); // A4
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(0, 3)?;
    wb.save(path)?;
    Ok(())
}

/// The roster as Excel (zh-CN) "save as CSV" writes it: GBK, CRLF, every row as wide as the used range,
/// a merged cell's value in its first cell.
fn write_roster_gbk_csv(roster: &Roster, path: &Path) -> Res<()> {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    for r in header_rows() {
        w.write_record(&r)?;
    }
    for (i, row) in roster.rows.iter().enumerate() {
        if i == BLANK_AFTER {
            w.write_record(vec![""; 23])?;
        }
        w.write_record(row.iter().map(Cell::excel_display))?;
    }
    w.write_record(total_row(roster.rows.len()))?;
    let text = String::from_utf8(w.into_inner()?)?;
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(&text);
    if unmappable {
        return Err("roster text has a character GBK cannot encode".into());
    }
    std::fs::write(path, bytes)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------------
// The standards.

/// The Known figures (元/年), 一级..十级 × 因战/因公/因病 (0 = none).
const DISABILITY_2022: [[i64; 3]; 10] = [
    [106670, 103300, 99910],
    [96530, 91450, 88030],
    [84700, 79600, 74550],
    [69420, 62670, 57590],
    [54220, 47410, 44030],
    [42360, 40080, 33860],
    [32200, 28820, 0],
    [20330, 18610, 0],
    [16890, 13560, 0],
    [11860, 10140, 0],
];

struct StandardRow {
    item: &'static str,
    kind: &'static str,
    grade: &'static str,
    nature: &'static str,
    hukou: &'static str,
    nursing: &'static str,
    amount: i64,
    unit: &'static str,
    start: NaiveDate,
    end: Option<NaiveDate>,
    basis: String,
}

/// The 2023 raise: 元/年 amounts × (1 + pct/100), rounded half-up to a multiple of 10 元; 元/月 amounts (also per
/// service year) rounded half-up to a whole 元. Integer arithmetic, so exact.
fn raised(amount: i64, pct: i64, per_year: bool) -> i64 {
    if per_year { (amount * (100 + pct) + 500) / 1000 * 10 } else { (amount * (100 + pct) + 50) / 100 }
}

fn standards() -> Vec<StandardRow> {
    let v1 = (ymd(2022, 8, 1), Some(ymd(2023, 7, 31)), "示例：退役军人部发〔2022〕XX号（示例数据）");
    let v2 = (ymd(2023, 8, 1), None, "示例：退役军人部发〔2023〕XX号（示例数据）");
    let local = "示例县财政局文件（示例）";
    let mut rows = Vec::new();
    for (version, (start, end, basis)) in [v1, v2].into_iter().enumerate() {
        let raise = |amount: i64, pct: i64, per_year: bool| {
            if version == 0 { amount } else { raised(amount, pct, per_year) }
        };
        let row = |item, kind, grade, nature, hukou, nursing, amount, unit| StandardRow {
            item,
            kind,
            grade,
            nature,
            hukou,
            nursing,
            amount,
            unit,
            start,
            end,
            basis: basis.to_string(),
        };
        for (g, by_nature) in DISABILITY_2022.iter().enumerate() {
            for (n, &amount) in by_nature.iter().enumerate() {
                if amount > 0 {
                    let pct = if n == 0 { 6 } else { 5 };
                    rows.push(row(
                        "残疾抚恤金",
                        "残疾军人",
                        GRADES[g],
                        NATURES[n],
                        "",
                        "",
                        raise(amount, pct, true),
                        "元/年",
                    ));
                }
            }
        }
        rows.push(row("护理费", "残疾军人", "一级", "", "", "是", raise(58800, 5, true), "元/年"));
        rows.push(row("护理费", "残疾军人", "二级", "", "", "是", raise(47040, 5, true), "元/年"));
        for (kind, amount, pct) in [("烈士遗属", 27980, 6), ("因公牺牲军人遗属", 24040, 5), ("病故军人遗属", 22610, 5)]
        {
            rows.push(row("定期抚恤金", kind, "", "", "", "", raise(amount, pct, true), "元/年"));
        }
        for (kind, amount) in [
            ("在乡复员军人", 28620),
            ("在乡退伍红军老战士", 70860),
            ("在乡西路军红军老战士", 66240),
            ("红军失散人员", 31560),
        ] {
            rows.push(row("定期生活补助", kind, "", "", "", "", raise(amount, 5, true), "元/年"));
        }
        for (kind, amount) in
            [("带病回乡退伍军人", 600), ("参战退役人员", 650), ("参试退役人员", 650), ("烈士子女", 490)]
        {
            rows.push(row("定期生活补助", kind, "", "", "", "", raise(amount, 5, false), "元/月"));
        }
        rows.push(row("定期生活补助", "农村籍退役士兵", "", "", "", "", raise(40, 5, false), "元/月·服役年"));
        // the county's own item: not raised; its first row starts 2023-01-01 (it did not exist before)
        let mut l = row("县级优抚补贴", "", "", "", "农村", "", 100, "元/月");
        l.basis = local.into();
        if version == 0 {
            l.start = ymd(2023, 1, 1);
        }
        rows.push(l);
    }
    rows
}

const STANDARD_COLUMNS: [&str; 11] =
    ["项目", "类别", "等级", "性质", "城乡", "护理", "金额", "计发单位", "起始日期", "终止日期", "依据"];

fn write_standards_csv(path: &Path) -> Res<()> {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_path(path)?;
    w.write_record(STANDARD_COLUMNS)?;
    for s in standards() {
        w.write_record([
            s.item.to_string(),
            s.kind.to_string(),
            s.grade.to_string(),
            s.nature.to_string(),
            s.hukou.to_string(),
            s.nursing.to_string(),
            s.amount.to_string(),
            s.unit.to_string(),
            s.start.format("%Y-%m-%d").to_string(),
            s.end.map(|e| e.format("%Y-%m-%d").to_string()).unwrap_or_default(),
            s.basis,
        ])?;
    }
    w.flush()?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------------
// Expected 2024-03 amounts for the notable people, worked from the rows above by the domain rules (rule 3:
// 元/年 / 12, per-service-year × 服役年限, round half-up to 分; rule 4: start, death month paid, 停发, 暂停).

const MARCH: (i32, u32) = (2024, 3);

/// (persons paid, payments, total) for 2024-03 over the whole roster.
fn expected_march_total<'a>(people: impl IntoIterator<Item = &'a Person>) -> (usize, usize, Decimal) {
    let mut persons = 0;
    let mut payments = 0;
    let mut total = Decimal::ZERO;
    for p in people {
        let (amount, how) = expected_march(p);
        if amount > Decimal::ZERO {
            persons += 1;
            payments += how.split('；').count();
            total += amount;
        }
    }
    (persons, payments, total)
}

fn expected_march(p: &Person) -> (Decimal, String) {
    let first = ymd(MARCH.0, MARCH.1, 1);
    let why_not = if p.start > first {
        Some("尚未起发")
    } else if p.status == "暂停" {
        Some("暂停")
    } else if p.status == "停发" && p.stop_month.is_none_or(|m| m <= first) {
        Some("停发")
    } else if p.death.is_some_and(|d| d < first) {
        Some("已死亡")
    } else {
        None
    };
    if let Some(w) = why_not {
        return (Decimal::ZERO, format!("0（{w}）"));
    }
    let mut total = Decimal::ZERO;
    let mut parts = Vec::new();
    for s in standards().iter().filter(|s| s.start <= first && s.end.is_none_or(|e| first <= e)) {
        let matches = (s.kind.is_empty() || s.kind == p.kind_name())
            && (s.grade.is_empty() || p.grade.is_some_and(|g| GRADES[g] == s.grade))
            && (s.nature.is_empty() || p.nature.is_some_and(|n| NATURES[n] == s.nature))
            && (s.hukou.is_empty() || (s.hukou == "农村") == p.rural)
            && (s.nursing.is_empty() || (s.nursing == "是") == (p.nursing == Some(true)));
        if !matches {
            continue;
        }
        let amount = Decimal::from(s.amount);
        let (value, how) = match s.unit {
            "元/年" => (round_fen(amount / Decimal::from(12), RoundingMode::HalfUp), format!("{}/12", s.amount)),
            "元/月" => (amount, s.amount.to_string()),
            _ => {
                let y = p.service_years.unwrap();
                (amount * Decimal::from(y), format!("{}×{y}", s.amount))
            }
        };
        let value = value.round_dp(2);
        total += value;
        parts.push(format!("{}：{how}={value:.2}", s.item));
    }
    (total, parts.join("；"))
}

// ---------------------------------------------------------------------------------------------------------------

const NOTES_HEAD: &str = r#"# Fixtures (示例数据 — sample data, every person invented)

Everything here is **sample data**. Names are drawn from common 姓/名 characters; 身份证号 use the fictional region
5199xx (no real prefecture) with a correct GB 11643 check character; bank accounts are random 19-digit numbers with a
6217/6228/6230 prefix. The amounts come from the "Sample figures" of `docs/domain.md` and are **not** the law of any
county in any month. The fixture month for tests is **2024-03** (所属期).

This file is written by `examples/gen_roster.rs` (do not edit it by hand; change the generator and rerun
`fixtures/make.sh`).

## Files

| file | what it is | how it is made |
|---|---|---|
| `roster.xlsx` | the 花名册, sheet `花名册`, shaped like a bureau's own: row 1 a merged title, row 2 "单位：元" (left) and "制表日期：2024年3月1日" (right), rows 3–4 a two-row header (every column merged over both rows, except the group "银行信息" over 开户行 / 银行账号 on row 4), data from row 5, one blank row, a last row "合计" (序号) / "共225人" (姓名). 身份证号 and 银行账号 are text cells in text-formatted (`@`) columns. | `gen_roster --fixtures fixtures` (rust_xlsxwriter) |
| `roster-gbk.csv` | the same sheet as Excel (zh-CN) "另存为 CSV" writes it: GBK, CRLF, every row 23 fields, a merged cell's value in its first cell, dates as displayed (`2024/3/5`, 起发年月 date cells as `2019年8月`), the blank row as 22 commas, the 合计 row. Same people, same values: a reader must give identical results for it and `roster.xlsx`. | the generator, from the same cell model as the xlsx |
| `roster.xls`, `roster.ods` | `roster.xlsx` saved by LibreOffice Calc in the old Excel format and as ODF. | `soffice --headless --convert-to xls/ods` |
| `standards.csv` | the 标准表, UTF-8, CRLF, header in row 1: 项目, 类别, 等级, 性质, 城乡, 护理, 金额, 计发单位, 起始日期, 终止日期, 依据. Key columns are 类别, 等级, 性质, 城乡, 护理 (blank = any). | the generator |
| `standards.xlsx` | `standards.csv` imported by LibreOffice Calc (so this fixture is written by another program): dates become date cells, 金额 numbers. | `soffice --headless --infilter="CSV:44,34,76,1,,0,false,true" --convert-to xlsx` |
| `youfu.toml` | a sample configuration: `county`, `county_code`, `unit`, `[rounding] policy = "monthly"`, the `[bank]` defaults spelled out. | the generator |

Regenerate everything with `fixtures/make.sh` (by hand; CI only reads the committed files). The generator's own
outputs are byte-identical on rerun; LibreOffice's outputs may differ in embedded timestamps.

## What a reader has to cope with in `roster.xlsx` / `roster-gbk.csv`

- title row, unit row, two-row merged header (银行信息 / 开户行 · 银行账号), a blank row, the trailing 合计 row;
- 等级 mostly "一级" … "十级", sometimes "3级" (must be read as 三级 to match the standards);
- dates mostly date cells (`yyyy/m/d`), a few typed as text "2024.01.05", "2024年1月5日", "2024/1/5";
- 起发年月 as a date cell shown `yyyy年m月`, or text "2019-08" or "2024年2月";
- 服役年限 as numbers, twice as full-width text ("５", "１２");
- names with a stray leading or trailing space;
- 状态 正常 (sometimes blank = 正常), 暂停 (with 暂停原因), 停发 (with or without 停发年月), 死亡 (with 死亡日期);
- 护理 是 / 否 / blank; 城乡 农村 / 城镇.

## The standards (`standards.csv`)

Two dated national versions, plus the county's own item:

1. from 2022-08-01 to 2023-07-31 (依据 "示例：退役军人部发〔2022〕XX号（示例数据）"): the Known figures — the
   残疾抚恤金 table by 等级 × 性质 (元/年, 因病 only 一级–六级); 定期抚恤金 烈士遗属 27980, 因公牺牲军人遗属 24040,
   病故军人遗属 22610 元/年; 定期生活补助 带病回乡退伍军人 600, 参战退役人员 650, 参试退役人员 650, 烈士子女 490 元/月,
   农村籍退役士兵 40 元/月·服役年; sample amounts for 在乡复员军人 28620, 在乡退伍红军老战士 70860,
   在乡西路军红军老战士 66240, 红军失散人员 31560 元/年; 护理费 (类别 残疾军人, 护理 = 是) 一级 58800, 二级 47040 元/年.
2. from 2023-08-01, open-ended (依据 "示例：退役军人部发〔2023〕XX号（示例数据）"): the same rows raised.
   **Rule:** 因战 rows and 烈士遗属 +6 %, every other national row +5 %; an amount in 元/年 is rounded half-up to a
   multiple of 10 元, an amount in 元/月 or 元/月·服役年 to a whole 元 (integer arithmetic, exact). Examples:
   106670 × 1.06 = 113070.2 → 113070; 22610 × 1.05 = 23740.5 → 23740; 650 × 1.05 = 682.5 → 683;
   490 × 1.05 = 514.5 → 515; 40 × 1.05 = 42.
3. 县级优抚补贴 (the 地方补贴), keyed only 城乡 = 农村, 100 元/月, not raised, 依据 "示例县财政局文件（示例）", in two rows
   aligned with the versions: 2023-01-01 – 2023-07-31 and from 2023-08-01. Before 2023-01-01 it did not exist.

Every 类别 of the roster has a row in both versions.

## The `--rows` mode (benchmarks)

`cargo run --release --example gen_roster -- --rows 1000000 --format xlsx|csv --out PATH [--seed S]` writes a plain
roster (header in row 1, no title, same 23 columns, dates as date cells or ISO text, UTF-8 CSV) streamed row by
row (xlsx in rust_xlsxwriter's constant-memory mode), with the same mix of 类别, about 1 % dead, 0.5 % 暂停, 0.5 % 停发,
0.5 % starting in 2024, 0.2 % accounts failing Luhn, no overdue 年度确认 and no blank accounts. IDs are unique by
construction (each 类别 has its own region codes 5199xx and its n-th person is mapped by a bijection onto
(town, birth day, sequence number)), so no set of seen IDs is kept.

`--long-texts` makes 姓名, 开户行, 乡镇（街道）, 村（社区） and 备注 2–3 times longer (compound names of 5–7
characters, the bank branch written out per town, `城关镇人民政府`, `红星村第3村民小组`, a 备注 of 32
characters different for every row) and leaves every other cell as it was: the roster a batch's memory is measured
on when people's texts are long.
"#;

fn write_notes(roster: &Roster, dir: &Path) -> Res<()> {
    let mut s = String::new();
    s.push_str(NOTES_HEAD);
    s.push_str("\n## Notable people (示例，虚构)\n\n");
    s.push_str("Excel row = the row number Excel/WPS shows in `roster.xlsx` (data start at row 5; row ");
    let _ = write!(
        s,
        "{} is blank). Expected 2024-03 amounts use the 2023-08-01 standards.\n\n",
        excel_row(BLANK_AFTER) - 1
    );
    s.push_str("| row | 姓名 | 身份证号 | 类别 | what it tests | expected 2024-03 (元) |\n|---|---|---|---|---|---|\n");
    let mut list: Vec<&Notable> = roster.notables.iter().collect();
    list.sort_by_key(|n| n.index);
    for n in list {
        let p = &roster.people[n.index];
        let (_, how) = expected_march(p);
        let shown = roster.rows[n.index][C_NAME].excel_display();
        let _ = writeln!(
            s,
            "| {} | `{}` | {} | {} | {} | {} |",
            excel_row(n.index),
            shown,
            p.id,
            p.kind_name(),
            n.what,
            how
        );
    }
    let counts: Vec<String> = KINDS
        .iter()
        .enumerate()
        .map(|(k, kind)| format!("{} {}", kind.name, roster.people.iter().filter(|p| p.kind == k).count()))
        .collect();
    let _ = write!(
        s,
        "\n## Counts\n\n{} people: {}.\nWith 护理=是: {}; 城乡=农村: {}; accounts failing Luhn: {}; blank accounts: {}.\n",
        roster.people.len(),
        counts.join("，"),
        roster.people.iter().filter(|p| p.nursing == Some(true)).count(),
        roster.people.iter().filter(|p| p.rural).count(),
        roster.people.iter().filter(|p| !p.account.is_empty() && !luhn_ok(&p.account)).count(),
        roster.people.iter().filter(|p| p.account.is_empty()).count(),
    );
    let (persons, payments, total) = expected_march_total(&roster.people);
    let no_account: Vec<&Person> = roster.people.iter().filter(|p| p.account.is_empty()).collect();
    let (n_persons, n_payments, n_total) = expected_march_total(no_account.iter().copied());
    let _ = write!(
        s,
        "\n## Expected 2024-03 totals\n\nEntitlement by the rules above (every person, 2023-08-01 standards, 年度确认 \
         overdue not enforced): {persons} 人, {payments} 笔, {total:.2} 元. Of this, {n_total:.2} 元 ({n_payments} 笔) \
         belongs to the {n_persons} person(s) without a bank account, who cannot be paid through the bank: payable \
         {} 人, {} 笔, {:.2} 元.\n",
        persons - n_persons,
        payments - n_payments,
        total - n_total,
    );
    std::fs::write(dir.join("NOTES.md"), s)?;
    Ok(())
}

const YOUFU_TOML: &str = r#"# 示例配置：以下每一项都是示例值，不是任何单位的真实设置。
# Sample configuration for the fixtures: every value below is a sample, not any bureau's real setting.

# 县（市、区）名 / county name (sample)
county = "示例县"
# 行政区划代码 / the county's 6-digit code (sample: 110101 is a real district's code, used here only as an example)
county_code = "110101"
# 单位名称 / issuing unit (sample)
unit = "示例县退役军人事务局"

[rounding]
# 每月四舍五入到分 / round each month to the fen (sample choice; "year-end" settles the difference in December)
policy = "monthly"
# 四舍五入 / half away from zero
mode = "half-up"

[bank]
# 代发文件 / the bank's payment file: the defaults, spelled out (sample bank layout)
encoding = "utf8"
columns = ["序号", "姓名", "身份证号", "账号", "金额", "摘要"]
header = true
totals_line = false
memo = "{所属期}优抚金"
delimiter = ","
"#;

fn write_fixtures(dir: &Path, seed: u64) -> Res<()> {
    std::fs::create_dir_all(dir)?;
    let roster = build_roster(seed);
    verify(&roster)?;
    write_roster_xlsx(&roster, &dir.join("roster.xlsx"))?;
    write_roster_gbk_csv(&roster, &dir.join("roster-gbk.csv"))?;
    write_standards_csv(&dir.join("standards.csv"))?;
    std::fs::write(dir.join("youfu.toml"), YOUFU_TOML)?;
    write_notes(&roster, dir)?;
    eprintln!("wrote {} people to {}", roster.people.len(), dir.display());
    Ok(())
}

/// Self-checks before anything is written: IDs valid and unique, sex matches, every kind matched by a standard.
fn verify(roster: &Roster) -> Res<()> {
    let mut ids = BTreeSet::new();
    for p in &roster.people {
        let id = youfu::domain::IdCard::parse(&p.id).map_err(|e| format!("{}: {e}", p.id))?;
        if id.sex() != if p.male { "男" } else { "女" } {
            return Err(format!("{}: sex digit", p.id).into());
        }
        if !ids.insert(p.id.clone()) {
            return Err(format!("{}: duplicate", p.id).into());
        }
        let (y0, y1) = KINDS[p.kind].born;
        if !(y0..=y1).contains(&p.birth().year()) {
            return Err(format!("{}: birth year outside {y0}–{y1}", p.id).into());
        }
        if p.kind == RURAL_SOLDIER && id.age_on(ymd(2024, 3, 1)) < 60 {
            return Err(format!("{}: 农村籍退役士兵 under 60", p.id).into());
        }
        if p.kind == DISABLED && p.nature == Some(2) && p.grade.unwrap() > 5 {
            return Err(format!("{}: 因病 above 六级", p.id).into());
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------------
// `--rows N`: a plain roster streamed row by row.

/// A person for row `i` of a big roster: the fixture's mix of kinds, with a few dead, suspended and stopped.
fn big_person(g: &mut Generator) -> Person {
    let total: u64 = KINDS.iter().map(|k| k.count).sum();
    let mut r = g.rng.below(total);
    let mut kind = 0;
    while r >= KINDS[kind].count {
        r -= KINDS[kind].count;
        kind += 1;
    }
    let mut p = g.person(kind);
    match g.rng.below(1000) {
        0..=9 => {
            let d = g.rng.date(ymd(2023, 6, 1), ymd(2024, 3, 31));
            p.status = "死亡";
            p.death = Some(d);
            p.confirmed = p.confirmed.min(d);
        }
        10..=14 => {
            p.status = "暂停";
            p.suspend_reason = g.rng.pick(&SUSPEND_REASONS).to_string();
        }
        15..=19 => {
            p.status = "停发";
            let m = g.rng.date(ymd(2023, 9, 1), ymd(2024, 4, 30));
            p.stop_month = Some(ymd(m.year(), m.month(), 1));
        }
        20..=24 => p.start = ymd(2024, g.rng.range(1, 3) as u32, 1),
        _ => {}
    }
    if g.rng.chance(2) {
        let (bank, account) = g.account(false);
        p.bank = bank;
        p.account = account;
    }
    p
}

/// `--long-texts`: the 姓名, 开户行, 乡镇（街道）, 村（社区） and 备注 of a row made 2–3 times longer than the plain
/// roster's (the memory a batch needs grows with the texts it keeps per person). The plain roster's cells are
/// rewritten from their own values and a PRNG of their own, so the other columns are the plain roster's, byte for
/// byte, and the plain roster's output does not change.
struct LongTexts(Rng);

impl LongTexts {
    fn new(seed: u64) -> LongTexts {
        LongTexts(Rng(seed ^ 0x4C4F_4E47_5445_5854))
    }

    fn text(cells: &[Cell], c: usize) -> String {
        match &cells[c] {
            Cell::Text(s) => s.clone(),
            _ => String::new(),
        }
    }

    fn rewrite(&mut self, cells: &mut [Cell], male: bool) {
        let rng = &mut self.0;
        // 姓名 (2–3 characters): a compound name of 5–7, as minority and transliterated names are.
        let pool = if male { MALE_GIVEN } else { FEMALE_GIVEN };
        let mut name = Self::text(cells, C_NAME);
        name.push('·');
        for _ in 0..rng.range(2, 3) {
            name.push_str(rng.pick::<&str>(pool));
        }
        let town = Self::text(cells, C_TOWN);
        let village = Self::text(cells, C_VILLAGE);
        // 开户行 (9–11 characters): the branch written out in full, one per town.
        let bank = Self::text(cells, C_BANK);
        let bank = match bank.strip_suffix("示例县支行") {
            Some(head) => format!("{head}股份有限公司示例县{town}支行营业部"),
            None => format!("{bank}股份有限公司{town}支行营业部"),
        };
        // 乡镇（街道）(3–4 characters) and 村（社区）(3–4): with the seat and the group.
        let long_town = match town.strip_suffix("街道") {
            Some(_) => format!("示例县{town}办事处"),
            None => format!("{town}人民政府"),
        };
        let group = if village.ends_with("社区") { "居民小组" } else { "村民小组" };
        let long_village = format!("{village}第{}{group}", rng.range(1, 9));
        // 备注 (blank in the plain roster; the fixture's are 8–15 characters): 32, different for everyone.
        let mut note = format!("示例：{}年度确认已完成，家属联系电话1", 2023 + rng.below(2));
        for _ in 0..10 {
            note.push((b'0' + rng.below(10) as u8) as char);
        }
        cells[C_NAME] = Cell::text(name);
        cells[C_BANK] = Cell::text(bank);
        cells[C_TOWN] = Cell::text(long_town);
        cells[C_VILLAGE] = Cell::text(long_village);
        cells[C_NOTE] = Cell::text(note);
    }
}

fn write_big(rows: u64, format: &str, out: &Path, seed: u64, long_texts: bool) -> Res<()> {
    let mut g = Generator::new(seed);
    let mut long = long_texts.then(|| LongTexts::new(seed));
    let mut row_cells = |g: &mut Generator, i: u64| {
        let p = big_person(g);
        let mut c = cells(&p, i as usize + 1);
        if let Some(l) = long.as_mut() {
            l.rewrite(&mut c, p.male);
        }
        c
    };
    match format {
        "csv" => {
            let file = std::io::BufWriter::new(std::fs::File::create(out)?);
            let mut w = csv::WriterBuilder::new().from_writer(file);
            w.write_record(COLUMNS)?;
            for i in 0..rows {
                w.write_record(row_cells(&mut g, i).iter().map(Cell::plain))?;
            }
            w.into_inner().map_err(|e| e.to_string())?.flush()?;
        }
        "xlsx" => {
            let mut wb = Workbook::new();
            wb.set_properties(&fixed_properties("示例县优抚对象花名册（合成数据）")?);
            let f = Formats::new(false);
            let head = Format::new().set_bold();
            let ws = wb.add_worksheet_with_constant_memory()?;
            ws.set_name("花名册")?;
            for (c, name) in COLUMNS.iter().enumerate() {
                ws.write_string_with_format(0, c as u16, *name, &head)?;
            }
            for i in 0..rows {
                for (c, cell) in row_cells(&mut g, i).iter().enumerate() {
                    if *cell != Cell::Empty {
                        write_cell(ws, i as u32 + 1, c as u16, cell, &f)?;
                    }
                }
            }
            wb.save(out)?;
        }
        other => return Err(format!("--format must be xlsx or csv, not {other}").into()),
    }
    eprintln!("wrote {rows} rows to {}", out.display());
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------------

fn main() -> Res<()> {
    assert!(KINDS.iter().map(|k| k.name).eq(youfu::domain::category::KNOWN.iter().copied()));
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
    let seed = value("--seed").map(|s| s.parse::<u64>()).transpose()?.unwrap_or(2024);
    if let Some(dir) = value("--fixtures") {
        return write_fixtures(&PathBuf::from(dir), seed);
    }
    if let (Some(rows), Some(out)) = (value("--rows"), value("--out")) {
        let format = value("--format").unwrap_or_else(|| "xlsx".into());
        let long_texts = args.iter().any(|a| a == "--long-texts");
        return write_big(rows.parse()?, &format, &PathBuf::from(out), seed, long_texts);
    }
    eprintln!(
        "usage: gen_roster --fixtures DIR [--seed S]\n       gen_roster --rows N --format xlsx|csv --out PATH [--seed S] [--long-texts]"
    );
    std::process::exit(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_known_numbers() {
        // 79927398713 is the textbook Luhn example: payload 7992739871 → check digit 3
        assert_eq!(luhn_digit("7992739871"), 3);
        assert!(luhn_ok("79927398713"));
        assert!(!luhn_ok("79927398710"));
    }

    #[test]
    fn raise_rule() {
        // 106670 × 1.06 = 113070.2 → 113070; 22610 × 1.05 = 23740.5 → 2374.05 tens → 23740
        assert_eq!(raised(106670, 6, true), 113070);
        assert_eq!(raised(22610, 5, true), 23740);
        // 650 × 1.05 = 682.5 → 683 (half-up); 40 × 1.05 = 42
        assert_eq!(raised(650, 5, false), 683);
        assert_eq!(raised(40, 5, false), 42);
    }

    #[test]
    fn fixture_people_are_valid_and_unique() {
        let r = build_roster(2024);
        assert_eq!(r.people.len(), 225);
        verify(&r).unwrap();
        // 102 of 225 are 残疾军人 (45.3%)
        assert_eq!(r.people.iter().filter(|p| p.kind == DISABLED).count(), 102);
        // every 等级 × 性质 combination (26) is present
        let combos: BTreeSet<(usize, usize)> = r.people.iter().filter_map(|p| Some((p.grade?, p.nature?))).collect();
        assert_eq!(combos.len(), 26);
    }

    #[test]
    fn big_ids_unique_for_many_rows() {
        let mut g = Generator::new(7);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..50_000 {
            let p = big_person(&mut g);
            youfu::domain::IdCard::parse(&p.id).unwrap();
            assert!(seen.insert(p.id));
        }
    }

    use calamine::{Data, DataType, Reader, open_workbook_auto};

    fn fixtures() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
    }

    /// The CSV as a table of strings (GBK decoded).
    fn gbk_table() -> Vec<Vec<String>> {
        let bytes = std::fs::read(fixtures().join("roster-gbk.csv")).unwrap();
        let (text, _, bad) = encoding_rs::GBK.decode(&bytes);
        assert!(!bad);
        assert!(text.contains("\r\n"));
        let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
        r.records().map(|rec| rec.unwrap().iter().map(String::from).collect()).collect()
    }

    /// A cell as Excel would display it with the formats the generator uses.
    fn shown(d: Option<&Data>, col: usize) -> String {
        let date = |y: i32, m: u32, day: u32| {
            if col == C_START { format!("{y}年{m}月") } else { format!("{y}/{m}/{day}") }
        };
        match d {
            None | Some(Data::Empty) => String::new(),
            Some(Data::String(s)) => s.clone(),
            Some(Data::Float(f)) if f.fract() == 0.0 => format!("{f:.0}"),
            Some(Data::Int(i)) => i.to_string(),
            Some(Data::DateTime(x)) => {
                let d = ymd(1899, 12, 30) + chrono::Days::new(x.as_f64() as u64);
                date(d.year(), d.month(), d.day())
            }
            Some(Data::DateTimeIso(s)) => {
                let d = NaiveDate::parse_from_str(&s[..10], "%Y-%m-%d").unwrap();
                date(d.year(), d.month(), d.day())
            }
            Some(other) => panic!("unexpected cell {other:?}"),
        }
    }

    /// roster.xlsx (ours) and roster.xls / roster.ods (LibreOffice's) show exactly what roster-gbk.csv holds.
    #[test]
    fn every_roster_copy_shows_the_same_cells() {
        let csv = gbk_table();
        // title, unit, two header rows, 225 people, one blank row, 合计
        assert_eq!(csv.len(), 4 + 225 + 1 + 1);
        assert_eq!(csv[230][0], "合计");
        assert_eq!(csv[230][1], "共225人");
        for file in ["roster.xlsx", "roster.xls", "roster.ods"] {
            let mut wb = open_workbook_auto(fixtures().join(file)).unwrap();
            assert_eq!(wb.sheet_names(), vec!["花名册".to_string()], "{file}");
            let range = wb.worksheet_range("花名册").unwrap();
            for (r, row) in csv.iter().enumerate() {
                for (c, want) in row.iter().enumerate() {
                    let got = shown(range.get_value((r as u32, c as u32)), c);
                    assert_eq!(&got, want, "{file} row {} column {}", r + 1, COLUMNS[c]);
                }
            }
            // 身份证号 and 银行账号 are text cells, never numbers
            for r in 4..230u32 {
                for c in [C_ID, C_ACCOUNT] {
                    let v = range.get_value((r, c as u32));
                    assert!(matches!(v, None | Some(Data::Empty) | Some(Data::String(_))), "{file} {r} {c}: {v:?}");
                }
            }
        }
    }

    #[test]
    fn every_id_in_the_csv_has_a_valid_check_character() {
        let csv = gbk_table();
        let ids: Vec<&String> = csv[4..230].iter().map(|r| &r[C_ID]).filter(|s| !s.is_empty()).collect();
        assert_eq!(ids.len(), 225);
        for id in &ids {
            youfu::domain::IdCard::parse(id).unwrap();
        }
        assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), 225);
    }

    /// standards.xlsx, written by LibreOffice from standards.csv: same rows, dates as date cells, 金额 as numbers.
    #[test]
    fn libreoffice_standards_keep_types() {
        let rows = standards();
        // 26 disability + 2 护理费 + 3 抚恤金 + 4 + 4 + 1 补助 + 1 local = 41 per version
        assert_eq!(rows.len(), 82);
        let mut wb = open_workbook_auto(fixtures().join("standards.xlsx")).unwrap();
        let range = wb.worksheet_range_at(0).unwrap().unwrap();
        assert_eq!(range.height(), 83);
        for (i, s) in rows.iter().enumerate() {
            let r = i as u32 + 1;
            assert_eq!(range.get_value((r, 6)), Some(&Data::Float(s.amount as f64)), "row {r}");
            let start = range.get_value((r, 8)).unwrap();
            assert!(start.is_datetime(), "row {r}: {start:?}");
            assert_eq!(shown(Some(start), 8), format!("{}/{}/{}", s.start.year(), s.start.month(), s.start.day()));
            assert_eq!(range.get_value((r, 10)), Some(&Data::String(s.basis.clone())));
        }
        // 2023 version: 一级因战 113070
        assert_eq!(range.get_value((42, 6)), Some(&Data::Float(113070.0)));
    }

    #[test]
    fn committed_fixtures_are_what_the_generator_writes() {
        let dir = tempfile::tempdir().unwrap();
        write_fixtures(dir.path(), 2024).unwrap();
        for f in ["roster.xlsx", "roster-gbk.csv", "standards.csv", "youfu.toml", "NOTES.md"] {
            let a = std::fs::read(dir.path().join(f)).unwrap();
            let b = std::fs::read(fixtures().join(f)).unwrap();
            assert!(a == b, "fixtures/{f} differs from the generator's output: rerun fixtures/make.sh");
        }
    }

    #[test]
    fn sample_config_parses() {
        let text = std::fs::read_to_string(fixtures().join("youfu.toml")).unwrap();
        let c = youfu::config::Config::parse(&text, "youfu.toml").unwrap();
        assert_eq!(c.county, "示例县");
        assert_eq!(c.county_code, "110101");
        assert_eq!(c.unit, "示例县退役军人事务局");
        assert_eq!(c.rounding.policy, youfu::compute::rules::RoundingPolicy::Monthly);
        assert_eq!(c.bank, youfu::config::BankLayout::default());
    }

    /// The whole roster for 2024-03. Not worked by hand (360 payments), but cross-checked: `youfu pay` on main at
    /// 1919af7 reports 217 人 360 笔 541800.61 元 paid and the one NO_ACCOUNT person's 2571.67 元
    /// (29660/12 = 2471.67 + 100.00) unpaid; 541800.61 + 2571.67 = 544372.28.
    #[test]
    fn whole_roster_march_total() {
        let r = build_roster(2024);
        assert_eq!(expected_march_total(&r.people), (218, 362, Decimal::new(54437228, 2)));
    }

    #[test]
    fn notable_expected_amounts() {
        let r = build_roster(2024);
        let by = |what: &str| {
            let n = r.notables.iter().find(|n| n.what.contains(what)).unwrap();
            expected_march(&r.people[n.index]).0
        };
        // 一级因战 113070/12 = 9422.50, 护理费 一级 61740/12 = 5145.00 → 14567.50
        assert_eq!(by("两个项目"), Decimal::new(1456750, 2));
        // 农村籍 7 × 42 = 294.00 + 县级优抚补贴 100.00 = 394.00
        assert_eq!(by("服役年限7"), Decimal::new(39400, 2));
        // 五级因战 57470/12 = 4789.1666… → 4789.17 (death month paid; 城镇, no local item)
        assert_eq!(by("2024-03-05死亡"), Decimal::new(478917, 2));
        // 二级因病 88030×1.05 = 92431.5 → 92430/12 = 7702.50; 护理费 二级 49390/12 = 4115.8333… → 4115.83; +100
        assert_eq!(by("三个项目"), Decimal::new(1191833, 2));
        assert_eq!(by("服刑"), Decimal::ZERO);
        assert_eq!(by("停发年月2024-03"), Decimal::ZERO);
    }
}
