//! `youfu pay`: compute a month (regular payments, 补发 for earlier committed months, 丧葬补助, overpayments to
//! recover), write payments.xlsx, payments.csv, the bank file, exceptions.csv, recoveries.csv and manifest.json
//! into the output folder — all of them or none — and record the batch in the ledger as a draft.

use super::progress::Progress;
use super::timings::Timings;
use super::{Cli, Failure, ledger_io, load, pay_schedule};
use crate::calendar::{Timeliness, check_pay_date, deadline};
use crate::compute::batch::compute_month;
use crate::domain::PaymentKind;
use crate::domain::money::format_yuan;
use crate::ledger::{BatchStatus, LedgerError};
use crate::output::atomic::OutputDir;
use crate::output::manifest::{Counts, InputFile, Manifest};
use crate::output::{PayRun, bank, payments_xlsx, tables};
use chrono::NaiveDate;
use clap::Args as ClapArgs;
use serde_json::json;
use std::path::PathBuf;

#[derive(ClapArgs, Debug)]
pub struct Args {
    /// 发放月份 / 所属期（YYYY-MM）
    #[arg(long, value_name = "YYYY-MM")]
    pub month: String,
    #[command(flatten)]
    pub inputs: load::InputArgs,
    /// 输出目录（不存在则创建；全部文件写好后才放入）
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// 计划的资金到账日期：晚于每月20日前的截止日时拒绝，除非给出 --allow-late
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub pay_date: Option<String>,
    /// 逾期发放的原因（记入 manifest.json 和台账）
    #[arg(long, value_name = "原因")]
    pub allow_late: Option<String>,
    /// 不写 payments.xlsx（只写 CSV 明细、代发文件、异常清单和 manifest.json；大批量时更快）
    #[arg(long)]
    pub no_xlsx: bool,
    /// 在标准输出打印 JSON 摘要
    #[arg(long)]
    pub json: bool,
}

fn io(what: &str, e: impl std::fmt::Display) -> Failure {
    Failure::Io(format!("{what}：{e}"))
}

/// An output error as the user reads it: a full disk said in Chinese, with what to do.
fn io_text(e: &std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::StorageFull {
        format!("磁盘空间不足（{e}）。请腾出空间后重新运行")
    } else {
        e.to_string()
    }
}

/// Whether `pay_date` meets the month's deadline; a late date is refused unless a reason is given.
/// Returns the late reason to record (None when on time or no date given).
pub fn check_late(
    cfg: &load::LoadedConfig,
    month: crate::domain::YearMonth,
    pay_date: Option<NaiveDate>,
    allow_late: Option<&str>,
) -> Result<Option<String>, Failure> {
    let Some(p) = pay_date else { return Ok(None) };
    let config = &cfg.config;
    let cal = load::calendar(config, false)?;
    let cal_err = |e| cfg.calendar_failure(e);
    let d = deadline(&cal, month, &config.deadline).map_err(cal_err)?;
    match check_pay_date(&cal, &d, p).map_err(cal_err)? {
        Timeliness::OnTime { .. } => Ok(None),
        Timeliness::Late { working_days_late } => match allow_late {
            Some(reason) if !reason.trim().is_empty() => Ok(Some(reason.trim().to_string())),
            _ => Err(Failure::Late(format!(
                "发放日期 {p} 晚于 {month} 的到账截止日 {}（逾期 {} 天，其中 {working_days_late} 个工作日）。如确需逾期发放，请加 --allow-late \"原因\"，原因将记入台账",
                d.deadline,
                (p - d.deadline).num_days()
            ))),
        },
    }
}

/// The `youfu commit` line to run once the bank has paid: with the `--config`/`--ledger` in use, the planned pay
/// date when one was given (a placeholder otherwise) and the late reason `pay` accepted (`commit` asks for it
/// again).
fn commit_command(
    cfg: &load::LoadedConfig,
    month: crate::domain::YearMonth,
    pay_date: Option<NaiveDate>,
    late_reason: Option<&str>,
) -> String {
    let date = pay_date.map_or_else(|| "YYYY-MM-DD".to_string(), |d| d.to_string());
    let late = late_reason.map(|r| format!(" --allow-late {}", load::shell_quote(r))).unwrap_or_default();
    cfg.command(&format!("commit --month {month} --pay-date {date}{late}"))
}

