//! The ledger on a PostgreSQL server (issue 22): one ledger for a city's or a province's counties, beside the
//! SQLite file that stays a county's default. Not used by the commands yet: the ledger seam (issue 20 part 2)
//! will let `cli/` talk to either backend; until then this module is the PostgreSQL side's foundations.
//!
//! - `connect` — libpq's defaults (PGHOST, PGUSER, …), the password from the URL, PGPASSWORD or the password file,
//!   and the driver's failures as clear messages.
//! - `pgpass`  — `~/.pgpass` read as libpq reads it (the postgres crate does not).
//! - `error`   — `PgError`, exit codes 6/7 as for the SQLite ledger.

pub mod connect;
mod error;
mod pgpass;

pub use connect::{PgEnv, Target};
pub use error::PgError;
pub use pgpass::find_password as pgpass_find_password;
