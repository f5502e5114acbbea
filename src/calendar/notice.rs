//! Reads the State Council's holiday notice (《国务院办公厅关于YYYY年部分节假日安排的通知》) as published, and
//! the later notices that amend one holiday (延长…春节假期, 调整…劳动节假期安排), into a year's arrangement.
//!
//! Why a parser and not a form: every November a finance officer can copy the notice's text from gov.cn, and the
//! notices are formulaic enough to be read exactly. Exactly is the point: the parser checks what it reads
//! (each stated weekday, each 共N天, make-up days on weekends only, no day both off and on) and refuses anything
//! it cannot account for, naming the line — it never guesses. Pure: text in, data or a located error out.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The holidays a notice may name (《全国年节及纪念日放假办法》).
const HOLIDAY_NAMES: [&str; 7] = ["元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"];

/// The longest stretch one sentence may give (the longest real one is 10 days, the 2020 extension). Keeps a
/// hostile "1月1日至12月31日" from being read as a holiday.
const MAX_SPAN_DAYS: i64 = 31;

/// A notice refused: the line (1-based, as in a text editor), its text, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeError {
    pub line: usize,
    pub text: String,
    pub message: String,
}

impl fmt::Display for NoticeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: String = self.text.chars().take(60).collect();
        let more = if self.text.chars().count() > 60 { "…" } else { "" };
        write!(f, "第{}行“{shown}{more}”：{}", self.line, self.message)
    }
}

impl std::error::Error for NoticeError {}

/// One numbered line of a notice: a holiday, its days off, and its 调休 make-up working days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holiday {
    /// As the notice writes it: "春节", "国庆节、中秋节".
    pub name: String,
    /// The line it was read from (1-based), and its text as written.
    pub line: usize,
    pub text: String,
    pub days: BTreeSet<NaiveDate>,
    pub workdays: BTreeSet<NaiveDate>,
}

/// What a notice says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeKind {
    /// 《关于YYYY年部分节假日安排的通知》: the whole year.
    Annual(Vec<Holiday>),
    /// 《关于延长YYYY年春节假期的通知》: the holiday now ends on `to`.
    Extension { name: String, to: NaiveDate, line: usize },
    /// 《关于调整YYYY年劳动节假期安排的通知》: the holiday's days and make-up days replaced.
    Adjustment(Holiday),
}

/// A notice as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The title, e.g. 国务院办公厅关于2027年部分节假日安排的通知.
    pub title: String,
    /// 国办发明电〔2026〕N号, when the text carries it.
    pub number: Option<String>,
    /// The year the notice arranges.
    pub year: i32,
    pub kind: NoticeKind,
    /// Sentences read but not counted, to show the user (e.g. 鼓励…安排职工在除夕（2月9日）休息).
    pub notes: Vec<String>,
}

impl Notice {
    /// Title with its number: 国务院办公厅关于2027年部分节假日安排的通知（国办发明电〔2026〕N号）.
    pub fn citation(&self) -> String {
        match &self.number {
            Some(n) => format!("{}（{n}）", self.title),
            None => self.title.clone(),
        }
    }
}

/// A year's arrangement: its notice and any amendments applied, holiday by holiday.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrangement {
    pub year: i32,
    /// The notices it follows, joined by "；".
    pub notice: String,
    pub holidays: Vec<Holiday>,
    /// What the amendments changed and what was read but not counted, in words.
    pub notes: Vec<String>,
}

impl Arrangement {
    pub fn days(&self) -> BTreeSet<NaiveDate> {
        self.holidays.iter().flat_map(|h| h.days.iter().copied()).collect()
    }

    pub fn workdays(&self) -> BTreeSet<NaiveDate> {
        self.holidays.iter().flat_map(|h| h.workdays.iter().copied()).collect()
    }

