//! Writing the month's files: payments.xlsx (明细, 汇总, 异常), payments.csv, the bank's 代发 file,
//! exceptions.csv and manifest.json. Everything is written into a work folder next to the output folder and
//! moved into place only when every file is complete, all files or none (`atomic`), so a failed run leaves
//! nothing half-written. Every CSV goes through `text::CsvOut`, which neutralises text a spreadsheet would run.

pub mod atomic;
pub mod bank;
pub mod manifest;
pub mod payments_xlsx;
pub mod tables;
pub mod text;

use crate::compute::{MonthBatch, StandardTable};
use crate::config::Config;
use crate::domain::{Recipient, YearMonth};
use rust_decimal::Decimal;

/// Everything a writer needs to know about one computed month.
pub struct PayRun<'a> {
    pub month: YearMonth,
    pub roster: &'a [Recipient],
    pub standards: &'a StandardTable,
    pub batch: &'a MonthBatch,
    pub config: &'a Config,
}

/// A money amount for an xlsx number cell. xlsx stores numbers as IEEE doubles; every amount up to
/// 9 007 199 254 740.99 元 with two decimals has at most 15 significant digits, so the double's shortest
/// representation (what the file stores and what Excel shows) is exactly the Decimal's text. Tested below.
pub fn xlsx_number(amount: Decimal) -> f64 {
    use rust_decimal::prelude::ToPrimitive;
    amount.to_f64().expect("amounts are far below f64 range")
}

/// Title of the month: "示例县2024年3月".
pub fn month_title(config: &Config, month: YearMonth) -> String {
    format!("{}{}年{}月", config.county, month.year(), month.month())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::{decimal_from_cell_f64, from_fen};
    use proptest::prelude::*;

    proptest! {
        /// Any amount in 分 up to 10^12 元 survives the trip into an xlsx cell and back unchanged.
        #[test]
        fn xlsx_number_round_trips(fen in -100_000_000_000_000i64..100_000_000_000_000i64) {
            let d = from_fen(fen);
            let back = decimal_from_cell_f64(xlsx_number(d)).unwrap();
            prop_assert_eq!(back, d.normalize());
            // and the text written into the file is the same digits
            prop_assert_eq!(format!("{}", xlsx_number(d)).parse::<Decimal>().unwrap(), d.normalize());
        }
    }
}
