//! The rules of a run, as the pure core applies them: how amounts are rounded, 年度确认, 丧葬补助 months. They
//! are also the shape of their youfu.toml sections (serde), so `config` reads the file straight into them and
//! the core never imports `config`.

use super::eligibility::ConfirmationRule;
use crate::domain::Recipient;
use crate::domain::money::RoundingMode;
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