    /// The year in the calendar file format (`data/README.md`): each holiday's line of the notice as a comment
    /// above its dates, and `[YYYY.names]` for the printed table.
    pub fn to_toml(&self) -> String {
        let y = self.year;
        let mut out =
            format!("# {y}年放假调休安排，由 youfu calendar import 从通知原文导入。\n# 依据：{}\n", self.notice);
        for n in &self.notes {
            out.push_str(&format!("# {n}。\n"));
        }
        out.push_str(&format!("\n[{y}]\nnotice = {}\n\nholidays = [\n", toml_str(&self.notice)));
        for h in &self.holidays {
            out.push_str(&format!("  # {}\n  {},\n", h.text, date_list_toml(&h.days)));
        }
        out.push_str("]\n\nworkdays = [\n");
        for h in self.holidays.iter().filter(|h| !h.workdays.is_empty()) {
            out.push_str(&format!("  # {}\n  {},\n", h.name, date_list_toml(&h.workdays)));
        }
        out.push_str(&format!("]\n\n[{y}.names]\n"));
        for h in &self.holidays {
            let all: BTreeSet<NaiveDate> = h.days.union(&h.workdays).copied().collect();
            out.push_str(&format!("{} = [{}]\n", toml_str(&h.name), date_list_toml(&all)));
        }
        out
    }

    /// Every listed date with the holiday it belongs to.
    pub fn names(&self) -> BTreeMap<NaiveDate, String> {
        let mut out = BTreeMap::new();
        for h in &self.holidays {
            for d in h.days.iter().chain(&h.workdays) {
                out.insert(*d, h.name.clone());
            }
        }
        out
    }
}

/// One line of the text: its number in the file and its text with spaces removed and ASCII punctuation made
/// full-width (copies from web pages often lose the full-width forms).
struct Line {
    no: usize,
    raw: String,
    text: String,
}

fn normalize(raw: &str) -> String {
    raw.chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{feff}')
        .map(|c| match c {
            '(' => '（',
            ')' => '）',
            ':' => '：',
            ',' => '，',
            ';' => '；',
            _ => c,
        })
        .collect()
}

/// Reads one notice's text.
pub fn parse_notice(text: &str) -> Result<Notice, NoticeError> {
    let lines: Vec<Line> = text
        .lines()
        .enumerate()
        .map(|(i, raw)| Line { no: i + 1, raw: raw.trim().to_string(), text: normalize(raw) })
        .filter(|l| !l.text.is_empty())
        .collect();
    let Some(first) = lines.first() else {
        return Err(NoticeError {
            line: 1, text: String::new(), message: "文件是空的：请粘贴通知的全文".into()
        });
    };
    // The title may be broken over two lines, as gov.cn and the 国务院公报 print it.
    let (title, kind, year, body_start) = match title_of(&first.text) {
        Some((k, y)) => (first.text.clone(), k, y, 1),
        None => {
            let joined = lines.get(1).map(|l| format!("{}{}", first.text, l.text));
            match joined.as_deref().and_then(title_of) {
                Some((k, y)) => (joined.unwrap_or_default(), k, y, 2),
                None => {
                    return Err(err(
                        first,
                        "这不是国务院办公厅的节假日安排通知：第一行应是通知标题，如“国务院办公厅关于2027年部分节假日安排的通知”。请从标题开始复制通知全文",
                    ));
                }
            }
        }
    };
    let mut number = None;
    let mut notes = Vec::new();
    let mut holidays: Vec<Holiday> = Vec::new();
    let mut extension = None;
    let mut listed: Option<(usize, String, Vec<String>)> = None;
    let mut seen_item = false;
    for line in &lines[body_start..] {
        let t = line.text.as_str();
        if let Some(rest) = t.strip_prefix("国办发明电") {
            number = Some(document_number(line, rest)?);
            continue;
        }
        let (numbered, body) = strip_numbering(t);
        match &kind {
            TitleKind::Annual => {
                if let Some((names, content)) = holiday_item(body) {
                    let names = names.map_err(|m| err(line, &m))?;
                    seen_item = true;
                    let h = parse_item(line, year, &names.join("、"), content, &mut notes)?;
                    if let Some(other) = holidays.iter().find(|o| o.name == h.name) {
                        return Err(err(line, &format!("“{}”在第{}行已经出现过", h.name, other.line)));
                    }
                    holidays.push(h);
                    continue;
                }
                if numbered {
                    return Err(err(
                        line,
                        "这一条不是“序号、假日名称：日期……”的形式，无法识别。请对照通知原文检查这一行",
                    ));
                }
            }
            TitleKind::Extension(name) => {
                if let Some(rest) = body.strip_prefix("延长") {
                    if extension.is_some() {
                        return Err(err(line, "通知中有两处延长假期，无法确定以哪一处为准"));
                    }
                    extension = Some(parse_extension(line, year, name, rest)?);
                    seen_item = true;
                    continue;
                }
            }
            TitleKind::Adjustment(name) => {
                if numbered && starts_with_date(body) {
                    if !holidays.is_empty() {
                        return Err(err(line, "通知中有两处放假安排，无法确定以哪一处为准"));
                    }
                    holidays.push(parse_item(line, year, name, body, &mut notes)?);
                    seen_item = true;
                    continue;
                }
            }
        }
        if t.contains("现将") && t.contains("通知如下") {
            listed = preamble_names(t).map(|names| (line.no, line.raw.clone(), names));
            continue;
        }
        // Prose (the addressees, the preamble, 节假日期间…, the signature and its date) is not read; but once
        // the arrangement has begun, a line outside the numbered items that gives a day off or on is one the
        // parser would otherwise drop without a word — refuse it.
        if seen_item && has_date(t) && ["放假", "上班", "补休", "调休"].iter().any(|w| t.contains(w)) {
            return Err(err(
                line,
                "这一行有放假或上班的日期，但不在编号的条目中，无法确定属于哪个假日。若是上一条被断成了两行，请把它接回上一行末尾",
            ));
        }
        if numbered && has_date(t) {
            return Err(err(line, "这一条有日期，但不是能识别的放假安排。请对照通知原文检查这一行"));
        }
    }

    let kind = match kind {
        TitleKind::Annual => {
            if holidays.is_empty() {
                return Err(err(first, "通知中没有找到“一、元旦：……”这样的放假安排条目"));
            }
            if let Some((no, raw, names)) = listed {
                let items: BTreeSet<&str> = holidays.iter().flat_map(|h| h.name.split('、')).collect();
                for n in &names {
                    if !items.contains(n.as_str()) {
                        return Err(NoticeError {
                            line: no,
                            text: raw,
                            message: format!("通知开头列出的“{n}”没有对应的放假安排条目：请检查是否漏复制了一行"),
                        });
                    }
                }
            }
            NoticeKind::Annual(holidays)
        }
        TitleKind::Extension(name) => match extension {
            Some(to) => NoticeKind::Extension { name, to: to.0, line: to.1 },
            None => return Err(err(first, "通知中没有找到“延长……假期至×月×日”的条目")),
        },
        TitleKind::Adjustment(_) => match holidays.pop() {
            Some(h) => NoticeKind::Adjustment(h),
            None => return Err(err(first, "通知中没有找到调整后的放假日期（“×月×日至×日放假……”）")),
        },
    };
    Ok(Notice { title, number, year, kind, notes })
}