/// The steps of `pay`, as the README gives them: read the inputs, compute the month against the ledger, write the
/// files while the draft is recorded (all or nothing), place the files and finish the draft, then say what was
/// done. Which steps overlap on which thread is `pay_schedule`'s.
pub fn run(cli: &Cli, args: &Args) -> Result<(), Failure> {
    let mut t = Timings::from_env();
    let mut progress = Progress::new(4);
    progress.step("读取花名册和标准表");
    let month = load::month(&args.month)?;
    let cfg = load::config(cli)?;
    cfg.county_only("pay")?;
    let config = &cfg.config;
    let pay_date = args.pay_date.as_deref().map(|d| load::date(d, "发放日期")).transpose()?;
    // A calendar that cannot be read is reported where it is needed (a pay date); the warning needs none.
    if let Ok(cal) = load::calendar(config, false) {
        load::warn_next_year(&cfg, &cal, load::today()?);
    }
    let late_reason = check_late(&cfg, month, pay_date, args.allow_late.as_deref())?;
    let (inputs, digests) = pay_schedule::read_while_hashing(
        || load::inputs(&args.inputs.roster, &args.inputs.standards, config),
        || input_digests(args, &cfg),
    );
    let (roster, table) = inputs?;
    t.phase("read inputs");

    progress.step("计算发放金额（含补发、丧葬补助）");
    let ledger = load::ledger(&cfg)?;
    let ledger_path = std::path::PathBuf::from(ledger.shown());
    if let Some(b) = ledger.batch(month)?
        && b.status == BatchStatus::Committed
    {
        return Err(Failure::Ledger(LedgerError::already_committed(&ledger_path, b)));
    }
    let history = ledger_io::history(&*ledger, month, ledger_io::lookback_start(month, config), &roster)?;
    ledger_io::check_moved_out(&*ledger, &roster, history.first_committed)?;
    t.phase("ledger history");
    let (batch, warnings) = pay_schedule::compute_while_checking_accounts(
        || compute_month(month, &roster, &table, &config.rules(), &history),
        || super::check::all_account_warnings(&roster),
    );
    let batch = batch?;
    t.phase("compute");

    progress.step("写出发放明细、代发文件和异常清单，记入台账");
    let created = chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
    let inputs = digests?;
    let record = ledger_io::InputsRecord::with_digests(
        (&args.inputs.roster, &inputs[0].sha256),
        (&args.inputs.standards, &inputs[1].sha256),
        config,
        cfg.path.as_deref(),
    );
    // The outputs' digest (manifest.json's) is known only once every file is written: the draft is recorded
    // meanwhile inside an open transaction and given the digest at the end (`DraftWriter::finish`).
    let draft = ledger_io::new_batch(month, &batch, &roster, &table, created.clone(), &record, String::new());
    let run = PayRun { month, roster: &roster, standards: &table, batch: &batch, config };
    let names = &config.output;
    let mut out = OutputDir::new(&args.out).map_err(|e| io(&format!("无法准备输出目录 {}", args.out.display()), e))?;
    for stale in out.removed_stale() {
        eprintln!("提示：已删除此前被中断的运行留下的未完成文件夹 {}", stale.display());
    }
    let write_err = |e: std::io::Error| io(&format!("写入输出目录 {} 失败", args.out.display()), io_text(&e));
    let xlsx_path = out.path(&names.payments_xlsx);
    let payments_sink = out.create(&names.payments_csv).map_err(write_err)?;
    // Nothing is final until every file and the draft succeed: a failed file drops the draft's transaction, a
    // refused draft drops the files.
    let written = pay_schedule::write_while_recording(
        (!args.no_xlsx).then_some(|core_free: pay_schedule::CoreFree| {
            payments_xlsx::write(&run, &xlsx_path, core_free).map_err(|e| match e {
                rust_xlsxwriter::XlsxError::IoError(e) => io_text(&e),
                e => e.to_string(),
            })
        }),
        || {
            let mut sink = payments_sink;
            tables::payments_csv(&run, &mut sink).map(|()| sink)
        },
        || write_lists(&run, &out, write_err),
        || tally(&run),
        || ledger.begin_draft(&draft.header, &mut draft.lines()),
    );
    if let Some(xlsx) = written.xlsx {
        xlsx.map_err(|e| io(&format!("写入 {} 失败", names.payments_xlsx), e))?;
        out.record(&names.payments_xlsx).map_err(write_err)?;
    }
    out.finish(written.payments.map_err(write_err)?).map_err(write_err)?;
    for sink in written.others? {
        out.finish(sink).map_err(write_err)?;
    }
    let mut pending = written.draft?;
    // The bank file's transfers, kept with the draft so that the bank's 回盘 can be matched to them (bank-return).
    pending.add_transfers(&mut transfers(&batch, &roster))?;
    t.phase("outputs and ledger lines");

    let (counts, total) = written.tally;
    let mut manifest = Manifest::new(
        "pay",
        &month.to_string(),
        created,
        inputs,
        &ledger_io::config_digest(config),
        serde_json::to_value(config.rounding.policy).expect("plain data").as_str().unwrap_or_default(),
        out.written().to_vec(),
        counts.clone(),
        total,
    );
    manifest.ledger = Some(ledger_path.display().to_string());
    manifest.pay_date = pay_date.map(|d| d.to_string());
    manifest.late_reason = late_reason.clone();
    let manifest_bytes = manifest.to_json();
    out.write(&names.manifest, &manifest_bytes).map_err(write_err)?;
    let files: Vec<String> = out.written().iter().map(|w| w.name.clone()).collect();
    // An interrupt from here on waits until the files are in place and the draft is recorded. The files are
    // placed first and the draft recorded after: a draft is never recorded for files that are not in --out. If
    // the ledger refuses the draft, dropping `placed` puts the folder back as it was.
    let finishing = crate::output::atomic::finishing();
    let placed = out.place().map_err(|e| {
        io(&format!("无法把输出文件放入 {}", args.out.display()), format!("{}。输出目录和台账都未改动。", io_text(&e)))
    })?;
    t.phase("move outputs");
    pending.finish(&crate::output::atomic::sha256_hex(&manifest_bytes))?;
    let dir = placed.keep();
    drop(finishing);
    t.phase("manifest and ledger commit");
    drop(progress);

    // On the terminal the first few and a count; --json (for scripts) carries every notice.
    for w in super::check::shown_warnings(warnings.clone()) {
        eprintln!("提示：{w}");
    }
    let commit = commit_command(&cfg, month, pay_date, late_reason.as_deref());
    if args.json {
        let v = json!({
            "ok": true,
            "month": month.to_string(),
            "out": dir.display().to_string(),
            "files": files,
            "counts": counts,
            "total": format_yuan(total),
            "entitled": format_yuan(batch.entitled),
            "ledger": ledger_path.display().to_string(),
            "status": "draft",
            "commit_command": commit,
            "late_reason": late_reason,
            "warnings": warnings,
        });
        println!("{}", serde_json::to_string_pretty(&v).expect("plain data"));
    } else {
        println!("{}", summary_line(month, &counts, total, &batch, names));
        println!("已写出到 {}：{}", dir.display(), files.join("、"));
        println!("已在台账 {} 中记为草稿。", ledger_path.display());
        println!("银行代发完成后，请运行：{commit}");
        if pay_date.is_none() {
            println!("（把 YYYY-MM-DD 换成资金实际到账的日期）");
        }
    }
    // The command ends here: giving a province's roster and batch back to the allocator piece by piece would cost
    // a few tenths of a second for nothing (the process exits).
    std::mem::forget(draft);
    std::mem::forget(batch);
    std::mem::forget(roster);
    Ok(())
}

