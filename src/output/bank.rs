//! The bank's 代发 file: one transfer per recipient account, the sum of their payments, in the layout and
//! encoding the bank asks for (youfu.toml `[bank]`). Default: 序号, 姓名, 身份证号, 账号, 金额, 摘要, UTF-8.

use super::PayRun;
use super::text::{CsvOut, push_u64, push_yuan};
use crate::compute::summary::{Kinds, Transfer, each_transfer};
use crate::config::Encoding;
use crate::domain::PaymentKind;
use crate::domain::Problem;
use rust_decimal::Decimal;
use std::io::Write;

/// Why the bank file could not be written.
#[derive(Debug)]
pub enum BankError {
    /// A character the chosen encoding cannot represent: the problem names it and, when it comes from the
    /// roster, the person, row and column it is in.
    Encoding(Box<Problem>),
    Io(std::io::Error),
}

/// The character the bank's encoding cannot hold, carried through the CSV writer as an io error.
#[derive(Debug)]
struct Unencodable(char);

impl std::fmt::Display for Unencodable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "无法编码的字符“{}”", self.0)
    }
}

impl std::error::Error for Unencodable {}

impl From<std::io::Error> for BankError {
    fn from(e: std::io::Error) -> Self {
        BankError::Io(e)
    }
}

/// The refusal for a character GBK cannot hold, located at the first roster cell that carries it.
fn unencodable(run: &PayRun, bad: char, transfers: impl Iterator<Item = Transfer>) -> Problem {
    let p = Problem::new("BANK_ENCODING", format!("代发文件须按 GBK 编码，无法表示字符“{bad}”")).hint(
        "请与银行确认该字的替代写法后修改花名册，或在 youfu.toml 的 [bank] 中改用 encoding = \"utf8\"（须银行支持）。",
    );
    for t in transfers {
        let r = &run.roster[t.recipient];
        for (column, value) in [("姓名", &*r.name), ("开户行", &*r.bank)] {
            if value.contains(bad) {
                let mut at = r.location.to_location();
                at.column = Some(column.to_string());
                return p.at(at).value(value);
            }
        }
    }
    p
}

/// Write the bank file to `out`, record by record (each record encoded as it is finished, so a GBK file never
/// exists whole in memory). Stops at the first character the chosen encoding cannot represent; the caller
/// discards what was written (outputs are moved into place only when the whole run succeeds).
pub fn bank_file<W: Write>(run: &PayRun, mut out: W) -> Result<(), BankError> {
    let layout = &run.config.bank;
    // The totals line comes first: one pass over the transfers for it, a second one for the records (the
    // transfers are summed as they are taken, never held: `each_transfer`).
    let (count, total) = each_transfer(run.batch).fold((0u64, Decimal::ZERO), |(n, sum), t| (n + 1, sum + t.amount));
    if layout.encoding == Encoding::Utf8Bom {
        out.write_all(b"\xEF\xBB\xBF")?;
    }
    let mut w = CsvOut::with_delimiter(
        Encoder { out: &mut out, encoding: layout.encoding, pending: Vec::new() },
        layout.delimiter.as_bytes()[0],
    );
    let refusal = |e: std::io::Error| match e.get_ref().and_then(|i| i.downcast_ref::<Unencodable>()) {
        Some(Unencodable(bad)) => BankError::Encoding(Box::new(unencodable(run, *bad, each_transfer(run.batch)))),
        None => BankError::Io(e),
    };
    if layout.totals_line {
        // Numbers (`CsvOut::raw`), never text to neutralise.
        push_u64(w.raw(), count);
        push_yuan(w.raw(), total);
        w.end_record().map_err(refusal)?;
    }
    if layout.header {
        w.record(&layout.columns).map_err(refusal)?;
    }
    let memo_base =
        layout.memo.replace("{所属期}", &run.month.to_string()).replace("{月}", &run.month.month().to_string());
    // The memo depends only on the kinds of payment in the transfer: worked out once per combination.
    let mut memos: Vec<(Kinds, String)> = Vec::new();
    for (n, t) in each_transfer(run.batch).enumerate() {
        let r = &run.roster[t.recipient];
        let kinds = t.kinds;
        let memo = match memos.iter().position(|(k, _)| *k == kinds) {
            Some(i) => i,
            None => {
                let memo = if kinds == Kinds::of(PaymentKind::Regular) {
                    memo_base.clone()
                } else {
                    let labels: Vec<&str> =
                        kinds.iter().filter(|k| *k != PaymentKind::Regular).map(|k| k.label()).collect();
                    format!("{memo_base}（含{}）", labels.join("、"))
                };
                memos.push((kinds, memo));
                memos.len() - 1
            }
        };
        for c in &layout.columns {
            match c.as_str() {
                "序号" => push_u64(w.raw(), n as u64 + 1),
                "姓名" => w.field(r.name.as_bytes()),
                "身份证号" => w.field(r.id.as_str().as_bytes()),
                "账号" => w.field(r.account.as_bytes()),
                "开户行" => w.field(r.bank.as_bytes()),
                "金额" => push_yuan(w.raw(), t.amount),
                "摘要" => w.field(memos[memo].1.as_bytes()),
                other => unreachable!("config validation rejects column {other}"),
            }
        }
        w.end_record().map_err(refusal)?;
    }
    let encoder = w.finish().map_err(refusal)?;
    if !encoder.pending.is_empty() {
        return Err(std::io::Error::other("代发文件内容不是完整的 UTF-8 文本").into());
    }
    out.flush()?;
    Ok(())
}