/// Applies the notices in order: each annual notice starts its year; each amendment changes the holiday it
/// names in the year an earlier notice in the list arranged. The result is checked as a whole.
pub fn arrange(notices: &[(Notice, usize)]) -> Result<Vec<Arrangement>, (usize, NoticeError)> {
    let mut years: BTreeMap<i32, Arrangement> = BTreeMap::new();
    for (n, source) in notices {
        let at = |line: usize, text: &str, message: String| (*source, NoticeError { line, text: text.into(), message });
        match &n.kind {
            NoticeKind::Annual(holidays) => {
                if years.contains_key(&n.year) {
                    return Err(at(1, &n.title, format!("{}年的通知给了两次", n.year)));
                }
                let notes = n.notes.clone();
                years.insert(
                    n.year,
                    Arrangement { year: n.year, notice: n.citation(), holidays: holidays.clone(), notes },
                );
            }
            NoticeKind::Extension { name, to, line } => {
                let Some(a) = years.get_mut(&n.year) else {
                    return Err(at(1, &n.title, needs_base(n.year)));
                };
                let Some(h) = a.holidays.iter_mut().find(|h| h.name.split('、').any(|x| x == name)) else {
                    return Err(at(*line, name, format!("{}年的通知中没有{name}", n.year)));
                };
                let (first, last) = bounds(&h.days);
                if *to <= last {
                    return Err(at(
                        *line,
                        name,
                        format!("延长后的最后一天 {to} 不晚于原定的最后一天 {last}，这不是延长"),
                    ));
                }
                let mut d = last;
                while d < *to {
                    d += Duration::days(1);
                    h.days.insert(d);
                }
                let cancelled: Vec<NaiveDate> =
                    h.workdays.iter().filter(|w| **w >= first && **w <= *to).copied().collect();
                for w in &cancelled {
                    h.workdays.remove(w);
                }
                let mut note = format!("{name}假期按《{}》延长至{}", n.citation(), md(*to));
                if !cancelled.is_empty() {
                    let list: Vec<String> =
                        cancelled.iter().map(|w| format!("{}（{}）", md(*w), weekday_zh(*w))).collect();
                    note.push_str(&format!("，原定{}上班随之取消", list.join("、")));
                }
                h.text = format!("{}（已按延长通知改为至{}）", h.text, md(*to));
                a.notes.push(note);
                a.notice = format!("{}；{}", a.notice, n.citation());
            }
            NoticeKind::Adjustment(new) => {
                let Some(a) = years.get_mut(&n.year) else {
                    return Err(at(1, &n.title, needs_base(n.year)));
                };
                let Some(h) = a.holidays.iter_mut().find(|h| h.name.split('、').any(|x| x == new.name)) else {
                    return Err(at(new.line, &new.name, format!("{}年的通知中没有{}", n.year, new.name)));
                };
                a.notes.push(format!("{}按《{}》调整", new.name, n.citation()));
                h.text = format!("{}（已按调整通知改为：{}）", h.text, new.text);
                h.days = new.days.clone();
                h.workdays = new.workdays.clone();
                a.notice = format!("{}；{}", a.notice, n.citation());
            }
        }
    }
    let mut out = Vec::new();
    for (_, a) in years {
        check_whole(&a).map_err(|e| (0, e))?;
        out.push(a);
    }
    Ok(out)
}

fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn date_list_toml(days: &BTreeSet<NaiveDate>) -> String {
    days.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")
}

fn needs_base(year: i32) -> String {
    format!(
        "这是修改{year}年安排的通知，不能单独导入：请在同一条 youfu calendar import 命令中先给《国务院办公厅关于{year}年部分节假日安排的通知》的文本文件，再给本通知"
    )
}

/// No day in two holidays, none both off and on.
fn check_whole(a: &Arrangement) -> Result<(), NoticeError> {
    let mut owner: BTreeMap<NaiveDate, &Holiday> = BTreeMap::new();
    for h in &a.holidays {
        for d in h.days.iter().chain(&h.workdays) {
            if let Some(o) = owner.get(d) {
                let what = |x: &Holiday| if x.days.contains(d) { "放假" } else { "上班" };
                return Err(NoticeError {
                    line: h.line,
                    text: h.text.clone(),
                    message: format!(
                        "{}（{}）在第{}行（{}）是{}，在这一行又是{}：同一天不能出现两次",
                        md(*d),
                        weekday_zh(*d),
                        o.line,
                        o.name,
                        what(o),
                        what(h)
                    ),
                });
            }
            owner.insert(*d, h);
        }
    }
    Ok(())
}

enum TitleKind {
    Annual,
    Extension(String),
    Adjustment(String),
}

/// The three titles: 关于YYYY年部分节假日安排的通知, 关于延长YYYY年X假期的通知, 关于调整YYYY年X假期安排的通知.
fn title_of(t: &str) -> Option<(TitleKind, i32)> {
    let rest = t.strip_prefix("国务院办公厅关于")?;
    let (kind_prefix, rest) = if let Some(r) = rest.strip_prefix("延长") {
        ("延长", r)
    } else if let Some(r) = rest.strip_prefix("调整") {
        ("调整", r)
    } else {
        ("", rest)
    };
    let (year, rest) = leading_number(rest)?;
    let rest = rest.strip_prefix('年')?;
    if !(1949..=2200).contains(&year) {
        return None;
    }
    let year = year as i32;
    match kind_prefix {
        "" => (rest == "部分节假日安排的通知").then_some((TitleKind::Annual, year)),
        "延长" => {
            let name = rest.strip_suffix("假期的通知")?;
            HOLIDAY_NAMES.contains(&name).then(|| (TitleKind::Extension(name.to_string()), year))
        }
        _ => {
            let name = rest.strip_suffix("假期安排的通知")?;
            HOLIDAY_NAMES.contains(&name).then(|| (TitleKind::Adjustment(name.to_string()), year))
        }
    }
}

