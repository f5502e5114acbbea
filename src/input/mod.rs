//! Reading the bureau's sheets: 花名册 (roster) and 标准表 (standards) in .xlsx/.xls/.ods/.csv (UTF-8 or GBK)
//! into domain types. Every bad input is refused with a located Chinese message; all problems of a file are
//! collected, not just the first.

// A `Problem` is large (location, value, message, hint); it is built only on the cold path of a bad cell, and
// each is pushed into the file's list at once, so boxing it would only add noise.
#![allow(clippy::result_large_err)]

pub mod bank_return;
pub mod cells;
pub mod columns;
mod confirmation;
mod fields;
#[cfg(test)]
mod fuzz;
pub mod limits;
pub mod notes;
pub mod roster;
pub mod sheet;
pub mod standards;
#[cfg(test)]
mod testutil;
mod xlsx_scan;

pub use confirmation::read_confirmation_rows;
pub use fields::field_count_problem;
pub use roster::{Keep, read_roster, read_roster_keeping};
pub use sheet::{Cell, Row, Table, read_table};
pub use standards::read_standards;
