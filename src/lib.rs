//! youfu (优抚): monthly 抚恤/补助 payouts, the ledger of what was paid, the 每月20日前 deadline, and the
//! statistics sections of the 半年工作总结.
//!
//! Where things live, lower layers first: a module uses only modules listed before it (README "Layout" gives
//! the exact table; tests/layering.rs checks it). The rules the code implements are docs/domain.md.
//! - `parallel` — threads in one place: the width (`available_parallelism`), split work, pipelines.
//! - `domain`   — the words of the domain as types: 身份证号, 所属期, money, 类别, recipients, standards, located errors.
//! - `calendar` — China's working-day calendar and the 每月20日前 deadline.
//! - `compute`  — pure functions: eligibility, choosing the standard, the monthly amount, rounding, summaries;
//!   the rule types a run applies.
//! - `config`   — youfu.toml, read into the core's rule types and the edges' settings.
//! - `input`    — reading the bureau's sheets (xlsx/xls/ods/csv, UTF-8 or GBK) into domain types.
//! - `ledger`   — the 台账 (SQLite): drafts, committed batches and lines; the database refuses to pay twice.
//! - `output`   — writing payments.xlsx, payments.csv, the bank file, exceptions.csv and manifest.json.
//! - `report`   — figures, templates and the Word writer for the 工作总结 statistics paragraphs.
//! - `cli`      — argument parsing and the commands; maps errors to messages and exit codes.

// A `Problem` carries a full location and Chinese message: it is the product, not an afterthought, and it is
// only built on the failure path, so its size in `Result` is accepted.
#![allow(clippy::result_large_err)]
// Only the commands print (src/cli allows it): the core and the edges return values and errors. Checked by
// clippy; 79 prints found when this was added, all in src/cli. Tests may print (a timing, a skipped case).
#![cfg_attr(not(test), deny(clippy::print_stdout, clippy::print_stderr))]

pub mod calendar;
pub mod cli;
pub mod compute;
pub mod config;
pub mod domain;
pub mod input;
pub mod ledger;
pub mod output;
pub mod parallel;
pub mod report;
