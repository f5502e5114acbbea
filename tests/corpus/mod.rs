//! Broken and hostile input files, generated (never committed): an .xlsx package written by hand so that its parts,
//! their declared sizes and their compression are exactly what a test needs, and a deflate stream that inflates
//! to a gigabyte from a few megabytes (a zip bomb) without compressing a gigabyte to make it.
#![allow(dead_code)]

/// A part of a package: its name, its bytes (stored) or a deflate stream with the size it inflates to, and the
/// size its headers declare (which a hostile file sets as it likes).
pub struct Part {
    pub name: String,
    pub data: Data,
    pub declared: Option<u64>,
}

pub enum Data {
    Stored(Vec<u8>),
    /// `crc`: of the inflated bytes (0 for a bomb: every reader under test stops before its end).
    Deflated {
        stream: Vec<u8>,
        inflated: u64,
        crc: u32,
    },
}

impl Part {
    pub fn stored(name: &str, text: &str) -> Part {
        Part { name: name.into(), data: Data::Stored(text.as_bytes().to_vec()), declared: None }
    }

    pub fn deflated(name: &str, (stream, inflated, crc): (Vec<u8>, u64, u32)) -> Part {
        Part { name: name.into(), data: Data::Deflated { stream, inflated, crc }, declared: None }
    }

    /// The same part with `size` written in its headers as its inflated size.
    pub fn declaring(mut self, size: u64) -> Part {
        self.declared = Some(size);
        self
    }
}

/// A zip of `parts`.
pub fn zip(parts: &[Part]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for p in parts {
        let (method, bytes, inflated, crc): (u16, &[u8], u64, u32) = match &p.data {
            Data::Stored(b) => (0, b, b.len() as u64, crc32(b)),
            Data::Deflated { stream, inflated, crc } => (8, stream, *inflated, *crc),
        };
        let size = p.declared.unwrap_or(inflated).min(u32::MAX as u64) as u32;
        let offset = out.len() as u32;
        let name = p.name.as_bytes();
        let head = |sig: u32, central: bool| {
            let mut h = Vec::new();
            h.extend(sig.to_le_bytes());
            if central {
                h.extend(20u16.to_le_bytes()); // made by
            }
            h.extend(20u16.to_le_bytes()); // needed
            h.extend(0u16.to_le_bytes()); // flags
            h.extend(method.to_le_bytes());
            h.extend(0u32.to_le_bytes()); // time, date
            h.extend(crc.to_le_bytes());
            h.extend((bytes.len() as u32).to_le_bytes());
            h.extend(size.to_le_bytes());
            h.extend((name.len() as u16).to_le_bytes());
            h.extend(0u16.to_le_bytes()); // extra
            if central {
                h.extend([0u8; 6]); // comment, disk, internal attributes
                h.extend(0u32.to_le_bytes()); // external attributes
                h.extend(offset.to_le_bytes());
            }
            h.extend(name);
            h
        };
        out.extend(head(0x0403_4b50, false));
        out.extend(bytes);
        central.extend(head(0x0201_4b50, true));
    }
    let at = out.len() as u32;
    out.extend(&central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]);
    out.extend((parts.len() as u16).to_le_bytes());
    out.extend((parts.len() as u16).to_le_bytes());
    out.extend((central.len() as u32).to_le_bytes());
    out.extend(at.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    !crc32_update(!0, bytes)
}

fn crc32_update(mut crc: u32, bytes: &[u8]) -> u32 {
    let table: Vec<u32> = (0..256u32)
        .map(|mut c| {
            for _ in 0..8 {
                c = if c & 1 == 1 { (c >> 1) ^ 0xEDB8_8320 } else { c >> 1 };
            }
            c
        })
        .collect();
    for &b in bytes {
        crc = table[((crc ^ u32::from(b)) & 0xFF) as usize] ^ (crc >> 8);
    }
    crc
}

/// Bits written least significant first, as deflate packs them.
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    fn put(&mut self, value: u64, n: u32) {
        self.acc |= value << self.n;
        self.n += n;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    /// A Huffman code (written most significant bit first).
    fn code(&mut self, code: u32, len: u32) {
        let mut rev = 0u64;
        for i in 0..len {
            rev |= u64::from((code >> i) & 1) << (len - 1 - i);
        }
        self.put(rev, len);
    }

    fn literal(&mut self, b: u8) {
        if b < 144 { self.code(0x30 + u32::from(b), 8) } else { self.code(0x190 + u32::from(b) - 144, 9) }
    }
}