/// 国办发明电〔2019〕16号, optionally followed by the date of issue (checked to be a real date).
fn document_number(line: &Line, rest: &str) -> Result<String, NoticeError> {
    let bad = || err(line, "文号应写作“国办发明电〔2026〕7号”");
    let rest = rest.strip_prefix('〔').or_else(|| rest.strip_prefix('[')).ok_or_else(bad)?;
    let (y, rest) = leading_number(rest).ok_or_else(bad)?;
    let rest = rest.strip_prefix('〕').or_else(|| rest.strip_prefix(']')).ok_or_else(bad)?;
    let (n, rest) = leading_number(rest).ok_or_else(bad)?;
    let rest = rest.strip_prefix('号').ok_or_else(bad)?;
    if !rest.is_empty() {
        let (d, after) = date_token(rest).map_err(|m| err(line, &m))?;
        let (Some(dy), Some(dm)) = (d.year, d.month) else { return Err(bad()) };
        real_date(dy as i32, dm, d.day).map_err(|m| err(line, &m))?;
        if !after.is_empty() {
            return Err(bad());
        }
    }
    Ok(format!("国办发明电〔{y}〕{n}号"))
}

/// Strips "一、" (or "1." "1、" "-" as copies sometimes have); says whether there was such a mark.
fn strip_numbering(t: &str) -> (bool, &str) {
    let numerals = |c: char| "一二三四五六七八九十".contains(c);
    let digits_end = t.find(|c: char| !numerals(c)).unwrap_or(t.len());
    if digits_end > 0
        && let Some(r) = t[digits_end..].strip_prefix('、')
    {
        return (true, r);
    }
    let ascii_end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    if ascii_end > 0 {
        for sep in ['、', '.', '．'] {
            if let Some(r) = t[ascii_end..].strip_prefix(sep) {
                return (true, r);
            }
        }
    }
    for mark in ["-", "·", "•"] {
        if let Some(r) = t.strip_prefix(mark) {
            return (true, r);
        }
    }
    (false, t)
}

/// "元旦：…" or "国庆节、中秋节：…": the names (checked) and the rest. None when the line does not start that way.
#[allow(clippy::type_complexity)]
fn holiday_item(body: &str) -> Option<(Result<Vec<String>, String>, &str)> {
    let (head, content) = body.split_once('：')?;
    let names: Vec<&str> = head.split(['、', '和']).collect();
    if !names.iter().any(|n| HOLIDAY_NAMES.contains(n)) {
        return None;
    }
    let checked = match names.iter().find(|n| !HOLIDAY_NAMES.contains(n)) {
        Some(bad) => Err(format!("“{bad}”不是法定节假日的名称（{}）", HOLIDAY_NAMES.join("、"))),
        None => Ok(names.iter().map(|n| n.to_string()).collect()),
    };
    Some((checked, content))
}

/// The holidays a preamble announces: 现将2019年元旦、春节、…和国庆节放假调休日期的具体安排通知如下.
fn preamble_names(t: &str) -> Option<Vec<String>> {
    let after = &t[t.find("现将")? + "现将".len()..];
    let after = &after[after.find('年')? + '年'.len_utf8()..];
    let list = &after[..after.find("放假")?];
    let names: Vec<String> = list.split(['、', '和']).map(String::from).collect();
    names.iter().all(|n| HOLIDAY_NAMES.contains(&n.as_str())).then_some(names)
}

