//! 退回 events on PostgreSQL: recording the bank's returns of a committed batch (one transaction) and the
//! queries over them, each over the county's own batches, in SQLite's order (src/ledger/store.rs).

use super::reads::{parse_kind, parse_month};
use super::{PgError, PgLedger, refusal};
use crate::domain::month::YearMonth;
use crate::ledger::{NewReturn, PendingReturn, ReturnRecord, ReturnedLine};
use chrono::NaiveDate;

impl PgLedger {
    /// Record 退回 events of the county's committed batch `batch_id` of `month` (one transaction): each event and
    /// the ledger ids of its lines. Returns how many were recorded.
    pub fn record_returns(
        &self,
        batch_id: i64,
        month: YearMonth,
        recorded_at: &str,
        events: &[(NewReturn, Vec<i64>)],
    ) -> Result<usize, PgError> {
        let mut client = self.conn();
        let result = (|| -> Result<(), postgres::Error> {
            let mut tx = client.transaction()?;
            let month = month.to_string();
            for (e, lines) in events {
                insert_return(&mut tx, batch_id, &self.county, &month, e, recorded_at, lines)?;
            }
            tx.commit()
        })();
        match result {
            Ok(()) => Ok(events.len()),
            // The transaction was rolled back when it was dropped.
            Err(e) if e.code() == Some(&postgres::error::SqlState::LOCK_NOT_AVAILABLE) => Err(self.db(e)),
            Err(e) if e.as_db_error().is_some() => Err(refusal(&mut client, &self.target.to_string(), &e)),
            Err(e) => Err(self.db(e)),
        }
    }

