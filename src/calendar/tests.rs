//! Tests of the calendar and the deadline: the built-in data against the notices, the 48-month deadline table
//! worked out by hand, user files, and every error message.

use super::*;

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn ym(s: &str) -> YearMonth {
    s.parse().unwrap()
}

use crate::domain::YearMonth;

// ---------------------------------------------------------------------------------------------------------
// The deadline table: every month of 2023–2026, worked out by hand from a wall calendar and the notices
// (weekday of the 20th; whether it falls in a holiday block or is a 调休 working day).

#[test]
fn deadline_for_every_month_2023_to_2026() {
    let rows: [(&str, &str); 48] = [
        // 2023 (国办发明电〔2022〕16号)
        ("2023-01", "2023-01-20"), // Fri; the Spring Festival block starts 01-21
        ("2023-02", "2023-02-20"), // Mon
        ("2023-03", "2023-03-20"), // Mon
        ("2023-04", "2023-04-20"), // Thu
        ("2023-05", "2023-05-19"), // 20th Sat (the make-up Saturday was 05-06) → Fri 19
        ("2023-06", "2023-06-20"), // Tue; 端午 block 06-22..24
        ("2023-07", "2023-07-20"), // Thu
        ("2023-08", "2023-08-18"), // 20th Sun → Fri 18
        ("2023-09", "2023-09-20"), // Wed
        ("2023-10", "2023-10-20"), // Fri
        ("2023-11", "2023-11-20"), // Mon
        ("2023-12", "2023-12-20"), // Wed
        // 2024 (国办发明电〔2023〕7号)
        ("2024-01", "2024-01-19"), // 20th Sat → Fri 19
        ("2024-02", "2024-02-20"), // Tue; Spring Festival 02-10..17 is over
        ("2024-03", "2024-03-20"), // Wed
        ("2024-04", "2024-04-19"), // 20th Sat → Fri 19
        ("2024-05", "2024-05-20"), // Mon
        ("2024-06", "2024-06-20"), // Thu
        ("2024-07", "2024-07-19"), // 20th Sat → Fri 19
        ("2024-08", "2024-08-20"), // Tue
        ("2024-09", "2024-09-20"), // Fri
        ("2024-10", "2024-10-18"), // 20th Sun, 19th Sat (not a make-up day; that was 10-12) → Fri 18
        ("2024-11", "2024-11-20"), // Wed
        ("2024-12", "2024-12-20"), // Fri
        // 2025 (国办发明电〔2024〕12号)
        ("2025-01", "2025-01-20"), // Mon; Spring Festival block starts 01-28
        ("2025-02", "2025-02-20"), // Thu
        ("2025-03", "2025-03-20"), // Thu
        ("2025-04", "2025-04-18"), // 20th Sun → Fri 18
        ("2025-05", "2025-05-20"), // Tue
        ("2025-06", "2025-06-20"), // Fri
        ("2025-07", "2025-07-18"), // 20th Sun → Fri 18
        ("2025-08", "2025-08-20"), // Wed
        ("2025-09", "2025-09-19"), // 20th Sat (the make-up day is 09-28) → Fri 19
        ("2025-10", "2025-10-20"), // Mon
        ("2025-11", "2025-11-20"), // Thu
        ("2025-12", "2025-12-19"), // 20th Sat → Fri 19
        // 2026 (国办发明电〔2025〕7号)
        ("2026-01", "2026-01-20"), // Tue
        ("2026-02", "2026-02-14"), // 20th Fri inside Spring Festival 02-15..23; Sat 02-14 is a make-up day
        ("2026-03", "2026-03-20"), // Fri
        ("2026-04", "2026-04-20"), // Mon
        ("2026-05", "2026-05-20"), // Wed
        ("2026-06", "2026-06-18"), // 20th Sat inside 端午 06-19..21, Fri 19 off too → Thu 18
        ("2026-07", "2026-07-20"), // Mon
        ("2026-08", "2026-08-20"), // Thu
        ("2026-09", "2026-09-20"), // 20th Sun, but a 调休 working day (国庆) → the 20th itself
        ("2026-10", "2026-10-20"), // Tue
        ("2026-11", "2026-11-20"), // Fri
        ("2026-12", "2026-12-18"), // 20th Sun → Fri 18
    ];
    let cal = Calendar::builtin();
    let rule = DeadlineRule::default();
    let mut wrong = Vec::new();
    for (month, expected) in rows {
        let got = deadline(&cal, ym(month), &rule).unwrap();
        if got.deadline != date(expected) {
            wrong.push(format!("{month}: expected {expected}, got {}", got.deadline));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn submit_by_is_bank_lead_working_days_before_the_deadline() {
    let cal = Calendar::builtin();
    let d = deadline(&cal, ym("2024-10"), &DeadlineRule::default()).unwrap();
    // deadline Fri 10-18; two working days back: Thu 17, Wed 16.
    assert_eq!(d, Deadline { month: ym("2024-10"), deadline: date("2024-10-18"), submit_by: date("2024-10-16") });

    // 2026-02: deadline Sat 02-14 (make-up day); back 2 working days: Fri 13, Thu 12.
    let d = deadline(&cal, ym("2026-02"), &DeadlineRule::default()).unwrap();
    assert_eq!((d.deadline, d.submit_by), (date("2026-02-14"), date("2026-02-12")));

    // 2024-02 with a 5-day lead: deadline Tue 02-20; back: Mon 19, Sun 18 (make-up day), then the
    // Spring Festival block 10..17 is skipped: Fri 09, Thu 08, Wed 07.
    let rule = DeadlineRule { bank_lead_days: 5, ..DeadlineRule::default() };
    let d = deadline(&cal, ym("2024-02"), &rule).unwrap();
    assert_eq!((d.deadline, d.submit_by), (date("2024-02-20"), date("2024-02-07")));

    // Lead 0: hand the file in on the deadline itself.
    let rule = DeadlineRule { bank_lead_days: 0, ..DeadlineRule::default() };
    let d = deadline(&cal, ym("2024-10"), &rule).unwrap();
    assert_eq!(d.submit_by, date("2024-10-18"));
}

#[test]
fn exclusive_rule_and_day_past_month_end() {
    let cal = Calendar::builtin();
    // inclusive=false: strictly before the 20th. 2024-05-20 is a Monday → the 19th is Sun, 18th Sat
    // (not a make-up day; 05-11 was) → Fri 05-17.
    let rule = DeadlineRule { inclusive: false, ..DeadlineRule::default() };
    assert_eq!(deadline(&cal, ym("2024-05"), &rule).unwrap().deadline, date("2024-05-17"));
    // 2026-09 exclusive: the 19th is a Saturday, not a make-up day → Fri 09-18.
    assert_eq!(deadline(&cal, ym("2026-09"), &rule).unwrap().deadline, date("2026-09-18"));

    // day 31 in February 2024 means 02-29 (Thu, a working day).
    let rule = DeadlineRule { day: 31, ..DeadlineRule::default() };
    assert_eq!(deadline(&cal, ym("2024-02"), &rule).unwrap().deadline, date("2024-02-29"));
    // day 31 in September 2025: 09-30 Tue, a working day (the holiday starts 10-01).
    assert_eq!(deadline(&cal, ym("2025-09"), &rule).unwrap().deadline, date("2025-09-30"));
}

#[test]
fn deadline_rule_day_zero_is_refused() {
    let cal = Calendar::builtin();
    let rule = DeadlineRule { day: 0, ..DeadlineRule::default() };
    let err = deadline(&cal, ym("2024-10"), &rule).unwrap_err();
    assert_eq!(err.to_string(), "截止日规则中的 day 为 0，应为 1 至 31（每月几日前发放到账，通常为 20）");
    assert_eq!(err.code(), "DEADLINE_BAD_RULE");
    let rule = DeadlineRule { day: 32, ..DeadlineRule::default() };
    assert_eq!(
        deadline(&cal, ym("2024-10"), &rule).unwrap_err().to_string(),
        "截止日规则中的 day 为 32，应为 1 至 31（每月几日前发放到账，通常为 20）"
    );
}

#[test]
fn deadline_needs_the_previous_year_when_it_walks_back_into_it() {
    // day 1 of 2020-01: 01-01 is a holiday → the last working day before is 2019-12-31, a year with no data.
    let cal = Calendar::builtin();
    let rule = DeadlineRule { day: 1, ..DeadlineRule::default() };
    assert_eq!(deadline(&cal, ym("2020-01"), &rule).unwrap_err(), CalendarError::MissingYear(2019));
}

// ---------------------------------------------------------------------------------------------------------
// Pay dates.

#[test]
fn pay_date_after_the_deadline_is_late_by_working_days() {
    let cal = Calendar::builtin();
    let d = deadline(&cal, ym("2024-10"), &DeadlineRule::default()).unwrap();
    // Mon 10-21 after Fri 10-18: (18, 21] holds Sat, Sun, Mon → 1 working day.
    assert_eq!(check_pay_date(&cal, &d, date("2024-10-21")).unwrap(), Timeliness::Late { working_days_late: 1 });
    // Sat 10-19: late, by less than a working day.
    assert_eq!(check_pay_date(&cal, &d, date("2024-10-19")).unwrap(), Timeliness::Late { working_days_late: 0 });
    // Fri 10-25: 21, 22, 23, 24, 25 → 5.
    assert_eq!(check_pay_date(&cal, &d, date("2024-10-25")).unwrap(), Timeliness::Late { working_days_late: 5 });
    // On the deadline: on time with nothing to spare.
    assert_eq!(check_pay_date(&cal, &d, date("2024-10-18")).unwrap(), Timeliness::OnTime { spare_working_days: 0 });
    // Wed 10-16: (16, 18] = Thu, Fri → 2 spare.
    assert_eq!(check_pay_date(&cal, &d, date("2024-10-16")).unwrap(), Timeliness::OnTime { spare_working_days: 2 });
}

#[test]
fn pay_date_across_a_holiday_block() {
    let cal = Calendar::builtin();
    // 2025-09 deadline Fri 09-19. Paid Thu 10-09: working days in (09-19, 10-09]:
    // 22 23 24 25 26 (5), Sun 28 make-up (6), 29 30 (8), 10-01..08 off, 10-09 (9).
    let d = deadline(&cal, ym("2025-09"), &DeadlineRule::default()).unwrap();
    assert_eq!(d.deadline, date("2025-09-19"));
    assert_eq!(check_pay_date(&cal, &d, date("2025-10-09")).unwrap(), Timeliness::Late { working_days_late: 9 });
}

#[test]
fn working_days_between_is_signed_and_half_open() {
    let cal = Calendar::builtin();
    assert_eq!(cal.working_days_between(date("2024-10-18"), date("2024-10-21")).unwrap(), 1);
    assert_eq!(cal.working_days_between(date("2024-10-21"), date("2024-10-18")).unwrap(), -1);
    assert_eq!(cal.working_days_between(date("2024-10-18"), date("2024-10-18")).unwrap(), 0);
    // (2024-09-30, 2024-10-14]: 10-01..07 off, Tue 08..Fri 11 (4), Sat 12 make-up (5), Mon 14 (6).
    assert_eq!(cal.working_days_between(date("2024-09-30"), date("2024-10-14")).unwrap(), 6);
    // The whole of 2024, (2023-12-31, 2024-12-31]: 2024 starts on a Monday and has 366 days = 52 weeks + Mon,
    // Tue → 262 weekdays; weekday holidays 01-01, 02-12..16, 04-04..05, 05-01..03, 06-10, 09-16..17,
    // 10-01..04, 10-07 = 1+5+2+3+1+2+5 = 19; make-up days 8 → 262 − 19 + 8 = 251.
    assert_eq!(cal.working_days_between(date("2023-12-31"), date("2024-12-31")).unwrap(), 251);
}

#[test]
fn working_days_before_and_last_working_day() {
    let cal = Calendar::builtin();
    // n=0 on a working day is the day itself; on a rest day, the previous working day.
    assert_eq!(cal.working_days_before(date("2024-10-18"), 0).unwrap(), date("2024-10-18"));
    assert_eq!(cal.working_days_before(date("2024-10-20"), 0).unwrap(), date("2024-10-18"));
    // From Tue 2024-10-08 back 1: 10-01..07 off, Mon 09-30 is a working day.
    assert_eq!(cal.working_days_before(date("2024-10-08"), 1).unwrap(), date("2024-09-30"));
    // Back 2: Sun 09-29 is a make-up working day.
    assert_eq!(cal.working_days_before(date("2024-10-08"), 2).unwrap(), date("2024-09-29"));
    assert_eq!(cal.last_working_day_on_or_before(date("2026-02-23")).unwrap(), date("2026-02-14"));
    assert_eq!(cal.last_working_day_on_or_before(date("2026-09-20")).unwrap(), date("2026-09-20"));
}

#[test]
fn is_working_day_follows_notices() {
    let cal = Calendar::builtin();
    let cases = [
        ("2024-10-18", true),  // Fri
        ("2024-10-19", false), // Sat
        ("2024-10-12", true),  // Sat, make-up
        ("2024-10-07", false), // Mon, 国庆
        ("2026-02-14", true),  // Sat, make-up
        ("2026-02-23", false), // Mon, 春节 day 9
        ("2020-02-01", false), // Sat: the make-up day was cancelled by the extension notice
        ("2020-01-31", false), // Fri, extended 春节
        ("2020-01-19", true),  // Sun, make-up
        ("2020-02-03", true),  // Mon, back to work
        ("2022-12-31", false), // Sat, listed in the 2023 元旦 block
        ("2024-02-09", true),  // Fri, 除夕 2024: rest only "encouraged" by the notice
    ];
    for (d, working) in cases {
        assert_eq!(cal.is_working_day(date(d)).unwrap(), working, "{d}");
    }
}

// ---------------------------------------------------------------------------------------------------------
// Missing years, user files, weekends only.

const MISSING_2031: &str = "日历中没有2031年的节假日安排：请把《国务院办公厅关于2031年部分节假日安排的通知》全文保存为 2031年通知.txt，再运行 youfu calendar import 2031年通知.txt --out 日历2031.toml，并把 日历2031.toml 加入 youfu.toml 的 calendar_file，或使用 --weekends-only 仅按周末计算";

#[test]
fn year_without_data_is_refused_with_the_exact_message() {
    let cal = Calendar::builtin();
    let err = cal.is_working_day(date("2031-03-03")).unwrap_err();
    assert_eq!(err, CalendarError::MissingYear(2031));
    assert_eq!(err.to_string(), MISSING_2031);
    assert_eq!(deadline(&cal, ym("2031-03"), &DeadlineRule::default()).unwrap_err().to_string(), MISSING_2031);
    assert!(!cal.uses_weekends_only_for(2031));
    let p = err.to_problem();
    assert_eq!(
        p.to_string(),
        "日历中没有2031年的节假日安排。请把《国务院办公厅关于2031年部分节假日安排的通知》全文保存为 2031年通知.txt，再运行 youfu calendar import 2031年通知.txt --out 日历2031.toml，并把 日历2031.toml 加入 youfu.toml 的 calendar_file，或使用 --weekends-only 仅按周末计算。 [CALENDAR_MISSING_YEAR]"
    );
}

const USER_2031: &str = r#"
[2031]
notice = "国务院办公厅关于2031年部分节假日安排的通知（测试用，虚构）"
holidays = [2031-01-01, 2031-01-02, 2031-01-03, 2031-03-20]
workdays = ["2031-01-04"]
"#;

#[test]
fn user_file_adds_a_year() {
    let cal = Calendar::builtin().with_user_toml(USER_2031, "my-calendar.toml").unwrap();
    // 2031-03-20 is a Thursday made a holiday by the (fictional) file → deadline Wed 03-19.
    let d = deadline(&cal, ym("2031-03"), &DeadlineRule::default()).unwrap();
    assert_eq!((d.deadline, d.submit_by), (date("2031-03-19"), date("2031-03-17")));
    // 2031-01-04 is a Saturday made a working day.
    assert!(cal.is_working_day(date("2031-01-04")).unwrap());
    assert!(!cal.uses_weekends_only_for(2031));
    let years = cal.years();
    assert_eq!(years.len(), 8);
    assert_eq!(
        years.last().unwrap(),
        &(2031, "国务院办公厅关于2031年部分节假日安排的通知（测试用，虚构）（来自 my-calendar.toml）".to_string())
    );
}

#[test]
fn user_file_replaces_a_whole_year() {
    // A 2024 that only lists 10-01: the rest of the built-in 2024 (10-02..07, make-up 10-12) is gone.
    let text = "[2024]\nnotice = \"自定义2024\"\nholidays = [2024-10-01]\n";
    let cal = Calendar::builtin().with_user_toml(text, "override.toml").unwrap();
    assert!(!cal.is_working_day(date("2024-10-01")).unwrap());
    assert!(cal.is_working_day(date("2024-10-02")).unwrap());
    assert!(!cal.is_working_day(date("2024-10-12")).unwrap());
    assert_eq!(cal.years()[4], (2024, "自定义2024（来自 override.toml）".to_string()));
    // Other years are untouched.
    assert!(!cal.is_working_day(date("2025-10-02")).unwrap());
}

#[test]
fn weekends_only_is_an_explicit_opt_in() {
    let cal = Calendar::builtin().weekends_only();
    assert!(cal.uses_weekends_only_for(2031));
    assert!(!cal.uses_weekends_only_for(2024));
    // 2031-01-01 is a Wednesday: a working day when only weekends count.
    assert!(cal.is_working_day(date("2031-01-01")).unwrap());
    // 2031-09-20 is a Saturday → Fri 09-19; submit_by two working days earlier: Wed 09-17.
    let d = deadline(&cal, ym("2031-09"), &DeadlineRule::default()).unwrap();
    assert_eq!((d.deadline, d.submit_by), (date("2031-09-19"), date("2031-09-17")));
    // Years with data still follow the notices.
    assert!(!cal.is_working_day(date("2024-10-07")).unwrap());
    // With a user year added, that year is no longer weekends-only.
    let cal = cal.with_user_toml(USER_2031, "my.toml").unwrap();
    assert!(!cal.uses_weekends_only_for(2031));
    assert!(cal.uses_weekends_only_for(2032));
}

#[test]
fn years_lists_the_builtin_notices() {
    let years = Calendar::builtin().years();
    let numbers: Vec<i32> = years.iter().map(|(y, _)| *y).collect();
    assert_eq!(numbers, [2020, 2021, 2022, 2023, 2024, 2025, 2026]);
    assert_eq!(years[4].1, "国务院办公厅关于2024年部分节假日安排的通知（国办发明电〔2023〕7号）");
    assert_eq!(
        years[0].1,
        "国务院办公厅关于2020年部分节假日安排的通知（国办发明电〔2019〕16号）；国务院办公厅关于延长2020年春节假期的通知（国办发明电〔2020〕1号）"
    );
    for (year, notice) in &years {
        assert!(notice.starts_with(&format!("国务院办公厅关于{year}年部分节假日安排的通知（国办发明电〔")), "{notice}");
    }
}

// ---------------------------------------------------------------------------------------------------------
// Malformed user files: every message.

fn bad(text: &str) -> String {
    Calendar::builtin().with_user_toml(text, "my.toml").unwrap_err().to_string()
}

#[test]
fn malformed_toml_names_the_file_and_the_toml_message() {
    let err = Calendar::builtin().with_user_toml("[2031\nnotice = 1", "my.toml").unwrap_err();
    assert_eq!(
        err.to_string(),
        "日历文件“my.toml”有误：TOML parse error at line 1, column 6\n  |\n1 | [2031\n  |      ^\nunclosed table, expected `]`"
    );
    let CalendarError::BadFile { source, .. } = &err else { panic!("{err:?}") };
    assert_eq!(source, "my.toml");
    assert_eq!(err.code(), "CALENDAR_BAD_FILE");
    assert_eq!(err.to_problem().location.unwrap().file, "my.toml");
}

#[test]
fn unknown_key_and_missing_fields_are_refused() {
    assert_eq!(
        bad("[2031]\nnotice = \"x\"\nholidays = []\nholiday = []\n"),
        "日历文件“my.toml”有误：TOML parse error at line 4, column 1\n  |\n4 | holiday = []\n  | ^^^^^^^\nunknown field `holiday`, expected one of `notice`, `holidays`, `workdays`, `names`"
    );
    assert_eq!(
        bad("[2031]\nholidays = []\n"),
        "日历文件“my.toml”有误：TOML parse error at line 1, column 1\n  |\n1 | [2031]\n  | ^^^^^^\nmissing field `notice`"
    );
}

#[test]
fn content_errors_have_exact_messages() {
    assert_eq!(
        bad(""),
        "日历文件“my.toml”有误：文件中没有任何年份：每年写作一个表，如 [2031]，其下写 notice、holidays、workdays"
    );
    assert_eq!(
        bad("[abc]\nnotice = \"x\"\nholidays = []\n"),
        "日历文件“my.toml”有误：表名“[abc]”不是年份，应写作四位年份，如 [2031]"
    );
    assert_eq!(
        bad("[2031]\nnotice = \" \"\nholidays = []\n"),
        "日历文件“my.toml”有误：2031年的 notice 为空，请写明依据的通知名称（及文号）"
    );
    assert_eq!(
        bad("[2031]\nnotice = \"x\"\nholidays = [\"2031-02-30\", 7]\n"),
        "日历文件“my.toml”有误：2031年 holidays 中的 \"2031-02-30\" 不是日期，应写作 2031-01-01 这样的日期；2031年 holidays 中的 7 不是日期，应写作 2031-01-01 这样的日期"
    );
    assert_eq!(
        bad("[2031]\nnotice = \"x\"\nholidays = [2030-11-30]\n"),
        "日历文件“my.toml”有误：2031年 holidays 中的 2030-11-30 不属于2031年的安排（只能是2030年12月至2032年1月之间的日期）"
    );
    assert_eq!(
        bad("[2031]\nnotice = \"x\"\nholidays = [2031-01-01, 2031-01-01]\n"),
        "日历文件“my.toml”有误：2031年 holidays 中的 2031-01-01 重复出现"
    );
    // 2031-01-04 is a Saturday, 2031-01-06 a Monday.
    assert_eq!(
        bad("[2031]\nnotice = \"x\"\nholidays = [2031-01-04]\nworkdays = [2031-01-04, 2031-01-06]\n"),
        "日历文件“my.toml”有误：2031年的 2031-01-04 同时列在 holidays 和 workdays 中；2031年 workdays 中的 2031-01-06 是星期一：workdays 只列周六、周日的调休上班日"
    );
}

#[test]
fn contradiction_between_years_is_refused() {
    // 2023's 元旦 block lists Sat 2022-12-31 as a day off; a user 2022 that works that day contradicts it.
    let text = "[2022]\nnotice = \"x\"\nholidays = []\nworkdays = [2022-12-31]\n";
    assert_eq!(
        bad(text),
        "日历文件“my.toml”有误：2022-12-31 在2022年的安排中是调休上班日，在2023年的安排中却是放假日，请只保留正确的一处"
    );
}

// ---------------------------------------------------------------------------------------------------------
// The built-in data, checked against itself and against the notices.

fn raw_builtin() -> Vec<(&'static str, i32, RawYear)> {
    let mut out = Vec::new();
    for (name, text) in BUILTIN {
        let raw: BTreeMap<String, RawYear> = toml::from_str(text).unwrap();
        for (key, ry) in raw {
            out.push((name, key.parse().unwrap(), ry));
        }
    }
    out
}

#[test]
fn every_year_2020_to_2026_is_present_once_in_its_own_file() {
    let raw = raw_builtin();
    let found: Vec<(&str, i32)> = raw.iter().map(|(name, year, _)| (*name, *year)).collect();
    assert_eq!(
        found,
        [
            ("2020.toml", 2020),
            ("2021.toml", 2021),
            ("2022.toml", 2022),
            ("2023.toml", 2023),
            ("2024.toml", 2024),
            ("2025.toml", 2025),
            ("2026.toml", 2026)
        ]
    );
}

#[test]
fn builtin_lists_have_no_repeats_no_overlap_and_workdays_are_weekends() {
    for (name, year, ry) in raw_builtin() {
        let holidays: Vec<NaiveDate> = ry.holidays.iter().map(|v| date_value(v).unwrap()).collect();
        let workdays: Vec<NaiveDate> = ry.workdays.iter().map(|v| date_value(v).unwrap()).collect();
        let hset: BTreeSet<_> = holidays.iter().copied().collect();
        let wset: BTreeSet<_> = workdays.iter().copied().collect();
        assert_eq!(hset.len(), holidays.len(), "{name}: a holiday listed twice");
        assert_eq!(wset.len(), workdays.len(), "{name}: a workday listed twice");
        assert!(hset.is_disjoint(&wset), "{name}: a date both holiday and workday");
        for d in &workdays {
            assert!(matches!(d.weekday(), Weekday::Sat | Weekday::Sun), "{name}: workday {d} is not a weekend");
            assert_eq!(d.year(), year, "{name}: workday {d} outside its year");
        }
        // Files are kept in date order, so a reader can check them against the notice line by line.
        assert!(holidays.windows(2).all(|w| w[0] < w[1]), "{name}: holidays out of order");
        assert!(workdays.windows(2).all(|w| w[0] < w[1]), "{name}: workdays out of order");
    }
}

/// Contiguous runs of listed holidays as (first day, length).
fn blocks(holidays: &BTreeSet<NaiveDate>) -> Vec<(NaiveDate, usize)> {
    let mut out: Vec<(NaiveDate, usize)> = Vec::new();
    let mut prev: Option<NaiveDate> = None;
    for d in holidays {
        match (prev, out.last_mut()) {
            (Some(p), Some(last)) if p.succ_opt() == Some(*d) => last.1 += 1,
            _ => out.push((*d, 1)),
        }
        prev = Some(*d);
    }
    out
}

/// A year as its notice states it: holiday blocks as (first day, days), and the make-up working days.
type NoticeYear = (i32, &'static [(&'static str, usize)], &'static [&'static str]);

