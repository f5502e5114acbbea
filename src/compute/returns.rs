//! Matching a bank's 回盘 to the transfers a committed batch sent (pure): each row to one transfer by 账号 and
//! 金额 (and 身份证号 where the file has it); which rows are new 退回, which were recorded before, and every row
//! that cannot be matched, refused with its file, row, column and value. Nothing here reads a file or the ledger.

use super::amount::Calculation;
use super::exception::ExceptionKind;
use super::model::{Exception, History, MonthBatch, Payment, Rare, Reissue};
use super::rules::Rules;
use super::standards::StandardTable;
use crate::domain::PaymentKind;
use crate::domain::bank_return::{Outcome, ReturnRow, SentTransfer};
use crate::domain::money::{format_yuan, from_fen};
use crate::domain::{Problem, Problems, Recipient, Unit, YearMonth};
use std::collections::HashMap;
use std::sync::Arc;

// `Returned` is defined in `model` with the other data the batch reads; found here, where it is used.
pub use super::model::Returned;

/// The 重发 of the month (domain: a returned transfer is sent again once the account is corrected). For every
/// returned line not yet re-issued, of a person on the roster: a 重发 line (its 所属期 and amount) when the
/// roster's account differs from the one the bank returned (or `retry_same_account` allows one retry), paid to the
/// roster's account; otherwise an exception with the bank's reason. A person who died after the 退回 is re-issued
/// to the account the roster now gives (the heir's), and the exceptions say so. Lines go into `batch.payments`
/// (sorted again by the caller's order), exceptions into `batch.exceptions`.
pub fn reissues(roster: &[Recipient], table: &StandardTable, rules: &Rules, history: &History, batch: &mut MonthBatch) {
    if history.returned.is_empty() {
        return;
    }
    for ret in &history.returned {
        // The roster row of the person (of the 项目, when the roster has one row per 项目).
        let rows: Vec<usize> = (0..roster.len()).filter(|&i| roster[i].id.as_str() == ret.id).collect();
        let Some(&ri) =
            rows.iter().find(|&&i| roster[i].item.as_deref() == Some(ret.item.as_str())).or_else(|| rows.first())
        else {
            continue;
        };
        let r = &roster[ri];
        let amount = from_fen(ret.amount_fen);
        let what = format!(
            "{} 代发被银行退回的 {} {} {} 元（{}{}）",
            ret.batch_month,
            ret.period,
            ret.item,
            format_yuan(amount),
            ret.status,
            if ret.reason.is_empty() { String::new() } else { format!("：{}", ret.reason) }
        );
        let account: String = r.account.chars().filter(|c| !c.is_whitespace()).collect();
        if account.is_empty() {
            batch.exceptions.push(Exception {
                recipient: ri,
                item: Some(ret.item.clone()),
                kind: ExceptionKind::ReturnedNoAccount,
                reason: format!("{what}，花名册没有银行账号，未重发；请补录账号后下月重发"),
            });
            continue;
        }
        let retry = rules.retry_same_account && !ret.was_reissue;
        if account == ret.account && !retry {
            batch.exceptions.push(Exception {
                recipient: ri,
                item: Some(ret.item.clone()),
                kind: ExceptionKind::ReturnedAccountUnchanged,
                reason: format!("{what}，花名册中的银行账号未更正，本月不重发；请核实并更正账号后下月重发"),
            });
            continue;
        }
        if let Some(died) = r.death_date.filter(|d| *d >= ret.returned_on) {
            batch.exceptions.push(Exception {
                recipient: ri,
                item: Some(ret.item.clone()),
                kind: ExceptionKind::ReissueAfterDeath,
                reason: format!("{died} 去世（在退回之后）；{what}按花名册现有账号 {account}（继承人）重发"),
            });
        }
        // The 标准表 row shown beside the line: the returned line's own basis is carried in `Reissue`.
        let standard = table.rows().iter().position(|s| *s.item == *ret.item).unwrap_or(0);
        batch.payments.push(Payment {
            recipient: ri,
            item: Arc::from(ret.item.as_str()),
            period: ret.period,
            kind: PaymentKind::Reissue,
            amount,
            standard: standard as u32,
            calc: Arc::new(Calculation {
                rate: amount,
                unit: Unit::PerMonth,
                service_years: None,
                exact: amount,
                rounded: amount,
            }),
            rare: Some(Box::new(Rare {
                reissue: Some(Reissue {
                    line_id: ret.line_id,
                    batch_month: ret.batch_month,
                    reason: format!(
                        "{}{}",
                        ret.status,
                        if ret.reason.is_empty() { String::new() } else { format!("：{}", ret.reason) }
                    ),
                    basis: ret.basis.clone(),
                    standard_row: ret.standard_row,
                }),
                ..Rare::default()
            })),
        });
    }
    batch.payments.sort_by_key(|p| (p.recipient, p.kind, p.period));
}

