//! A write the database refused, as the message a county's officer needs: for a second payment, who already
//! paid it (the county's 行政区划代码 and the batch), not the name of an index.
//!
//! The refusals are the database's own (unique indexes, triggers); this only explains them. PostgreSQL reports a
//! unique violation with the index name and `Key (columns)=(values) already exists.`; the values are looked up
//! to find the committed row in the way. The failed transaction is aborted, so `refusal` is called after it was
//! rolled back, on the same connection. A row in the way that is not visible (a duplicate inside the refused
//! statement itself, or a concurrent transaction that rolled back since) gives the plain refusal.

use super::PgError;
use postgres::error::SqlState;

/// The `PgError` for a failed write `e` on the ledger `target` (see the module header).
pub fn refusal(client: &mut postgres::Client, target: &str, e: &postgres::Error) -> PgError {
    let target_s = target.to_string();
    let Some(db) = e.as_db_error() else {
        return PgError::Db { target: target_s, detail: super::error::describe(e) };
    };
    if *db.code() == SqlState::RAISE_EXCEPTION {
        return PgError::Rejected { target: target_s, detail: db.message().to_string() };
    }
    if *db.code() == SqlState::UNIQUE_VIOLATION {
        let constraint = db.constraint().unwrap_or("");
        let values = db.detail().and_then(|d| key_values(&regular_key(constraint, d), key_columns(constraint)));
        if let Some(values) = &values
            && let Some(found) = holder(client, target, constraint, values)
        {
            return found;
        }
        let what = match db.constraint() {
            Some("lines_regular_once") => "同一人同一项目同一所属期的正常发放只能有一笔",
            Some("lines_funeral_once") => "同一人的丧葬补助只能发放一次",
            Some("batches_one_committed_per_county_month") => "同一县（市、区）同一月份只能有一个确认发放的批次",
            Some("batches_one_draft_per_county_month") => "同一县（市、区）同一月份只能有一个发放草稿",
            Some("lines_reissue_once") => "一笔退回的明细只能重发一次",
            Some("bank_returns_once") => "一笔代发记录只能退回一次",
            _ => "重复的记录",
        };
        // The key as the officer knows it, not the index's columns (version 2's fourth key is an expression).
        let key = match (constraint, &values) {
            ("lines_regular_once", Some(v)) => format!("身份证号 {}，所属期 {}，项目 {}", v[0], v[1], v[2]),
            _ => db.detail().unwrap_or("").to_string(),
        };
        return PgError::Rejected { target: target_s, detail: format!("{what}（{key}）") };
    }
    if *db.code() == SqlState::CHECK_VIOLATION
        || *db.code() == SqlState::FOREIGN_KEY_VIOLATION
        || *db.code() == SqlState::NOT_NULL_VIOLATION
    {
        let name = db.constraint().unwrap_or("");
        return PgError::Rejected {
            target: target_s, detail: format!("不符合台账的约束 {name}（{}）", db.message())
        };
    }
    PgError::Db { target: target_s, detail: super::error::describe(e) }
}

/// How many key columns each unique index has (`key_values` splits by it).
fn key_columns(constraint: &str) -> usize {
    match constraint {
        "lines_regular_once" => 3,
        "lines_funeral_once" | "lines_reissue_once" => 1,
        "batches_one_committed_per_county_month" | "batches_one_draft_per_county_month" => 2,
        _ => 0,
    }
}

/// The detail of a unique violation with `lines_regular_once`'s fourth key (the kind: `t` for a 正常 line, see
/// schema version 2) taken off, so that the 项目, which may hold ", ", is the last value again.
fn regular_key<'d>(constraint: &str, detail: &'d str) -> std::borrow::Cow<'d, str> {
    match detail.strip_suffix(", t) already exists.") {
        Some(rest) if constraint == "lines_regular_once" => format!("{rest}) already exists.").into(),
        _ => detail.into(),
    }
}

