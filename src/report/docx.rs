//! The rendered draft as text blocks, and as a Word document laid out per GB/T 9704-2012 (党政机关公文格式):
//! A4, margins 37/35/28/26 mm (top/bottom/left/right), title 方正小标宋简体 二号 (22 pt) centred, body
//! 仿宋_GB2312 三号 (16 pt) with a 2-character first-line indent, level-1 headings 黑体, level-2 headings
//! 楷体_GB2312, fixed 28 pt line spacing and a character grid: 22 lines of 28 characters a page; the page number
//! "— 1 —" in 宋体 四号 (14 pt) at the foot, right on odd pages and left on even ones, one character in from the
//! edge. A title too long for one line is broken between words into two balanced lines (7.3.3: 回行时要做到词意完整，
//! 排列对称). Machines without 仿宋_GB2312, 方正小标宋简体 or 楷体_GB2312 (most new Windows and every Linux) get the
//! nearest font they have: the font table names each one's alternative (仿宋, 宋体, 楷体) and its PANOSE class, which
//! Word and LibreOffice use to substitute. Every "X" (a figure without a value) is highlighted yellow so the writer
//! finds it.
//!
//! The .docx is WordprocessingML written by hand into a zip (the `zip` crate that calamine and rust_xlsxwriter
//! already bring): the layout needs exact control of East Asian fonts, the line grid and the margins, and the
//! document has no images and only plain tables.
//!
//! Markup of the rendered text: `# ` a title line, `## ` a level-1 heading (一、), `### ` a level-2 heading
//! (（一）), `#### ` a level-3 heading (1.), consecutive lines starting with `|` a table (`| a | b |`, the first row
//! its header, a `| --- |` row skipped; a city report's 按县（市、区）table), any other non-blank line a body
//! paragraph; blank lines separate. A table is written in 仿宋 四号 (14 pt) on a 20 pt line, its header row bold
//! and repeated on every page, full borders, across the text width.

use std::io::{Cursor, Write};
use zip::CompressionMethod;
use zip::write::{SimpleFileOptions, ZipWriter};

/// One paragraph of the draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Title(String),
    /// Level 1 (一、), 2 (（一）) or 3 (1.).
    Heading(u8, String),
    Body(String),
    /// Rows of cells, the first the header.
    Table(Vec<Vec<String>>),
}

/// The cells of a `| a | b |` line; `None` for a separator row (`| --- | :-: |`).
fn table_cells(line: &str) -> Option<Vec<String>> {
    let inner = line.strip_prefix('|').unwrap_or(line);
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    let cells: Vec<String> = inner.split('|').map(|c| c.trim().to_string()).collect();
    let separator = cells.iter().all(|c| !c.is_empty() && c.chars().all(|ch| matches!(ch, '-' | ':' | ' ')));
    (!separator).then_some(cells)
}

/// The blocks of a rendered draft.
pub fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with('|') {
            let Some(cells) = table_cells(line) else { continue };
            match out.last_mut() {
                Some(Block::Table(rows)) => rows.push(cells),
                _ => out.push(Block::Table(vec![cells])),
            }
            continue;
        }
        let block = if let Some(t) = line.strip_prefix("#### ") {
            Block::Heading(3, t.trim().to_string())
        } else if let Some(t) = line.strip_prefix("### ") {
            Block::Heading(2, t.trim().to_string())
        } else if let Some(t) = line.strip_prefix("## ") {
            Block::Heading(1, t.trim().to_string())
        } else if let Some(t) = line.strip_prefix("# ") {
            Block::Title(t.trim().to_string())
        } else {
            Block::Body(line.to_string())
        };
        out.push(block);
    }
    out
}

/// The draft as plain text for pasting: one paragraph a line, markup removed, a blank line after the title.
pub fn plain_text(text: &str) -> String {
    let mut out = String::new();
    for b in blocks(text) {
        match b {
            Block::Title(t) => {
                out.push_str(&t);
                out.push_str("\n\n");
            }
            Block::Heading(_, t) | Block::Body(t) => {
                out.push_str(&t);
                out.push('\n');
            }
            // Tab-separated: pasted into Word or Excel, a table again.
            Block::Table(rows) => {
                for row in rows {
                    out.push_str(&row.join("\t"));
                    out.push('\n');
                }
            }
        }
    }
    out
}

/// Millimetres → twentieths of a point (1 inch = 25.4 mm = 1440 twips), rounded to the nearest.
pub const fn mm_to_twips(mm: u32) -> u32 {
    (mm * 14400 + 127) / 254
}

