//! 发放类型: the kind of a payment line (正常, 补发, 丧葬补助, 重发) — one type from the batch compute makes to
//! the ledger's rows, the bank file's 摘要, the report's groups and `explain`. Here, in the lowest layer, because
//! every layer that handles a line needs it and the ledger's backends may not import compute (tests/layering.rs).
//!
//! Its Chinese label is what people read and what the ledgers store (the `kind` column of SQLite and PostgreSQL,
//! checked there against these four words); serde writes and reads the same labels. A text from outside (a
//! ledger's column) is parsed once, where it is read (`from_label`).

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum PaymentKind {
    /// 正常: the regular payment of a 所属期, made once.
    #[serde(rename = "正常")]
    Regular,
    /// 补发: arrears for an earlier 所属期, adding to what was paid for it.
    #[serde(rename = "补发")]
    Arrears,
    /// 丧葬补助: the one-time sum on a recipient's death, paid once per person.
    #[serde(rename = "丧葬补助")]
    Funeral,
    /// 重发: a line the bank returned (退回), sent again with its 所属期 and amount, once.
    #[serde(rename = "重发")]
    Reissue,
}

impl PaymentKind {
    /// Every kind, in the order above (the order of the bank file's 摘要 and of the report's groups).
    pub const ALL: [PaymentKind; 4] =
        [PaymentKind::Regular, PaymentKind::Arrears, PaymentKind::Funeral, PaymentKind::Reissue];

    /// The Chinese label: what people read and what a ledger stores.
    pub fn label(self) -> &'static str {
        match self {
            PaymentKind::Regular => "正常",
            PaymentKind::Arrears => "补发",
            PaymentKind::Funeral => "丧葬补助",
            PaymentKind::Reissue => "重发",
        }
    }

    /// The kind a label names; `None` for any other text.
    pub fn from_label(label: &str) -> Option<PaymentKind> {
        PaymentKind::ALL.into_iter().find(|k| k.label() == label)
    }

    /// Counts for 人次 as a regular month does: 正常, and 重发 (which replaces the 正常 line the bank returned).
    pub fn counts_as_regular(self) -> bool {
        matches!(self, PaymentKind::Regular | PaymentKind::Reissue)
    }
}

impl fmt::Display for PaymentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_is_its_chinese_label_in_text_and_in_serde() {
        for k in PaymentKind::ALL {
            assert_eq!(PaymentKind::from_label(k.label()), Some(k));
            assert_eq!(serde_json::to_string(&k).unwrap(), format!("\"{}\"", k.label()));
            assert_eq!(serde_json::from_str::<PaymentKind>(&format!("\"{k}\"")).unwrap(), k);
        }
        let labels: Vec<_> = PaymentKind::ALL.iter().map(|k| k.label()).collect();
        assert_eq!(labels, ["正常", "补发", "丧葬补助", "重发"]);
        assert_eq!(PaymentKind::from_label("Regular"), None);
        assert!(serde_json::from_str::<PaymentKind>("\"正 常\"").is_err());
    }
}
