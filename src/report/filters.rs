//! Number formatting for the 工作总结 statistics paragraphs, exactly as Chinese official reports write figures
//! ("6684.9万元", "1.3万余名", "3500多万元", "98.8%", "1-6月", "二是", "（三）"), as pure functions over `Decimal`,
//! and the thin tera filters over them (`register`).
//!
//! Money is never an `f64` here: a JSON number reaching a filter is converted exactly (integers directly,
//! other numbers through their decimal text). Rounding for display (万 with one decimal, percentages) is
//! 四舍五入, half away from zero, always with the strategy spelled out; amounts in 元 round through
//! `domain::money::round_fen`.

use crate::domain::YearMonth;
use crate::domain::money::parse_amount_text;
use crate::report::rmb::{self, LOWER};
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::HashMap;
use std::str::FromStr;
use tera::{Tera, Value};

/// 四舍五入 (half away from zero) to `decimals` places, always showing exactly that many places; never `-0`.
fn round_half_up_fixed(value: Decimal, decimals: u32) -> Decimal {
    let mut v = value.round_dp_with_strategy(decimals, RoundingStrategy::MidpointAwayFromZero);
    v.rescale(decimals);
    if v.is_zero() {
        v.set_sign_positive(true);
    }
    v
}

/// An amount in 万 with exactly `decimals` places, rounded 四舍五入 (half away from zero), followed by "万"
/// (the caller appends 元, 人 …).
///
/// Rule: `amount / 10000`, rounded half away from zero to `decimals` places, printed with all `decimals`
/// places (trailing zeros kept). 66849123.45 元 → "6684.9万"; 9999.95 with 1 decimal → "1.0万";
/// 0 → "0.0万"; 100000 with 0 decimals → "10万"; −12345 → "-1.2万". A value that rounds to zero prints
/// without a minus sign.
pub fn wan(amount: Decimal, decimals: u32) -> String {
    let v = round_half_up_fixed(amount / Decimal::from(10_000), decimals);
    format!("{v}万")
}

/// An approximate count or amount with 余 or 多, truncated (never rounded up) to `digits` significant digits.
///
/// Rule:
/// 1. Non-integer input: the integer part is taken first (truncation toward zero), and everything below
///    concerns that integer `n`. A negative `n` is written as `-` and the rule applied to `|n|`.
/// 2. `n` is truncated to `digits` significant digits (`digits` 0 counts as 1): 13047 with 2 → 13000;
///    35123456 with 2 → 35000000; 1634 with 2 → 1600. Numbers with no more digits than `digits` stay as they
///    are (9 with 2 → 9).
/// 3. Magnitude unit: a kept value ≥ 1亿 (10⁸) is written in 亿, else one ≥ 1万 (10⁴) in 万, else plainly;
///    the figure is written without trailing zeros (13000 → 1.3万, 35000000 → 3500万, 120000000 → 1.2亿).
/// 4. If truncation dropped nothing (the kept value equals `n`), there is no suffix: 13000 → "1.3万",
///    60 → "60", 0 → "0".
/// 5. Otherwise the suffix is placed as the seeds write it: without a unit, after the number ("1600余",
///    "60余"); with 万/亿, before the unit when the figure is a whole number ≥ 10 ("3500多万" → "3500多万元",
///    "2000余万元", "18余万元") and after the unit when the figure has a decimal point or is a single digit
///    ("1.3万余" → "1.3万余名", "2万余", "1.2亿余"), since 余/多 can only follow a round number.
pub fn approx(value: Decimal, digits: u32, suffix: &str) -> String {
    let integer = value.trunc();
    let negative = integer.is_sign_negative() && !integer.is_zero();
    let n = u128::try_from(integer.abs()).expect("a Decimal's integer part fits in u128");
    let digits = digits.max(1);

    let len = n.checked_ilog10().map_or(1, |l| l + 1);
    let kept = if len > digits {
        let p = 10u128.pow(len - digits);
        n / p * p
    } else {
        n
    };

    let (unit, unit_value) = if kept >= 100_000_000 {
        ("亿", 100_000_000u128)
    } else if kept >= 10_000 {
        ("万", 10_000)
    } else {
        ("", 1)
    };
    let figure = (Decimal::from(kept) / Decimal::from(unit_value)).normalize();

    let sign = if negative { "-" } else { "" };
    if kept == n {
        format!("{sign}{figure}{unit}")
    } else if unit.is_empty() {
        format!("{sign}{figure}{suffix}")
    } else if figure.fract().is_zero() && figure >= Decimal::TEN {
        format!("{sign}{figure}{suffix}{unit}")
    } else {
        format!("{sign}{figure}{unit}{suffix}")
    }
}