/// GB/T 9704-2012 page: A4 and the margins, in twips.
pub const PAGE_WIDTH: u32 = 11906;
pub const PAGE_HEIGHT: u32 = 16838;
pub const MARGIN_TOP: u32 = mm_to_twips(37);
pub const MARGIN_BOTTOM: u32 = mm_to_twips(35);
pub const MARGIN_LEFT: u32 = mm_to_twips(28);
pub const MARGIN_RIGHT: u32 = mm_to_twips(26);
/// Fixed 28 pt line spacing, in twips: the 637.8 pt between the margins hold 22 lines.
pub const LINE: u32 = 28 * 20;
/// Characters of 三号 (16 pt) on a line, and the width they share: 156 mm = 8845 twips.
pub const CHARS_PER_LINE: u32 = 28;
pub const TEXT_WIDTH: u32 = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT;
/// The character grid's pitch is the body font's 16 pt plus `charSpace` 4096ths of a point: 28 characters in
/// 8845 twips is a pitch of 8845 / 20 / 28 = 15.7946 pt, i.e. 16 pt − 0.2054 pt = −841.3 ⁄ 4096 → −842 (rounded
/// down, so that 28 characters always fit: 28 × 15.7944 = 442.24 pt ≤ 442.25 pt).
pub const CHAR_SPACE: i32 = (TEXT_WIDTH * 4096 / (CHARS_PER_LINE * 20)) as i32 - 16 * 4096;
/// The body's characters are condensed by 0.3 pt (in twentieths of a point) to 15.7 pt, and its paragraphs do not
/// snap to the character grid: 442.25 pt / 15.7 pt = 28.2, so a line holds 28 in Word, WPS and LibreOffice alike.
/// The grid (`CHAR_SPACE`) is still set, so that Word's page setup shows 28 × 22 and new text typed in another
/// style follows it. Snapping alone is not enough: LibreOffice rounds the grid's pitch to 15.73 pt, gives every
/// 16 pt character that is wider than that two cells, and spread a line's characters out to 14 (seen in its PDF).
const CONDENSE: i32 = -6;
/// The title's 22 pt characters on a line of the text width: 442 pt / 22 pt = 20.
const TITLE_CHARS_PER_LINE: usize = 20;

const FONT_TITLE: &str = "方正小标宋简体";
const FONT_BODY: &str = "仿宋_GB2312";
const FONT_H1: &str = "黑体";
const FONT_H2: &str = "楷体_GB2312";
const FONT_PAGE: &str = "宋体";
const FONT_LATIN: &str = "Times New Roman";

