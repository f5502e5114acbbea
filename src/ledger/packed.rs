//! A committed batch's lines as the report reads them, packed into one blob (`packed_lines`, schema version 6).
//!
//! `period_counts` needs six columns of every line of six months (a province: ten million lines); stepping SQLite
//! through them row by row was most of `report`'s time. `commit` writes, in the same transaction as the lines,
//! each line's 身份证号 (packed into a u64), 所属期, 发放类型, 类别, 项目, 乡镇 and 分, in the order of `lines`, the
//! texts as numbers into small dictionaries. The database accepts the blob only for a committed batch with the
//! same line count and total (trigger), and `decode` checks both again: a blob that does not add up is a damaged
//! ledger. A batch committed before version 6 has none and is read from `lines` as before.
//!
//! Layout (little-endian): the magic `YFPL1\n`; five dictionaries (所属期, 类别, 项目, 乡镇, and the 身份证号 that do
//! not pack), each a u32 count and that many u32-length-prefixed UTF-8 texts; a u32 line count; then 24 bytes a
//! line: person u64 (a packed 身份证号, or `OTHER` | its index in the last dictionary), 分 i64, u16 所属期 index
//! with the kind in its top two bits, and u16 indexes of 类别, 项目, 乡镇.

use crate::domain::PaymentKind;
use rustc_hash::FxHashMap;

const MAGIC: &[u8] = b"YFPL1\n";
/// Set in a line's person field for a 身份证号 that does not pack (`id_card::pack` stays below 2^63).
const OTHER: u64 = 1 << 63;
const LINE_BYTES: usize = 24;
/// Kinds are stored in the top two bits of the 所属期 index.
const KIND_SHIFT: u16 = 14;
const PERIOD_MASK: u16 = (1 << KIND_SHIFT) - 1;

/// The texts of one column, numbered in the order first seen.
#[derive(Default)]
struct Dictionary {
    index: FxHashMap<Box<str>, u16>,
    texts: Vec<Box<str>>,
    /// A text too many for a u16 index (never in practice): the batch is then not packed.
    full: bool,
    /// The last text's number (consecutive lines mostly share their texts).
    last: Option<u16>,
}

impl Dictionary {
    fn number(&mut self, text: &str, limit: usize) -> u16 {
        if let Some(n) = self.last
            && *self.texts[usize::from(n)] == *text
        {
            return n;
        }
        let n = match self.index.get(text) {
            Some(&n) => n,
            None if self.texts.len() < limit => {
                let n = self.texts.len() as u16;
                self.texts.push(text.into());
                self.index.insert(text.into(), n);
                n
            }
            None => {
                self.full = true;
                return 0;
            }
        };
        self.last = Some(n);
        n
    }
}

fn write_texts<T: AsRef<str>>(texts: &[T], out: &mut Vec<u8>) {
    out.extend_from_slice(&(texts.len() as u32).to_le_bytes());
    for t in texts {
        let t = t.as_ref();
        out.extend_from_slice(&(t.len() as u32).to_le_bytes());
        out.extend_from_slice(t.as_bytes());
    }
}

/// Builds the blob of one batch, a line at a time (in the order of `lines`).
#[derive(Default)]
pub(super) struct PackedWriter {
    periods: Dictionary,
    names: [Dictionary; 3],
    others: Vec<String>,
    lines: Vec<u8>,
    count: u32,
}

impl PackedWriter {
    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        person_id: &str,
        period: &str,
        kind: PaymentKind,
        category: &str,
        item: &str,
        town: &str,
        amount_fen: i64,
    ) {
        let person = match crate::domain::id_card::pack(person_id.as_bytes()) {
            Some(key) => key,
            None => {
                self.others.push(person_id.to_string());
                OTHER | (self.others.len() - 1) as u64
            }
        };
        let period = self.periods.number(period, usize::from(PERIOD_MASK) + 1);
        let kind = match kind {
            PaymentKind::Regular => 0u16,
            PaymentKind::Arrears => 1,
            PaymentKind::Funeral => 2,
            PaymentKind::Reissue => 3,
        };
        let l = &mut self.lines;
        l.extend_from_slice(&person.to_le_bytes());
        l.extend_from_slice(&amount_fen.to_le_bytes());
        l.extend_from_slice(&(period | kind << KIND_SHIFT).to_le_bytes());
        for (dim, text) in [category, item, town].into_iter().enumerate() {
            let n = self.names[dim].number(text, usize::from(u16::MAX) + 1);
            l.extend_from_slice(&n.to_le_bytes());
        }
        self.count += 1;
    }

    /// The blob, or `None` when a dictionary overflowed (the batch is then read from `lines`).
    pub fn finish(self) -> Option<Vec<u8>> {
        if self.periods.full || self.names.iter().any(|d| d.full) {
            return None;
        }
        let mut out = Vec::with_capacity(self.lines.len() + 4096);
        out.extend_from_slice(MAGIC);
        write_texts(&self.periods.texts, &mut out);
        for d in &self.names {
            write_texts(&d.texts, &mut out);
        }
        write_texts(&self.others, &mut out);
        out.extend_from_slice(&self.count.to_le_bytes());
        out.extend_from_slice(&self.lines);
        Some(out)
    }
}