/// One holiday's text after "名称：": sentences ending in "。".
fn parse_item(
    line: &Line,
    year: i32,
    name: &str,
    content: &str,
    notes: &mut Vec<String>,
) -> Result<Holiday, NoticeError> {
    let is_new_year = name.split('、').any(|n| n == "元旦");
    let ctx = DateContext { year, is_new_year };
    let mut days = BTreeSet::new();
    let mut workdays = BTreeSet::new();
    let mut off_sentence: Option<(bool, bool)> = None; // (says 调休, says 不调休)
    for sentence in content.split('。').filter(|s| !s.is_empty()) {
        let e = |m: String| err(line, &format!("“{sentence}”：{m}"));
        if sentence.starts_with("鼓励") {
            notes.push(format!("第{}行“{sentence}”是倡导，不是放假安排，未计入", line.no));
            continue;
        }
        if let Some(list) = sentence.strip_suffix("上班") {
            for d in date_list(list, &ctx).map_err(e)? {
                if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
                    return Err(err(line, &format!("{}是{}，不是周六或周日，不能是调休上班日", md(d), weekday_zh(d))));
                }
                if !workdays.insert(d) {
                    return Err(err(line, &format!("{}重复列出", md(d))));
                }
            }
            continue;
        }
        if sentence.contains("放假") {
            if off_sentence.is_some() {
                return Err(e("一个假日只能有一处放假日期".into()));
            }
            let (range, flags) = parse_off(sentence, &ctx).map_err(e)?;
            off_sentence = Some(flags);
            for d in range {
                days.insert(d);
            }
            continue;
        }
        return Err(e("无法识别这句话（应是“……放假……”“……上班”或“……补休”）".into()));
    }
    let Some((tiaoxiu, no_tiaoxiu)) = off_sentence else {
        return Err(err(line, "这一条没有放假日期（“×月×日至×日放假……”）"));
    };
    if no_tiaoxiu && !workdays.is_empty() {
        return Err(err(line, "写明“不调休”，却又列出了上班日"));
    }
    if !tiaoxiu && !workdays.is_empty() {
        return Err(err(line, "列出了调休上班日，但放假一句没有写“调休”"));
    }
    if let Some(d) = days.intersection(&workdays).next() {
        return Err(err(line, &format!("{}既是放假日又是上班日", md(*d))));
    }
    Ok(Holiday { name: name.to_string(), line: line.no, text: line.raw.clone(), days, workdays })
}

/// "<range>放假[调休][，共N天|，与周末连休|，不调休|，<date>补休]…" or "<date>放假N天，不调休". Returns the days
/// off and (调休 said, 不调休 said).
fn parse_off(sentence: &str, ctx: &DateContext) -> Result<(Vec<NaiveDate>, (bool, bool)), String> {
    let (range_text, rest) = sentence.split_once("放假").expect("caller checked");
    let (first, last) = date_range(range_text, ctx)?;
    let span = (last - first).num_days();
    if span < 0 {
        return Err(format!("结束日{}早于开始日{}", md(last), md(first)));
    }
    if span >= MAX_SPAN_DAYS {
        return Err(format!("放假{}天，超出一个假日可能的长度，请检查日期", span + 1));
    }
    let mut days: Vec<NaiveDate> = (0..=span).map(|i| first + Duration::days(i)).collect();
    let mut rest = rest;
    let tiaoxiu = rest.starts_with("调休");
    if tiaoxiu {
        rest = &rest["调休".len()..];
    }
    let mut no_tiaoxiu = false;
    let mut stated_total = None;
    // "放假1天" (2025 on): the count right after 放假.
    if let Some((n, r)) = leading_number(rest)
        && let Some(r) = r.strip_prefix('天')
    {
        stated_total = Some(n as i64);
        rest = r;
    }
    for clause in rest.split('，').filter(|c| !c.is_empty()) {
        if let Some(n) = clause.strip_prefix('共').and_then(|c| c.strip_suffix('天')) {
            let n = n.parse::<i64>().map_err(|_| format!("“{clause}”中的天数无法识别"))?;
            stated_total = Some(n);
        } else if clause == "与周末连休" {
            let before = first - Duration::days(1);
            let after = last + Duration::days(1);
            if before.weekday() != Weekday::Sun && after.weekday() != Weekday::Sat {
                return Err(format!("写明“与周末连休”，但{}是{}，前后都不是周末", md(first), weekday_zh(first)));
            }
        } else if clause == "不调休" {
            no_tiaoxiu = true;
        } else if let Some(list) = clause.strip_suffix("补休") {
            for d in date_list(list, ctx)? {
                if days.contains(&d) {
                    return Err(format!("补休日{}已在放假期间", md(d)));
                }
                days.push(d);
            }
        } else {
            return Err(format!("无法识别“{clause}”"));
        }
    }
    if let Some(n) = stated_total
        && n != days.len() as i64
    {
        return Err(format!(
            "写的是共{n}天，但{}至{}是{}天",
            md(first),
            md(*days.last().expect("at least one day")),
            days.len()
        ));
    }
    Ok((days, (tiaoxiu, no_tiaoxiu)))
}

