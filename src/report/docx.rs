//! The rendered draft as text blocks, and as a Word document laid out per GB/T 9704-2012 (党政机关公文格式):
//! A4, margins 37/35/28/26 mm (top/bottom/left/right), title 方正小标宋简体 二号 (22 pt) centred, body
//! 仿宋_GB2312 三号 (16 pt) with a 2-character first-line indent, level-1 headings 黑体, level-2 headings
//! 楷体_GB2312, fixed 28 pt line spacing (22 lines a page), and the page number "— 1 —" in 宋体 四号 at the foot.
//!
//! The .docx is WordprocessingML written by hand into a zip (the `zip` crate that calamine and rust_xlsxwriter
//! already bring): the layout needs exact control of East Asian fonts, the line grid and the margins, and the
//! document has no images or tables.
//!
//! Markup of the rendered text: `# ` a title line, `## ` a level-1 heading (一、), `### ` a level-2 heading
//! (（一）), `#### ` a level-3 heading (1.), any other non-blank line a body paragraph; blank lines separate.

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
}

/// The blocks of a rendered draft.
pub fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
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
/// Fixed 28 pt line spacing, in twips.
pub const LINE: u32 = 28 * 20;
// No character grid (GB/T 9704's 28 characters a line would need `linesAndChars` with a negative `charSpace`;
// LibreOffice reads that as a wider pitch and spreads the characters out), so a line holds 27 characters of
// 16 pt in the 156 mm text width.

const FONT_TITLE: &str = "方正小标宋简体";
const FONT_BODY: &str = "仿宋_GB2312";
const FONT_H1: &str = "黑体";
const FONT_H2: &str = "楷体_GB2312";
const FONT_PAGE: &str = "宋体";
const FONT_LATIN: &str = "Times New Roman";

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

fn paragraph(style: &str, text: &str) -> String {
    format!(
        "<w:p><w:pPr><w:pStyle w:val=\"{style}\"/></w:pPr><w:r><w:t xml:space=\"preserve\">{}</w:t></w:r></w:p>",
        escape(text)
    )
}

fn document_xml(blocks: &[Block]) -> String {
    let mut body = String::new();
    for b in blocks {
        let p = match b {
            Block::Title(t) => {
                // The title, then one empty line before the text (GB/T 9704 7.3.3).
                format!("{}{}", paragraph("Title", t), paragraph("Title", ""))
            }
            Block::Heading(1, t) => paragraph("Heading1", t),
            Block::Heading(2, t) => paragraph("Heading2", t),
            Block::Heading(_, t) => paragraph("Heading3", t),
            Block::Body(t) => paragraph("Normal", t),
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
            "<w:pgSz w:w=\"{w}\" w:h=\"{h}\"/>",
            "<w:pgMar w:top=\"{top}\" w:right=\"{right}\" w:bottom=\"{bottom}\" w:left=\"{left}\" ",
            "w:header=\"851\" w:footer=\"992\" w:gutter=\"0\"/>",
            "<w:docGrid w:type=\"lines\" w:linePitch=\"{line}\"/></w:sectPr>",
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
    )
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
            "<w:pPr><w:widowControl w:val=\"0\"/>{spacing}{indent}<w:jc w:val=\"both\"/></w:pPr>",
            "<w:rPr>{body_font}<w:sz w:val=\"32\"/><w:szCs w:val=\"32\"/></w:rPr></w:style>",
            "<w:style w:type=\"paragraph\" w:styleId=\"Title\"><w:name w:val=\"Title\"/><w:basedOn w:val=\"Normal\"/>",
            "<w:next w:val=\"Normal\"/><w:qFormat/><w:pPr><w:snapToGrid w:val=\"0\"/>",
            "<w:ind w:firstLineChars=\"0\" w:firstLine=\"0\"/>",
            "<w:jc w:val=\"center\"/><w:outlineLvl w:val=\"0\"/></w:pPr>",
            "<w:rPr>{title_font}<w:sz w:val=\"44\"/><w:szCs w:val=\"44\"/></w:rPr></w:style>",
            "{h1}{h2}{h3}",
            "<w:style w:type=\"paragraph\" w:styleId=\"Footer\"><w:name w:val=\"footer\"/><w:basedOn w:val=\"Normal\"/>",
            "<w:pPr><w:ind w:firstLineChars=\"0\" w:firstLine=\"0\"/><w:jc w:val=\"center\"/></w:pPr>",
            "<w:rPr>{page_font}<w:sz w:val=\"28\"/><w:szCs w:val=\"28\"/></w:rPr></w:style>",
            "</w:styles>"
        ),
        body_font = body_font,
        spacing = spacing,
        indent = indent,
        title_font = fonts(FONT_TITLE),
        h1 = heading("Heading1", "heading 1", FONT_H1, 1),
        h2 = heading("Heading2", "heading 2", FONT_H2, 2),
        h3 = heading("Heading3", "heading 3", FONT_BODY, 3),
        page_font = fonts(FONT_PAGE),
    )
}

/// The footer: "— 1 —" with a PAGE field, centred.
fn footer_xml() -> String {
    concat!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n",
        "<w:ftr xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">",
        "<w:p><w:pPr><w:pStyle w:val=\"Footer\"/></w:pPr>",
        "<w:r><w:t xml:space=\"preserve\">— </w:t></w:r>",
        "<w:r><w:fldChar w:fldCharType=\"begin\"/></w:r><w:r><w:instrText xml:space=\"preserve\"> PAGE </w:instrText></w:r>",
        "<w:r><w:fldChar w:fldCharType=\"separate\"/></w:r><w:r><w:t>1</w:t></w:r><w:r><w:fldChar w:fldCharType=\"end\"/></w:r>",
        "<w:r><w:t xml:space=\"preserve\"> —</w:t></w:r></w:p></w:ftr>"
    )
    .to_string()
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
    "Target=\"footer1.xml\"/></Relationships>"
);

/// The .docx bytes of a rendered draft. Deterministic: the same text gives the same bytes.
pub fn docx(text: &str) -> Vec<u8> {
    let parts: [(&str, String); 6] = [
        ("[Content_Types].xml", CONTENT_TYPES.to_string()),
        ("_rels/.rels", ROOT_RELS.to_string()),
        ("word/_rels/document.xml.rels", DOCUMENT_RELS.to_string()),
        ("word/document.xml", document_xml(&blocks(text))),
        ("word/styles.xml", styles_xml()),
        ("word/footer1.xml", footer_xml()),
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
        assert!(doc.contains(r#"<w:docGrid w:type="lines" w:linePitch="560"/>"#));
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
        assert!(part(&bytes, "word/footer1.xml").contains(" PAGE "));
    }
}