#[test]
fn holiday_blocks_match_the_notices() {
    // (first day, days) of each block as the notice states it (“X月X日至X日放假调休，共N天”).
    let expected: [NoticeYear; 7] = [
        (
            2020,
            // 元旦1; 春节 01-24..02-02 as extended (国办发明电〔2020〕1号): 10; 清明3; 劳动5; 端午3; 国庆中秋8
            &[
                ("2020-01-01", 1),
                ("2020-01-24", 10),
                ("2020-04-04", 3),
                ("2020-05-01", 5),
                ("2020-06-25", 3),
                ("2020-10-01", 8),
            ],
            &["2020-01-19", "2020-04-26", "2020-05-09", "2020-06-28", "2020-09-27", "2020-10-10"],
        ),
        (
            2021,
            &[
                ("2021-01-01", 3),
                ("2021-02-11", 7),
                ("2021-04-03", 3),
                ("2021-05-01", 5),
                ("2021-06-12", 3),
                ("2021-09-19", 3),
                ("2021-10-01", 7),
            ],
            &["2021-02-07", "2021-02-20", "2021-04-25", "2021-05-08", "2021-09-18", "2021-09-26", "2021-10-09"],
        ),
        (
            2022,
            &[
                ("2022-01-01", 3),
                ("2022-01-31", 7),
                ("2022-04-03", 3),
                ("2022-04-30", 5),
                ("2022-06-03", 3),
                ("2022-09-10", 3),
                ("2022-10-01", 7),
            ],
            &["2022-01-29", "2022-01-30", "2022-04-02", "2022-04-24", "2022-05-07", "2022-10-08", "2022-10-09"],
        ),
        (
            2023,
            &[
                ("2022-12-31", 3),
                ("2023-01-21", 7),
                ("2023-04-05", 1),
                ("2023-04-29", 5),
                ("2023-06-22", 3),
                ("2023-09-29", 8),
            ],
            &["2023-01-28", "2023-01-29", "2023-04-23", "2023-05-06", "2023-06-25", "2023-10-07", "2023-10-08"],
        ),
        (
            2024,
            &[
                ("2024-01-01", 1),
                ("2024-02-10", 8),
                ("2024-04-04", 3),
                ("2024-05-01", 5),
                ("2024-06-10", 1),
                ("2024-09-15", 3),
                ("2024-10-01", 7),
            ],
            &[
                "2024-02-04",
                "2024-02-18",
                "2024-04-07",
                "2024-04-28",
                "2024-05-11",
                "2024-09-14",
                "2024-09-29",
                "2024-10-12",
            ],
        ),
        (
            2025,
            &[
                ("2025-01-01", 1),
                ("2025-01-28", 8),
                ("2025-04-04", 3),
                ("2025-05-01", 5),
                ("2025-05-31", 3),
                ("2025-10-01", 8),
            ],
            &["2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"],
        ),
        (
            2026,
            &[
                ("2026-01-01", 3),
                ("2026-02-15", 9),
                ("2026-04-04", 3),
                ("2026-05-01", 5),
                ("2026-06-19", 3),
                ("2026-09-25", 3),
                ("2026-10-01", 7),
            ],
            &["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"],
        ),
    ];
    let cal = Calendar::builtin();
    for (year, want_blocks, want_workdays) in expected {
        let data = &cal.years[&year];
        let want: Vec<(NaiveDate, usize)> = want_blocks.iter().map(|(d, n)| (date(d), *n)).collect();
        assert_eq!(blocks(&data.holidays), want, "{year} holiday blocks");
        let want: BTreeSet<NaiveDate> = want_workdays.iter().map(|d| date(d)).collect();
        assert_eq!(data.workdays, want, "{year} make-up working days");
    }
}