/// A 退回 already in the ledger, as the matcher needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub transfer_no: u32,
    pub status: String,
    pub reason: String,
    pub file_name: String,
    pub file_row: u32,
    pub recorded_at: String,
}

/// A returned row and the transfer it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match<'a> {
    pub transfer: &'a SentTransfer,
    pub row: &'a ReturnRow,
}

/// What a 回盘 says, once matched.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Matching<'a> {
    /// 退回 not in the ledger yet: to record.
    pub new: Vec<Match<'a>>,
    /// 退回 recorded before, exactly as this file says (importing a file twice records nothing new).
    pub already: Vec<Match<'a>>,
    /// Rows the bank reports paid.
    pub paid: usize,
}

const NOTHING_RECORDED: &str = "台账未记录任何退回";

/// Match `rows` (a 回盘 of `month`) to the batch's `transfers`; `recorded` are the month's 退回 already in the
/// ledger. Any row that matches no transfer, a transfer matched twice, an amount or 身份证号 that differs, or a
/// row that contradicts a recorded 退回 refuses the whole file (every problem listed).
pub fn match_returns<'a>(
    month: YearMonth,
    transfers: &'a [SentTransfer],
    rows: &'a [ReturnRow],
    recorded: &[Recorded],
) -> Result<Matching<'a>, Problems> {
    let mut by_account: HashMap<&str, Vec<&SentTransfer>> = HashMap::new();
    for t in transfers {
        by_account.entry(t.account.as_str()).or_default().push(t);
    }
    let recorded: HashMap<u32, &Recorded> = recorded.iter().map(|r| (r.transfer_no, r)).collect();
    // 序号 → the row that took the transfer.
    let mut taken: HashMap<u32, &ReturnRow> = HashMap::new();
    let mut out = Matching::default();
    let mut problems = Problems::default();
    for row in rows {
        let at = |column: &str, value: &str| {
            let mut loc = row.location.clone().with_column(column);
            loc.row = row.location.row;
            (loc, value.to_string())
        };
        let problem = |code: &'static str, column: &str, value: &str, message: String, hint: String| {
            let (loc, value) = at(column, value);
            Problem::new(code, message).at(loc).value(value).hint(format!("{hint}{NOTHING_RECORDED}。"))
        };
        // The bank echoes the 摘要 of the bank file ("2024-03优抚金"): another month's there is another batch's file.
        if let Some(other) = months_in(&row.memo).into_iter().find(|m| *m != month) {
            problems.push(problem(
                "RETURN_OTHER_MONTH",
                row.columns.memo.as_deref().unwrap_or("摘要"),
                &row.memo,
                format!("摘要写的是 {other} 的代发，不是 {month} 的"),
                format!("请确认回盘文件与月份：如是 {other} 的回盘，请用 --month {other} 登记；"),
            ));
            continue;
        }
        let Some(same_account) = by_account.get(row.account.as_str()) else {
            problems.push(problem(
                "RETURN_NO_TRANSFER",
                &row.columns.account,
                &row.account,
                format!("该账号不在 {month} 的代发文件中"),
                format!("请确认这是 {month} 代发批次的回盘文件，并核对该行账号；"),
            ));
            continue;
        };
        let same_id: Vec<&SentTransfer> = match &row.id {
            Some(id) => same_account.iter().copied().filter(|t| &t.id == id).collect(),
            None => same_account.clone(),
        };
        if same_id.is_empty() {
            let sent = same_account[0];
            problems.push(problem(
                "RETURN_ID_DIFFERS",
                row.columns.id.as_deref().unwrap_or("身份证号"),
                row.id.as_deref().unwrap_or_default(),
                format!("身份证号与 {month} 代发文件中该账号的身份证号 {} 不符", sent.id),
                "请核对该行是否与代发文件为同一人；".to_string(),
            ));
            continue;
        }
        let same_amount: Vec<&SentTransfer> =
            same_id.iter().copied().filter(|t| t.amount_fen == row.amount_fen).collect();
        if same_amount.is_empty() {
            let sent: Vec<String> = same_id.iter().map(|t| format_yuan(from_fen(t.amount_fen))).collect();
            problems.push(problem(
                "RETURN_AMOUNT_DIFFERS",
                &row.columns.amount,
                &format_yuan(from_fen(row.amount_fen)),
                format!("金额与 {month} 代发文件中该账号的金额 {} 元不符", sent.join("、")),
                "回盘金额须与代发金额分毫不差，请与银行核对；".to_string(),
            ));
            continue;
        }
        let Some(transfer) = same_amount.iter().copied().find(|t| !taken.contains_key(&t.no)) else {
            let first = taken[&same_amount[0].no];
            problems.push(problem(
                "RETURN_TRANSFER_TWICE",
                &row.columns.account,
                &row.account,
                format!(
                    "与第{}行是同一笔代发（代发文件序号 {}），一笔代发在回盘中只能出现一次",
                    first.location.row.unwrap_or(0),
                    same_amount[0].no
                ),
                "请删除重复的行；".to_string(),
            ));
            continue;
        };
        taken.insert(transfer.no, row);
        let status_column = row.columns.status.as_deref().unwrap_or(&row.columns.account);
        match (row.outcome, recorded.get(&transfer.no)) {
            (Outcome::Paid, None) => out.paid += 1,
            (Outcome::Returned, None) => out.new.push(Match { transfer, row }),
            (Outcome::Returned, Some(r)) if r.status == row.status && r.reason == row.reason => {
                out.already.push(Match { transfer, row })
            }
            (_, Some(r)) => problems.push(problem(
                "RETURN_CONTRADICTS_LEDGER",
                status_column,
                &row.status,
                format!(
                    "该笔代发（序号 {}）已于 {} 按 {} 第{}行记为退回（{}：{}），与本行不符",
                    transfer.no, r.recorded_at, r.file_name, r.file_row, r.status, r.reason
                ),
                "已记录的退回不能更改；如银行更正了结果，请与银行核实后人工处理；".to_string(),
            )),
        }
    }
    problems.into_result(out)
}