    /// The county's 退回 events for batch months in [from, to], by month then 序号, with their lines and any 重发.
    pub fn returns(&self, from: YearMonth, to: YearMonth) -> Result<Vec<ReturnRecord>, PgError> {
        let mut client = self.conn();
        let heads = client
            .query(
                "SELECT id, month, transfer_no, person_id, name, account, amount_fen, status, reason, file_name,
                        file_sha256, file_row, recorded_at
                   FROM bank_returns WHERE county_code = $1 AND month BETWEEN $2 AND $3 ORDER BY month, transfer_no",
                &[&self.county, &from.to_string(), &to.to_string()],
            )
            .map_err(|e| self.db(e))?;
        let lines = client
            .prepare(
                "SELECT l.id, l.item, l.period, l.kind, l.amount_fen, rb.month, rb.pay_date
                   FROM returned_lines x JOIN lines l ON l.id = x.line_id
                   LEFT JOIN lines re ON re.reissue_of = l.id LEFT JOIN batches rb ON rb.id = re.batch_id
                  WHERE x.return_id = $1 ORDER BY l.line_no",
            )
            .map_err(|e| self.db(e))?;
        let mut out = Vec::with_capacity(heads.len());
        for r in &heads {
            let id: i64 = r.get(0);
            let no: i32 = r.get(2);
            let row: i32 = r.get(11);
            let mut rec = ReturnRecord {
                month: parse_month(r.get(1)).map_err(|e| self.corrupt(e))?,
                event: NewReturn {
                    transfer_no: no.max(0) as u32,
                    id: r.get(3),
                    name: r.get(4),
                    account: r.get(5),
                    amount_fen: r.get(6),
                    status: r.get(7),
                    reason: r.get(8),
                    file_name: r.get(9),
                    file_sha256: r.get(10),
                    file_row: row.max(0) as u32,
                },
                recorded_at: r.get(12),
                lines: Vec::new(),
            };
            for l in client.query(&lines, &[&id]).map_err(|e| self.db(e))? {
                let reissued_in = match l.get::<_, Option<&str>>(5) {
                    Some(m) => {
                        let date: Option<&str> = l.get(6);
                        let date = date
                            .map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|e| format!("日期“{d}”：{e}")))
                            .transpose()
                            .map_err(|e| self.corrupt(e))?;
                        Some((parse_month(m).map_err(|e| self.corrupt(e))?, date))
                    }
                    None => None,
                };
                rec.lines.push(ReturnedLine {
                    line_id: l.get(0),
                    item: l.get(1),
                    period: parse_month(l.get(2)).map_err(|e| self.corrupt(e))?,
                    kind: parse_kind(l.get(3)).map_err(|e| self.corrupt(e))?,
                    amount_fen: l.get(4),
                    reissued_in,
                });
            }
            out.push(rec);
        }
        Ok(out)
    }

    /// Per batch month of the county with 退回: (transfers returned, their 分, of which not yet re-issued in 分).
    pub fn returned_by_month(&self) -> Result<std::collections::BTreeMap<YearMonth, (i64, i64, i64)>, PgError> {
        self.returned_by_month_in(&self.county)
    }

    /// `returned_by_month` of each of `counties`, in that order.
    #[allow(clippy::type_complexity)]
    pub fn county_returned_by_month(
        &self,
        counties: &[String],
    ) -> Result<Vec<std::collections::BTreeMap<YearMonth, (i64, i64, i64)>>, PgError> {
        counties.iter().map(|c| self.returned_by_month_in(c)).collect()
    }

    fn returned_by_month_in(
        &self,
        county: &str,
    ) -> Result<std::collections::BTreeMap<YearMonth, (i64, i64, i64)>, PgError> {
        let rows = self
            .conn()
            .query(
                "SELECT r.month, count(*), sum(r.amount_fen)::bigint,
                        (SELECT COALESCE(sum(l.amount_fen), 0)::bigint
                           FROM returned_lines x JOIN lines l ON l.id = x.line_id
                           JOIN bank_returns r2 ON r2.id = x.return_id
                          WHERE r2.county_code = $1 AND r2.month = r.month
                            AND NOT EXISTS (SELECT 1 FROM lines re WHERE re.reissue_of = l.id))
                   FROM bank_returns r WHERE r.county_code = $1 GROUP BY r.month ORDER BY r.month",
                &[&county],
            )
            .map_err(|e| self.db(e))?;
        rows.iter()
            .map(|r| Ok((parse_month(r.get(0))?, (r.get(1), r.get(2), r.get(3)))))
            .collect::<Result<_, String>>()
            .map_err(|e| self.corrupt(e))
    }

    /// Every returned line of the county that no committed 重发 has sent again, by batch month, person and line.
    pub fn returns_pending(&self) -> Result<Vec<PendingReturn>, PgError> {
        let rows = self
            .conn()
            .query(
                "SELECT l.id, l.person_id, l.item, l.period, l.kind, l.amount_fen, b.month, r.account, r.status,
                        r.reason, COALESCE(b.pay_date, r.recorded_at), c.basis, c.standard_row
                   FROM returned_lines x JOIN lines l ON l.id = x.line_id JOIN bank_returns r ON r.id = x.return_id
                   JOIN batches b ON b.id = l.batch_id JOIN calcs c ON c.id = l.calc_id
                  WHERE r.county_code = $1 AND NOT EXISTS (SELECT 1 FROM lines re WHERE re.reissue_of = l.id)
                  ORDER BY b.month, l.person_id, l.line_no",
                &[&self.county],
            )
            .map_err(|e| self.db(e))?;
        rows.iter()
            .map(|r| {
                let standard_row: Option<i32> = r.get(12);
                Ok(PendingReturn {
                    line_id: r.get(0),
                    id: r.get(1),
                    item: r.get(2),
                    period: parse_month(r.get(3))?,
                    kind: parse_kind(r.get(4))?,
                    amount_fen: r.get(5),
                    batch_month: parse_month(r.get(6))?,
                    account: r.get(7),
                    status: r.get(8),
                    reason: r.get(9),
                    recorded_at: r.get(10),
                    basis: r.get(11),
                    standard_row: standard_row.map(|n| n.max(0) as u32),
                })
            })
            .collect::<Result<_, String>>()
            .map_err(|e| self.corrupt(e))
    }
}

/// One 退回 event of the county's batch and the lines it returns, in the caller's transaction (`bank-return`
/// above and `ledger copy`'s import). Returns the event's id.
pub(super) fn insert_return(
    c: &mut impl postgres::GenericClient,
    batch_id: i64,
    county: &str,
    month: &str,
    e: &NewReturn,
    recorded_at: &str,
    lines: &[i64],
) -> Result<i64, postgres::Error> {
    let no = i32::try_from(e.transfer_no).unwrap_or(i32::MAX);
    let row = i32::try_from(e.file_row).unwrap_or(i32::MAX);
    let id: i64 = c
        .query_one(
            "INSERT INTO bank_returns (batch_id, county_code, month, transfer_no, person_id, name, account, amount_fen,
                                       status, reason, file_name, file_sha256, file_row, recorded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
            &[
                &batch_id,
                &county,
                &month,
                &no,
                &e.id,
                &e.name,
                &e.account,
                &e.amount_fen,
                &e.status,
                &e.reason,
                &e.file_name,
                &e.file_sha256,
                &row,
                &recorded_at,
            ],
        )?
        .get(0);
    c.execute("INSERT INTO returned_lines (line_id, return_id) SELECT unnest($1::bigint[]), $2", &[&lines, &id])?;
    Ok(id)
}
