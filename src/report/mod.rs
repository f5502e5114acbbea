//! The 工作总结 statistics sections: the reporting period, the figures computed from the ledger's committed
//! lines (plus the audit, the roster and the report writer's sheet of named figures), the templates that turn
//! them into the house phrasing, the filters that write numbers as official reports do (万元 with one decimal,
//! "1.3万余", "3500多万", percentages, month ranges, Chinese ordinals, 人民币大写) and the Word writer (GB/T 9704).
//! The `report` command itself (arguments, files, printing) is `cli::report_command`.

pub mod counties;
pub mod docx;
pub mod draft;
mod error;
pub mod figures;
pub mod filters;
pub mod metrics;
pub mod period;
pub mod render;
pub mod rmb;

pub use counties::{Breakdown, CountySummary};
pub use draft::{Report, build, build_from_counties};
pub use error::ReportError;
pub use figures::{Figures, LineSummary, MonthStatus, figures, figures_of};
pub use metrics::Metric;
pub use period::Period;
