//! Money (rule 1 of docs/domain.md): `Decimal` 元 in memory, integer 分 at rest. Rounding is always explicit (四舍五入 = half away from zero
//! by default); never `round_dp`, which is banker's rounding. A float from a spreadsheet cell enters here once.
//!
//! Money as text is written here too, in one of two forms, one per kind of output:
//! - files and JSON (CSV, the bank file, manifest.json, `--json`): `format_yuan`, plain, "541800.61", what a
//!   spreadsheet or a script reads back as a number;
//! - text for people (every message and table on the terminal, and report drafts): `yuan_text`, with thousands
//!   separators, "541,800.61".
//!
//! Both round to 分 四舍五入. `output::text::push_yuan` (the hot path of the large CSV files) writes
//! `format_yuan`'s text without allocating and is tested against it; the report's `yuan` filter is `yuan_grouped`.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// How an amount is rounded to 分.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum RoundingMode {
    /// 四舍五入: 0.005 → 0.01, -0.005 → -0.01.
    #[default]
    HalfUp,
    /// 银行家舍入 (half to even), only if a locality asks for it.
    HalfEven,
    /// 舍去 (toward zero).
    Down,
}

impl RoundingMode {
    fn strategy(self) -> RoundingStrategy {
        match self {
            RoundingMode::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            RoundingMode::HalfEven => RoundingStrategy::MidpointNearestEven,
            RoundingMode::Down => RoundingStrategy::ToZero,
        }
    }
}

/// Round to 分 with the given mode.
pub fn round_fen(amount: Decimal, mode: RoundingMode) -> Decimal {
    let mut r = amount.round_dp_with_strategy(2, mode.strategy());
    r.rescale(2);
    r
}

/// Integer 分 of an amount that is already whole 分. Returns `None` if it has a fraction of a 分 or overflows.
pub fn to_fen(amount: Decimal) -> Option<i64> {
    let scaled = amount.checked_mul(Decimal::ONE_HUNDRED)?;
    if scaled.fract() != Decimal::ZERO {
        return None;
    }
    i64::try_from(scaled.trunc()).ok()
}

/// 元 from integer 分, with two decimal places.
pub fn from_fen(fen: i64) -> Decimal {
    Decimal::new(fen, 2)
}

/// Convert a float read from a spreadsheet cell into a Decimal, exactly as the cell displays it.
///
/// Excel stores numbers as IEEE doubles and shows them with at most 15 significant digits: the cell "8889.17"
/// arrives as 8889.170000000000072759576…, and a formula `=0.1+0.2` shows 0.3. We format the double with 15
/// significant digits (what Excel shows) and parse that text as a Decimal. Non-finite values are refused.
pub fn decimal_from_cell_f64(value: f64) -> Option<Decimal> {
    if !value.is_finite() {
        return None;
    }
    // A whole number below 10^15 has at most 15 digits: the double holds it exactly, and formatting it with
    // 15 significant digits (Dragon4, slow: a .xlsx roster has millions of such cells) gives it back unchanged.
    // -0.0 takes the general path, which keeps its sign.
    if value.fract() == 0.0 && value.abs() < 1e15 && value != 0.0 {
        return Some(Decimal::from(value as i64));
    }
    let text = format!("{value:.14e}");
    Decimal::from_scientific(&text).ok().map(|d| d.normalize())
}

/// Parse an amount typed as text: `1,234.50`, `1234.5`, `￥1234`, `1234元`. Full-width digits must already be
/// normalised. Returns `None` for anything else (so the caller can name the cell).
pub fn parse_amount_text(text: &str) -> Option<Decimal> {
    let t: String = text
        .trim()
        .trim_start_matches(['¥', '￥'])
        .trim_end_matches('元')
        .chars()
        .filter(|c| *c != ',' && *c != '，' && !c.is_whitespace())
        .collect();
    if t.is_empty() || !t.chars().all(|c| c.is_ascii_digit() || c == '.' || c == '-') {
        return None;
    }
    Decimal::from_str(&t).ok()
}

/// For files and JSON: `8889.17` → `"8889.17"`, always two decimals, no separators.
pub fn format_yuan(amount: Decimal) -> String {
    yuan_grouped(amount, false)
}

/// For people: `541800.61` → `"541,800.61"`.
pub fn yuan_text(amount: Decimal) -> String {
    yuan_grouped(amount, true)
}

