//! 丧葬补助 (rule 8 of docs/domain.md): after a death, a one-time sum of N months of the amount in force in the death month (军人抚恤优待
//! 条例 2024 第22、32、62条). N per 类别 from configuration (defaults: 12 for 残疾军人, 6 for the rest), or per
//! person from the roster's 丧葬补助月数. Paid once, in the first batch after the death month; a death before
//! the ledger's first committed month is outside what the ledger knows, so it is listed, not paid.

use super::amount::Calculation;
use super::exception::ExceptionKind;
use super::model::{Exception, History, Payment, Rare};
use super::rules::Rules;
use super::standards::{Selection, StandardTable};
use crate::domain::PaymentKind;
use crate::domain::money::format_yuan;
use crate::domain::{Problem, Recipient, Unit, YearMonth};
use rust_decimal::Decimal;
use std::sync::Arc;

/// The 项目 name of a 丧葬补助 line.
pub const ITEM: &str = "丧葬补助";

pub enum Outcome {
    Pay(Payment),
    Listed(Exception),
    None,
}

/// The 丧葬补助 due in the batch of `month`, if any.
pub fn funeral(
    ri: usize,
    r: &Recipient,
    items: &[(Arc<str>, Vec<usize>)],
    month: YearMonth,
    table: &StandardTable,
    rules: &Rules,
    history: &History,
) -> Result<Outcome, Problem> {
    let Some(death) = r.death_date else {
        return Ok(Outcome::None);
    };
    let death_month = YearMonth::of(death);
    if death_month >= month || history.funeral_paid.contains(r.id.as_str()) {
        return Ok(Outcome::None);
    }
    // After a 抚恤关系转移 the 丧葬补助 is paid by the county that paid the death month (rule 10); the person is
    // listed with the transfer reason already.
    if super::transfer::payer(r, death_month, rules.transfer) != super::transfer::Payer::Here {
        return Ok(Outcome::None);
    }
    let first = history.first_committed.unwrap_or(month);
    if death_month < first {
        return Ok(Outcome::Listed(Exception {
            recipient: ri,
            item: Some(ITEM.into()),
            kind: ExceptionKind::FuneralBeforeLedger,
            reason: format!(
                "死亡月份{death_month}早于台账中第一个已确认发放的月份{first}，丧葬补助未计发，请人工核实是否已发放"
            ),
        }));
    }
    let rule = &rules.funeral;
    let mut monthly = Decimal::ZERO;
    let mut first_row = None;
    for (item, rows) in items {
        if rule.exclude_items.iter().any(|x| **x == **item) {
            continue;
        }
        if let Selection::InForce(i) = table.select(r, item, rows, death_month.first_day())? {
            let calc = super::amount::monthly(table.row(i), r.service_years, rules.rounding.mode);
            if let Some(c) = calc {
                monthly += c.rounded;
                first_row.get_or_insert(i);
            }
        }
    }
    let Some(standard) = first_row else {
        return Ok(Outcome::Listed(Exception {
            recipient: ri,
            item: Some(ITEM.into()),
            kind: ExceptionKind::FuneralNoBase,
            reason: format!("死亡月份{death_month}没有可作为丧葬补助计发基数的项目"),
        }));
    };
    let n = rule.months_for(r);
    let amount = monthly * Decimal::from(n);
    Ok(Outcome::Pay(Payment {
        recipient: ri,
        item: ITEM.into(),
        period: death_month,
        kind: PaymentKind::Funeral,
        amount,
        standard: standard as u32,
        calc: std::sync::Arc::new(Calculation {
            rate: monthly,
            unit: Unit::PerMonth,
            service_years: None,
            exact: amount,
            rounded: amount,
        }),
        rare: Rare { funeral_months: Some(n), ..Rare::default() }.boxed(),
    }))
}

/// "12 × 4519.17（2024-03 月发放额）= 54230.04"
pub fn formula(p: &Payment) -> String {
    format!(
        "{} × {}（{}月发放额）= {}",
        p.funeral_months().unwrap_or(0),
        format_yuan(p.calc.rate),
        p.period,
        format_yuan(p.amount)
    )
}