/// "延长2020年春节假期至2月2日（农历正月初九，星期日），2月3日（星期一）起正常上班".
fn parse_extension(line: &Line, year: i32, name: &str, rest: &str) -> Result<(NaiveDate, usize), NoticeError> {
    let ctx = DateContext { year, is_new_year: name == "元旦" };
    let expected = format!("{year}年{name}假期至");
    let Some(rest) = rest.strip_prefix(&expected) else {
        return Err(err(line, &format!("应写作“延长{expected}×月×日……”")));
    };
    let (to, rest) = dated(rest, &ctx).map_err(|m| err(line, &m))?;
    let rest = rest.strip_prefix('，').unwrap_or(rest);
    let rest = rest.trim_end_matches('。');
    if !rest.is_empty() {
        let Some(back) = rest.strip_suffix("起正常上班") else {
            return Err(err(line, &format!("无法识别“{rest}”")));
        };
        let (b, after) = dated(back, &ctx).map_err(|m| err(line, &m))?;
        if !after.is_empty() {
            return Err(err(line, &format!("无法识别“{rest}”")));
        }
        if b != to + Duration::days(1) {
            return Err(err(line, &format!("假期至{}，正常上班却从{}起：两者应相连", md(to), md(b))));
        }
    }
    Ok((to, line.no))
}

/// What a date without a year means: the notice's year, except a December date in the 元旦 line, which is the
/// December before (元旦 blocks can start on 30 or 31 December; the weekday notes confirm it).
struct DateContext {
    year: i32,
    is_new_year: bool,
}

/// A date as written: 2018年12月30日, 12月30日, or 30日 (only as the end of a range).
#[derive(Debug, Clone, Copy)]
struct DateToken {
    year: Option<u32>,
    month: Option<u32>,
    day: u32,
}

fn starts_with_date(t: &str) -> bool {
    date_token(t).is_ok_and(|(d, _)| d.month.is_some())
}

/// Whether the text contains a date like 2月3日.
fn has_date(t: &str) -> bool {
    t.char_indices().any(|(i, c)| c.is_ascii_digit() && starts_with_date(&t[i..]))
}

fn date_token(t: &str) -> Result<(DateToken, &str), String> {
    let mut year = None;
    let mut month = None;
    let mut rest = t;
    loop {
        let Some((n, r)) = leading_number(rest) else {
            return Err(format!("“{}”处应是日期（如 1月1日）", prefix(t)));
        };
        if let Some(r) = r.strip_prefix('年') {
            if year.is_some() || month.is_some() {
                return Err(format!("“{}”不是日期", prefix(t)));
            }
            year = Some(n as u32);
            rest = r;
        } else if let Some(r) = r.strip_prefix('月') {
            if month.is_some() {
                return Err(format!("“{}”不是日期", prefix(t)));
            }
            month = Some(n as u32);
            rest = r;
        } else if let Some(r) = r.strip_prefix('日') {
            return Ok((DateToken { year, month, day: n as u32 }, r));
        } else {
            return Err(format!("“{}”处应是日期（如 1月1日）", prefix(t)));
        }
    }
}

fn prefix(t: &str) -> String {
    t.chars().take(12).collect()
}

/// A full date (with the month) and its weekday note, checked; the text after it.
fn dated<'a>(t: &'a str, ctx: &DateContext) -> Result<(NaiveDate, &'a str), String> {
    let (tok, rest) = date_token(t)?;
    let Some(month) = tok.month else {
        return Err(format!("“{}”缺少月份", prefix(t)));
    };
    let year = match tok.year {
        Some(y) => y as i32,
        None if month == 12 && ctx.is_new_year => ctx.year - 1,
        None => ctx.year,
    };
    let d = real_date(year, month, tok.day)?;
    let rest = weekday_note(d, rest)?;
    Ok((d, rest))
}

