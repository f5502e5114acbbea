//! The bank's 代发 file: one transfer per recipient account, the sum of their payments, in the layout and
//! encoding the bank asks for (youfu.toml `[bank]`). Default: 序号, 姓名, 身份证号, 账号, 金额, 摘要, UTF-8.

use super::PayRun;
use super::text::{push_u64, push_yuan};
use crate::compute::PaymentKind;
use crate::compute::summary::transfers;
use crate::config::Encoding;
use crate::domain::money::format_yuan;
use rust_decimal::Decimal;

/// The bank file's bytes, or the first character the chosen encoding cannot represent.
pub fn bank_file(run: &PayRun) -> Result<Vec<u8>, String> {
    let layout = &run.config.bank;
    let tr = transfers(run.batch);
    let total: Decimal = tr.iter().map(|t| t.amount).sum();
    let mut w = csv::WriterBuilder::new()
        .delimiter(layout.delimiter.as_bytes()[0])
        .terminator(csv::Terminator::CRLF)
        .flexible(true)
        .from_writer(Vec::new());
    if layout.totals_line {
        w.write_record([tr.len().to_string(), format_yuan(total)]).expect("memory");
    }
    if layout.header {
        w.write_record(&layout.columns).expect("memory");
    }
    let memo_base =
        layout.memo.replace("{所属期}", &run.month.to_string()).replace("{月}", &run.month.month().to_string());
    // The memo depends only on the kinds of payment in the transfer: worked out once per combination.
    let mut memos: Vec<(Vec<PaymentKind>, String)> = Vec::new();
    let mut num = Vec::with_capacity(24);
    for (n, t) in tr.iter().enumerate() {
        let r = &run.roster[t.recipient];
        let kinds = &t.kinds;
        let memo = match memos.iter().position(|(k, _)| k == kinds) {
            Some(i) => i,
            None => {
                let memo = if kinds[..] == [PaymentKind::Regular] {
                    memo_base.clone()
                } else {
                    let labels: Vec<&str> =
                        kinds.iter().filter(|k| **k != PaymentKind::Regular).map(|k| k.label()).collect();
                    format!("{memo_base}（含{}）", labels.join("、"))
                };
                memos.push((kinds.clone(), memo));
                memos.len() - 1
            }
        };
        for c in &layout.columns {
            match c.as_str() {
                "序号" => {
                    num.clear();
                    push_u64(&mut num, n as u64 + 1);
                    w.write_field(&num)
                }
                "姓名" => w.write_field(&r.name),
                "身份证号" => w.write_field(r.id.as_str()),
                "账号" => w.write_field(&r.account),
                "开户行" => w.write_field(&r.bank),
                "金额" => {
                    num.clear();
                    push_yuan(&mut num, t.amount);
                    w.write_field(&num)
                }
                "摘要" => w.write_field(&memos[memo].1),
                other => unreachable!("config validation rejects column {other}"),
            }
            .expect("memory");
        }
        w.write_record(None::<&[u8]>).expect("memory");
    }
    let text = String::from_utf8(w.into_inner().expect("memory")).expect("csv of UTF-8 strings");
    encode(&text, layout.encoding)
}

fn encode(text: &str, encoding: Encoding) -> Result<Vec<u8>, String> {
    match encoding {
        Encoding::Utf8 => Ok(text.as_bytes().to_vec()),
        Encoding::Utf8Bom => Ok([b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat()),
        Encoding::Gbk => {
            let (bytes, _, had_errors) = encoding_rs::GBK.encode(text);
            if had_errors {
                let bad = text.chars().find(|c| encoding_rs::GBK.encode(&c.to_string()).2).unwrap_or('?');
                return Err(format!("代发文件按 GBK 编码时遇到无法表示的字符“{bad}”，请改用 UTF-8 或修改该人员信息"));
            }
            Ok(bytes.into_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gbk_encoding_and_refusal() {
        assert_eq!(encode("张三", Encoding::Gbk).unwrap(), vec![0xD5, 0xC5, 0xC8, 0xFD]);
        assert_eq!(encode("a", Encoding::Utf8Bom).unwrap(), b"\xEF\xBB\xBFa");
        let e = encode("张😀", Encoding::Gbk).unwrap_err();
        assert_eq!(e, "代发文件按 GBK 编码时遇到无法表示的字符“😀”，请改用 UTF-8 或修改该人员信息");
    }
}