/// One line of a decoded blob: indexes into `Packed`'s dictionaries. Not a payment line to hand out but the blob's
/// row as the counting reads it (`counts.rs` tallies by these numbers and looks a text up once per number).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct PackedLine {
    /// A packed 身份证号, or `Person::Other` index.
    pub person: Person,
    pub period: usize,
    pub kind: PaymentKind,
    /// 类别, 项目, 乡镇.
    pub names: [usize; 3],
    pub amount_fen: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Person {
    Packed(u64),
    /// Index into `Packed::others`.
    Other(usize),
}

/// A blob read back: its dictionaries and its lines (still packed, read by `lines`).
pub(super) struct Packed<'b> {
    pub periods: Vec<&'b str>,
    /// 类别, 项目, 乡镇.
    pub names: [Vec<&'b str>; 3],
    pub others: Vec<&'b str>,
    body: &'b [u8],
}

impl<'b> Packed<'b> {
    /// Read a blob and check it whole: every index in range, and the lines' count and total `expected`. The
    /// error says what is wrong, for `LedgerError::Corrupt`.
    pub fn decode(blob: &'b [u8], expected: (u64, i64)) -> Result<Packed<'b>, String> {
        let mut r = Reader { bytes: blob, at: 0 };
        if r.take(MAGIC.len())? != MAGIC {
            return Err("开头标记不对".into());
        }
        let periods = r.texts()?;
        let names = [r.texts()?, r.texts()?, r.texts()?];
        let others = r.texts()?;
        let count = r.u32()? as usize;
        let body = r.take(count.checked_mul(LINE_BYTES).ok_or("笔数超出范围")?)?;
        if r.at != blob.len() {
            return Err("结尾有多余的数据".into());
        }
        let packed = Packed { periods, names, others, body };
        let mut total = 0i64;
        for line in packed.lines() {
            let line = line?;
            total = total.checked_add(line.amount_fen).ok_or("合计超出范围")?;
        }
        if (count as u64, total) != expected {
            return Err(format!(
                "共 {count} 笔、合计 {total} 分，与批次记录的 {} 笔、{} 分不符",
                expected.0, expected.1
            ));
        }
        Ok(packed)
    }

    /// The lines in stored order.
    pub fn lines(&self) -> impl Iterator<Item = Result<PackedLine, String>> + '_ {
        self.body.chunks_exact(LINE_BYTES).map(|b| {
            let u64_at = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
            let u16_at = |i: usize| usize::from(u16::from_le_bytes(b[i..i + 2].try_into().expect("2 bytes")));
            let raw = u64_at(0);
            let person = if raw & OTHER == 0 {
                Person::Packed(raw)
            } else {
                let i = (raw & !OTHER) as usize;
                if i >= self.others.len() {
                    return Err(format!("身份证号编号 {i} 超出范围"));
                }
                Person::Other(i)
            };
            let amount_fen = u64_at(8) as i64;
            if amount_fen < 0 {
                return Err(format!("金额 {amount_fen} 分为负数"));
            }
            let period_kind = u16_at(16);
            let period = period_kind & usize::from(PERIOD_MASK);
            let kind = match period_kind >> KIND_SHIFT {
                0 => PaymentKind::Regular,
                1 => PaymentKind::Arrears,
                2 => PaymentKind::Funeral,
                3 => PaymentKind::Reissue,
                k => return Err(format!("发放类型编号 {k} 未知")),
            };
            if period >= self.periods.len() {
                return Err(format!("所属期编号 {period} 超出范围"));
            }
            let names = [u16_at(18), u16_at(20), u16_at(22)];
            for (dim, &n) in names.iter().enumerate() {
                if n >= self.names[dim].len() {
                    return Err(format!("{}编号 {n} 超出范围", ["类别", "项目", "乡镇"][dim]));
                }
            }
            Ok(PackedLine { person, period, kind, names, amount_fen })
        })
    }
}

struct Reader<'b> {
    bytes: &'b [u8],
    at: usize,
}

