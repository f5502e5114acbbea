//! The ledger on a PostgreSQL server (issue 22): one ledger for a city's or a province's counties, beside the
//! SQLite file that stays a county's default. Not used by the commands yet: the ledger seam (issue 20 part 2)
//! will let `cli/` talk to either backend; until then this module is the PostgreSQL side's foundations.
//!
//! - `connect` — libpq's defaults (PGHOST, PGUSER, …), the password from the URL, PGPASSWORD or the password file,
//!   and the driver's failures as clear messages.
//! - `pgpass`  — `~/.pgpass` read as libpq reads it (the postgres crate does not).
//! - `schema`  — versioned migrations in the schema `youfu`, with the never-pay-twice guarantees across counties
//!   kept by the database itself; `inspect` decides whether a database is a youfu ledger.
//! - `refusal` — a refused write (unique index, trigger) as a message naming what is in the way, e.g. the other
//!   county and batch that already paid.
//! - `copy`    — draft lines written in bulk with COPY.
//! - `error`   — `PgError`, exit codes 6/7 as for the SQLite ledger.

mod connect;
mod copy;
mod error;
mod pgpass;
mod refusal;
mod schema;
#[cfg(test)]
mod tests;
#[cfg(test)]
#[path = "../../../tests/support/pg.rs"]
mod testserver;

pub use connect::{PgEnv, Target};
pub use copy::{DraftLine, copy_draft_lines};
pub use error::PgError;
pub use pgpass::find_password as pgpass_find_password;
pub use refusal::refusal;
pub use schema::{Found, SCHEMA_VERSION};

use crate::ledger::location::PgUrl;

/// An open PostgreSQL ledger: a connection whose `search_path` is the schema `youfu`.
pub struct PgLedger {
    client: postgres::Client,
    target: Target,
}

impl PgLedger {
    /// Open the ledger at `url` for the commands: refused unless the database holds a youfu ledger (an empty one
    /// says to run `youfu init`); an older schema is brought up to date, as on SQLite.
    pub fn open_existing(url: &PgUrl, env: &PgEnv) -> Result<PgLedger, PgError> {
        let (client, target) = connect::connect(url, env)?;
        PgLedger::existing(client, target)
    }

    /// `youfu init`: install the schema in an empty database (or bring an older ledger up to date); refuses a
    /// database holding anything else, or a newer ledger.
    pub fn init(url: &PgUrl, env: &PgEnv) -> Result<PgLedger, PgError> {
        let (client, target) = connect::connect(url, env)?;
        PgLedger::initialised(client, target)
    }

    pub(crate) fn existing(mut client: postgres::Client, target: Target) -> Result<PgLedger, PgError> {
        let shown = target.to_string();
        match schema::inspect(&mut client, &shown)? {
            Found::Fresh => Err(PgError::Uninitialised { target: shown }),
            Found::Ledger { version } if version < SCHEMA_VERSION => PgLedger::initialised(client, target),
            Found::Ledger { .. } => PgLedger::ready(client, target),
        }
    }

    pub(crate) fn initialised(mut client: postgres::Client, target: Target) -> Result<PgLedger, PgError> {
        schema::migrate(&mut client, &target.to_string(), env!("CARGO_PKG_VERSION"))?;
        PgLedger::ready(client, target)
    }

    fn ready(mut client: postgres::Client, target: Target) -> Result<PgLedger, PgError> {
        client
            .batch_execute("SET search_path TO youfu")
            .map_err(|e| PgError::Db { target: target.to_string(), detail: error::describe(&e) })?;
        Ok(PgLedger { client, target })
    }

    /// The schema version of the ledger.
    pub fn version(&mut self) -> Result<i64, PgError> {
        match schema::inspect(&mut self.client, &self.target.to_string())? {
            Found::Ledger { version } => Ok(version),
            Found::Fresh => Err(PgError::Uninitialised { target: self.target.to_string() }),
        }
    }

    /// What youfu is connected to, for messages (never the password).
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The connection, for the store functions to come and the SQL-level tests.
    pub fn client(&mut self) -> &mut postgres::Client {
        &mut self.client
    }
}
