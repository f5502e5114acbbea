//! The monthly amount of one standard for one recipient (rule 3 of docs/domain.md): unit conversion, then
//! rounding to 分.
//!
//! 元/年 → 金额 ÷ 12; 元/月 → 金额; the per-service-year units multiply by 服役年限 first. The exact quotient is
//! kept (28 significant digits) until the one rounding step, so a desk calculator gives the same 分.

use crate::domain::money::{RoundingMode, round_fen};
use crate::domain::{Standard, Unit};
use rust_decimal::Decimal;
use serde::Serialize;

/// How a month's amount was worked out, step by step (for `explain` and the audit trail).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Calculation {
    /// 金额 of the standard row.
    pub rate: Decimal,
    pub unit: Unit,
    /// 服役年限, when the unit is per service year.
    pub service_years: Option<Decimal>,
    /// Before rounding.
    pub exact: Decimal,
    /// Rounded to 分.
    pub rounded: Decimal,
}

impl Calculation {
    /// `106670 ÷ 12 = 8889.1666… → 8889.17`
    pub fn formula(&self) -> String {
        let base = match self.service_years {
            Some(y) => format!("{} × {}", self.rate.normalize(), y.normalize()),
            None => self.rate.normalize().to_string(),
        };
        let exact = short(self.exact);
        if self.unit.per_year() {
            format!("{base} ÷ 12 = {exact} → {}", self.rounded)
        } else if self.service_years.is_some() {
            format!("{base} = {exact} → {}", self.rounded)
        } else {
            format!("{base} → {}", self.rounded)
        }
    }
}

/// At most 6 decimals, with "…" when cut.
fn short(d: Decimal) -> String {
    let n = d.normalize();
    if n.scale() <= 6 { n.to_string() } else { format!("{}…", n.trunc_with_scale(6)) }
}

/// The exact (unrounded) monthly amount; `None` when the unit needs 服役年限 and there is none.
pub fn exact_monthly(std: &Standard, service_years: Option<Decimal>) -> Option<Decimal> {
    let base = if std.unit.per_service_year() { std.amount * service_years? } else { std.amount };
    Some(if std.unit.per_year() { base / Decimal::from(12) } else { base })
}

/// The month's amount with its working, rounded with `mode`.
pub fn monthly(std: &Standard, service_years: Option<Decimal>, mode: RoundingMode) -> Option<Calculation> {
    let exact = exact_monthly(std, service_years)?;
    Some(Calculation {
        rate: std.amount,
        unit: std.unit,
        service_years: if std.unit.per_service_year() { service_years } else { None },
        exact,
        rounded: round_fen(exact, mode),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compute::standards::tests::std_row;
    use rust_decimal_macros::dec;

    #[test]
    fn per_year_divides_by_twelve_and_rounds_half_up() {
        // 106670 / 12 = 8889.1666… → 8889.17
        let s = std_row(2, "残疾抚恤金", &[], "106670", Unit::PerYear, "2022-08-01", None);
        let c = monthly(&s, None, RoundingMode::HalfUp).unwrap();
        assert_eq!(c.rounded, dec!(8889.17));
        assert_eq!(c.formula(), "106670 ÷ 12 = 8889.166666… → 8889.17");
        // 27980 / 12 = 2331.6666… → 2331.67
        let s = std_row(3, "定期抚恤金", &[], "27980", Unit::PerYear, "2022-08-01", None);
        assert_eq!(monthly(&s, None, RoundingMode::HalfUp).unwrap().rounded, dec!(2331.67));
        // 11860 / 12 = 988.3333… → 988.33
        let s = std_row(4, "残疾抚恤金", &[], "11860", Unit::PerYear, "2022-08-01", None);
        assert_eq!(monthly(&s, None, RoundingMode::HalfUp).unwrap().rounded, dec!(988.33));
        // 54230 / 12 = 4519.1666… ; a half: 30 / 12 = 2.5 exactly → 2.50; 0.06/12 = 0.005 → 0.01 (half up), 0.00 (half even)
        let s = std_row(5, "x", &[], "0.06", Unit::PerYear, "2022-08-01", None);
        assert_eq!(monthly(&s, None, RoundingMode::HalfUp).unwrap().rounded, dec!(0.01));
        assert_eq!(monthly(&s, None, RoundingMode::HalfEven).unwrap().rounded, dec!(0.00));
    }

    #[test]
    fn per_month_is_the_amount() {
        // 600 元/月 → 600.00
        let s = std_row(2, "定期生活补助", &[], "600", Unit::PerMonth, "2022-08-01", None);
        let c = monthly(&s, None, RoundingMode::HalfUp).unwrap();
        assert_eq!(c.rounded.to_string(), "600.00");
        assert_eq!(c.formula(), "600 → 600.00");
    }

    #[test]
    fn per_service_year_multiplies_first() {
        // 40 元/月·服役年 × 7 年 = 280.00
        let s = std_row(2, "定期生活补助", &[], "40", Unit::PerMonthPerServiceYear, "2022-08-01", None);
        let c = monthly(&s, Some(dec!(7)), RoundingMode::HalfUp).unwrap();
        assert_eq!(c.rounded, dec!(280.00));
        assert_eq!(c.formula(), "40 × 7 = 280 → 280.00");
        // 500 元/年·服役年 × 3 年 = 1500 / 12 = 125.00
        let s = std_row(3, "定期生活补助", &[], "500", Unit::PerYearPerServiceYear, "2022-08-01", None);
        assert_eq!(monthly(&s, Some(dec!(3)), RoundingMode::HalfUp).unwrap().rounded, dec!(125.00));
        // missing 服役年限
        assert_eq!(monthly(&s, None, RoundingMode::HalfUp), None);
    }
}