// ---------------------------------------------------------------------------------------------------------
// Serialization for --json and the config section.

#[test]
fn deadline_and_timeliness_serialize_for_json() {
    let cal = Calendar::builtin();
    let d = deadline(&cal, ym("2024-10"), &DeadlineRule::default()).unwrap();
    assert_eq!(
        serde_json::to_string(&d).unwrap(),
        r#"{"month":"2024-10","deadline":"2024-10-18","submit_by":"2024-10-16"}"#
    );
    let late = check_pay_date(&cal, &d, date("2024-10-21")).unwrap();
    assert_eq!(serde_json::to_string(&late).unwrap(), r#"{"status":"late","working_days_late":1}"#);
    let on_time = Timeliness::OnTime { spare_working_days: 2 };
    assert_eq!(serde_json::to_string(&on_time).unwrap(), r#"{"status":"on_time","spare_working_days":2}"#);
}

#[test]
fn deadline_rule_deserializes_with_defaults_and_refuses_unknown_keys() {
    let rule: DeadlineRule = toml::from_str("bank_lead_days = 3").unwrap();
    assert_eq!(rule, DeadlineRule { day: 20, inclusive: true, bank_lead_days: 3 });
    let rule: DeadlineRule = toml::from_str("").unwrap();
    assert_eq!(rule, DeadlineRule { day: 20, inclusive: true, bank_lead_days: 2 });
    let err = toml::from_str::<DeadlineRule>("bank_lead = 3").unwrap_err();
    assert!(err.to_string().contains("unknown field `bank_lead`"), "{err}");
}

#[test]
fn readme_example_is_a_valid_calendar_file() {
    let readme = include_str!("data/README.md");
    let start = readme.find("```toml\n").expect("README has a toml example") + "```toml\n".len();
    let end = start + readme[start..].find("```").unwrap();
    let cal = Calendar::builtin().with_user_toml(&readme[start..end], "README.md").unwrap();
    // The example makes Sun 2031-01-26 a working day and Wed 2031-01-22 a day off.
    assert!(cal.is_working_day(date("2031-01-26")).unwrap());
    assert!(!cal.is_working_day(date("2031-01-22")).unwrap());
}

// ---------------------------------------------------------------------------------------------------------
// The December notice about next year.

#[test]
fn next_year_is_missing_only_in_december_and_only_when_unknown() {
    let known = [2025, 2026];
    assert_eq!(missing_next_year(date("2026-11-30"), &known), None);
    assert_eq!(missing_next_year(date("2026-12-01"), &known), Some(2027));
    assert_eq!(missing_next_year(date("2026-12-31"), &known), Some(2027));
    assert_eq!(missing_next_year(date("2025-12-01"), &known), None);
    assert_eq!(missing_next_year(date("2027-01-02"), &known), None);
}
