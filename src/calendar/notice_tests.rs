//! Tests of the notice reader: every published notice 2019–2026 (and the two amendments) against the built-in
//! data or the published dates, the synthetic 2027 sample, and each bad input with its exact message.

use super::*;
use crate::calendar::Calendar;

const N2019: &str = include_str!("notices/2019.txt");
const N2019_LABOUR: &str = include_str!("notices/2019-labour-day-adjustment.txt");
const N2020: &str = include_str!("notices/2020.txt");
const N2020_EXT: &str = include_str!("notices/2020-extension.txt");
const N2021: &str = include_str!("notices/2021.txt");
const N2022: &str = include_str!("notices/2022.txt");
const N2023: &str = include_str!("notices/2023.txt");
const N2024: &str = include_str!("notices/2024.txt");
const N2025: &str = include_str!("notices/2025.txt");
const N2026: &str = include_str!("notices/2026.txt");
const N2027: &str = include_str!("notices/2027-sample.txt");

fn import(texts: &[&str]) -> Vec<Arrangement> {
    let notices: Vec<(Notice, usize)> =
        texts.iter().enumerate().map(|(i, t)| (parse_notice(t).unwrap_or_else(|e| panic!("{e}")), i)).collect();
    arrange(&notices).unwrap_or_else(|(i, e)| panic!("notice {i}: {e}"))
}

