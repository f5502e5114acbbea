//! Why a recipient (or one of their items) is not paid this month, as a closed set: each kind has a stable code
//! for scripts (exceptions.csv's 原因代码, the ledger's shortfall list) and a short Chinese label for people (the
//! 原因类别 of exceptions.csv and of the 异常 sheet). Code that decides by the kind matches on the enum, never on
//! a string.

use serde::{Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ExceptionKind {
    /// 起发年月 after the month.
    NotStarted,
    /// Died before the month (paid to the death month).
    Deceased,
    /// 停发.
    Stopped,
    /// 暂停 (with the roster's reason).
    Suspended,
    /// 年度确认 missing or late: suspended.
    Unconfirmed,
    /// Eligible, but no standard in force this month gives anything.
    NothingOwed,
    /// Owed money but no bank account: the one kind that makes a batch short of 足额.
    NoAccount,
    /// Died before the ledger's first committed month: the 丧葬补助 is left for a person to check.
    FuneralBeforeLedger,
    /// Died, but no item of the death month can be the 丧葬补助's base.
    FuneralNoBase,
    /// Paid more than owed in an earlier month: listed for 追缴 (the 异常 sheet lists recoveries too).
    Overpaid,
    /// The bank returned a transfer and the roster's account is the same: not re-issued (重发) into it again.
    ReturnedAccountUnchanged,
    /// The bank returned a transfer and the roster has no account: not re-issued.
    ReturnedNoAccount,
    /// Died after the bank returned a transfer: re-issued to the account the roster now gives (the heir's).
    ReissueAfterDeath,
    /// 迁出: the county the 抚恤关系 moved to pays this month (rule 10).
    MovedOut,
    /// 迁入待接续: moved in, but the county of origin still pays this month (rule 10); listed with the month
    /// this county's payments start.
    TransferPending,
}

impl ExceptionKind {
    /// Every kind, in the order above.
    pub const ALL: [ExceptionKind; 15] = [
        ExceptionKind::NotStarted,
        ExceptionKind::Deceased,
        ExceptionKind::Stopped,
        ExceptionKind::Suspended,
        ExceptionKind::Unconfirmed,
        ExceptionKind::NothingOwed,
        ExceptionKind::NoAccount,
        ExceptionKind::FuneralBeforeLedger,
        ExceptionKind::FuneralNoBase,
        ExceptionKind::Overpaid,
        ExceptionKind::ReturnedAccountUnchanged,
        ExceptionKind::ReturnedNoAccount,
        ExceptionKind::ReissueAfterDeath,
        ExceptionKind::MovedOut,
        ExceptionKind::TransferPending,
    ];

    /// Stable UPPER_SNAKE code for scripts (unchanged since exceptions.csv first carried it).
    pub fn code(self) -> &'static str {
        match self {
            ExceptionKind::NotStarted => "NOT_STARTED",
            ExceptionKind::Deceased => "DECEASED",
            ExceptionKind::Stopped => "STOPPED",
            ExceptionKind::Suspended => "SUSPENDED",
            ExceptionKind::Unconfirmed => "UNCONFIRMED",
            ExceptionKind::NothingOwed => "NOTHING_OWED",
            ExceptionKind::NoAccount => "NO_ACCOUNT",
            ExceptionKind::FuneralBeforeLedger => "FUNERAL_BEFORE_LEDGER",
            ExceptionKind::FuneralNoBase => "FUNERAL_NO_BASE",
            ExceptionKind::Overpaid => "OVERPAID",
            ExceptionKind::ReturnedAccountUnchanged => "RETURNED_ACCOUNT_UNCHANGED",
            ExceptionKind::ReturnedNoAccount => "RETURNED_NO_ACCOUNT",
            ExceptionKind::ReissueAfterDeath => "REISSUE_AFTER_DEATH",
            ExceptionKind::MovedOut => "MOVED_OUT",
            ExceptionKind::TransferPending => "TRANSFER_PENDING",
        }
    }

    /// The short Chinese label people read (原因类别); the full reason is the exception's own text.
    pub fn label(self) -> &'static str {
        match self {
            ExceptionKind::NotStarted => "未到起发年月",
            ExceptionKind::Deceased => "已死亡",
            ExceptionKind::Stopped => "已停发",
            ExceptionKind::Suspended => "暂停发放",
            ExceptionKind::Unconfirmed => "未按期年度确认",
            ExceptionKind::NothingOwed => "本月无应发项目",
            ExceptionKind::NoAccount => "缺少银行账号",
            ExceptionKind::FuneralBeforeLedger => "丧葬补助待人工核实",
            ExceptionKind::FuneralNoBase => "丧葬补助无计发基数",
            ExceptionKind::Overpaid => "多发待追缴",
            ExceptionKind::ReturnedAccountUnchanged => "银行退回，账号未更正",
            ExceptionKind::ReturnedNoAccount => "银行退回，缺少银行账号",
            ExceptionKind::ReissueAfterDeath => "退回后死亡，向继承人账号重发",
            ExceptionKind::MovedOut => "已迁出",
            ExceptionKind::TransferPending => "迁入待接续",
        }
    }

    /// The kind a code names (`code`'s inverse); `None` for any other text.
    pub fn from_code(code: &str) -> Option<ExceptionKind> {
        ExceptionKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// Whether an eligible recipient was left unpaid (what makes a month not 足额 in the audit).
    pub fn is_shortfall(self) -> bool {
        self == ExceptionKind::NoAccount
    }
}

/// Serialized as its code (the ledger's shortfall list and `--json` keep the strings they always had).
impl Serialize for ExceptionKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_code_and_a_chinese_label() {
        let codes: std::collections::BTreeSet<_> = ExceptionKind::ALL.iter().map(|k| k.code()).collect();
        let labels: std::collections::BTreeSet<_> = ExceptionKind::ALL.iter().map(|k| k.label()).collect();
        assert_eq!((codes.len(), labels.len()), (15, 15));
        for k in ExceptionKind::ALL {
            assert!(k.code().bytes().all(|b| b.is_ascii_uppercase() || b == b'_'), "{k:?}");
            assert!(k.label().chars().all(|c| !c.is_ascii()), "{k:?}: {}", k.label());
        }
        assert_eq!(serde_json::to_string(&ExceptionKind::NoAccount).unwrap(), "\"NO_ACCOUNT\"");
        for k in ExceptionKind::ALL {
            assert_eq!(ExceptionKind::from_code(k.code()), Some(k));
        }
        assert_eq!(ExceptionKind::from_code("缺少银行账号"), None);
        let short: Vec<_> = ExceptionKind::ALL.into_iter().filter(|k| k.is_shortfall()).collect();
        assert_eq!(short, [ExceptionKind::NoAccount]);
    }
}