/// The input files' digests, for manifest.json and the draft.
fn input_digests(args: &Args, cfg: &load::LoadedConfig) -> Result<Vec<InputFile>, Failure> {
    let mut inputs = vec![
        InputFile::read("roster", &args.inputs.roster).map_err(|e| io("读取花名册失败", e))?,
        InputFile::read("standards", &args.inputs.standards).map_err(|e| io("读取标准表失败", e))?,
    ];
    if let Some(p) = &cfg.path {
        inputs.push(InputFile::read("config", p).map_err(|e| io("读取配置文件失败", e))?);
    }
    Ok(inputs)
}

/// The bank file, exceptions.csv and recoveries.csv, written one after another.
fn write_lists(
    run: &PayRun,
    out: &OutputDir,
    write_err: impl Fn(std::io::Error) -> Failure,
) -> Result<[crate::output::atomic::FileSink; 3], Failure> {
    let names = &run.config.output;
    let mut bank_sink = out.create(&names.bank).map_err(&write_err)?;
    bank::bank_file(run, &mut bank_sink).map_err(|e| match e {
        bank::BankError::Encoding(p) => Failure::Data((*p).into()),
        bank::BankError::Io(e) => write_err(e),
    })?;
    let mut exceptions = out.create(&names.exceptions).map_err(&write_err)?;
    tables::exceptions_csv(run, &mut exceptions).map_err(&write_err)?;
    let mut recoveries = out.create(&names.recoveries).map_err(&write_err)?;
    tables::recoveries_csv(run, &mut recoveries).map_err(&write_err)?;
    Ok([bank_sink, exceptions, recoveries])
}