/// Passes UTF-8 text on in the bank's encoding: as it is for UTF-8 (the text comes from `String`s), converted for
/// GBK. A writer may hand over its buffer at any byte position (`CsvOut` hands over whole lines), so for GBK a
/// character cut in two waits in `pending` for its other half.
struct Encoder<W: Write> {
    out: W,
    encoding: Encoding,
    pending: Vec<u8>,
}

impl<W: Write> Write for Encoder<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.encoding != Encoding::Gbk {
            // What `encode` gives for UTF-8, without checking a province's bank file as UTF-8 a second time.
            self.out.write_all(buf)?;
            return Ok(buf.len());
        }
        let joined;
        let bytes = if self.pending.is_empty() {
            buf
        } else {
            self.pending.extend_from_slice(buf);
            joined = std::mem::take(&mut self.pending);
            &joined[..]
        };
        let valid = match std::str::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) if e.error_len().is_none() => std::str::from_utf8(&bytes[..e.valid_up_to()]).expect("checked"),
            Err(_) => return Err(std::io::Error::other("代发文件内容不是 UTF-8 文本")),
        };
        let encoded = encode(valid, self.encoding).map_err(|c| std::io::Error::other(Unencodable(c)))?;
        self.out.write_all(&encoded)?;
        let rest = bytes[valid.len()..].to_vec();
        self.pending = rest;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// Text in the bank's encoding (the byte-order mark, if any, is written once by the caller), or the first
/// character the encoding cannot hold.
fn encode(text: &str, encoding: Encoding) -> Result<std::borrow::Cow<'_, [u8]>, char> {
    match encoding {
        Encoding::Utf8 | Encoding::Utf8Bom => Ok(std::borrow::Cow::Borrowed(text.as_bytes())),
        Encoding::Gbk => {
            let (bytes, _, had_errors) = encoding_rs::GBK.encode(text);
            if had_errors {
                return Err(text.chars().find(|c| encoding_rs::GBK.encode(&c.to_string()).2).unwrap_or('?'));
            }
            Ok(bytes)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gbk_encoding_and_refusal() {
        assert_eq!(&*encode("张三", Encoding::Gbk).unwrap(), [0xD5, 0xC5, 0xC8, 0xFD]);
        assert_eq!(&*encode("a", Encoding::Utf8Bom).unwrap(), b"a");
        assert_eq!(encode("张😀", Encoding::Gbk).unwrap_err(), '😀');
    }

    /// A writer may hand its buffer over at any byte: a character cut between two writes comes out whole, in GBK
    /// converted, in UTF-8 the bytes as they were.
    #[test]
    fn the_encoder_joins_characters_cut_between_writes() {
        let text = "序号,姓名\r\n1,张三\r\n".as_bytes();
        for cut in 0..=text.len() {
            for encoding in [Encoding::Utf8, Encoding::Utf8Bom] {
                let mut out = Vec::new();
                let mut e = Encoder { out: &mut out, encoding, pending: Vec::new() };
                e.write_all(&text[..cut]).unwrap();
                e.write_all(&text[cut..]).unwrap();
                assert!(e.pending.is_empty(), "cut at {cut}");
                assert_eq!(out, text, "cut at {cut}");
            }
            let mut out = Vec::new();
            let mut e = Encoder { out: &mut out, encoding: Encoding::Gbk, pending: Vec::new() };
            e.write_all(&text[..cut]).unwrap();
            e.write_all(&text[cut..]).unwrap();
            assert!(e.pending.is_empty(), "cut at {cut}");
            // 序号 D0F2 BAC5, 姓名 D0D5 C3FB, 张三 D5C5 C8FD
            assert_eq!(
                out,
                [
                    0xD0, 0xF2, 0xBA, 0xC5, b',', 0xD0, 0xD5, 0xC3, 0xFB, b'\r', b'\n', b'1', b',', 0xD5, 0xC5, 0xC8,
                    0xFD, b'\r', b'\n'
                ],
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn a_character_gbk_cannot_hold_travels_as_its_own_error() {
        let mut out = Vec::new();
        let mut e = Encoder { out: &mut out, encoding: Encoding::Gbk, pending: Vec::new() };
        let err = e.write_all("1,张😀\r\n".as_bytes()).unwrap_err();
        assert_eq!(err.get_ref().and_then(|i| i.downcast_ref::<Unencodable>()).map(|u| u.0), Some('😀'));
    }
}