/// The East Asian fonts the draft names, each with the font to use where it is missing (its `altName`), its
/// PANOSE-1 class, and its pitch and family, for the font table (word/fontTable.xml). 仿宋_GB2312 and 楷体_GB2312 are
/// the GB2312-only fonts of Windows XP; newer systems have 仿宋 and 楷体 instead. 方正小标宋简体 is a commercial font
/// that few machines have; 宋体 is its nearest common face.
const FONT_TABLE: &[(&str, &str, &str, &str)] = &[
    (FONT_TITLE, "宋体", "02000000000000000000", "auto"),
    (FONT_BODY, "仿宋", "02010609030101010101", "modern"),
    (FONT_H1, "SimHei", "02010609060101010101", "modern"),
    (FONT_H2, "楷体", "02010609030101010101", "modern"),
    (FONT_PAGE, "SimSun", "02010600030101010101", "auto"),
    ("仿宋", "FangSong", "02010609060101010101", "modern"),
    ("楷体", "KaiTi", "02010609060101010101", "modern"),
];

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if (c as u32) < 0x20 && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// The runs of a paragraph's text: each "X" placeholder (a run of X not touching another Latin letter or digit, so
/// that a word such as "XLSX" is left alone) in a run of its own, highlighted yellow.
fn runs(text: &str) -> String {
    let plain = |t: &str| format!("<w:r><w:t xml:space=\"preserve\">{}</w:t></w:r>", escape(t));
    let marked = |t: &str| format!("<w:r><w:rPr><w:highlight w:val=\"yellow\"/></w:rPr><w:t>{}</w:t></w:r>", escape(t));
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let word = |i: usize| chars.get(i).is_some_and(|(_, c)| c.is_ascii_alphanumeric() && *c != 'X');
    let mut out = String::new();
    let mut from = 0; // byte offset of the text not yet written
    let mut i = 0;
    while i < chars.len() {
        if chars[i].1 != 'X' {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < chars.len() && chars[j].1 == 'X' {
            j += 1;
        }
        let touches_word = (i > 0 && word(i - 1)) || word(j);
        if !touches_word {
            let (start, end) = (chars[i].0, chars.get(j).map_or(text.len(), |c| c.0));
            if start > from {
                out.push_str(&plain(&text[from..start]));
            }
            out.push_str(&marked(&text[start..end]));
            from = end;
        }
        i = j;
    }
    if from < text.len() || out.is_empty() {
        out.push_str(&plain(&text[from..]));
    }
    out
}

fn paragraph(style: &str, text: &str) -> String {
    format!("<w:p><w:pPr><w:pStyle w:val=\"{style}\"/></w:pPr>{}</w:p>", runs(text))
}

/// Width of title text in title characters: a Chinese or full-width character is one, a digit or Latin letter half.
fn title_width(text: &str) -> usize {
    let halves: usize = text.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum();
    halves.div_ceil(2)
}

/// Words a title may be broken before (the common words of a report's title), and characters it may be broken after
/// (the ends of a unit's name, a year, a closing bracket).
const BREAK_BEFORE: &[&str] = &[
    "关于",
    "（",
    "〔",
    "上半年",
    "下半年",
    "年度",
    "工作",
    "优抚",
    "双拥",
    "退役军人",
    "情况",
    "总结",
    "报告",
    "通知",
    "意见",
    "方案",
    "计划",
];
const BREAK_AFTER: &[char] = &['局', '厅', '委', '府', '办', '会', '院', '室', '年', '）', '〕', '的'];

/// The title's lines: one when it fits, else two broken between words — at the place, among those a word may
/// end at, that makes the lines most nearly equal (the earlier on a tie; never inside a word or a number). A title
/// with no such place that fits is left to the word processor to wrap.
pub fn title_lines(title: &str) -> Vec<String> {
    if title_width(title) <= TITLE_CHARS_PER_LINE {
        return vec![title.to_string()];
    }
    let chars: Vec<(usize, char)> = title.char_indices().collect();
    let mut best: Option<(usize, usize)> = None; // (difference, byte offset)
    for k in 1..chars.len() {
        let (at, c) = chars[k];
        let prev = chars[k - 1].1;
        let rest = &title[at..];
        let allowed = BREAK_BEFORE.iter().any(|w| rest.starts_with(w))
            || (BREAK_AFTER.contains(&prev) && !(prev == '年' && rest.starts_with('度')))
            || c == '（';
        // Never between two digits or Latin letters, nor before closing punctuation.
        let inside = (prev.is_ascii_alphanumeric() && c.is_ascii_alphanumeric()) || "）〕，。、；：".contains(c);
        if !allowed || inside {
            continue;
        }
        let (a, b) = (title_width(&title[..at]), title_width(rest));
        if a > TITLE_CHARS_PER_LINE || b > TITLE_CHARS_PER_LINE {
            continue;
        }
        let diff = a.abs_diff(b);
        if best.is_none_or(|(d, _)| diff < d) {
            best = Some((diff, at));
        }
    }
    match best {
        Some((_, at)) => vec![title[..at].to_string(), title[at..].to_string()],
        None => vec![title.to_string()],
    }
}

/// The title paragraph: its lines joined by line breaks.
fn title_paragraph(title: &str) -> String {
    let lines: Vec<String> = title_lines(title).iter().map(|l| runs(l)).collect();
    format!("<w:p><w:pPr><w:pStyle w:val=\"Title\"/></w:pPr>{}</w:p>", lines.join("<w:r><w:br/></w:r>"))
}

fn document_xml(blocks: &[Block]) -> String {
    let mut body = String::new();
    for b in blocks {
        let p = match b {
            Block::Title(t) => {
                // The title, then one empty line before the text (GB/T 9704 7.3.3).
                format!("{}{}", title_paragraph(t), paragraph("Title", ""))
            }
            Block::Heading(1, t) => paragraph("Heading1", t),
            Block::Heading(2, t) => paragraph("Heading2", t),
            Block::Heading(_, t) => paragraph("Heading3", t),
            Block::Body(t) => paragraph("Normal", t),
            Block::Table(rows) => table_xml(rows),
        };
        body.push_str(&p);
    }
    format!(
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n",
            "<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\" ",
            "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">",
            "<w:body>{body}",
            "<w:sectPr><w:footerReference w:type=\"default\" r:id=\"rId2\"/>",
            "<w:footerReference w:type=\"even\" r:id=\"rId3\"/>",
            "<w:pgSz w:w=\"{w}\" w:h=\"{h}\"/>",
            "<w:pgMar w:top=\"{top}\" w:right=\"{right}\" w:bottom=\"{bottom}\" w:left=\"{left}\" ",
            "w:header=\"851\" w:footer=\"992\" w:gutter=\"0\"/>",
            "<w:docGrid w:type=\"linesAndChars\" w:linePitch=\"{line}\" w:charSpace=\"{char_space}\"/></w:sectPr>",
            "</w:body></w:document>"
        ),
        body = body,
        w = PAGE_WIDTH,
        h = PAGE_HEIGHT,
        top = MARGIN_TOP,
        right = MARGIN_RIGHT,
        bottom = MARGIN_BOTTOM,
        left = MARGIN_LEFT,
        line = LINE,
        char_space = CHAR_SPACE,
    )
}