/// "<date>[（note）][至<date>[（note）]]": first and last day. The end may leave out the year and month.
fn date_range(t: &str, ctx: &DateContext) -> Result<(NaiveDate, NaiveDate), String> {
    let Some(r) = t.find('至') else {
        let (d, rest) = dated(t, ctx)?;
        if !rest.is_empty() {
            return Err(format!("无法识别“{rest}”"));
        }
        return Ok((d, d));
    };
    let (start_text, end_text) = (&t[..r], &t[r + '至'.len_utf8()..]);
    let (start_tok, start_after) = date_token(start_text)?;
    let (end_tok, after) = date_token(end_text)?;
    let start_month = start_tok.month.ok_or_else(|| format!("“{}”缺少月份", prefix(t)))?;
    let end_month = end_tok.month.unwrap_or(start_month);
    // Years: written ones win; a range from December into January crosses the new year.
    let end_year = match (end_tok.year, start_tok.year) {
        (Some(y), _) => y as i32,
        (None, Some(sy)) if end_month >= start_month => sy as i32,
        (None, Some(sy)) => sy as i32 + 1,
        (None, None) => ctx.year,
    };
    let start_year = match start_tok.year {
        Some(y) => y as i32,
        None if start_month > end_month => end_year - 1,
        None => end_year,
    };
    let first = real_date(start_year, start_month, start_tok.day)?;
    let start_rest = weekday_note(first, start_after)?;
    if !start_rest.is_empty() {
        return Err(format!("无法识别“{start_rest}”"));
    }
    let last = real_date(end_year, end_month, end_tok.day)?;
    let rest = weekday_note(last, after)?;
    if !rest.is_empty() {
        return Err(format!("无法识别“{rest}”"));
    }
    Ok((first, last))
}

/// "1月28日（星期六）、1月29日（星期日）": each a full date, weekday notes checked.
fn date_list(t: &str, ctx: &DateContext) -> Result<Vec<NaiveDate>, String> {
    let mut out = Vec::new();
    let mut rest = t;
    loop {
        let (d, r) = dated(rest, ctx)?;
        out.push(d);
        if r.is_empty() {
            return Ok(out);
        }
        rest = r.strip_prefix('、').ok_or_else(|| format!("无法识别“{r}”"))?;
    }
}

/// An optional （…） after a date: 星期六 / 周六 (checked against the date) and 农历… notes (not checked), separated
/// by 、 or ，. Returns the text after it.
fn weekday_note(d: NaiveDate, t: &str) -> Result<&str, String> {
    let Some(inner_start) = t.strip_prefix('（') else { return Ok(t) };
    let Some(close) = inner_start.find('）') else {
        return Err(format!("“{}”缺少右括号", prefix(t)));
    };
    let inner = &inner_start[..close];
    for part in inner.split(['、', '，']) {
        if part.starts_with("农历") {
            continue;
        }
        let Some(w) = weekday_of(part) else {
            return Err(format!("括号中的“{part}”无法识别（应是星期几，或农历日期）"));
        };
        if w != d.weekday() {
            return Err(format!("{}是{}，不是通知所写的{part}", md(d), weekday_zh(d)));
        }
    }
    Ok(&inner_start[close + '）'.len_utf8()..])
}

fn weekday_of(t: &str) -> Option<Weekday> {
    let c = t.strip_prefix("星期").or_else(|| t.strip_prefix("周"))?;
    Some(match c {
        "一" => Weekday::Mon,
        "二" => Weekday::Tue,
        "三" => Weekday::Wed,
        "四" => Weekday::Thu,
        "五" => Weekday::Fri,
        "六" => Weekday::Sat,
        "日" | "天" => Weekday::Sun,
        _ => return None,
    })
}

fn real_date(year: i32, month: u32, day: u32) -> Result<NaiveDate, String> {
    NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| format!("{year}年{month}月{day}日不存在"))
}

/// Up to four ASCII digits at the start (no notice needs more; keeps hostile input from overflowing).
fn leading_number(t: &str) -> Option<(u64, &str)> {
    let end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    if end == 0 || end > 4 {
        return None;
    }
    Some((t[..end].parse().ok()?, &t[end..]))
}

fn bounds(days: &BTreeSet<NaiveDate>) -> (NaiveDate, NaiveDate) {
    (*days.first().expect("a holiday has days"), *days.last().expect("a holiday has days"))
}

/// 2月1日, or 2019年12月31日 would be ambiguous, so always with the year: 2020年2月1日.
fn md(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

fn err(line: &Line, message: &str) -> NoticeError {
    NoticeError { line: line.no, text: line.raw.clone(), message: message.to_string() }
}

fn weekday_zh(d: NaiveDate) -> &'static str {
    super::weekday_zh(d.weekday())
}

#[cfg(test)]
#[path = "notice_tests.rs"]
mod tests;
