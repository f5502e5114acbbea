//! One person's committed lines in every county of the shared ledger, not only the one it was opened for, each
//! with its county's code: what `explain` in the new county shows of the months the old county paid after a
//! 抚恤关系转移 (issue 22 part 3), and what a 市's or 省's bureau reads of a person (its codes' prefix).

use super::reads::{LINE_SELECT, line_from_row};
use super::{PgError, PgLedger};
use crate::domain::month::YearMonth;
use crate::ledger::PaidLine;
use std::collections::HashMap;

impl PgLedger {
    /// The committed lines of person `id` (of 所属期 `period` when given) in the counties whose code starts with
    /// `prefix` ("" for every county), with each line's county code; ordered by period, item, batch month and
    /// county. A handful of lines: one look-up by the index led by (身份证号, 所属期) (`lines_regular_once`).
    pub fn person_lines_in_counties(
        &self,
        prefix: &str,
        id: &str,
        period: Option<YearMonth>,
    ) -> Result<Vec<(String, PaidLine)>, PgError> {
        // `LINE_SELECT` is one county's (`b.county_code = $1`): here the counties under a prefix.
        let select = LINE_SELECT.replacen("b.county_code = $1", "b.county_code LIKE $1", 1);
        debug_assert_ne!(select, LINE_SELECT, "LINE_SELECT names the county as b.county_code = $1");
        let pattern = format!("{prefix}%");
        let period = period.map(|p| p.to_string());
        let rows = self
            .conn()
            .query(
                &format!(
                    "{select} AND l.person_id = $2 AND ($3::text IS NULL OR l.period = $3)
                     ORDER BY l.period, l.item, b.month, b.county_code, l.line_no"
                ),
                &[&pattern, &id, &period],
            )
            .map_err(|e| self.db(e))?;
        let lines: Vec<PaidLine> =
            rows.iter().map(|r| line_from_row(r).map_err(|e| self.corrupt(e))).collect::<Result<_, _>>()?;
        let mut ids: Vec<i64> = lines.iter().map(|l| l.batch_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let county: HashMap<i64, String> = self
            .conn()
            .query("SELECT id, county_code FROM batches WHERE id = ANY($1)", &[&ids])
            .map_err(|e| self.db(e))?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        Ok(lines.into_iter().map(|l| (county.get(&l.batch_id).cloned().unwrap_or_default(), l)).collect())
    }
}