/// The months written as YYYY-MM in a text.
fn months_in(text: &str) -> Vec<YearMonth> {
    let b = text.as_bytes();
    (0..b.len().saturating_sub(6))
        .filter(|&i| b[i + 4] == b'-' && b[i..i + 4].iter().chain(&b[i + 5..i + 7]).all(u8::is_ascii_digit))
        .filter(|&i| i == 0 || !b[i - 1].is_ascii_digit())
        .filter_map(|i| text.get(i..i + 7).and_then(|t| t.parse().ok()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Location;
    use crate::domain::bank_return::ReturnColumns;
    use chrono::NaiveDate;

    fn sent(no: u32, id: &str, account: &str, fen: i64) -> SentTransfer {
        SentTransfer { no, first_line: no as i64, lines: 1, amount_fen: fen, id: id.into(), account: account.into() }
    }

    fn row(n: u32, account: &str, id: Option<&str>, fen: i64, outcome: Outcome, status: &str) -> ReturnRow {
        ReturnRow {
            location: Location::file("回盘.csv").with_row(n),
            columns: ReturnColumns {
                account: "卡号".into(),
                amount: "交易金额".into(),
                id: Some("证件号码".into()),
                status: Some("处理结果".into()),
                memo: None,
            },
            account: account.into(),
            name: "某".into(),
            id: id.map(Into::into),
            amount_fen: fen,
            status: status.into(),
            outcome,
            reason: "账户已销户".into(),
            memo: String::new(),
        }
    }

    const A: &str = "11010519491231002X";
    const B: &str = "440524188001010014";

    #[test]
    fn rows_match_transfers_by_account_amount_and_id() {
        let m: YearMonth = "2024-03".parse().unwrap();
        let t = vec![sent(1, A, "6222001", 233_167), sent(2, B, "6222002", 888_917)];
        let rows = vec![
            row(3, "6222001", Some(A), 233_167, Outcome::Paid, "成功"),
            row(4, "6222002", None, 888_917, Outcome::Returned, "失败"),
        ];
        let got = match_returns(m, &t, &rows, &[]).unwrap();
        assert_eq!((got.paid, got.new.len(), got.already.len()), (1, 1, 0));
        assert_eq!(got.new[0].transfer.no, 2);
        // Recorded before, the same: nothing new.
        let rec = Recorded {
            transfer_no: 2,
            status: "失败".into(),
            reason: "账户已销户".into(),
            file_name: "回盘.csv".into(),
            file_row: 4,
            recorded_at: "2024-03-25T10:00:00+08:00".into(),
        };
        let again = match_returns(m, &t, &rows, std::slice::from_ref(&rec)).unwrap();
        assert_eq!((again.new.len(), again.already.len()), (0, 1));
        // Recorded with another reason: refused.
        let other = Recorded { reason: "户名不符".into(), ..rec };
        let err = match_returns(m, &t, &rows, &[other]).unwrap_err();
        assert_eq!(
            err.0[0].to_string(),
            "回盘.csv 第4行「处理结果」列：该笔代发（序号 2）已于 2024-03-25T10:00:00+08:00 按 回盘.csv 第4行记为退回（失败：户名不符），与本行不符（值：“失败”）。已记录的退回不能更改；如银行更正了结果，请与银行核实后人工处理；台账未记录任何退回。 [RETURN_CONTRADICTS_LEDGER]"
        );
    }

    #[test]
    fn unknown_account_other_amount_other_id_and_a_transfer_twice_are_each_refused() {
        let m: YearMonth = "2024-03".parse().unwrap();
        let t = vec![sent(1, A, "6222001", 233_167), sent(2, B, "6222002", 888_917)];
        let rows = vec![
            row(3, "6222999", None, 233_167, Outcome::Returned, "失败"),
            row(4, "6222001", None, 233_160, Outcome::Returned, "失败"),
            row(5, "6222002", Some(A), 888_917, Outcome::Returned, "失败"),
            row(6, "6222002", None, 888_917, Outcome::Returned, "失败"),
            row(7, "6222002", None, 888_917, Outcome::Returned, "失败"),
        ];
        let err = match_returns(m, &t, &rows, &[]).unwrap_err();
        let codes: Vec<(&str, Option<u32>)> =
            err.0.iter().map(|p| (p.code, p.location.as_ref().and_then(|l| l.row))).collect();
        assert_eq!(
            codes,
            [
                ("RETURN_NO_TRANSFER", Some(3)),
                ("RETURN_AMOUNT_DIFFERS", Some(4)),
                ("RETURN_ID_DIFFERS", Some(5)),
                ("RETURN_TRANSFER_TWICE", Some(7)),
            ]
        );
        assert_eq!(
            err.0[1].to_string(),
            "回盘.csv 第4行「交易金额」列：金额与 2024-03 代发文件中该账号的金额 2331.67 元不符（值：“2331.60”）。回盘金额须与代发金额分毫不差，请与银行核对；台账未记录任何退回。 [RETURN_AMOUNT_DIFFERS]"
        );
    }

    fn returned(line_id: i64, id: &str, account: &str, fen: i64, was_reissue: bool) -> Returned {
        Returned {
            line_id,
            id: id.into(),
            item: "残疾抚恤金".into(),
            period: "2024-03".parse().unwrap(),
            amount_fen: fen,
            batch_month: "2024-03".parse().unwrap(),
            account: account.into(),
            status: "失败".into(),
            reason: "账户已销户".into(),
            returned_on: NaiveDate::from_ymd_opt(2024, 3, 15).unwrap(),
            was_reissue,
            basis: "示例文件".into(),
            standard_row: Some(2),
        }
    }

    /// Account corrected → 重发 of the returned amount and 所属期; unchanged → listed, not paid; the retry key
    /// allows one retry, never a second; a death after the return is re-issued to the roster's account and noted.
    #[test]
    fn a_corrected_account_is_re_issued_and_an_unchanged_one_is_listed() {
        use crate::compute::standards::tests::{ID1, ID2, person, std_row};
        let t = StandardTable::new(vec![std_row(
            2,
            "残疾抚恤金",
            &[("类别", "残疾军人")],
            "106670",
            Unit::PerYear,
            "2022-08-01",
            None,
        )])
        .unwrap();
        let mut a = person(5, ID1, "残疾军人", &[]);
        a.account = "6222 0001".into();
        let mut b = person(6, ID2, "残疾军人", &[]);
        b.account = "6222002".into();
        let roster = vec![a, b];
        let history = History {
            returned: vec![returned(7, ID1, "6222009", 888_917, false), returned(8, ID2, "6222002", 888_917, false)],
            ..History::default()
        };
        let mut batch = MonthBatch::default();
        reissues(&roster, &t, &Rules::default(), &history, &mut batch);
        assert_eq!(batch.payments.len(), 1);
        let p = &batch.payments[0];
        assert_eq!(
            (p.recipient, p.kind, p.period.to_string(), p.amount),
            (0, PaymentKind::Reissue, "2024-03".into(), from_fen(888_917))
        );
        assert_eq!(p.reissue().unwrap().line_id, 7);
        assert_eq!(p.formula(), "重发 2024-03 批次被银行退回的 2024-03 款 8889.17（失败：账户已销户）");
        assert_eq!(batch.exceptions.len(), 1);
        assert_eq!(
            (batch.exceptions[0].recipient, batch.exceptions[0].kind),
            (1, ExceptionKind::ReturnedAccountUnchanged)
        );
        assert_eq!(
            batch.exceptions[0].reason,
            "2024-03 代发被银行退回的 2024-03 残疾抚恤金 8889.17 元（失败：账户已销户），花名册中的银行账号未更正，本月不重发；请核实并更正账号后下月重发"
        );
        // One retry into the same account when configured; a returned 重发 is not retried again.
        let retry = Rules { retry_same_account: true, ..Rules::default() };
        let mut again = MonthBatch::default();
        reissues(&roster, &t, &retry, &history, &mut again);
        assert_eq!(again.payments.len(), 2);
        let twice = History { returned: vec![returned(9, ID2, "6222002", 888_917, true)], ..History::default() };
        let mut no = MonthBatch::default();
        reissues(&roster, &t, &retry, &twice, &mut no);
        assert_eq!((no.payments.len(), no.exceptions.len()), (0, 1));
        // Died after the return: paid to the roster's (the heir's) account, and the exceptions say so.
        let mut dead = roster.clone();
        dead[0].death_date = NaiveDate::from_ymd_opt(2024, 3, 28);
        let mut heir = MonthBatch::default();
        reissues(&dead, &t, &Rules::default(), &history, &mut heir);
        assert_eq!(heir.payments.len(), 1);
        assert_eq!(heir.exceptions[0].kind, ExceptionKind::ReissueAfterDeath);
        assert_eq!(
            heir.exceptions[0].reason,
            "2024-03-28 去世（在退回之后）；2024-03 代发被银行退回的 2024-03 残疾抚恤金 8889.17 元（失败：账户已销户）按花名册现有账号 62220001（继承人）重发"
        );
    }
}
