//! The ledger on a PostgreSQL server (issue 22): one ledger for a city's or a province's counties, beside the
//! SQLite file that stays a county's default. The commands reach it through the ledger's interface
//! (`ledger::open_existing` / `create` for a `postgresql://` location, `store` implements `LedgerStore`), opened
//! for the county youfu.toml's `county_code` names.
//!
//! - `connect` — libpq's defaults (PGHOST, PGUSER, …), the password from the URL, PGPASSWORD or the password file,
//!   and the driver's failures as clear messages.
//! - `pgpass`  — `~/.pgpass` read as libpq reads it (the postgres crate does not).
//! - `schema`  — versioned migrations in the schema `youfu`, with the never-pay-twice guarantees across counties
//!   kept by the database itself; `inspect` decides whether a database is a youfu ledger.
//! - `refusal` — a refused write (unique index, trigger) as a message naming what is in the way, e.g. the other
//!   county and batch that already paid.
//! - `copy`    — draft lines written in bulk with COPY.
//! - `draft`   — `PgLedger`'s writes of a county's month: `begin_draft` / `save_draft` (one transaction, lines by
//!   COPY) and `commit` (one transaction: the lines moved on the server).
//! - `reads`   — the queries the commands need, each over the county's own batches only, in SQLite's order.
//! - `elsewhere` — one person's lines in every county (or those under a 市's or 省's code), with their county:
//!   `explain` after a 抚恤关系转移, a city's `history`.
//! - `returns` — 退回 events: recording them and the queries over them.
//! - `store`   — `PgLedger` behind `ledger::LedgerStore` / `DraftWriter`.
//! - `error`   — `PgError`, exit codes 6/7 as for the SQLite ledger.

mod connect;
mod copy;
mod draft;
mod elsewhere;
mod error;
mod history;
mod pgpass;
mod reads;
mod refusal;
mod returns;
mod schema;
mod store;
#[cfg(test)]
pub(crate) mod store_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
#[path = "../../../tests/support/pg.rs"]
mod testserver;

pub use connect::{PgEnv, Target};
pub use copy::{DraftCopy, DraftLine, copy_draft_lines};
pub use draft::PgPendingDraft;
pub use error::PgError;
pub use pgpass::find_password as pgpass_find_password;
pub use refusal::refusal;
pub use schema::{Found, SCHEMA_VERSION};

use crate::ledger::location::PgUrl;
use std::cell::{RefCell, RefMut};
use std::time::Duration;

/// An open PostgreSQL ledger of one county: a connection whose `search_path` is the schema `youfu`, and the
/// county's 行政区划代码. Every batch, line and event it writes carries the code, and every read returns only the
/// county's rows; only the never-pay-twice guarantees look across counties (the database's own, see `schema`).
///
/// Its methods take `&self`, as SQLite's `Ledger`: the connection is in a `RefCell`, borrowed for the length of
/// one call (or of a `PgPendingDraft`, which holds it until `finish` or drop).
pub struct PgLedger {
    client: RefCell<postgres::Client>,
    target: Target,
    county: String,
    /// How long a write waits for a lock another session holds (`set_busy_timeout`).
    busy: std::cell::Cell<Duration>,
}

impl std::fmt::Debug for PgLedger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgLedger").field("target", &self.target.to_string()).field("county", &self.county).finish()
    }
}

impl PgLedger {
    /// Open the ledger at `url` for the county `county_code` (6 digits, youfu.toml's `county_code`): refused
    /// unless the database holds a youfu ledger (an empty one says to run `youfu init`); an older schema is
    /// brought up to date, as on SQLite.
    pub fn open_existing(url: &PgUrl, env: &PgEnv, county_code: &str) -> Result<PgLedger, PgError> {
        check_county(url.shown(), county_code)?;
        let (client, target) = connect::connect(url, env)?;
        PgLedger::existing(client, target, county_code)
    }

    /// `youfu init`: install the schema in an empty database (or bring an older ledger up to date); refuses a
    /// database holding anything else, or a newer ledger.
    pub fn init(url: &PgUrl, env: &PgEnv, county_code: &str) -> Result<PgLedger, PgError> {
        check_county(url.shown(), county_code)?;
        let (client, target) = connect::connect(url, env)?;
        PgLedger::initialised(client, target, county_code)
    }