/// A ratio as a percentage with `decimals` places, rounded 四舍五入 (half away from zero), all places shown.
///
/// Rule: `ratio × 100`, rounded half away from zero to `decimals` places, then "%": pct(0.9876, 1) → "98.8%";
/// pct(1, 1) → "100.0%"; pct(0.00049, 1) → "0.0%"; pct(0.98765, 2) → "98.77%".
pub fn pct(ratio: Decimal, decimals: u32) -> String {
    let v = round_half_up_fixed(ratio * Decimal::ONE_HUNDRED, decimals);
    format!("{v}%")
}

/// `part / whole` as a percentage, by the rule of [`pct`]: pct_of(1976, 2000, 1) → "98.8%".
/// `None` when `whole` is 0 (or the ratio is too large for a `Decimal`): the caller shows the figure as
/// missing, never as 0%.
pub fn pct_of(part: Decimal, whole: Decimal, decimals: u32) -> Option<String> {
    if whole.is_zero() {
        return None;
    }
    part.checked_div(whole).map(|ratio| pct(ratio, decimals))
}

/// The months of a reporting period as official reports write them.
///
/// Rule: one month → "3月"; months of one year → "1-6月", "7-12月" (the year, "1-12月" vs "全年", is the
/// caller's choice); across years → "2023年11月-2024年2月". The hyphen is ASCII `-` as in the seeds
/// ("1-6月"). If `last` is before `first` the two are swapped: a range is the same set of months either way.
pub fn month_range(first: YearMonth, last: YearMonth) -> String {
    let (a, b) = if last < first { (last, first) } else { (first, last) };
    if a == b {
        format!("{}月", a.month())
    } else if a.year() == b.year() {
        format!("{}-{}月", a.month(), b.month())
    } else {
        format!("{}年{}月-{}年{}月", a.year(), a.month(), b.year(), b.month())
    }
}

/// A number in 小写 Chinese numerals, as headings and ordinals write it.
///
/// Rule: digits 零一二三四五六七八九, units 十百千万亿; a number starting at the tens place drops the 一
/// (10 → "十", 11 → "十一", 100000 → "十万") but inner tens keep it (110 → "一百一十"); inner zero runs are one
/// 零 (101 → "一百零一"); 20 → "二十", 21 → "二十一", 99 → "九十九"; 0 → "零".
pub fn cn_number(n: u32) -> String {
    rmb::integer(u128::from(n), &LOWER)
}

/// "二是": the ordinal used to list points inside a paragraph (一是…，二是…).
pub fn ordinal_shi(n: u32) -> String {
    format!("{}是", cn_number(n))
}

/// "（三）": a second-level heading, with full-width brackets.
pub fn heading_paren(n: u32) -> String {
    format!("（{}）", cn_number(n))
}

/// "一、": a first-level heading, with the enumeration comma 、.
pub fn heading_dun(n: u32) -> String {
    format!("{}、", cn_number(n))
}

/// The `yuan` filter's text: `domain::money::yuan_grouped` (money as text is written in one place).
pub fn yuan(amount: Decimal, separators: bool) -> String {
    crate::domain::money::yuan_grouped(amount, separators)
}