/// The widths of a table's columns: the text width shared in proportion to each column's widest cell plus one
/// character (so that "病故军人遗属" stays on one line beside a narrow 人数), the last column taking what rounding
/// leaves.
fn column_widths(rows: &[Vec<String>]) -> Vec<u32> {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let wants: Vec<u32> = (0..columns)
        .map(|c| rows.iter().filter_map(|r| r.get(c)).map(|t| title_width(t)).max().unwrap_or(0) as u32 + 1)
        .collect();
    let sum: u32 = wants.iter().sum();
    let mut widths: Vec<u32> = wants.iter().map(|w| TEXT_WIDTH * w / sum).collect();
    let used: u32 = widths[..columns - 1].iter().sum();
    widths[columns - 1] = TEXT_WIDTH - used;
    widths
}

/// A table across the text width (`column_widths`); full single borders; the header row bold and repeated on each
/// page; an empty paragraph after it, as Word needs one between a table and what follows.
fn table_xml(rows: &[Vec<String>]) -> String {
    let widths = column_widths(rows);
    let border = |side: &str| format!("<w:{side} w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"000000\"/>");
    let borders: String = ["top", "left", "bottom", "right", "insideH", "insideV"].iter().map(|s| border(s)).collect();
    let mut out = format!(
        "<w:tbl><w:tblPr><w:tblW w:w=\"{TEXT_WIDTH}\" w:type=\"dxa\"/><w:jc w:val=\"center\"/>\
         <w:tblBorders>{borders}</w:tblBorders><w:tblLayout w:type=\"fixed\"/>\
         <w:tblCellMar><w:left w:w=\"57\" w:type=\"dxa\"/><w:right w:w=\"57\" w:type=\"dxa\"/></w:tblCellMar>\
         </w:tblPr><w:tblGrid>"
    );
    for w in &widths {
        out.push_str(&format!("<w:gridCol w:w=\"{w}\"/>"));
    }
    out.push_str("</w:tblGrid>");
    for (r, row) in rows.iter().enumerate() {
        out.push_str(if r == 0 {
            "<w:tr><w:trPr><w:tblHeader/></w:trPr>"
        } else {
            "<w:tr><w:trPr><w:cantSplit/></w:trPr>"
        });
        for (c, w) in widths.iter().enumerate() {
            let text = row.get(c).map(String::as_str).unwrap_or("");
            let style = if r == 0 { "TableHeader" } else { "TableText" };
            out.push_str(&format!(
                "<w:tc><w:tcPr><w:tcW w:w=\"{w}\" w:type=\"dxa\"/><w:vAlign w:val=\"center\"/></w:tcPr>{}</w:tc>",
                paragraph(style, text)
            ));
        }
        out.push_str("</w:tr>");
    }
    out.push_str("</w:tbl>");
    out.push_str(&paragraph("Normal", ""));
    out
}

fn fonts(east_asia: &str) -> String {
    format!(
        "<w:rFonts w:ascii=\"{FONT_LATIN}\" w:hAnsi=\"{FONT_LATIN}\" w:eastAsia=\"{east_asia}\" w:cs=\"{FONT_LATIN}\"/>"
    )
}