fn one(texts: &[&str]) -> Arrangement {
    let mut v = import(texts);
    assert_eq!(v.len(), 1);
    v.remove(0)
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn dates(list: &[&str]) -> BTreeSet<NaiveDate> {
    list.iter().map(|s| d(s)).collect()
}

/// The refusal of one notice text.
fn refused(text: &str) -> String {
    parse_notice(text).map(|_| ()).map_err(|e| e.to_string()).expect_err("should be refused")
}

/// The notices of each built-in year, in the order they are imported (base notice first, then amendments).
fn builtin_notices() -> Vec<(i32, Vec<&'static str>)> {
    vec![
        (2020, vec![N2020, N2020_EXT]),
        (2021, vec![N2021]),
        (2022, vec![N2022]),
        (2023, vec![N2023]),
        (2024, vec![N2024]),
        (2025, vec![N2025]),
        (2026, vec![N2026]),
    ]
}

#[test]
fn every_builtin_year_is_what_import_makes_of_its_notice() {
    let cal = Calendar::builtin();
    for (year, texts) in builtin_notices() {
        let a = one(&texts);
        let data = &cal.years[&year];
        assert_eq!(a.year, year);
        assert_eq!(a.notice, data.notice, "{year}");
        assert_eq!(a.days(), data.holidays, "{year} holidays");
        assert_eq!(a.workdays(), data.workdays, "{year} workdays");
        assert_eq!(a.names(), data.names, "{year} names");
        // And the file import writes reads back to the same year.
        let back = Calendar::builtin().with_user_toml(&a.to_toml(), "x.toml").unwrap();
        assert_eq!(back.years[&year].holidays, data.holidays, "{year} round trip");
        assert_eq!(back.years[&year].workdays, data.workdays, "{year} round trip");
        assert_eq!(back.years[&year].names, data.names, "{year} round trip");
    }
}

#[test]
fn the_2020_extension_adds_three_days_and_cancels_the_saturday_make_up_day() {
    let before = one(&[N2020]);
    let after = one(&[N2020, N2020_EXT]);
    let added: Vec<_> = after.days().difference(&before.days()).copied().collect();
    assert_eq!(added, vec![d("2020-01-31"), d("2020-02-01"), d("2020-02-02")]);
    let cancelled: Vec<_> = before.workdays().difference(&after.workdays()).copied().collect();
    assert_eq!(cancelled, vec![d("2020-02-01")]);
    assert_eq!(
        after.notes,
        vec![
            "春节假期按《国务院办公厅关于延长2020年春节假期的通知（国办发明电〔2020〕1号）》延长至2020年2月2日，原定2020年2月1日（星期六）上班随之取消"
        ]
    );
}

#[test]
fn the_2019_notice_and_the_labour_day_adjustment_give_the_published_dates() {
    let a = one(&[N2019, N2019_LABOUR]);
    assert_eq!(a.year, 2019);
    assert_eq!(
        a.days(),
        dates(&[
            // 元旦 2018-12-30..2019-01-01, across the new year
            "2018-12-30",
            "2018-12-31",
            "2019-01-01",
            // 春节 02-04..10
            "2019-02-04",
            "2019-02-05",
            "2019-02-06",
            "2019-02-07",
            "2019-02-08",
            "2019-02-09",
            "2019-02-10",
            // 清明 04-05 (Fri, 与周末连休); 劳动节 as adjusted: 05-01..04; 端午 06-07; 中秋 09-13
            "2019-04-05",
            "2019-05-01",
            "2019-05-02",
            "2019-05-03",
            "2019-05-04",
            "2019-06-07",
            "2019-09-13",
            // 国庆 10-01..07
            "2019-10-01",
            "2019-10-02",
            "2019-10-03",
            "2019-10-04",
            "2019-10-05",
            "2019-10-06",
            "2019-10-07",
        ])
    );
    assert_eq!(
        a.workdays(),
        dates(&["2018-12-29", "2019-02-02", "2019-02-03", "2019-04-28", "2019-05-05", "2019-09-29", "2019-10-12"])
    );
    // Without the adjustment, 劳动节 is the one day of the original notice.
    let original = one(&[N2019]);
    assert_eq!(original.holidays[3].days, dates(&["2019-05-01"]));
    assert!(original.holidays[3].workdays.is_empty());
}

#[test]
fn the_2027_sample_reads_with_its_weekday_notes_and_single_days() {
    let a = one(&[N2027]);
    assert_eq!(a.notice, "国务院办公厅关于2027年部分节假日安排的通知");
    assert_eq!(a.days().len(), 3 + 8 + 3 + 5 + 1 + 1 + 7);
    assert_eq!(
        a.workdays(),
        dates(&["2027-01-31", "2027-02-20", "2027-04-25", "2027-05-08", "2027-09-26", "2027-10-09"])
    );
    assert_eq!(a.names()[&d("2027-06-09")], "端午节");
}

#[test]
fn the_2024_encouragement_is_read_but_not_counted() {
    let a = one(&[N2024]);
    assert!(!a.days().contains(&d("2024-02-09")));
    assert_eq!(
        a.notes,
        vec!["第6行“鼓励各单位结合带薪年休假等制度落实，安排职工在除夕（2月9日）休息”是倡导，不是放假安排，未计入"]
    );
}

#[test]
fn copies_with_ascii_punctuation_indents_and_a_title_on_two_lines_read_the_same() {
    let copied = N2023
        .replacen("国务院办公厅关于2023年部分节假日安排的通知", "国务院办公厅关于2023年\n部分节假日安排的通知", 1)
        .replace('：', ":")
        .replace('（', "(")
        .replace('）', ")")
        .replace('，', ",")
        .lines()
        .map(|l| format!("\u{3000}\u{3000}{l}\r"))
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(
        one(&[&copied]).holidays,
        one(&[N2023])
            .holidays
            .iter()
            .map(|h| Holiday {
                line: h.line + 1,
                text: h.text.replace('：', ":").replace('（', "(").replace('）', ")").replace('，', ","),
                ..h.clone()
            })
            .collect::<Vec<_>>()
    );
}

// ---------------------------------------------------------------------------------------------------------
// Refusals, each naming the line.

#[test]
fn another_document_is_refused_at_its_first_line() {
    let text = "国务院办公厅关于印发“十四五”现代物流发展规划的通知\n国办发〔2022〕17号\n";
    assert_eq!(
        refused(text),
        "第1行“国务院办公厅关于印发“十四五”现代物流发展规划的通知”：这不是国务院办公厅的节假日安排通知：第一行应是通知标题，如“国务院办公厅关于2027年部分节假日安排的通知”。请从标题开始复制通知全文"
    );
    assert_eq!(refused(""), "第1行“”：文件是空的：请粘贴通知的全文");
}

#[test]
fn a_date_that_does_not_exist_is_refused() {
    let text = N2021.replace("二、春节：2月11日至17日", "二、春节：2月30日至17日");
    assert_eq!(
        refused(&text),
        "第6行“二、春节：2月30日至17日放假调休，共7天。2月7日（星期日）、2月20日（星期六）上班。”：“2月30日至17日放假调休，共7天”：2021年2月30日不存在"
    );
}

#[test]
fn a_weekday_that_does_not_match_its_date_is_refused() {
    let text = N2021.replace("2月7日（星期日）", "2月7日（星期六）");
    assert_eq!(
        refused(&text),
        "第6行“二、春节：2月11日至17日放假调休，共7天。2月7日（星期六）、2月20日（星期六）上班。”：“2月7日（星期六）、2月20日（星期六）上班”：2021年2月7日是星期日，不是通知所写的星期六"
    );
    let text = N2026.replace("2月15日（农历腊月二十八、周日）", "2月15日（农历腊月二十八、周一）");
    assert_eq!(
        refused(&text),
        "第6行“二、春节：2月15日（农历腊月二十八、周一）至23日（农历正月初七、周一）放假调休，共9天。2月14日（周六）、2月28…”：“2月15日（农历腊月二十八、周一）至23日（农历正月初七、周一）放假调休，共9天”：2026年2月15日是星期日，不是通知所写的周一"
    );
}

#[test]
fn a_total_that_does_not_add_up_is_refused() {
    let text = N2021.replace("共7天。2月7日", "共8天。2月7日");
    assert_eq!(
        refused(&text),
        "第6行“二、春节：2月11日至17日放假调休，共8天。2月7日（星期日）、2月20日（星期六）上班。”：“2月11日至17日放假调休，共8天”：写的是共8天，但2021年2月11日至2021年2月17日是7天"
    );
}

#[test]
fn a_make_up_day_on_a_weekday_is_refused() {
    let text = N2021.replace("2月20日（星期六）上班", "2月19日（星期五）上班");
    assert_eq!(
        refused(&text),
        "第6行“二、春节：2月11日至17日放假调休，共7天。2月7日（星期日）、2月19日（星期五）上班。”：2021年2月19日是星期五，不是周六或周日，不能是调休上班日"
    );
}

#[test]
fn other_inconsistencies_are_refused_naming_the_line() {
    // A day both off (春节) and on (make-up day of the next line).
    let text = N2021.replace(
        "三、清明节：4月3日至5日放假调休，共3天。",
        "三、清明节：4月3日至5日放假调休，共3天。2月14日（星期日）上班。",
    );
    let n = parse_notice(&text).unwrap();
    assert_eq!(
        arrange(&[(n, 0)]).unwrap_err().1.to_string(),
        "第7行“三、清明节：4月3日至5日放假调休，共3天。2月14日（星期日）上班。”：2021年2月14日（星期日）在第6行（春节）是放假，在这一行又是上班：同一天不能出现两次"
    );
    // 不调休 with a make-up day.
    let text = N2025.replace(
        "一、元旦：1月1日（周三）放假1天，不调休。",
        "一、元旦：1月1日（周三）放假1天，不调休。1月4日（周六）上班。",
    );
    assert_eq!(
        refused(&text),
        "第6行“一、元旦：1月1日（周三）放假1天，不调休。1月4日（周六）上班。”：写明“不调休”，却又列出了上班日"
    );
    // 与周末连休 on a Wednesday.
    let text = N2024.replace("五、端午节：6月10日放假", "五、端午节：6月12日放假");
    assert_eq!(
        refused(&text),
        "第9行“五、端午节：6月12日放假，与周末连休。”：“6月12日放假，与周末连休”：写明“与周末连休”，但2024年6月12日是星期三，前后都不是周末"
    );
    // A make-up sentence broken off onto a line of its own.
    let text = N2021.replace("共7天。2月7日", "共7天。\n2月7日");
    assert_eq!(
        refused(&text),
        "第7行“2月7日（星期日）、2月20日（星期六）上班。”：这一行有放假或上班的日期，但不在编号的条目中，无法确定属于哪个假日。若是上一条被断成了两行，请把它接回上一行末尾"
    );
    // A line dropped: the preamble names 端午节 but no line gives it.
    let text = N2021.replace("五、端午节：6月12日至14日放假，共3天。\n", "");
    assert_eq!(
        refused(&text),
        "第4行“经国务院批准，现将2021年元旦、春节、清明节、劳动节、端午节、中秋节和国庆节放假调休日期的具体安排通知如下。”：通知开头列出的“端午节”没有对应的放假安排条目：请检查是否漏复制了一行"
    );
    // Something the reader does not know.
    let text = N2021.replace("共3天。9月18日", "共3天，另加1天。9月18日");
    assert_eq!(
        refused(&text),
        "第10行“六、中秋节：9月19日至21日放假调休，共3天，另加1天。9月18日（星期六）上班。”：“9月19日至21日放假调休，共3天，另加1天”：无法识别“另加1天”"
    );
}

#[test]
fn an_amendment_alone_is_refused_with_what_to_do() {
    let n = parse_notice(N2020_EXT).unwrap();
    assert_eq!(
        arrange(&[(n, 0)]).unwrap_err().1.to_string(),
        "第1行“国务院办公厅关于延长2020年春节假期的通知”：这是修改2020年安排的通知，不能单独导入：请在同一条 youfu calendar import 命令中先给《国务院办公厅关于2020年部分节假日安排的通知》的文本文件，再给本通知"
    );
}

// ---------------------------------------------------------------------------------------------------------
// Hostile input: never a panic, whatever the text.

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    /// Characters the notices are made of, so random texts get deep into the grammar.
    const ALPHABET: &[char] = &[
        '0', '1', '2', '3', '9', '年', '月', '日', '至', '（', '）', '、', '，', '。', '：', '放', '假', '调', '休',
        '共', '天', '上', '班', '星', '期', '周', '六', '一', '农', '历', '元', '旦', '春', '节', '补', '\n', ' ',
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        #[test]
        fn random_bodies_under_a_real_title_never_panic(body in proptest::collection::vec(proptest::sample::select(ALPHABET), 0..400)) {
            let body: String = body.into_iter().collect();
            let text = format!("国务院办公厅关于2027年部分节假日安排的通知\n一、元旦：{body}\n");
            if let Ok(n) = parse_notice(&text) {
                let _ = arrange(&[(n, 0)]);
            }
        }

        #[test]
        fn a_real_notice_with_one_character_changed_never_panics(at in 0usize..700, c in proptest::sample::select(ALPHABET)) {
            let chars: Vec<char> = N2025.chars().collect();
            let mut changed = chars.clone();
            let i = at % changed.len();
            changed[i] = c;
            let text: String = changed.into_iter().collect();
            if let Ok(n) = parse_notice(&text)
                && let Ok(a) = arrange(&[(n, 0)])
            {
                // Whatever was accepted still satisfies the checks.
                for d in a[0].workdays() {
                    prop_assert!(matches!(d.weekday(), Weekday::Sat | Weekday::Sun));
                }
                prop_assert!(a[0].days().is_disjoint(&a[0].workdays()));
            }
        }
    }
}

#[test]
fn a_range_across_the_new_year_without_years_reads_as_december_of_the_year_before() {
    let text = N2019.replace(
        "一、元旦：2018年12月30日至2019年1月1日放假调休，共3天。2018年12月29日（星期六）上班。",
        "一、元旦：12月30日至1月1日放假调休，共3天。12月29日（星期六）上班。",
    );
    assert_ne!(text, N2019);
    let a = one(&[&text]);
    assert_eq!(a.holidays[0].days, dates(&["2018-12-30", "2018-12-31", "2019-01-01"]));
    assert_eq!(a.holidays[0].workdays, dates(&["2018-12-29"]));
    // The weekday note checks the year read: 2019-12-29 would be a Sunday.
    assert_eq!(
        a.holidays,
        one(&[N2019])
            .holidays
            .iter()
            .map(|h| Holiday {
                text: if h.line == 5 { a.holidays[0].text.clone() } else { h.text.clone() },
                ..h.clone()
            })
            .collect::<Vec<_>>()
    );
}