// ---------------------------------------------------------------------------------------------------------------
// tera filters
// ---------------------------------------------------------------------------------------------------------------

/// The most decimal places a filter accepts for `decimals`.
const MAX_DECIMALS: u32 = 10;
/// The most significant digits `approx` accepts.
const MAX_DIGITS: u32 = 10;

/// Register the report filters on `tera`:
/// - `wan(decimals=1)`: `{{ total | wan }}元` → "6684.9万元";
/// - `approx(digits=2, suffix="余")`: `{{ persons | approx }}名` → "1.3万余名";
/// - `pct(decimals=1)`: a ratio → "98.8%";
/// - `yuan(sep=true)`: "1,234,567.50";
/// - `rmb`: 人民币大写;
/// - `cn(style="num")`: "num" → "二", "shi" → "二是", "paren" → "（二）", "dun" → "二、".
///
/// Values may be JSON numbers or strings holding a decimal ("6684912345.45"; also "1,234.50" or "￥600").
/// Anything else, an unknown argument or a bad argument value is a render error naming the filter and value.
pub fn register(tera: &mut Tera) {
    tera.register_filter("wan", wan_filter);
    tera.register_filter("approx", approx_filter);
    tera.register_filter("pct", pct_filter);
    tera.register_filter("yuan", yuan_filter);
    tera.register_filter("rmb", rmb_filter);
    tera.register_filter("cn", cn_filter);
}

fn wan_filter(value: &Value, args: &HashMap<String, Value>) -> tera::Result<Value> {
    check_args("wan", args, &["decimals"])?;
    let amount = decimal_value("wan", value)?;
    let decimals = int_arg("wan", args, "decimals", 1, 0, MAX_DECIMALS)?;
    Ok(Value::String(wan(amount, decimals)))
}

fn approx_filter(value: &Value, args: &HashMap<String, Value>) -> tera::Result<Value> {
    check_args("approx", args, &["digits", "suffix"])?;
    let v = decimal_value("approx", value)?;
    let digits = int_arg("approx", args, "digits", 2, 1, MAX_DIGITS)?;
    let suffix = match args.get("suffix") {
        None => "余",
        Some(Value::String(s)) => s.as_str(),
        Some(other) => {
            return Err(tera::Error::msg(format!(
                "过滤器 approx 的参数 suffix 应为文字（如 \"余\" 或 \"多\"），收到 {other}"
            )));
        }
    };
    Ok(Value::String(approx(v, digits, suffix)))
}

fn pct_filter(value: &Value, args: &HashMap<String, Value>) -> tera::Result<Value> {
    check_args("pct", args, &["decimals"])?;
    let ratio = decimal_value("pct", value)?;
    let decimals = int_arg("pct", args, "decimals", 1, 0, MAX_DECIMALS)?;
    Ok(Value::String(pct(ratio, decimals)))
}

fn yuan_filter(value: &Value, args: &HashMap<String, Value>) -> tera::Result<Value> {
    check_args("yuan", args, &["sep"])?;
    let amount = decimal_value("yuan", value)?;
    let sep = match args.get("sep") {
        None => true,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(tera::Error::msg(format!("过滤器 yuan 的参数 sep 应为 true 或 false，收到 {other}")));
        }
    };
    Ok(Value::String(yuan(amount, sep)))
}

fn rmb_filter(value: &Value, args: &HashMap<String, Value>) -> tera::Result<Value> {
    check_args("rmb", args, &[])?;
    let amount = decimal_value("rmb", value)?;
    Ok(Value::String(rmb::rmb_upper(amount)))
}