/// The values of `Key (a, b, c)=(x, y, z) already exists.`, split into `n`: PostgreSQL joins them with ", "
/// without quoting, so the first n − 1 are split off from the left and the last keeps the rest (every key above
/// ends with its only free text: the 项目, or a single column).
pub(super) fn key_values(detail: &str, n: usize) -> Option<Vec<String>> {
    if n == 0 {
        return None;
    }
    let rest = detail.strip_prefix("Key (")?;
    let (_, rest) = rest.split_once(")=(")?;
    let values = rest.strip_suffix(") already exists.")?;
    let mut out: Vec<String> = Vec::with_capacity(n);
    let mut rest = values;
    for _ in 1..n {
        let (value, after) = rest.split_once(", ")?;
        out.push(value.to_string());
        rest = after;
    }
    out.push(rest.to_string());
    Some(out)
}

/// The committed row behind a unique violation, as the refusal naming it; None when it cannot be seen.
fn holder(client: &mut postgres::Client, target: &str, constraint: &str, values: &[String]) -> Option<PgError> {
    let target = target.to_string();
    match constraint {
        "lines_regular_once" | "lines_funeral_once" => {
            let row = if constraint == "lines_regular_once" {
                client.query_opt(
                    "SELECT l.person_id, l.item, l.period, l.kind, b.county_code, b.month, b.id, l.name
                       FROM youfu.lines l JOIN youfu.batches b ON b.id = l.batch_id
                      WHERE l.person_id = $1 AND l.period = $2 AND l.item = $3 AND l.kind = '正常'",
                    &[&values[0], &values[1], &values[2]],
                )
            } else {
                client.query_opt(
                    "SELECT l.person_id, l.item, l.period, l.kind, b.county_code, b.month, b.id, l.name
                       FROM youfu.lines l JOIN youfu.batches b ON b.id = l.batch_id
                      WHERE l.person_id = $1 AND l.kind = '丧葬补助'",
                    &[&values[0]],
                )
            };
            let row = row.ok()??;
            // The column's CHECK admits the four labels only.
            let kind = crate::domain::PaymentKind::from_label(row.get(3))?;
            Some(PgError::AlreadyPaid {
                target,
                name: row.get(7),
                person_id: row.get(0),
                item: row.get(1),
                period: row.get(2),
                kind,
                county_code: row.get(4),
                batch_month: row.get(5),
                batch_id: row.get(6),
            })
        }
        "batches_one_committed_per_county_month" => {
            let row = client
                .query_opt(
                    "SELECT id FROM youfu.batches WHERE county_code = $1 AND month = $2 AND status = 'committed'",
                    &[&values[0], &values[1]],
                )
                .ok()??;
            Some(PgError::MonthCommitted {
                target,
                county_code: values[0].clone(),
                month: values[1].clone(),
                batch_id: row.get(0),
            })
        }
        "lines_reissue_once" => {
            let line_id: i64 = values[0].parse().ok()?;
            let row =
                client.query_opt("SELECT batch_id FROM youfu.lines WHERE reissue_of = $1", &[&line_id]).ok()??;
            Some(PgError::AlreadyReissued { target, line_id, batch_id: row.get(0) })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{key_values, regular_key};

    #[test]
    fn key_values_split_from_the_left_and_keep_the_rest_last() {
        assert_eq!(
            key_values("Key (period, person_id, item)=(2024-08, 11010519491231002X, 定期抚恤金) already exists.", 3),
            Some(vec!["2024-08".into(), "11010519491231002X".into(), "定期抚恤金".into()])
        );
        // An item with ", " inside stays whole.
        assert_eq!(
            key_values("Key (period, person_id, item)=(2024-08, 1, a, b) already exists.", 3),
            Some(vec!["2024-08".into(), "1".into(), "a, b".into()])
        );
        assert_eq!(key_values("Key (person_id)=(1) already exists.", 1), Some(vec!["1".into()]));
        // lines_regular_once since schema version 2: its fourth key (t for a 正常 line) is taken off first.
        let v2 = "Key (person_id, period, item, (\nCASE\n    WHEN kind = '正常'::text THEN true\n    ELSE NULL::boolean\nEND))\
                  =(11010519491231002X, 2024-08, a, b, t) already exists.";
        assert_eq!(
            key_values(&regular_key("lines_regular_once", v2), 3),
            Some(vec!["11010519491231002X".into(), "2024-08".into(), "a, b".into()])
        );
        assert_eq!(key_values("something else", 1), None);
        assert_eq!(key_values("Key (a, b)=(1) already exists.", 2), None);
        assert_eq!(key_values("Key (a)=(1) already exists.", 0), None);
    }
}