/// manifest.json's counts and the batch's total (passes over 1.6 million lines at a province's size).
fn tally(run: &PayRun) -> (Counts, rust_decimal::Decimal) {
    let (batch, roster) = (run.batch, run.roster);
    let paid_persons = batch.paid_rows(roster.len());
    let counts = Counts {
        roster_rows: roster.len(),
        payments: batch.payments.len(),
        paid_persons,
        // One transfer per paid roster row (`summary::transfers`; the unpaid have no account): not worked out a
        // second time after the bank file.
        transfers: paid_persons,
        exceptions: batch.exceptions.len(),
        arrears: batch.payments.iter().filter(|p| p.kind == PaymentKind::Arrears).count(),
        funerals: batch.payments.iter().filter(|p| p.kind == PaymentKind::Funeral).count(),
        recoveries: batch.recoveries.len(),
    };
    (counts, batch.total())
}

/// The bank file's transfers as the ledger keeps them: a transfer is a run of the batch's lines (the payments are
/// in roster order, as `transfers` groups them).
fn transfers<'r>(
    batch: &'r crate::compute::MonthBatch,
    roster: &'r [crate::domain::Recipient],
) -> impl Iterator<Item = crate::ledger::TransferRef<'r>> {
    let mut first_line = 0;
    // Taken one at a time (`each_transfer`): a list of them was 40 MB at a province's size, at the run's peak.
    crate::compute::summary::each_transfer(batch).enumerate().map(move |(n, t)| {
        let r = &roster[t.recipient];
        let first = first_line;
        first_line += t.lines;
        crate::ledger::TransferRef {
            no: n as u32 + 1,
            first_line: first,
            lines: t.lines,
            amount_fen: crate::domain::money::to_fen(t.amount).expect("amounts are whole 分"),
            id: r.id.as_str(),
            account: &r.account,
        }
    })
}

/// The line that says what was paid.
fn summary_line(
    month: crate::domain::YearMonth,
    counts: &Counts,
    total: rust_decimal::Decimal,
    batch: &crate::compute::MonthBatch,
    names: &crate::config::OutputNames,
) -> String {
    format!(
        "{month} 发放：{} 人 {} 笔，合计 {} 元（其中补发 {} 笔，丧葬补助 {} 笔{}）；代发 {} 笔；未发放 {} 人次（见 {}）；应追缴 {} 笔（见 {}）。",
        counts.paid_persons,
        counts.payments,
        crate::domain::money::yuan_text(total),
        counts.arrears,
        counts.funerals,
        match batch.payments.iter().filter(|p| p.kind == PaymentKind::Reissue).count() {
            0 => String::new(),
            n => format!("，重发银行退回款 {n} 笔"),
        },
        counts.transfers,
        counts.exceptions,
        names.exceptions,
        counts.recoveries,
        names.recoveries
    )
}