fn cn_filter(value: &Value, args: &HashMap<String, Value>) -> tera::Result<Value> {
    check_args("cn", args, &["style"])?;
    let n = decimal_value("cn", value)?;
    let n = u32::try_from(n).ok().filter(|_| n.fract().is_zero()).ok_or_else(|| {
        tera::Error::msg(format!("过滤器 cn 收到的值 {value} 不是非负整数：序号应为 0、1、2 这样的整数"))
    })?;
    let style = match args.get("style") {
        None => "num",
        Some(Value::String(s)) => s.as_str(),
        Some(other) => return Err(bad_style(other)),
    };
    let text = match style {
        "num" => cn_number(n),
        "shi" => ordinal_shi(n),
        "paren" => heading_paren(n),
        "dun" => heading_dun(n),
        _ => return Err(bad_style(&args["style"])),
    };
    Ok(Value::String(text))
}

fn bad_style(got: &Value) -> tera::Error {
    tera::Error::msg(format!("过滤器 cn 的参数 style 应为 \"num\"、\"shi\"、\"paren\" 或 \"dun\"，收到 {got}"))
}

/// Refuse arguments the filter does not know (a typo such as `wan(decimal=2)` must not pass silently).
fn check_args(filter: &str, args: &HashMap<String, Value>, known: &[&str]) -> tera::Result<()> {
    let mut unknown: Vec<&String> = args.keys().filter(|k| !known.contains(&k.as_str())).collect();
    unknown.sort();
    match unknown.first() {
        None => Ok(()),
        Some(name) if known.is_empty() => {
            Err(tera::Error::msg(format!("过滤器 {filter} 没有参数 {name}；它不接受任何参数")))
        }
        Some(name) => {
            Err(tera::Error::msg(format!("过滤器 {filter} 没有参数 {name}；可用的参数：{}", known.join("、"))))
        }
    }
}

/// An integer argument in `min..=max`, `default` when absent.
fn int_arg(
    filter: &str,
    args: &HashMap<String, Value>,
    name: &str,
    default: u32,
    min: u32,
    max: u32,
) -> tera::Result<u32> {
    let Some(v) = args.get(name) else {
        return Ok(default);
    };
    v.as_u64().and_then(|n| u32::try_from(n).ok()).filter(|n| (min..=max).contains(n)).ok_or_else(|| {
        tera::Error::msg(format!("过滤器 {filter} 的参数 {name} 应为 {min} 到 {max} 之间的整数，收到 {v}"))
    })
}