/// A deflate stream (one block of the fixed codes) of `prefix`, then `run` copies of its last byte, then `suffix`;
/// the run is written as copies of 258 bytes at distance 1 (13 bits each), so a gigabyte takes 6.5 MB. With the
/// size it inflates to and its CRC (computed only up to 64 MB; a bomb is never read to its end).
pub fn deflate_run(prefix: &[u8], run: u64, suffix: &[u8]) -> (Vec<u8>, u64, u32) {
    assert!(!prefix.is_empty());
    let mut bits = Bits { out: Vec::new(), acc: 0, n: 0 };
    bits.put(1, 1); // the last block
    bits.put(1, 2); // fixed codes
    for &b in prefix {
        bits.literal(b);
    }
    let mut left = run;
    while left >= 258 + 3 {
        bits.code(0xC5, 8); // length code 285: 258 bytes
        bits.code(0, 5); // distance code 0: distance 1
        left -= 258;
    }
    for _ in 0..left {
        bits.literal(*prefix.last().unwrap());
    }
    for &b in suffix {
        bits.literal(b);
    }
    bits.code(0, 7); // end of block
    bits.put(0, 7); // to a whole byte
    let crc = if run <= 64 << 20 {
        let mut c = crc32_update(!0, prefix);
        let block = vec![*prefix.last().unwrap(); 1 << 16];
        let mut left = run as usize;
        while left > 0 {
            let n = left.min(block.len());
            c = crc32_update(c, &block[..n]);
            left -= n;
        }
        !crc32_update(c, suffix)
    } else {
        0
    };
    (bits.out, prefix.len() as u64 + run + suffix.len() as u64, crc)
}

const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/// The parts of an .xlsx around its sheet (and shared strings, if given).
pub fn xlsx(sheet: Part, shared_strings: Option<Part>) -> Vec<u8> {
    let mut parts = vec![
        Part::stored(
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>"#,
        ),
        Part::stored(
            "_rels/.rels",
            &format!(
                r#"<?xml version="1.0"?><Relationships><Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
            ),
        ),
        Part::stored(
            "xl/_rels/workbook.xml.rels",
            &format!(
                r#"<Relationships><Relationship Id="rId2" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId3" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#
            ),
        ),
        Part::stored(
            "xl/workbook.xml",
            &format!(
                r#"<workbook xmlns:r="{REL}"><sheets><sheet name="花名册" sheetId="1" r:id="rId2"/></sheets></workbook>"#
            ),
        ),
    ];
    parts.extend(shared_strings);
    parts.push(sheet);
    zip(&parts)
}

/// A sheet part whose rows are given as XML.
pub fn sheet_xml(rows: &str) -> String {
    format!(r#"<?xml version="1.0"?><worksheet><sheetData>{rows}</sheetData></worksheet>"#)
}

/// A row of inline strings.
pub fn text_row(r: u32, cells: &[&str]) -> String {
    let mut s = format!(r#"<row r="{r}">"#);
    for (i, t) in cells.iter().enumerate() {
        let col = (b'A' + i as u8) as char;
        s += &format!(r#"<c r="{col}{r}" t="inlineStr"><is><t>{t}</t></is></c>"#);
    }
    s + "</row>"
}

/// A roster's header and one person, as rows of a sheet.
pub fn roster_rows() -> String {
    text_row(1, &["姓名", "身份证号", "类别", "等级", "性质", "城乡", "乡镇", "银行账号", "死亡日期"])
        + &text_row(
            2,
            &["张三", "440304198001010017", "残疾军人", "一级", "因战", "城镇", "城关镇", "6217000000000000004"],
        )
}

/// An .xlsx whose sheet holds a roster, then a row whose one cell is `size` bytes of 'A' (deflated to a few MB);
/// the sheet's size in its headers is `declared` (the truth when `None`).
pub fn cell_bomb(size: u64, declared: Option<u64>) -> Vec<u8> {
    let prefix = format!(
        r#"<?xml version="1.0"?><worksheet><sheetData>{}<row r="3"><c r="A3" t="inlineStr"><is><t>A"#,
        roster_rows()
    );
    let deflated = deflate_run(prefix.as_bytes(), size, b"</t></is></c></row></sheetData></worksheet>");
    let mut sheet = Part::deflated("xl/worksheets/sheet1.xml", deflated);
    sheet.declared = declared;
    xlsx(sheet, None)
}

/// An .xlsx whose shared-strings table holds one string of `size` bytes, which the sheet's cell A3 shows.
pub fn shared_string_bomb(size: u64, declared: Option<u64>) -> Vec<u8> {
    let deflated =
        deflate_run(br#"<?xml version="1.0"?><sst count="1" uniqueCount="1"><si><t>A"#, size, b"</t></si></sst>");
    let mut strings = Part::deflated("xl/sharedStrings.xml", deflated);
    strings.declared = declared;
    let sheet = sheet_xml(&(roster_rows() + r#"<row r="3"><c r="A3" t="s"><v>0</v></c></row>"#));
    xlsx(Part::stored("xl/worksheets/sheet1.xml", &sheet), Some(strings))
}