impl<'b> Reader<'b> {
    fn take(&mut self, n: usize) -> Result<&'b [u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len()).ok_or("数据不完整")?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes")))
    }

    fn texts(&mut self) -> Result<Vec<&'b str>, String> {
        let n = self.u32()? as usize;
        let mut out = Vec::with_capacity(n.min(self.bytes.len() / 4));
        for _ in 0..n {
            let len = self.u32()? as usize;
            out.push(std::str::from_utf8(self.take(len)?).map_err(|_| "文字不是有效的 UTF-8")?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "110101199003074514";
    const B: &str = "11010119900307451x";

    fn blob() -> Vec<u8> {
        let mut w = PackedWriter::default();
        w.push(A, "2024-03", PaymentKind::Regular, "残疾军人", "残疾抚恤金", "城关镇", 179_583);
        w.push(A, "2024-02", PaymentKind::Arrears, "残疾军人", "残疾抚恤金", "城关镇", 1_000);
        // a lower-case x does not pack: kept as text
        w.push(B, "2024-03", PaymentKind::Funeral, "烈士遗属", "丧葬补助金", "河西乡", 2_000_000);
        w.finish().unwrap()
    }

    #[test]
    fn lines_come_back_as_written() {
        let b = blob();
        // 179583 + 1000 + 2000000 = 2180583 分 in 3 lines
        let p = Packed::decode(&b, (3, 2_180_583)).unwrap();
        assert_eq!(p.periods, ["2024-03", "2024-02"]);
        assert_eq!(p.names, [vec!["残疾军人", "烈士遗属"], vec!["残疾抚恤金", "丧葬补助金"], vec!["城关镇", "河西乡"]]);
        assert_eq!(p.others, [B]);
        let lines: Vec<PackedLine> = p.lines().map(Result::unwrap).collect();
        let a = crate::domain::id_card::pack(A.as_bytes()).unwrap();
        assert_eq!(
            lines,
            [
                PackedLine {
                    person: Person::Packed(a),
                    period: 0,
                    kind: PaymentKind::Regular,
                    names: [0, 0, 0],
                    amount_fen: 179_583
                },
                PackedLine {
                    person: Person::Packed(a),
                    period: 1,
                    kind: PaymentKind::Arrears,
                    names: [0, 0, 0],
                    amount_fen: 1_000
                },
                PackedLine {
                    person: Person::Other(0),
                    period: 0,
                    kind: PaymentKind::Funeral,
                    names: [1, 1, 1],
                    amount_fen: 2_000_000
                },
            ]
        );
        assert_eq!(Packed::decode(&PackedWriter::default().finish().unwrap(), (0, 0)).unwrap().lines().count(), 0);
    }

    #[test]
    fn a_blob_that_does_not_add_up_or_is_cut_is_refused() {
        let b = blob();
        let err = |bytes: &[u8], expected| Packed::decode(bytes, expected).err().unwrap();
        assert_eq!(err(&b, (3, 2_180_584)), "共 3 笔、合计 2180583 分，与批次记录的 3 笔、2180584 分不符");
        assert_eq!(err(&b, (4, 2_180_583)), "共 3 笔、合计 2180583 分，与批次记录的 4 笔、2180583 分不符");
        assert_eq!(err(&b[..b.len() - 1], (3, 2_180_583)), "数据不完整");
        assert_eq!(err(&[b.as_slice(), &[0]].concat(), (3, 2_180_583)), "结尾有多余的数据");
        assert_eq!(err(b"YFPL2\n", (0, 0)), "开头标记不对");
        // the last line's 乡镇 index (bytes 22..24 of the last 24) pointed past its dictionary
        let mut bad = b.clone();
        let n = bad.len();
        bad[n - 2] = 9;
        assert_eq!(err(&bad, (3, 2_180_583)), "乡镇编号 9 超出范围");
        // the first line's kind bits set to 3: a 重发 (schema version 7); the two bits hold no unknown kind
        let lines_start = n - 3 * LINE_BYTES;
        let mut reissue = b.clone();
        reissue[lines_start + 17] |= 0xC0;
        let p = Packed::decode(&reissue, (3, 2_180_583)).unwrap();
        assert_eq!(p.lines().next().unwrap().unwrap().kind, PaymentKind::Reissue);
    }

    #[test]
    fn a_dictionary_that_overflows_leaves_the_batch_unpacked() {
        let towns: Vec<String> = (0..=usize::from(u16::MAX) + 1).map(|i| format!("镇{i}")).collect();
        let mut w = PackedWriter::default();
        for t in &towns {
            w.push(A, "2024-03", PaymentKind::Regular, "残疾军人", "残疾抚恤金", t, 1);
        }
        assert!(w.finish().is_none());
    }
}