/// The decimal a filter's input holds: a JSON integer exactly, another JSON number through its shortest
/// decimal text (never f64 arithmetic), or a string holding an amount (`domain::money::parse_amount_text`).
fn decimal_value(filter: &str, value: &Value) -> tera::Result<Decimal> {
    let parsed = match value {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Some(Decimal::from(i))
            } else if let Some(u) = n.as_u64() {
                Some(Decimal::from(u))
            } else {
                let text = n.to_string();
                Decimal::from_str(&text).or_else(|_| Decimal::from_scientific(&text)).ok()
            }
        }
        Value::String(s) => parse_amount_text(s),
        _ => None,
    };
    parsed.ok_or_else(|| {
        tera::Error::msg(format!(
            "过滤器 {filter} 收到的值 {value} 不是数字：请给出数字，或写着数字的文字（如 \"6684912345.45\"）"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn ym(s: &str) -> YearMonth {
        s.parse().unwrap()
    }

    #[test]
    fn wan_table() {
        let cases: &[(Decimal, u32, &str)] = &[
            (dec!(66849123.45), 1, "6684.9万"), // 6684.912345 → 6684.9
            (dec!(66849000), 1, "6684.9万"),    // exact
            (dec!(66850000), 1, "6685.0万"),    // trailing zero kept
            (dec!(66845000), 1, "6684.5万"),    // 6684.5 exactly
            (dec!(66844999.99), 1, "6684.5万"), // 6684.4999999 → 6684.5
            (dec!(66844500), 2, "6684.45万"),   // 2 places
            (dec!(9999.95), 1, "1.0万"),        // 0.999995 → 1.0
            (dec!(9949.99), 1, "1.0万"),        // 0.994999 → 1.0 (second place 9)
            (dec!(9500), 1, "1.0万"),           // 0.95 → 1.0 (half away from zero)
            (dec!(9499.99), 1, "0.9万"),        // 0.949999 → 0.9
            (dec!(10000), 1, "1.0万"),
            (dec!(0), 1, "0.0万"),
            (dec!(100000), 0, "10万"),
            (dec!(105000), 0, "11万"),    // 10.5 → 11, not banker's 10
            (dec!(140600), 2, "14.06万"), // seed: 慰问金 14.06万元
            (dec!(-12345), 1, "-1.2万"),
            (dec!(-400), 1, "0.0万"), // −0.04 → 0.0, no minus sign
        ];
        for (amount, decimals, expected) in cases {
            assert_eq!(wan(*amount, *decimals), *expected, "wan({amount}, {decimals})");
        }
    }

    #[test]
    fn approx_table() {
        let cases: &[(Decimal, u32, &str, &str)] = &[
            (dec!(13047), 2, "余", "1.3万余"), // 13047 → 13000 = 1.3万, dropped 47
            (dec!(13000), 2, "余", "1.3万"),   // exact: no 余
            (dec!(13999), 2, "余", "1.3万余"), // truncates, never 1.4万
            (dec!(1634), 2, "余", "1600余"),
            (dec!(1600), 2, "余", "1600"),
            (dec!(35123456), 2, "多", "3500多万"), // figure 3500 ≥ 10: 多 before 万
            (dec!(35123456), 2, "余", "3500余万"),
            (dec!(20456789), 2, "余", "2000余万"), // seed: 2000余万元
            (dec!(183456.78), 2, "余", "18余万"),  // seed: 18余万元
            (dec!(35000000), 2, "多", "3500万"),   // exact
            (dec!(23456), 1, "余", "2万余"),       // single-digit figure: 余 after 万
            (dec!(123456789), 2, "余", "1.2亿余"),
            (dec!(1234567890), 2, "余", "12余亿"),
            (dec!(100000000), 2, "余", "1亿"),
            (dec!(10999), 2, "余", "1万余"), // 10000 → 1万 (no "1.0")
            (dec!(63), 1, "余", "60余"),
            (dec!(60), 1, "余", "60"),
            (dec!(9), 2, "余", "9"),
            (dec!(0), 2, "余", "0"),
            (dec!(6232), 4, "余", "6232"), // exact at 4 digits
            (dec!(6232), 3, "余", "6230余"),
            (dec!(7.9), 2, "余", "7"), // integer part first
            (dec!(1634.99), 2, "余", "1600余"),
            (dec!(63), 0, "余", "60余"), // digits 0 counts as 1
            (dec!(-1634), 2, "余", "-1600余"),
        ];
        for (value, digits, suffix, expected) in cases {
            assert_eq!(approx(*value, *digits, suffix), *expected, "approx({value}, {digits}, {suffix})");
        }
    }

    #[test]
    fn pct_table() {
        let cases: &[(Decimal, u32, &str)] = &[
            (dec!(0.9876), 1, "98.8%"),
            (dec!(0.98765), 2, "98.77%"), // 98.765 → 98.77 (banker's would give 98.76)
            (dec!(0.98745), 2, "98.75%"), // 98.745 → 98.75, banker's would give 98.74
            (dec!(1), 1, "100.0%"),
            (dec!(0), 1, "0.0%"),
            (dec!(0.00049), 1, "0.0%"),
            (dec!(0.0005), 1, "0.1%"), // 0.05 → 0.1
            (dec!(0.5), 0, "50%"),
            (dec!(1.25), 1, "125.0%"),
        ];
        for (ratio, decimals, expected) in cases {
            assert_eq!(pct(*ratio, *decimals), *expected, "pct({ratio}, {decimals})");
        }
    }

    #[test]
    fn pct_of_table() {
        assert_eq!(pct_of(dec!(1976), dec!(2000), 1).as_deref(), Some("98.8%")); // 0.988
        assert_eq!(pct_of(dec!(1), dec!(3), 1).as_deref(), Some("33.3%")); // 33.333…
        assert_eq!(pct_of(dec!(2), dec!(3), 1).as_deref(), Some("66.7%")); // 66.666…
        assert_eq!(pct_of(dec!(0), dec!(5), 1).as_deref(), Some("0.0%"));
        assert_eq!(pct_of(dec!(5), dec!(0), 1), None); // missing, never 0%
        assert_eq!(pct_of(dec!(0), dec!(0), 1), None);
    }

    #[test]
    fn month_ranges() {
        assert_eq!(month_range(ym("2024-01"), ym("2024-06")), "1-6月");
        assert_eq!(month_range(ym("2024-07"), ym("2024-12")), "7-12月");
        assert_eq!(month_range(ym("2024-01"), ym("2024-12")), "1-12月");
        assert_eq!(month_range(ym("2024-03"), ym("2024-03")), "3月");
        assert_eq!(month_range(ym("2023-11"), ym("2024-02")), "2023年11月-2024年2月");
        assert_eq!(month_range(ym("2024-06"), ym("2024-01")), "1-6月"); // swapped
    }

    #[test]
    fn chinese_ordinals() {
        let nums: &[(u32, &str)] = &[
            (0, "零"),
            (1, "一"),
            (2, "二"),
            (10, "十"),
            (11, "十一"),
            (19, "十九"),
            (20, "二十"),
            (21, "二十一"),
            (99, "九十九"),
            (100, "一百"),
            (105, "一百零五"),
            (110, "一百一十"),
        ];
        for (n, expected) in nums {
            assert_eq!(cn_number(*n), *expected, "cn_number({n})");
        }
        assert_eq!(ordinal_shi(2), "二是");
        assert_eq!(ordinal_shi(10), "十是");
        assert_eq!(heading_paren(3), "（三）");
        assert_eq!(heading_paren(12), "（十二）");
        assert_eq!(heading_dun(1), "一、");
        assert_eq!(heading_dun(20), "二十、");
    }

    #[test]
    fn yuan_table() {
        let cases: &[(Decimal, bool, &str)] = &[
            (dec!(1234567.5), true, "1,234,567.50"),
            (dec!(1234567.5), false, "1234567.50"),
            (dec!(0), true, "0.00"),
            (dec!(5), true, "5.00"),
            (dec!(999.999), true, "1,000.00"), // rounds to 1000.00 first
            (dec!(123), true, "123.00"),
            (dec!(1234), true, "1,234.00"),
            (dec!(123456), true, "123,456.00"),
            (dec!(0.125), true, "0.13"), // half away from zero, not 0.12
            (dec!(8889.1666), false, "8889.17"),
            (dec!(-1234.5), true, "-1,234.50"),
            (dec!(-0.004), true, "0.00"),
            (dec!(999999999999.99), true, "999,999,999,999.99"),
        ];
        for (amount, sep, expected) in cases {
            assert_eq!(yuan(*amount, *sep), *expected, "yuan({amount}, {sep})");
        }
    }

    // --- tera wrappers ---

    fn render(template: &str, context: &tera::Context) -> Result<String, String> {
        let mut tera = Tera::default();
        register(&mut tera);
        tera.render_str(template, context).map_err(|e| {
            // The filter's own message is the innermost error of the chain.
            let mut inner: &dyn std::error::Error = &e;
            while let Some(source) = inner.source() {
                inner = source;
            }
            inner.to_string()
        })
    }

    fn ctx(json: serde_json::Value) -> tera::Context {
        tera::Context::from_value(json).unwrap()
    }

    #[test]
    fn wan_filter_renders() {
        let c = ctx(serde_json::json!({"s": "66849123.45", "i": 66849000, "f": 9999.95}));
        assert_eq!(render("{{ s | wan }}元", &c).unwrap(), "6684.9万元");
        assert_eq!(render("{{ i | wan(decimals=2) }}", &c).unwrap(), "6684.90万");
        // 9999.95 arrives as the JSON float 9999.95; its text "9999.95" is parsed, → 0.999995万 → 1.0万
        assert_eq!(render("{{ f | wan }}", &c).unwrap(), "1.0万");
        assert_eq!(render("{{ i | wan(decimals=0) }}", &c).unwrap(), "6685万");
    }

    #[test]
    fn approx_filter_renders() {
        let c = ctx(serde_json::json!({"persons": 13047, "money": "35123456.78", "n": 63}));
        assert_eq!(render("{{ persons | approx }}名", &c).unwrap(), "1.3万余名");
        assert_eq!(render(r#"{{ money | approx(suffix="多") }}元"#, &c).unwrap(), "3500多万元");
        assert_eq!(render("{{ n | approx(digits=1) }}场次", &c).unwrap(), "60余场次");
    }

    #[test]
    fn pct_yuan_rmb_filters_render() {
        let c = ctx(serde_json::json!({"r": 0.9876, "a": "1234567.5", "b": 107000.53, "z": 0}));
        assert_eq!(render("{{ r | pct }}", &c).unwrap(), "98.8%");
        assert_eq!(render("{{ r | pct(decimals=2) }}", &c).unwrap(), "98.76%");
        assert_eq!(render("{{ a | yuan }}", &c).unwrap(), "1,234,567.50");
        assert_eq!(render("{{ a | yuan(sep=false) }}", &c).unwrap(), "1234567.50");
        // 107000.53 as a JSON float: its text "107000.53" is exact
        assert_eq!(render("{{ b | rmb }}", &c).unwrap(), "壹拾万柒仟元零伍角叁分");
        assert_eq!(render("{{ z | rmb }}", &c).unwrap(), "零元整");
    }

    #[test]
    fn cn_filter_renders() {
        let c = ctx(serde_json::json!({"n": 2, "s": "3", "big": 21}));
        assert_eq!(render("{{ n | cn }}", &c).unwrap(), "二");
        assert_eq!(render(r#"{{ n | cn(style="shi") }}"#, &c).unwrap(), "二是");
        assert_eq!(render(r#"{{ s | cn(style="paren") }}"#, &c).unwrap(), "（三）");
        assert_eq!(render(r#"{{ big | cn(style="dun") }}"#, &c).unwrap(), "二十一、");
        assert_eq!(render(r#"{{ big | cn(style="num") }}"#, &c).unwrap(), "二十一");
    }

    #[test]
    fn json_numbers_are_exact() {
        // A u64 beyond i64 and a float whose f64 value is not exactly its text.
        let c = ctx(serde_json::json!({"u": 18446744073709551615u64, "f": 0.1}));
        assert_eq!(render("{{ u | yuan }}", &c).unwrap(), "18,446,744,073,709,551,615.00");
        assert_eq!(render("{{ f | yuan }}", &c).unwrap(), "0.10");
        assert_eq!(decimal_value("wan", &serde_json::json!(1e-7)).unwrap(), dec!(0.0000001));
        assert_eq!(decimal_value("wan", &serde_json::json!(1.5e20)).unwrap(), dec!(150000000000000000000));
        assert_eq!(decimal_value("wan", &serde_json::json!("￥1,234.50")).unwrap(), dec!(1234.50));
    }

    #[test]
    fn filter_errors_name_the_filter_and_value() {
        let c = ctx(serde_json::json!({"x": "X", "none": null, "list": [1], "half": 1.5, "neg": -1, "n": 2}));
        assert_eq!(
            render("{{ x | wan }}", &c).unwrap_err(),
            "过滤器 wan 收到的值 \"X\" 不是数字：请给出数字，或写着数字的文字（如 \"6684912345.45\"）"
        );
        assert_eq!(
            render("{{ none | rmb }}", &c).unwrap_err(),
            "过滤器 rmb 收到的值 null 不是数字：请给出数字，或写着数字的文字（如 \"6684912345.45\"）"
        );
        assert_eq!(
            render("{{ list | approx }}", &c).unwrap_err(),
            "过滤器 approx 收到的值 [1] 不是数字：请给出数字，或写着数字的文字（如 \"6684912345.45\"）"
        );
        assert_eq!(
            render("{{ x | pct }}", &c).unwrap_err(),
            "过滤器 pct 收到的值 \"X\" 不是数字：请给出数字，或写着数字的文字（如 \"6684912345.45\"）"
        );
        assert_eq!(
            render("{{ x | yuan }}", &c).unwrap_err(),
            "过滤器 yuan 收到的值 \"X\" 不是数字：请给出数字，或写着数字的文字（如 \"6684912345.45\"）"
        );
        assert_eq!(
            render("{{ x | cn }}", &c).unwrap_err(),
            "过滤器 cn 收到的值 \"X\" 不是数字：请给出数字，或写着数字的文字（如 \"6684912345.45\"）"
        );
        assert_eq!(
            render("{{ half | cn }}", &c).unwrap_err(),
            "过滤器 cn 收到的值 1.5 不是非负整数：序号应为 0、1、2 这样的整数"
        );
        assert_eq!(
            render("{{ neg | cn }}", &c).unwrap_err(),
            "过滤器 cn 收到的值 -1 不是非负整数：序号应为 0、1、2 这样的整数"
        );
    }

    #[test]
    fn filter_argument_errors() {
        let c = ctx(serde_json::json!({"n": 2}));
        assert_eq!(
            render("{{ n | wan(decimal=2) }}", &c).unwrap_err(),
            "过滤器 wan 没有参数 decimal；可用的参数：decimals"
        );
        assert_eq!(
            render("{{ n | approx(digit=2) }}", &c).unwrap_err(),
            "过滤器 approx 没有参数 digit；可用的参数：digits、suffix"
        );
        assert_eq!(render("{{ n | rmb(sep=true) }}", &c).unwrap_err(), "过滤器 rmb 没有参数 sep；它不接受任何参数");
        assert_eq!(
            render("{{ n | wan(decimals=11) }}", &c).unwrap_err(),
            "过滤器 wan 的参数 decimals 应为 0 到 10 之间的整数，收到 11"
        );
        assert_eq!(
            render(r#"{{ n | pct(decimals="1") }}"#, &c).unwrap_err(),
            "过滤器 pct 的参数 decimals 应为 0 到 10 之间的整数，收到 \"1\""
        );
        assert_eq!(
            render("{{ n | approx(digits=0) }}", &c).unwrap_err(),
            "过滤器 approx 的参数 digits 应为 1 到 10 之间的整数，收到 0"
        );
        assert_eq!(
            render("{{ n | approx(suffix=1) }}", &c).unwrap_err(),
            "过滤器 approx 的参数 suffix 应为文字（如 \"余\" 或 \"多\"），收到 1"
        );
        assert_eq!(
            render(r#"{{ n | yuan(sep="no") }}"#, &c).unwrap_err(),
            "过滤器 yuan 的参数 sep 应为 true 或 false，收到 \"no\""
        );
        assert_eq!(
            render(r#"{{ n | cn(style="roman") }}"#, &c).unwrap_err(),
            "过滤器 cn 的参数 style 应为 \"num\"、\"shi\"、\"paren\" 或 \"dun\"，收到 \"roman\""
        );
        assert_eq!(
            render("{{ n | cn(style=1) }}", &c).unwrap_err(),
            "过滤器 cn 的参数 style 应为 \"num\"、\"shi\"、\"paren\" 或 \"dun\"，收到 1"
        );
    }
}