    pub(crate) fn existing(mut client: postgres::Client, target: Target, county: &str) -> Result<PgLedger, PgError> {
        let shown = target.to_string();
        match schema::inspect(&mut client, &shown)? {
            Found::Fresh => Err(PgError::Uninitialised { target: shown }),
            Found::Ledger { version } if version < SCHEMA_VERSION => PgLedger::initialised(client, target, county),
            Found::Ledger { .. } => PgLedger::ready(client, target, county),
        }
    }

    pub(crate) fn initialised(mut client: postgres::Client, target: Target, county: &str) -> Result<PgLedger, PgError> {
        schema::migrate(&mut client, &target.to_string(), env!("CARGO_PKG_VERSION"))?;
        PgLedger::ready(client, target, county)
    }

    fn ready(mut client: postgres::Client, target: Target, county: &str) -> Result<PgLedger, PgError> {
        check_county(&target.to_string(), county)?;
        client
            .batch_execute(&format!("SET search_path TO youfu; SET lock_timeout = {}", BUSY_TIMEOUT.as_millis()))
            .map_err(|e| PgError::Db { target: target.to_string(), detail: error::describe(&e) })?;
        Ok(PgLedger {
            client: RefCell::new(client),
            target,
            county: county.to_string(),
            busy: std::cell::Cell::new(BUSY_TIMEOUT),
        })
    }

    /// The schema version of the ledger.
    pub fn version(&self) -> Result<i64, PgError> {
        match schema::inspect(&mut *self.conn(), &self.target.to_string())? {
            Found::Ledger { version } => Ok(version),
            Found::Fresh => Err(PgError::Uninitialised { target: self.target.to_string() }),
        }
    }

    /// What youfu is connected to, for messages (never the password).
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The county whose ledger this is (行政区划代码).
    pub fn county_code(&self) -> &str {
        &self.county
    }

    /// Change how long a write waits for another session's lock (default `BUSY_TIMEOUT`) before `PgError::Busy`:
    /// the server's `lock_timeout` (a wait for a lock, not the length of a statement: a province's commit takes
    /// seconds and must not be cut short).
    pub fn set_busy_timeout(&self, timeout: Duration) -> Result<(), PgError> {
        let ms = timeout.as_millis().max(1);
        self.conn().batch_execute(&format!("SET lock_timeout = {ms}")).map_err(|e| self.db(e))?;
        self.busy.set(timeout);
        Ok(())
    }

    /// The connection, for the SQL-level tests.
    pub fn client(&mut self) -> &mut postgres::Client {
        self.client.get_mut()
    }

    /// The connection for one call. Panics only if a `PgPendingDraft` of this ledger is alive, which the borrow
    /// checker already prevents for `&mut` callers.
    pub(crate) fn conn(&self) -> RefMut<'_, postgres::Client> {
        self.client.borrow_mut()
    }

    /// A driver failure outside a refused write: a lock waited for too long → `Busy`; else `Db`.
    pub(crate) fn db(&self, e: postgres::Error) -> PgError {
        if e.code() == Some(&postgres::error::SqlState::LOCK_NOT_AVAILABLE) {
            return PgError::Busy {
                target: self.target.to_string(),
                county_code: self.county.clone(),
                // 5, or 0.3 for a timeout under a second.
                waited: format!("{}", self.busy.get().as_millis() as f64 / 1000.0),
            };
        }
        PgError::Db { target: self.target.to_string(), detail: error::describe(&e) }
    }

    /// A stored value that does not parse.
    pub(crate) fn corrupt(&self, detail: String) -> PgError {
        PgError::Corrupt { target: self.target.to_string(), detail }
    }
}

/// How long a write waits for another session's lock before `PgError::Busy` (as SQLite's `BUSY_TIMEOUT`).
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A county code is 6 ASCII digits (the database checks it too; this says it before connecting).
fn check_county(target: &str, county: &str) -> Result<(), PgError> {
    if county.len() == 6 && county.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(PgError::BadCounty { target: target.to_string(), county_code: county.to_string() })
    }
}
