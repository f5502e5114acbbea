//! The bank's 回盘 through the CLI on the fixtures: March committed, three transfers returned (account closed,
//! 户名不符, 证件号不符) from a GBK .csv and an .xlsx in different layouts; history, explain, audit and batches show
//! them as 退回 and March short by exactly their sum; two accounts corrected → April re-issues (重发) those two and
//! lists the third; after April, audit shows March made whole in April, late; the H1 report counts only money that
//! reached recipients. Every bad 回盘 is refused with its exact message and the ledger left as it was.

mod common;
use common::*;
use std::path::Path;

// Each story on both backends: `sqlite::…` and `postgresql::…`.
both_ledgers!(the_return_story, bad_return_files_are_refused_with_file_row_column_and_value_and_record_nothing);

/// 叶贵树, 宋永新, 雷树才: 序号 1–3 of March's bank file (fixtures rows 5, 8, 9), each one transfer.
const YE: (&str, &str, &str) = ("519906196103129230", "叶贵树", "6230233527249309038");
const SONG: (&str, &str, &str) = ("519946194606119490", "宋永新", "6228154512627917403");
const LEI: (&str, &str, &str) = ("519940196507219032", "雷树才", "6230940229027320493");
/// Corrected accounts for 叶贵树 and 宋永新 (April's roster).
const YE_NEW: &str = "6230233527249309046";
const SONG_NEW: &str = "6228154512627917411";

/// A work folder: the GBK roster as roster.csv, the standards and the config.
fn office() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let f = fixtures();
    std::fs::copy(f.join("roster-gbk.csv"), dir.path().join("roster.csv")).unwrap();
    for name in ["standards.csv", "youfu.toml"] {
        std::fs::copy(f.join(name), dir.path().join(name)).unwrap();
    }
    // Only `youfu init` creates a ledger.
    init(dir.path(), &[]);
    dir
}

fn ok(dir: &Path, args: &[&str]) -> Run {
    let r = youfu(dir, args);
    assert_eq!(r.code, 0, "youfu {args:?}\n{}\n{}", r.stdout, r.stderr);
    r
}

fn pay(dir: &Path, month: &str, roster: &str) -> Run {
    let out = format!("out/{month}");
    ok(dir, &["pay", "--month", month, "--roster", roster, "--standards", "standards.csv", "--out", &out])
}

fn gbk(text: &str) -> Vec<u8> {
    let (bytes, _, bad) = encoding_rs::GBK.encode(text);
    assert!(!bad);
    bytes.into_owned()
}

/// The roster with accounts replaced (still GBK, as Excel saves it).
fn roster_with(dir: &Path, name: &str, changes: &[(&str, &str)]) {
    let bytes = std::fs::read(dir.join("roster.csv")).unwrap();
    let (text, _, bad) = encoding_rs::GB18030.decode(&bytes);
    assert!(!bad);
    let mut text = text.into_owned();
    for (old, new) in changes {
        assert!(text.contains(old));
        text = text.replace(old, new);
    }
    std::fs::write(dir.join(name), gbk(&text)).unwrap();
}

/// Layout 1, GBK CSV: a title row, 流水号/收款人/卡号/交易金额/交易状态/失败原因, one success and one failure.
fn csv_return() -> String {
    format!(
        "示例银行批量代发回盘（2024年3月）\r\n流水号,收款人,卡号,交易金额,交易状态,失败原因\r\n\
         1,{},{},14284.17,失败,账户已销户\r\n4,潘祥祥,6217920152594566408,352.00,成功,\r\n",
        YE.1, YE.2
    )
}

/// Layout 2, .xlsx: two title rows, 账号/户名/证件号码/金额/处理结果/备注, failures only; accounts and IDs as text,
/// amounts as numbers.
fn xlsx_return(path: &Path, rows: &[(&str, &str, &str, f64, &str, &str)]) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "代发失败明细").unwrap();
    ws.write_string(1, 0, "单位：元").unwrap();
    for (c, h) in ["账号", "户名", "证件号码", "金额", "处理结果", "备注"].iter().enumerate() {
        ws.write_string(2, c as u16, *h).unwrap();
    }
    for (i, (account, name, id, amount, status, note)) in rows.iter().enumerate() {
        let r = 3 + i as u32;
        ws.write_string(r, 0, *account).unwrap();
        ws.write_string(r, 1, *name).unwrap();
        ws.write_string(r, 2, *id).unwrap();
        ws.write_number(r, 3, *amount).unwrap();
        ws.write_string(r, 4, *status).unwrap();
        ws.write_string(r, 5, *note).unwrap();
    }
    wb.save(path).unwrap();
}

