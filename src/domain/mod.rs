//! Domain types: the words of the domain (docs/domain.md, "Words") as Rust types. No IO, no clock.

pub mod account;
pub mod bank_return;
pub mod beijing;
pub mod category;
pub mod confirmation;
pub mod id_card;
pub mod location;
pub mod money;
pub mod month;
pub mod paid_line;
pub mod payment_kind;
pub mod recipient;
pub mod standard;

pub use category::Categories;
pub use confirmation::ConfirmationRow;
pub use id_card::IdCard;
pub use location::{Location, Problem, Problems};
pub use month::YearMonth;
pub use paid_line::PaidLine;
pub use payment_kind::PaymentKind;
pub use recipient::{Recipient, Status, Transfer};
pub use standard::{Standard, Unit};