fn styles_xml() -> String {
    let body_font = fonts(FONT_BODY);
    let spacing = format!("<w:spacing w:before=\"0\" w:after=\"0\" w:line=\"{LINE}\" w:lineRule=\"exact\"/>");
    // 2 characters of 16 pt = 32 pt = 640 twips.
    let indent = "<w:ind w:firstLineChars=\"200\" w:firstLine=\"640\"/>";
    let heading = |id: &str, name: &str, font: &str, level: u8| {
        format!(
            concat!(
                "<w:style w:type=\"paragraph\" w:styleId=\"{id}\"><w:name w:val=\"{name}\"/>",
                "<w:basedOn w:val=\"Normal\"/><w:next w:val=\"Normal\"/><w:qFormat/>",
                "<w:pPr><w:keepNext/><w:outlineLvl w:val=\"{level}\"/></w:pPr>",
                "<w:rPr>{fonts}<w:sz w:val=\"32\"/><w:szCs w:val=\"32\"/></w:rPr></w:style>"
            ),
            id = id,
            name = name,
            level = level,
            fonts = fonts(font)
        )
    };
    format!(
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n",
            "<w:styles xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">",
            "<w:docDefaults><w:rPrDefault><w:rPr>{body_font}<w:sz w:val=\"32\"/><w:szCs w:val=\"32\"/>",
            "<w:lang w:val=\"en-US\" w:eastAsia=\"zh-CN\"/></w:rPr></w:rPrDefault>",
            "<w:pPrDefault><w:pPr>{spacing}</w:pPr></w:pPrDefault></w:docDefaults>",
            "<w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\"><w:name w:val=\"Normal\"/><w:qFormat/>",
            "<w:pPr><w:widowControl w:val=\"0\"/><w:snapToGrid w:val=\"0\"/>{spacing}{indent}<w:jc w:val=\"both\"/></w:pPr>",
            "<w:rPr>{body_font}<w:spacing w:val=\"{condense}\"/><w:sz w:val=\"32\"/><w:szCs w:val=\"32\"/></w:rPr></w:style>",
            "<w:style w:type=\"paragraph\" w:styleId=\"Title\"><w:name w:val=\"Title\"/><w:basedOn w:val=\"Normal\"/>",
            "<w:next w:val=\"Normal\"/><w:qFormat/><w:pPr><w:snapToGrid w:val=\"0\"/>",
            "<w:ind w:firstLineChars=\"0\" w:firstLine=\"0\"/>",
            "<w:jc w:val=\"center\"/><w:outlineLvl w:val=\"0\"/></w:pPr>",
            "<w:rPr>{title_font}<w:sz w:val=\"44\"/><w:szCs w:val=\"44\"/></w:rPr></w:style>",
            "{h1}{h2}{h3}{table_text}{table_header}",
            "<w:style w:type=\"paragraph\" w:styleId=\"Footer\"><w:name w:val=\"footer\"/><w:basedOn w:val=\"Normal\"/>",
            "<w:pPr><w:ind w:firstLineChars=\"0\" w:firstLine=\"0\"/><w:jc w:val=\"center\"/></w:pPr>",
            "<w:rPr>{page_font}<w:sz w:val=\"28\"/><w:szCs w:val=\"28\"/></w:rPr></w:style>",
            "</w:styles>"
        ),
        body_font = body_font,
        condense = CONDENSE,
        spacing = spacing,
        indent = indent,
        title_font = fonts(FONT_TITLE),
        h1 = heading("Heading1", "heading 1", FONT_H1, 1),
        h2 = heading("Heading2", "heading 2", FONT_H2, 2),
        h3 = heading("Heading3", "heading 3", FONT_BODY, 3),
        page_font = fonts(FONT_PAGE),
        table_text = table_style("TableText", "Table Text", false),
        table_header = table_style("TableHeader", "Table Header", true),
    )
}

/// A table cell's paragraph: 仿宋 四号 (14 pt = 28 half-points) on an exact 20 pt line, centred, no indent, off the
/// character grid (the cells are narrower than the body's 28 characters).
fn table_style(id: &str, name: &str, bold: bool) -> String {
    format!(
        concat!(
            "<w:style w:type=\"paragraph\" w:styleId=\"{id}\"><w:name w:val=\"{name}\"/><w:basedOn w:val=\"Normal\"/>",
            "<w:pPr><w:snapToGrid w:val=\"0\"/><w:spacing w:before=\"0\" w:after=\"0\" w:line=\"400\" w:lineRule=\"exact\"/>",
            "<w:ind w:firstLineChars=\"0\" w:firstLine=\"0\"/><w:jc w:val=\"center\"/></w:pPr>",
            "<w:rPr>{fonts}{bold}<w:spacing w:val=\"0\"/><w:sz w:val=\"28\"/><w:szCs w:val=\"28\"/></w:rPr></w:style>"
        ),
        id = id,
        name = name,
        fonts = fonts(FONT_BODY),
        bold = if bold { "<w:b/><w:bCs/>" } else { "" },
    )
}

/// A footer: "— 1 —" with a PAGE field, 宋体 四号, one character (14 pt = 280 twips) in from the right edge of the
/// text on odd pages (`odd`) or from the left on even ones (GB/T 9704 7.5).
fn footer_xml(odd: bool) -> String {
    let (jc, ind) = if odd { ("right", "w:right=\"280\"") } else { ("left", "w:left=\"280\"") };
    format!(
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n",
            "<w:ftr xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">",
            "<w:p><w:pPr><w:pStyle w:val=\"Footer\"/><w:ind {ind} w:firstLineChars=\"0\" w:firstLine=\"0\"/>",
            "<w:jc w:val=\"{jc}\"/></w:pPr>",
            "<w:r><w:t xml:space=\"preserve\">— </w:t></w:r>",
            "<w:r><w:fldChar w:fldCharType=\"begin\"/></w:r>",
            "<w:r><w:instrText xml:space=\"preserve\"> PAGE </w:instrText></w:r>",
            "<w:r><w:fldChar w:fldCharType=\"separate\"/></w:r><w:r><w:t>1</w:t></w:r>",
            "<w:r><w:fldChar w:fldCharType=\"end\"/></w:r>",
            "<w:r><w:t xml:space=\"preserve\"> —</w:t></w:r></w:p></w:ftr>"
        ),
        ind = ind,
        jc = jc
    )
}

