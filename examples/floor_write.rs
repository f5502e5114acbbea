//! Benchmark floor: only write a workbook shaped like payments.xlsx's 发放明细 (14 columns: 序号, 姓名, 身份证号,
//! 类别, 等级, 性质, 乡镇, 项目, 所属期, 类型, 金额, 开户行, 银行账号, 依据) with `--rows` payment rows, in
//! rust_xlsxwriter's constant-memory mode at payments.xlsx's deflate level (`payments_xlsx::ZIP_LEVEL`), on one
//! thread — nothing computed, nothing read. The values are synthetic but of the same lengths as youfu's.
//! `bench/run.sh` times it next to `youfu pay`.
//!
//! ```text
//! cargo run --release --example floor_write -- --rows 162494 --out /tmp/floor.xlsx
//! ```

use anyhow::Context;
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    let usage = || anyhow::anyhow!("usage: floor_write --rows N --out PATH");
    let rows: u32 = arg("--rows").ok_or_else(usage)?.parse().context("--rows")?;
    let out = arg("--out").ok_or_else(usage)?;

    let cell = Format::new().set_font_name("宋体").set_font_size(10.5).set_border(FormatBorder::Thin);
    let text = cell.clone().set_num_format("@");
    let center = cell.clone().set_align(FormatAlign::Center);
    let money = cell.set_num_format("#,##0.00");
    let names = ["王建国", "李秀英", "张伟", "刘德华", "陈静"];
    let categories = ["残疾军人", "烈士遗属", "在乡复员军人", "带病回乡退伍军人"];
    let items = ["残疾抚恤金", "定期抚恤金", "县级优抚补贴", "定期生活补助"];
    let mut wb = Workbook::new();
    wb.set_zip_compression_level(youfu::output::payments_xlsx::ZIP_LEVEL);
    let mut id = String::with_capacity(18);
    let mut account = String::with_capacity(19);
    // Like payments.xlsx, a sheet holds at most 1,048,572 payment rows (Excel's 1,048,576 less header and 合计).
    const PER_SHEET: u32 = 1_048_572;
    let mut ws = wb.add_worksheet_with_constant_memory()?;
    for n in 0..rows {
        if n % PER_SHEET == 0 {
            if n > 0 {
                ws = wb.add_worksheet_with_constant_memory()?;
            }
            let sheet = n / PER_SHEET;
            ws.set_name(if sheet == 0 {
                "发放明细".to_string()
            } else {
                format!("发放明细（{}）", sheet + 1)
            })?;
            for (c, w) in
                [6.0, 9.0, 21.0, 16.0, 6.0, 6.0, 12.0, 14.0, 9.0, 8.0, 13.0, 16.0, 22.0, 30.0].iter().enumerate()
            {
                ws.set_column_width(c as u16, *w)?;
            }
        }
        let i = n as usize;
        let row = n % PER_SHEET + 3;
        id.clear();
        id.push_str(&format!(
            "5199{:02}19{:02}{:02}{:02}{:04}",
            i % 60,
            40 + i % 50,
            1 + i % 12,
            1 + i % 28,
            i % 10000
        ));
        account.clear();
        account.push_str(&format!("6228{:015}", i as u64 * 7919));
        ws.write_number_with_format(row, 0, (n + 1) as f64, &center)?;
        ws.write_string_with_format(row, 1, names[i % names.len()], &text)?;
        ws.write_string_with_format(row, 2, &id, &text)?;
        ws.write_string_with_format(row, 3, categories[i % categories.len()], &text)?;
        ws.write_string_with_format(row, 4, "三级", &center)?;
        ws.write_string_with_format(row, 5, "因战", &center)?;
        ws.write_string_with_format(row, 6, "城关镇", &text)?;
        ws.write_string_with_format(row, 7, items[i % items.len()], &text)?;
        ws.write_string_with_format(row, 8, "2024-03", &center)?;
        ws.write_string_with_format(row, 9, "正常", &center)?;
        ws.write_number_with_format(row, 10, 1000.0 + (i % 9000) as f64 + 0.67, &money)?;
        ws.write_string_with_format(row, 11, "农行城关支行", &text)?;
        ws.write_string_with_format(row, 12, &account, &text)?;
        ws.write_string_with_format(row, 13, "示例：退役军人部发〔2023〕XX号（示例数据）", &text)?;
    }
    wb.save(&out).with_context(|| format!("writing {out}"))?;
    println!("wrote {rows} rows to {out}");
    Ok(())
}
