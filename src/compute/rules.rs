//! The rules of a run, as the pure core applies them: how amounts are rounded, 年度确认, 丧葬补助 months, and
//! from which month the new county pays after a 抚恤关系转移. They
//! are also the shape of their youfu.toml sections (serde), so `config` reads the file straight into them and
//! the core never imports `config`.

use super::eligibility::ConfirmationRule;
use crate::domain::money::RoundingMode;
use crate::domain::{Recipient, YearMonth};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The rules of a run (from youfu.toml).
#[derive(Debug, Clone, Default)]
pub struct Rules {
    pub rounding: Rounding,
    /// 年度确认, when the locality configures it.
    pub confirmation: Option<ConfirmationRule>,
    pub funeral: FuneralRule,
    /// `[returns] retry_same_account`: re-issue a returned line once into the same account.
    pub retry_same_account: bool,
    /// 抚恤关系转移: who pays which month (`[transfer]`).
    pub transfer: TransferRule,
}

/// 抚恤关系转移 (rule 10 of docs/domain.md): from which month the county the 抚恤关系 moved to pays; the county it
/// left pays every month before that one. youfu.toml's `[transfer]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TransferRule {
    pub new_county_pays_from: TransferStart,
}

/// The first month the new county pays, counted from the month of the move (迁出年月 / 迁入年月).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TransferStart {
    /// 伤残抚恤管理办法 第二十三条: the old county pays the rest of the year of the move, the new one from the next
    /// January (a move in 2024-07: the old county pays through 2024-12, the new one from 2025-01).
    #[default]
    NextJanuary,
    /// The new county pays from the month after the move (the old one pays the month of the move).
    NextMonth,
    /// The new county pays from the month of the move itself.
    SameMonth,
}

impl TransferRule {
    /// The first month the new county pays for a move in `moved`; every month before it is the old county's.
    pub fn handover(self, moved: YearMonth) -> YearMonth {
        match self.new_county_pays_from {
            TransferStart::NextJanuary => YearMonth::new(moved.year() + 1, 1).unwrap_or(moved),
            TransferStart::NextMonth => moved.next(),
            TransferStart::SameMonth => moved,
        }
    }

    /// The rule in words, for `explain` and the exceptions.
    pub fn describe(self) -> &'static str {
        match self.new_county_pays_from {
            TransferStart::NextJanuary => "迁出当年由迁出地发放，次年1月起由迁入地发放（伤残抚恤管理办法第二十三条）",
            TransferStart::NextMonth => "迁移当月由迁出地发放，次月起由迁入地发放（本地配置）",
            TransferStart::SameMonth => "自迁移当月起由迁入地发放（本地配置）",
        }
    }
}

/// Rounding settings of a run: youfu.toml's `[rounding]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Rounding {
    pub policy: RoundingPolicy,
    pub mode: RoundingMode,
}

impl Default for Rounding {
    fn default() -> Self {
        Rounding { policy: RoundingPolicy::Monthly, mode: RoundingMode::HalfUp }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum RoundingPolicy {
    /// 每月四舍五入到分.
    #[default]
    Monthly,
    /// 每月四舍五入，尾差在12月调整: December pays the year's exact entitlement minus the other months.
    YearEnd,
}

/// 丧葬补助 months (see `funeral`): youfu.toml's `[funeral]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct FuneralRule {
    /// Months for a 类别 not listed in `months`.
    pub default_months: u32,
    /// 类别 → months.
    pub months: BTreeMap<String, u32>,
    /// 项目 that do not count towards the sum (e.g. 护理费, a local allowance).
    pub exclude_items: Vec<String>,
}

impl Default for FuneralRule {
    fn default() -> Self {
        FuneralRule {
            default_months: 6,
            months: [("残疾军人".to_string(), 12)].into_iter().collect(),
            exclude_items: Vec::new(),
        }
    }
}

impl FuneralRule {
    pub fn months_for(&self, r: &Recipient) -> u32 {
        r.funeral_months.or_else(|| self.months.get(&*r.category).copied()).unwrap_or(self.default_months)
    }
}