/// Different footers on odd and even pages.
const SETTINGS: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n",
    "<w:settings xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">",
    "<w:evenAndOddHeaders/><w:defaultTabStop w:val=\"420\"/>",
    "<w:compat><w:spaceForUL/><w:balanceSingleByteDoubleByteWidth/><w:doNotLeaveBackslashAlone/>",
    "<w:ulTrailSpace/><w:doNotExpandShiftReturn/><w:adjustLineHeightInTable/><w:useFELayout/></w:compat>",
    "</w:settings>"
);

fn font_table_xml() -> String {
    let mut fonts = String::new();
    for (name, alt, panose, family) in FONT_TABLE {
        fonts.push_str(&format!(
            concat!(
                "<w:font w:name=\"{name}\"><w:altName w:val=\"{alt}\"/><w:panose1 w:val=\"{panose}\"/>",
                "<w:charset w:val=\"86\"/><w:family w:val=\"{family}\"/><w:pitch w:val=\"fixed\"/></w:font>"
            ),
            name = name,
            alt = alt,
            panose = panose,
            family = family
        ));
    }
    format!(
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n",
            "<w:fonts xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">{}",
            "<w:font w:name=\"Times New Roman\"><w:panose1 w:val=\"02020603050405020304\"/><w:charset w:val=\"00\"/>",
            "<w:family w:val=\"roman\"/><w:pitch w:val=\"variable\"/></w:font></w:fonts>"
        ),
        fonts
    )
}

const CONTENT_TYPES: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n",
    "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">",
    "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>",
    "<Default Extension=\"xml\" ContentType=\"application/xml\"/>",
    "<Override PartName=\"/word/document.xml\" ",
    "ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>",
    "<Override PartName=\"/word/styles.xml\" ",
    "ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml\"/>",
    "<Override PartName=\"/word/footer1.xml\" ",
    "ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml\"/>",
    "<Override PartName=\"/word/footer2.xml\" ",
    "ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml\"/>",
    "<Override PartName=\"/word/settings.xml\" ",
    "ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml\"/>",
    "<Override PartName=\"/word/fontTable.xml\" ",
    "ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.fontTable+xml\"/>",
    "</Types>"
);

const ROOT_RELS: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n",
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
    "<Relationship Id=\"rId1\" ",
    "Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" ",
    "Target=\"word/document.xml\"/></Relationships>"
);

const DOCUMENT_RELS: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n",
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
    "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" ",
    "Target=\"styles.xml\"/>",
    "<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer\" ",
    "Target=\"footer1.xml\"/>",
    "<Relationship Id=\"rId3\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer\" ",
    "Target=\"footer2.xml\"/>",
    "<Relationship Id=\"rId4\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings\" ",
    "Target=\"settings.xml\"/>",
    "<Relationship Id=\"rId5\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/fontTable\" ",
    "Target=\"fontTable.xml\"/></Relationships>"
);