/// March paid and committed (paid 2024-03-15).
fn march(d: &Path) {
    pay(d, "2024-03", "roster.csv");
    ok(d, &["commit", "--month", "2024-03", "--pay-date", "2024-03-15"]);
    // The three transfers, as March's bank file has them.
    let bank = std::fs::read_to_string(d.join("out/2024-03/bank.csv")).unwrap();
    for line in [
        format!("1,{},{},{},14284.17,2024-03优抚金", YE.1, YE.0, YE.2),
        format!("2,{},{},{},783.00,2024-03优抚金", SONG.1, SONG.0, SONG.2),
        format!("3,{},{},{},783.00,2024-03优抚金", LEI.1, LEI.0, LEI.2),
    ] {
        assert!(bank.lines().any(|l| l == line), "{line}\n{bank}");
    }
}

fn the_return_story() {
    let dir = office();
    let d = dir.path();
    march(d);
    // Before any 退回: March is short only by 武建 (no account): 2471.67 + 100.00 = 2571.67.
    let before = youfu(d, &["audit", "--from", "2024-03", "--to", "2024-03"]);
    assert!(
        before
            .stdout
            .contains("未足额（差2,571.67元）\t未发放：武建（519909196111088853） 2,571.67元（缺少银行账号）\n"),
        "{}",
        before.stdout
    );

    std::fs::write(d.join("回盘1.csv"), gbk(&csv_return())).unwrap();
    let unreturned = ledger_in(d).state();
    let r = ok(d, &["bank-return", "--month", "2024-03", "--file", "回盘1.csv"]);
    assert_eq!(
        r.stdout,
        format!(
            "2024-03 回盘 回盘1.csv：共 2 行，成功 1 笔；新登记退回 1 笔，合计 14,284.17 元；此前已登记 0 笔（未重复记录）。\n\
             \x20 退回：叶贵树（{}）账号 {} 14,284.17 元，失败：账户已销户\n\
             退回的款项不计为已发放。请在花名册中更正这些人的银行账号，下月运行 youfu pay 时将自动重发（账号未更正的列入异常清单）。\n",
            YE.0, YE.2
        )
    );
    xlsx_return(
        &d.join("回盘2.xlsx"),
        &[(SONG.2, SONG.1, SONG.0, 783.0, "失败", "户名不符"), (LEI.2, LEI.1, LEI.0, 783.0, "退回", "证件号不符")],
    );
    let r = ok(d, &["bank-return", "--month", "2024-03", "--file", "回盘2.xlsx", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!((v["rows"].as_u64(), v["recorded_total"].as_str()), (Some(2), Some("1566.00")));

    // Importing either file again changes nothing: not a byte of the SQLite file, not a row on PostgreSQL (where
    // the first imports did change it, or the comparison could not fail).
    let db = ledger_in(d).state();
    assert_ne!(db, unreturned);
    for f in ["回盘1.csv", "回盘2.xlsx"] {
        let r = ok(d, &["bank-return", "--month", "2024-03", "--file", f]);
        assert!(r.stdout.contains("新登记退回 0 笔，合计 0.00 元"), "{}", r.stdout);
    }
    assert_eq!(ledger_in(d).state(), db);
    // A row that contradicts one recorded (another reason for 叶贵树) is refused, nothing written.
    std::fs::write(d.join("回盘3.csv"), gbk(&csv_return().replace("账户已销户", "账户冻结"))).unwrap();
    let r = youfu(d, &["bank-return", "--month", "2024-03", "--file", "回盘3.csv"]);
    assert_eq!(r.code, 3);
    assert!(r.stderr.starts_with("回盘3.csv 第3行「交易状态」列：该笔代发（序号 1）已于 "), "{}", r.stderr);
    assert!(
        r.stderr.contains(
            " 按 回盘1.csv 第3行记为退回（失败：账户已销户），与本行不符（值：“失败”）。已记录的退回不能更改；"
        ),
        "{}",
        r.stderr
    );
    assert_eq!(ledger_in(d).state(), db);

    // history: sent, returned, reached.
    let h = ok(d, &["history", "--id", YE.0]);
    assert!(
        h.stdout.starts_with(&format!(
            "叶贵树（{}）已确认发放记录 3 笔，合计 14,284.17 元，其中银行退回 14,284.17 元，实际到账 0.00 元：",
            YE.0
        )),
        "{}",
        h.stdout
    );
    assert!(
        h.stdout.contains("\t护理费\t正常\t5,145.00\t2024-03-15\t退回（失败：账户已销户），待重发\t"),
        "{}",
        h.stdout
    );
    // explain: nothing reached him for March.
    let e = ok(
        d,
        &["explain", "--id", SONG.0, "--month", "2024-03", "--roster", "roster.csv", "--standards", "standards.csv"],
    );
    assert!(e.stdout.contains("退回（失败：户名不符），待重发"), "{}", e.stdout);
    assert!(e.stdout.contains("− 已发 0.00 = "), "{}", e.stdout);
    // ... and the difference waits for its 重发, as arrears lists it: never "应补发" (683.00 + 100.00 = 783.00).
    assert!(
        e.stdout.contains(
            "  核对：应发 683.00 − 已发 0.00 = 683.00（银行退回 683.00 元待重发：账号更正后下次 pay 重发，不计补发）\n"
        ),
        "{}",
        e.stdout
    );
    assert!(!e.stdout.contains("应补发"), "{}", e.stdout);
    // batches: March's 退回 and what reached the accounts: 541800.61 − 15850.17 = 525950.44.
    let b = ok(d, &["batches"]);
    let row = b.stdout.lines().nth(1).unwrap();
    assert!(
        row.starts_with("2024-03\t已确认发放\t360\t541,800.61\t15,850.17（3 笔，待重发 15,850.17）\t525,950.44\t"),
        "{row}"
    );
    // audit: short by 武建's 2571.67 and the three returns, 14284.17 + 783.00 + 783.00 = 15850.17: 18421.84.
    let a = youfu(d, &["audit", "--from", "2024-03", "--to", "2024-03"]);
    assert_eq!(a.code, 10);
    assert!(a.stdout.contains("未足额（差18,421.84元）"), "{}", a.stdout);
    assert!(
        a.stdout.contains(&format!(
            "银行退回：叶贵树（{}） 14,284.17元（失败：账户已销户），待重发；宋永新（{}） 783.00元（失败：户名不符），待重发；雷树才（{}） 783.00元（退回：证件号不符），待重发",
            YE.0, SONG.0, LEI.0
        )),
        "{}",
        a.stdout
    );
    // --json: the same items, every amount plain as everywhere in JSON (18421.84, 14284.17, not 14,284.17).
    let j: serde_json::Value =
        serde_json::from_str(&youfu(d, &["audit", "--from", "2024-03", "--to", "2024-03", "--json"]).stdout).unwrap();
    let m = &j["months"][0];
    assert_eq!(m["shortfall"], "18421.84");
    assert_eq!(m["returned"][0], format!("叶贵树（{}） 14284.17元（失败：账户已销户），待重发", YE.0));
    assert_eq!(m["shortfalls"][0], "武建（519909196111088853） 2571.67元（缺少银行账号）");

    // arrears: the returned money is not a 补发 (its 重发 makes it good), it is listed on its own; the only 补发 is
    // 武建's March, never paid for want of an account: 2471.67 + 100.00.
    let ar = ok(
        d,
        &["arrears", "--from", "2024-03", "--to", "2024-03", "--roster", "roster.csv", "--standards", "standards.csv"],
    );
    assert!(ar.stdout.contains("应补发 2 笔，合计 2,571.67 元：\n"), "{}", ar.stdout);
    assert!(
        ar.stdout.contains("\n银行退回待重发 7 笔，合计 15,850.17 元（下次 pay 在账号更正后重发，不计入补发）："),
        "{}",
        ar.stdout
    );

    // Two accounts corrected; April re-issues them with March's 所属期 and amounts, and lists 雷树才.
    roster_with(d, "roster4.csv", &[(YE.2, YE_NEW), (SONG.2, SONG_NEW)]);
    let p = pay(d, "2024-04", "roster4.csv");
    assert!(p.stdout.contains("重发银行退回款"), "{}", p.stdout);
    let payments = std::fs::read_to_string(d.join("out/2024-04/payments.csv")).unwrap();
    let reissued = |id: &str| -> Vec<String> {
        payments.lines().filter(|l| l.starts_with(id) && l.contains(",重发,")).map(String::from).collect()
    };
    // 叶贵树: 9039.17 + 5145.00 + 100.00 = 14284.17; 宋永新: 683.00 + 100.00 = 783.00 — all 所属期 2024-03.
    let ye = reissued(YE.0);
    assert_eq!(ye.len(), 3, "{payments}");
    assert!(ye.iter().all(|l| l.contains(",2024-03,重发,")));
    let sum = |lines: &[String]| -> i64 {
        lines.iter().map(|l| youfu::domain::money::to_fen(l.split(',').nth(6).unwrap().parse().unwrap()).unwrap()).sum()
    };
    assert_eq!(sum(&ye), 1_428_417);
    assert_eq!(sum(&reissued(SONG.0)), 78_300);
    assert!(reissued(LEI.0).is_empty());
    let bank = std::fs::read_to_string(d.join("out/2024-04/bank.csv")).unwrap();
    // April's own 14284.17 and March's 14284.17 re-issued, to the corrected account, the 摘要 saying so.
    assert!(
        bank.lines().any(|l| l.ends_with(&format!(",{},{YE_NEW},28568.34,2024-04优抚金（含重发）", YE.0))),
        "{bank}"
    );
    let exc = String::from_utf8(std::fs::read(d.join("out/2024-04/exceptions.csv")).unwrap()).unwrap();
    let lei: Vec<&str> = exc.lines().filter(|l| l.starts_with(LEI.0)).collect();
    assert!(!lei.is_empty() && lei.iter().all(|l| l.contains("RETURNED_ACCOUNT_UNCHANGED")), "{exc}");
    assert!(lei[0].contains("2024-03 代发被银行退回的 2024-03 "), "{}", lei[0]);
    assert!(lei[0].contains("（退回：证件号不符），花名册中的银行账号未更正，本月不重发"), "{}", lei[0]);
    ok(d, &["commit", "--month", "2024-04", "--pay-date", "2024-04-15"]);

    // March made whole in April for the two, 17 working days after 2024-03-20 (清明 4–6 April off, 7 April worked).
    let a = youfu(d, &["audit", "--from", "2024-03", "--to", "2024-03"]);
    assert!(
        a.stdout.contains(&format!(
            "叶贵树（{}） 14,284.17元（失败：账户已销户），已于2024-04-15在2024-04批次重发补足（逾期17个工作日）",
            YE.0
        )),
        "{}",
        a.stdout
    );
    assert!(a.stdout.contains(&format!("雷树才（{}） 783.00元（退回：证件号不符），待重发", LEI.0)), "{}", a.stdout);
    // Still short by 武建 2571.67 and 雷树才 783.00.
    assert!(a.stdout.contains("未足额（差3,354.67元）"), "{}", a.stdout);
    let h = ok(d, &["history", "--id", YE.0]);
    assert!(h.stdout.contains("退回（失败：账户已销户），已在 2024-04 批次重发"), "{}", h.stdout);

    // The H1 report counts the money that reached recipients, to the 分: what the batches sent minus what came back.
    let batches: serde_json::Value = serde_json::from_str(&ok(d, &["batches", "--json"]).stdout).unwrap();
    let reached: i64 = batches["batches"].as_array().unwrap().iter().map(|b| b["reached_fen"].as_i64().unwrap()).sum();
    let sent: i64 = batches["batches"].as_array().unwrap().iter().map(|b| b["total_fen"].as_i64().unwrap()).sum();
    assert_eq!(sent - reached, 1_585_017);
    let r = youfu(d, &["report", "--period", "2024H1", "--template", "half", "--out", "h1.md"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let side = std::fs::read_to_string(d.join("h1.md.figures.json")).unwrap();
    let total = youfu::domain::money::format_yuan(youfu::domain::money::from_fen(reached));
    assert!(side.contains(&format!("\"{total}\"")), "total {total} not in the sidecar: {side}");
    let sent_text = youfu::domain::money::format_yuan(youfu::domain::money::from_fen(sent));
    assert!(!side.contains(&format!("\"{sent_text}\"")), "the sent total {sent_text} is in the sidecar");
    // The returned and re-issued amounts on their own: 15850.17 came back, 14284.17 + 783.00 = 15067.17 sent again.
    let side: serde_json::Value = serde_json::from_str(&side).unwrap();
    let figure =
        |name: &str| side["figures"].as_array().unwrap().iter().find(|f| f["name"] == name).unwrap()["value"].clone();
    assert_eq!(
        (figure("returned.amount"), figure("returned.lines")),
        (serde_json::json!("15850.17"), serde_json::json!(7))
    );
    assert_eq!(figure("reissued.amount"), serde_json::json!("15067.17"));
}

/// `bank-return` with `file` (written by the test) for `month` on a ledger with March committed: exit 3, the exact
/// first line of the refusal, and the ledger unchanged (the SQLite file to the byte, every row on PostgreSQL).
fn refused(d: &Path, month: &str, file: &str, first_line: &str) {
    let db = ledger_in(d).state();
    let r = youfu(d, &["bank-return", "--month", month, "--file", file]);
    assert_eq!((r.code, r.stderr.lines().next().unwrap_or("")), (3, first_line), "{}", r.stderr);
    // bank-return writes no file: its count says nothing of files (each problem says 台账未记录任何退回).
    assert_eq!(r.stderr.lines().last(), Some("共 1 个问题。"), "{}", r.stderr);
    assert_eq!(ledger_in(d).state(), db, "the ledger changed");
    let b = ok(d, &["batches", "--json"]);
    assert!(b.stdout.contains("\"returned_transfers\": 0"), "{}", b.stdout);
}

fn csv(d: &Path, name: &str, rows: &[&str]) {
    let text = format!("流水号,收款人,卡号,交易金额,交易状态,失败原因,摘要\r\n{}\r\n", rows.join("\r\n"));
    std::fs::write(d.join(name), gbk(&text)).unwrap();
}

fn bad_return_files_are_refused_with_file_row_column_and_value_and_record_nothing() {
    let dir = office();
    let d = dir.path();
    march(d);
    let ye =
        |amount: &str, status: &str, memo: &str| format!("1,{},{},{amount},{status},账户已销户,{memo}", YE.1, YE.2);
    // Another month's file: the bank echoes April's 摘要.
    csv(d, "四月.csv", &[&ye("14284.17", "失败", "2024-04优抚金")]);
    refused(
        d,
        "2024-03",
        "四月.csv",
        "四月.csv 第2行「摘要」列：摘要写的是 2024-04 的代发，不是 2024-03 的（值：“2024-04优抚金”）。请确认回盘文件与月份：如是 2024-04 的回盘，请用 --month 2024-04 登记；台账未记录任何退回。 [RETURN_OTHER_MONTH]",
    );
    // An account that was not in the batch.
    csv(d, "账号.csv", &[&format!("1,{},6230000000000000001,14284.17,失败,账户已销户,", YE.1)]);
    refused(
        d,
        "2024-03",
        "账号.csv",
        "账号.csv 第2行「卡号」列：该账号不在 2024-03 的代发文件中（值：“6230000000000000001”）。请确认这是 2024-03 代发批次的回盘文件，并核对该行账号；台账未记录任何退回。 [RETURN_NO_TRANSFER]",
    );
    // An amount a 分 off.
    csv(d, "金额.csv", &[&ye("14284.18", "失败", "")]);
    refused(
        d,
        "2024-03",
        "金额.csv",
        "金额.csv 第2行「交易金额」列：金额与 2024-03 代发文件中该账号的金额 14284.17 元不符（值：“14284.18”）。回盘金额须与代发金额分毫不差，请与银行核对；台账未记录任何退回。 [RETURN_AMOUNT_DIFFERS]",
    );
    // An amount with a third decimal place.
    csv(d, "厘.csv", &[&ye("14284.175", "失败", "")]);
    refused(
        d,
        "2024-03",
        "厘.csv",
        "厘.csv 第2行「交易金额」列：金额不是整分（小数超过两位）（值：“14284.175”）。请与银行核对该行金额。 [BAD_AMOUNT]",
    );
    // A status word the bank list does not have.
    csv(d, "状态.csv", &[&ye("14284.17", "待定", "")]);
    let r = youfu(d, &["bank-return", "--month", "2024-03", "--file", "状态.csv"]);
    assert!(
        r.stderr.starts_with("状态.csv 第2行「交易状态」列：处理结果无法识别（值：“待定”）。可识别的处理结果：成功、"),
        "{}",
        r.stderr
    );
    refused(d, "2024-03", "状态.csv", r.stderr.lines().next().unwrap());
    // A duplicated row.
    csv(d, "重复.csv", &[&ye("14284.17", "失败", ""), &ye("14284.17", "失败", "")]);
    refused(
        d,
        "2024-03",
        "重复.csv",
        "重复.csv 第3行「卡号」列：与第2行是同一笔代发（代发文件序号 1），一笔代发在回盘中只能出现一次（值：“6230233527249309038”）。请删除重复的行；台账未记录任何退回。 [RETURN_TRANSFER_TWICE]",
    );
    // An empty file (a header, no rows).
    csv(d, "空.csv", &[]);
    refused(
        d,
        "2024-03",
        "空.csv",
        "空.csv 第1行：回盘文件在表头下没有任何数据行。请确认选择的是银行返回的回盘文件（含账号、金额、处理结果）；台账未记录任何退回。 [EMPTY_RETURN_FILE]",
    );
    // A month not committed.
    csv(d, "五月.csv", &[&ye("14284.17", "失败", "")]);
    refused(
        d,
        "2024-05",
        "五月.csv",
        "五月.csv：2024-05 没有已确认发放的批次，不能登记退回。回盘只能登记到已确认发放的月份：请先运行 youfu commit --month 2024-05 --pay-date YYYY-MM-DD；台账未记录任何退回。 [RETURN_MONTH_NOT_COMMITTED]",
    );
}