/// An amount in 元 with exactly 2 decimals, rounded 四舍五入 to 分 (`round_fen(_, HalfUp)`), with or without
/// thousands separators.
///
/// Rule: round to 分; with `separators`, a comma every three digits of the integer part: 1234567.5 →
/// "1,234,567.50"; 999.999 → "1,000.00"; −1234.5 → "-1,234.50"; without: "1234567.50". Zero is "0.00"
/// (never "-0.00").
pub fn yuan_grouped(amount: Decimal, separators: bool) -> String {
    let rounded = round_fen(amount, RoundingMode::HalfUp);
    let text = format!("{:.2}", rounded.abs());
    let (int_part, frac_part) = text.split_once('.').unwrap_or((&text, "00"));
    let sign = if rounded.is_sign_negative() && !rounded.is_zero() { "-" } else { "" };
    if !separators {
        return format!("{sign}{int_part}.{frac_part}");
    }
    let mut grouped = String::new();
    for (i, c) in int_part.chars().enumerate() {
        if i > 0 && (int_part.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}.{frac_part}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn half_up_is_away_from_zero_not_bankers() {
        // 0.125 → 0.13 (banker's would give 0.12)
        assert_eq!(round_fen(dec!(0.125), RoundingMode::HalfUp), dec!(0.13));
        assert_eq!(round_fen(dec!(-0.125), RoundingMode::HalfUp), dec!(-0.13));
        assert_eq!(round_fen(dec!(0.125), RoundingMode::HalfEven), dec!(0.12));
        assert_eq!(round_fen(dec!(0.129), RoundingMode::Down), dec!(0.12));
        // 106670 / 12 = 8889.1666… → 8889.17
        assert_eq!(round_fen(dec!(106670) / dec!(12), RoundingMode::HalfUp), dec!(8889.17));
        assert_eq!(round_fen(dec!(5), RoundingMode::HalfUp).to_string(), "5.00");
    }

    #[test]
    fn fen_round_trip() {
        assert_eq!(to_fen(dec!(8889.17)), Some(888917));
        assert_eq!(to_fen(dec!(-0.01)), Some(-1));
        assert_eq!(to_fen(dec!(0.001)), None);
        assert_eq!(from_fen(888917), dec!(8889.17));
        assert_eq!(from_fen(888917).to_string(), "8889.17");
    }

    #[test]
    fn cell_floats_convert_to_the_typed_decimal() {
        assert_eq!(decimal_from_cell_f64(8889.17), Some(dec!(8889.17)));
        // Whole numbers take a shortcut; it must agree with the general path (15 significant digits).
        let general = |v: f64| Decimal::from_scientific(&format!("{v:.14e}")).ok().map(|d| d.normalize());
        for v in
            [1.0, -1.0, 4.0, 1e14, 999_999_999_999_999.0, -999_999_999_999_999.0, 1e15, 1e15 + 2.0, 2e16, -0.0, 0.0]
        {
            let got = decimal_from_cell_f64(v);
            assert_eq!(got, general(v), "{v}");
            assert_eq!(got.map(|d| d.to_string()), general(v).map(|d| d.to_string()), "{v}");
        }
        assert_eq!(decimal_from_cell_f64(110_101_199_003.0).unwrap().to_string(), "110101199003");
        assert_eq!(decimal_from_cell_f64(0.1 + 0.2), Some(dec!(0.3)));
        assert_eq!(decimal_from_cell_f64(-3.5), Some(dec!(-3.5)));
        assert_eq!(decimal_from_cell_f64(106670.0), Some(dec!(106670)));
        assert_eq!(decimal_from_cell_f64(40.0), Some(dec!(40)));
        assert_eq!(decimal_from_cell_f64(1e-7), Some(dec!(0.0000001)));
        assert_eq!(decimal_from_cell_f64(f64::NAN), None);
        assert_eq!(decimal_from_cell_f64(f64::INFINITY), None);
    }

    #[test]
    fn amount_text() {
        assert_eq!(parse_amount_text("1,234.50"), Some(dec!(1234.50)));
        assert_eq!(parse_amount_text(" ￥106670 "), Some(dec!(106670)));
        assert_eq!(parse_amount_text("600元"), Some(dec!(600)));
        assert_eq!(parse_amount_text("六百"), None);
        assert_eq!(parse_amount_text("12a"), None);
        assert_eq!(parse_amount_text(""), None);
    }

    #[test]
    fn format_two_places() {
        assert_eq!(format_yuan(dec!(280)), "280.00");
        assert_eq!(format_yuan(dec!(8889.1)), "8889.10");
        assert_eq!(format_yuan(dec!(541800.61)), "541800.61");
        assert_eq!(format_yuan(dec!(-0.001)), "0.00");
        assert_eq!(format_yuan(dec!(0.005)), "0.01"); // 四舍五入, not banker's
    }

    #[test]
    fn text_for_people_has_separators() {
        assert_eq!(yuan_text(dec!(541800.61)), "541,800.61");
        assert_eq!(yuan_text(dec!(1234567.5)), "1,234,567.50");
        assert_eq!(yuan_text(dec!(999.999)), "1,000.00");
        assert_eq!(yuan_text(dec!(-1234.5)), "-1,234.50");
        assert_eq!(yuan_text(dec!(100)), "100.00");
    }
}