/// The .docx bytes of a rendered draft. Deterministic: the same text gives the same bytes.
pub fn docx(text: &str) -> Vec<u8> {
    let parts: [(&str, String); 9] = [
        ("[Content_Types].xml", CONTENT_TYPES.to_string()),
        ("_rels/.rels", ROOT_RELS.to_string()),
        ("word/_rels/document.xml.rels", DOCUMENT_RELS.to_string()),
        ("word/document.xml", document_xml(&blocks(text))),
        ("word/styles.xml", styles_xml()),
        ("word/footer1.xml", footer_xml(true)),
        ("word/footer2.xml", footer_xml(false)),
        ("word/settings.xml", SETTINGS.to_string()),
        ("word/fontTable.xml", font_table_xml()),
    ];
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, content) in parts {
        zip.start_file(name, options).expect("in-memory zip");
        zip.write_all(content.as_bytes()).expect("in-memory zip");
    }
    zip.finish().expect("in-memory zip").into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    const DRAFT: &str = "# 示例县退役军人事务局2024年上半年优抚工作情况\n\n## 一、上半年工作总结\n\n### （二）优抚政策落实有力有序\n\n一是发放资金6684.9万元。\n二是 A&B <c>\n";

    #[test]
    fn blocks_and_plain_text() {
        assert_eq!(
            blocks(DRAFT),
            vec![
                Block::Title("示例县退役军人事务局2024年上半年优抚工作情况".into()),
                Block::Heading(1, "一、上半年工作总结".into()),
                Block::Heading(2, "（二）优抚政策落实有力有序".into()),
                Block::Body("一是发放资金6684.9万元。".into()),
                Block::Body("二是 A&B <c>".into()),
            ]
        );
        assert_eq!(
            plain_text(DRAFT),
            "示例县退役军人事务局2024年上半年优抚工作情况\n\n一、上半年工作总结\n（二）优抚政策落实有力有序\n一是发放资金6684.9万元。\n二是 A&B <c>\n"
        );
    }

    #[test]
    fn a_table_is_a_block_of_rows_tabbed_in_text_and_a_word_table_in_the_docx() {
        let text = "附表：\n\n| 县（市、区） | 类别 | 人数 | 金额（元） |\n| --- | --- | --- | --- |\n| 东城区 | 残疾军人 | 1 | 7,507.25 |\n|  | 小计 | 2 | X |\n注：单位为元。\n";
        let rows = |r: &[&[&str]]| r.iter().map(|c| c.iter().map(|s| s.to_string()).collect()).collect();
        assert_eq!(
            blocks(text),
            vec![
                Block::Body("附表：".into()),
                Block::Table(rows(&[
                    &["县（市、区）", "类别", "人数", "金额（元）"],
                    &["东城区", "残疾军人", "1", "7,507.25"],
                    &["", "小计", "2", "X"]
                ])),
                Block::Body("注：单位为元。".into()),
            ]
        );
        assert_eq!(
            plain_text(text),
            "附表：\n县（市、区）\t类别\t人数\t金额（元）\n东城区\t残疾军人\t1\t7,507.25\n\t小计\t2\tX\n注：单位为元。\n"
        );
        let bytes = docx(text);
        let doc = part(&bytes, "word/document.xml");
        // The widest cells plus one character: 县（市、区） 6+1, 残疾军人 4+1, 人数 2+1, 金额（元） 5+1 (7,507.25 is 4.5 → 5)
        // = 21 shares of the 8845 twips: 2948, 2105, 1263 and the rest 2529.
        assert!(doc.contains(
            r#"<w:tblGrid><w:gridCol w:w="2948"/><w:gridCol w:w="2105"/><w:gridCol w:w="1263"/><w:gridCol w:w="2529"/></w:tblGrid>"#
        ));
        assert_eq!(doc.matches("<w:tr>").count(), 3);
        assert!(doc.contains(r#"<w:trPr><w:tblHeader/></w:trPr>"#));
        assert!(
            doc.contains(r#"<w:pStyle w:val="TableHeader"/></w:pPr><w:r><w:t xml:space="preserve">县（市、区）</w:t>"#)
        );
        // An X in a cell is highlighted as in the text.
        assert!(doc.contains(r#"<w:r><w:rPr><w:highlight w:val="yellow"/></w:rPr><w:t>X</w:t></w:r>"#));
        let styles = part(&bytes, "word/styles.xml");
        assert!(styles.contains(r#"w:styleId="TableText""#) && styles.contains(r#"<w:b/><w:bCs/>"#));
    }

    #[test]
    fn margins_in_twips() {
        // 37 mm = 37 / 25.4 × 1440 = 2097.6 → 2098; 35 → 1984.25 → 1984; 28 → 1587.4 → 1587; 26 → 1474.0
        assert_eq!((MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT), (2098, 1984, 1587, 1474));
        assert_eq!(LINE, 560);
    }

    fn part(bytes: &[u8], name: &str) -> String {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut s = String::new();
        zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
        s
    }

    #[test]
    fn docx_has_the_layout_and_the_text() {
        let bytes = docx(DRAFT);
        assert_eq!(docx(DRAFT), bytes, "deterministic");
        let doc = part(&bytes, "word/document.xml");
        assert!(doc.contains(r#"<w:pgSz w:w="11906" w:h="16838"/>"#));
        assert!(doc.contains(r#"<w:pgMar w:top="2098" w:right="1474" w:bottom="1984" w:left="1587" "#));
        // 28 characters a line: pitch 16 pt − 842 ⁄ 4096 pt = 15.7944 pt, × 28 = 442.24 pt ≤ the 442.25 pt
        // (8845 twips) between the margins; 22 lines of 28 pt in the 637.8 pt between top and bottom margins.
        assert_eq!((TEXT_WIDTH, CHAR_SPACE), (8845, -842));
        assert!(doc.contains(r#"<w:docGrid w:type="linesAndChars" w:linePitch="560" w:charSpace="-842"/>"#));
        assert_eq!((PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM) / LINE, 22);
        assert!(doc.contains(
            r#"<w:footerReference w:type="default" r:id="rId2"/><w:footerReference w:type="even" r:id="rId3"/>"#
        ));
        assert!(doc.contains(
            r#"<w:pStyle w:val="Heading2"/></w:pPr><w:r><w:t xml:space="preserve">（二）优抚政策落实有力有序</w:t>"#
        ));
        assert!(doc.contains("二是 A&amp;B &lt;c&gt;"));
        let styles = part(&bytes, "word/styles.xml");
        for needle in [
            r#"w:eastAsia="方正小标宋简体" w:cs="Times New Roman"/><w:sz w:val="44"/>"#,
            r#"w:eastAsia="仿宋_GB2312" w:cs="Times New Roman"/><w:sz w:val="32"/>"#,
            r#"w:eastAsia="黑体" w:cs="Times New Roman"/><w:sz w:val="32"/>"#,
            r#"w:eastAsia="楷体_GB2312" w:cs="Times New Roman"/><w:sz w:val="32"/>"#,
            r#"<w:spacing w:before="0" w:after="0" w:line="560" w:lineRule="exact"/>"#,
            r#"<w:ind w:firstLineChars="200" w:firstLine="640"/>"#,
        ] {
            assert!(styles.contains(needle), "styles.xml lacks {needle}");
        }
        assert!(styles.contains(r#"<w:spacing w:val="-6"/>"#), "body condensed to 15.7 pt");
        // Odd pages: "— 1 —" right, one character in; even pages: left.
        let odd = part(&bytes, "word/footer1.xml");
        assert!(odd.contains(r#"<w:ind w:right="280" w:firstLineChars="0" w:firstLine="0"/><w:jc w:val="right"/>"#));
        assert!(odd.contains(" PAGE ") && odd.contains(">— <") && odd.contains("> —<"));
        let even = part(&bytes, "word/footer2.xml");
        assert!(even.contains(r#"<w:ind w:left="280" w:firstLineChars="0" w:firstLine="0"/><w:jc w:val="left"/>"#));
        assert!(part(&bytes, "word/settings.xml").contains("<w:evenAndOddHeaders/>"));
        let fonts = part(&bytes, "word/fontTable.xml");
        for needle in [
            r#"<w:font w:name="仿宋_GB2312"><w:altName w:val="仿宋"/>"#,
            r#"<w:font w:name="方正小标宋简体"><w:altName w:val="宋体"/>"#,
            r#"<w:font w:name="楷体_GB2312"><w:altName w:val="楷体"/>"#,
        ] {
            assert!(fonts.contains(needle), "fontTable.xml lacks {needle}");
        }
        let rels = part(&bytes, "word/_rels/document.xml.rels");
        for target in ["footer2.xml", "settings.xml", "fontTable.xml"] {
            assert!(rels.contains(&format!("Target=\"{target}\"")));
        }
    }

    #[test]
    fn a_long_title_breaks_between_words_in_two_balanced_lines() {
        // Today's annual title: 23 title characters (the four digits count two) do not fit the line's 20. After
        // 局: 10 | 13; after 2024年: 13 | 10; before （: 17 | 6. The first of the two balanced breaks wins.
        assert_eq!(
            title_lines("示例县退役军人事务局2024年工作总结（优抚部分）"),
            ["示例县退役军人事务局", "2024年工作总结（优抚部分）"]
        );
        // The half-year title was broken "…优抚工／作情况" by the word processor; now 10 | 11.
        assert_eq!(
            title_lines("示例县退役军人事务局2024年上半年优抚工作情况"),
            ["示例县退役军人事务局", "2024年上半年优抚工作情况"]
        );
        assert_eq!(
            title_lines("示例县退役军人事务局关于二〇二四年度优抚对象抚恤补助资金发放工作情况的报告"),
            ["示例县退役军人事务局关于二〇二四年度", "优抚对象抚恤补助资金发放工作情况的报告"]
        );
        // Short enough for one line: left alone.
        assert_eq!(title_lines("2024年上半年优抚工作情况"), ["2024年上半年优抚工作情况"]);
        // No place between words that fits: one line, for the word processor to wrap.
        let no_words = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥";
        assert_eq!(title_lines(no_words), [no_words]);
        let doc = document_xml(&blocks("# 示例县退役军人事务局2024年上半年优抚工作情况\n"));
        assert!(
            doc.contains("示例县退役军人事务局</w:t></w:r><w:r><w:br/></w:r><w:r><w:t xml:space=\"preserve\">2024年")
        );
    }

    #[test]
    fn every_x_placeholder_is_highlighted() {
        let yellow = |t: &str| format!("<w:r><w:rPr><w:highlight w:val=\"yellow\"/></w:rPr><w:t>{t}</w:t></w:r>");
        let plain = |t: &str| format!("<w:r><w:t xml:space=\"preserve\">{t}</w:t></w:r>");
        assert_eq!(
            runs("完成年度确认X人，确认率X，XX件"),
            [
                plain("完成年度确认"),
                yellow("X"),
                plain("人，确认率"),
                yellow("X"),
                plain("，"),
                yellow("XX"),
                plain("件")
            ]
            .concat()
        );
        assert_eq!(runs("X"), yellow("X"));
        // Part of a Latin word or number: not a placeholder.
        assert_eq!(runs("见 XLSX 与 X1"), plain("见 XLSX 与 X1"));
        assert_eq!(runs(""), plain(""));
    }
}
