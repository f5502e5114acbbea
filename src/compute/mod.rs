//! The pure core: which standard applies, how much a month is, who is paid and who is not (and why), and the
//! totals. No file, no clock, no printing: every function takes domain values and returns domain values. The
//! rules it implements, with their legal basis, are docs/domain.md.

pub mod amount;
pub mod audit;
pub mod batch;
pub mod dates;
pub mod eligibility;
pub mod exception;
pub mod funeral;
pub mod model;
pub mod paid;
pub mod returns;
pub mod rules;
pub mod standards;
pub mod summary;
pub mod transfer;

pub use batch::compute_month;
pub use exception::ExceptionKind;
pub use model::{Exception, History, MonthBatch, Payment, Recovery};
pub use rules::Rules;
pub use standards::StandardTable;
