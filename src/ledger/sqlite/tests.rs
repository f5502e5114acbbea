//! Tests of what only the SQLite ledger has: its file (created, refused, damaged, locked, a crash mid-write), the
//! guarantees its triggers and constraints keep as SQLite words them (raw SQL), migrations of older files, drafts
//! kept as chunks, packed report columns and the rowid scans of `period_counts`, and a county's file answering for
//! one county. The behaviour both backends share is in `ledger/suite.rs`, run here through `Sqlite`, this
//! backend's factory for it.

use super::schema::MIGRATIONS;
use super::*;
use crate::domain::PaymentKind;
use crate::ledger::*;
// Exit codes are the CLI's (cli/exit.rs); these tests check the one each refusal ends with.
use crate::cli::exit::{LEDGER as EXIT_LEDGER, LedgerExit};
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use crate::ledger::suite::{
    Backend, COMMITTED_AT, CREATED, Draft, LI, ODD_NAMES, RawLine, ZHANG, batch, committed_march, counts, date, line,
    march_with_a_return, reissue_draft, three_months_for_counts, ym,
};

/// The suite's SQLite ledger (`ledger::suite::sqlite::…`): a fresh file in a temporary folder.
pub(crate) struct Sqlite {
    ledger: Ledger,
    _dir: tempfile::TempDir,
}

impl Backend for Sqlite {
    fn fresh(_test: &str) -> Self {
        let (dir, path) = temp_ledger();
        Sqlite { ledger: Ledger::open(&path).unwrap(), _dir: dir }
    }

    fn store(&self) -> &dyn LedgerStore {
        &self.ledger
    }

    fn open_again(&self) -> Box<dyn LedgerStore + Send> {
        Box::new(Ledger::open(self.ledger.path()).unwrap())
    }

    fn ints(&self, sql: &str) -> Vec<i64> {
        let mut stmt = self.ledger.conn().prepare(sql).unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    }

    fn refusal(&self, sql: &str) -> String {
        match self.ledger.conn().execute_batch(sql) {
            Ok(()) => panic!("the database accepted {sql}"),
            Err(e) => e.to_string(),
        }
    }

    fn force_commit(&self, month: &str, lines: &[RawLine]) -> Result<(), String> {
        // One chunk per line (what `raw_draft` writes for one), moved and marked by `raw_move` and `raw_commit`.
        let conn = self.ledger.conn();
        let write = || -> rusqlite::Result<()> {
            let id = raw_batch(conn, month);
            for (n, (person, item, period, kind, fen)) in lines.iter().enumerate() {
                conn.execute(
                    "INSERT INTO draft_chunks (batch_id, seq, line_count, total_fen, lines)
                     VALUES (?1, ?2, 1, ?7, json_array(json_array(?2, ?3, '', '', '', ?4, ?5, ?6, ?7, 1)))",
                    rusqlite::params![id, n, person, item, period, kind, fen],
                )?;
            }
            conn.execute_batch(&raw_move(id))?;
            conn.execute_batch(&format!(
                "UPDATE batches SET status = 'committed', committed_at = 'x', pay_date = '{month}-15',
                        line_count = (SELECT COUNT(*) FROM lines WHERE batch_id = {id}),
                        total_fen = (SELECT SUM(amount_fen) FROM lines WHERE batch_id = {id})
                  WHERE id = {id}"
            ))
        };
        conn.execute_batch("BEGIN").unwrap();
        match write() {
            Ok(()) => {
                conn.execute_batch("COMMIT").unwrap();
                Ok(())
            }
            Err(e) => {
                conn.execute_batch("ROLLBACK").unwrap();
                Err(e.to_string())
            }
        }
    }

    fn drop_packed_lines(&self) {
        self.ledger.conn().execute_batch("DROP TRIGGER packed_lines_no_delete; DELETE FROM packed_lines;").unwrap();
    }

    fn draft_tables(&self) -> &'static [&'static str] {
        // `draft_lines` is the view over the chunks.
        &["draft_lines", "draft_chunks"]
    }

    fn draft_calc(&self, id: &str) -> (Option<i64>, Option<String>, String) {
        self.ledger
            .conn()
            .query_row(
                "SELECT c.standard_row, c.standard_start, d.kind
                   FROM draft_lines d JOIN calcs c ON c.id = d.calc_id WHERE d.person_id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap()
    }

    fn paid_lines(&self, from: YearMonth, to: YearMonth) -> Vec<PaidLine> {
        self.ledger.paid_lines(from, to).unwrap()
    }

    fn paid_totals(&self, from: YearMonth, to: YearMonth) -> Vec<PaidTotal> {
        self.ledger.paid_totals(from, to).unwrap()
    }

    fn draft_of(&self, month: &str) -> String {
        format!(" {month} 的发放草稿")
    }

    fn paid_by(&self, batch: &BatchInfo) -> String {
        format!("已在 {} 发放批次中确认发放", batch.month)
    }

    fn twice_in_batch(&self) -> [String; 2] {
        // No committed line explains the duplicate: the message says it is twice in the batch.
        [
            "同一批次中同一人同一项目同一所属期的正常发放只能有一条".to_string(),
            "同一批次中同一人的丧葬补助只能有一条".to_string(),
        ]
    }

    fn reissued_again(&self, _line: i64, _by: &BatchInfo) -> String {
        format!(
            "台账 {} 拒绝了这次写入：银行退回的一笔明细只能重发一次；台账未作任何修改",
            self.ledger.path().display()
        )
    }

    fn returned_twice(&self, _batch_id: i64, _transfer_no: u32) -> String {
        format!("台账 {} 拒绝了这次写入：同一笔代发只能记录一次退回；台账未作任何修改", self.ledger.path().display())
    }
}

impl Ledger {
    /// `save_draft` of owned lines.
    fn save_draft_test(&self, (header, lines): &Draft) -> Result<BatchInfo, LedgerError> {
        self.save_draft(header, lines.iter().map(NewLine::line_ref))
    }
}

/// A temporary directory and the ledger path inside it.
fn temp_ledger() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("youfu.db");
    (dir, path)
}

/// The error text of running `sql` directly against the connection (the database's own refusal).
fn raw_error(conn: &Connection, sql: &str) -> String {
    conn.execute_batch(sql).unwrap_err().to_string()
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

// ---------------------------------------------------------------------------------------------------------------
// creating, drafting, committing
// ---------------------------------------------------------------------------------------------------------------

#[test]
fn a_new_ledger_is_created_marked_and_at_the_current_version() {
    let (_dir, path) = temp_ledger();
    let ledger = Ledger::open(&path).unwrap();
    let app_id: i64 = ledger.conn().pragma_query_value(None, "application_id", |r| r.get(0)).unwrap();
    let version: i64 = ledger.conn().pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
    // "youf" = 0x79 0x6F 0x75 0x66 = 121·2²⁴ + 111·2¹⁶ + 117·2⁸ + 102 = 2037347686
    assert_eq!(app_id, 2_037_347_686);
    assert_eq!(version, 7);
    assert_eq!(SCHEMA_VERSION, 7);
    assert!(ledger.batches().unwrap().is_empty());
    assert_eq!(ledger.first_committed_month().unwrap(), None);
    drop(ledger);
    // Reopening an existing ledger works and changes nothing.
    let before = std::fs::read(&path).unwrap();
    Ledger::open_existing(&path).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn a_zero_length_file_is_adopted_only_by_the_library_open() {
    // `open` (tests and library callers; a concurrent creator may have made the file and not yet the schema).
    let (_dir, path) = temp_ledger();
    std::fs::write(&path, b"").unwrap();
    let ledger = Ledger::open(&path).unwrap();
    let version: i64 = ledger.conn().pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
    assert_eq!(version, 7);
}

#[test]
fn a_zero_length_file_or_an_empty_database_is_not_a_ledger_for_open_existing_and_is_left_unchanged() {
    let (dir, path) = temp_ledger();
    std::fs::write(&path, b"").unwrap();
    let err = Ledger::open_existing(&path).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "文件 {} 不是 youfu 台账（文件是空的（0 字节）），未对该文件做任何修改。请用 --ledger 指定正确的台账文件",
            path.display()
        )
    );
    assert_eq!((err.code(), err.exit_code()), ("LEDGER_NOT_YOUFU", 7));
    assert_eq!(std::fs::read(&path).unwrap(), b"");
    // A SQLite database with nothing in it (what `sqlite3 youfu.db "VACUUM"` leaves).
    std::fs::remove_file(&path).unwrap();
    Connection::open(&path).unwrap().execute_batch("PRAGMA user_version = 0; VACUUM;").unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert!(!bytes.is_empty());
    let err = Ledger::open_existing(&path).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "文件 {} 不是 youfu 台账（这是一个空的数据库，没有台账的数据表），未对该文件做任何修改。请用 --ledger 指定正确的台账文件",
            path.display()
        )
    );
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    assert!(others_in(dir.path(), "youfu.db").is_empty());
}

#[test]
fn create_makes_a_new_ledger_and_never_replaces_a_file() {
    let (dir, path) = temp_ledger();
    let ledger = Ledger::create(&path).unwrap();
    let version: i64 = ledger.conn().pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    assert_eq!(ledger.path(), path);
    drop(ledger);
    // Only the ledger: the temporary file it was built in was moved into place, no journal is left.
    assert!(others_in(dir.path(), "youfu.db").is_empty());
    let before = std::fs::read(&path).unwrap();
    let err = Ledger::create(&path).unwrap_err();
    assert_eq!(err.to_string(), format!("台账文件 {} 已存在，未作任何修改", path.display()));
    assert_eq!((err.code(), err.exit_code()), ("LEDGER_EXISTS", 7));
    assert_eq!(std::fs::read(&path).unwrap(), before);
    // A zero-length file is a file: not replaced either.
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    assert_eq!(Ledger::create(&empty).unwrap_err().code(), "LEDGER_EXISTS");
    assert_eq!(std::fs::read(&empty).unwrap(), b"");
}

#[test]
fn create_in_a_missing_folder_says_so_and_leaves_nothing() {
    let (dir, _path) = temp_ledger();
    let path = dir.path().join("no-such-folder").join("youfu.db");
    let err = Ledger::create(&path).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "无法读写台账文件 {}：文件夹 {} 不存在，请先建立该文件夹",
            path.display(),
            dir.path().join("no-such-folder").display()
        )
    );
    assert!(others_in(dir.path(), "").is_empty());
}

#[test]
fn of_two_processes_creating_the_same_ledger_one_creates_and_the_other_is_told_it_exists() {
    for _ in 0..10 {
        let (dir, path) = temp_ledger();
        let barrier = Arc::new(Barrier::new(2));
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let (path, barrier) = (path.clone(), Arc::clone(&barrier));
                std::thread::spawn(move || {
                    barrier.wait();
                    Ledger::create(&path).map(|_| ()).map_err(|e| e.code())
                })
            })
            .collect();
        let mut results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        results.sort();
        assert_eq!(results, [Ok(()), Err("LEDGER_EXISTS")]);
        assert!(others_in(dir.path(), "youfu.db").is_empty());
        Ledger::open_existing(&path).unwrap();
    }
}

// ---------------------------------------------------------------------------------------------------------------
// failure inside a write: rollback
// ---------------------------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------------------------
// the database itself enforces the rules (raw SQL, bypassing the Rust API)
// ---------------------------------------------------------------------------------------------------------------

/// The UPDATE and DELETE of committed lines and batches, refused in the same words on both backends, are in the
/// suite (`the_database_refuses_to_change_or_delete_committed_lines_and_batches`); here SQLite's own: the frozen
/// calculations, and rows added past a draft.
#[test]
fn the_database_refuses_changed_calculations_and_rows_added_past_a_draft() {
    let (_dir, path) = temp_ledger();
    let ledger = Ledger::open(&path).unwrap();
    committed_march(&ledger);
    let conn = ledger.conn();
    // The interned 依据 and formulas the lines point to are frozen too.
    assert_eq!(raw_error(conn, "UPDATE calcs SET formula = 'x'"), "计算依据记录不能修改");
    assert_eq!(raw_error(conn, "DELETE FROM calcs"), "计算依据记录不能删除");
    let batch_id = count(conn, "SELECT id FROM batches");
    assert_eq!(
        raw_error(
            conn,
            &format!(
                "INSERT INTO lines (batch_id, line_no, person_id, name, category, town, item, period, kind,
                 amount_fen, calc_id) VALUES ({batch_id}, 9, '{ZHANG}', '张三', '', '', '护理费', '2024-03', '正常',
                 1, 1)"
            )
        ),
        "只能向发放草稿添加明细"
    );
    assert_eq!(
        raw_error(
            conn,
            "INSERT INTO batches (month, status, created, committed_at, pay_date, inputs_digest, outputs_digest,
             tool_version) VALUES ('2024-04', 'committed', 'x', 'x', '2024-04-15', 'i', 'o', 't')"
        ),
        "新批次只能是草稿，须经 commit 才能确认发放"
    );
    // Nothing moved.
    assert_eq!(count(conn, "SELECT SUM(amount_fen) FROM lines"), 12_345_678);
}

#[test]
fn the_database_refuses_a_second_committed_batch_for_a_month() {
    let (_dir, path) = temp_ledger();
    let ledger = Ledger::open(&path).unwrap();
    committed_march(&ledger);
    let conn = ledger.conn();
    conn.execute_batch(
        "INSERT INTO batches (month, status, created, inputs_digest, outputs_digest, tool_version)
         VALUES ('2024-03', 'draft', 'x', 'i', 'o', 't')",
    )
    .unwrap();
    assert_eq!(
        raw_error(
            conn,
            "UPDATE batches SET status = 'committed', committed_at = 'x', pay_date = '2024-03-20'
              WHERE status = 'draft'"
        ),
        "UNIQUE constraint failed: batches.month"
    );
    assert_eq!(count(conn, "SELECT COUNT(*) FROM batches WHERE status = 'committed'"), 1);
}

/// Insert an empty draft batch for `month` and the calculation its raw lines point to, by raw SQL; its id.
fn raw_batch(conn: &Connection, month: &str) -> i64 {
    conn.execute(
        "INSERT INTO batches (month, status, created, inputs_digest, outputs_digest, tool_version)
         VALUES (?1, 'draft', 'x', 'i', 'o', 't')",
        [month],
    )
    .unwrap();
    let id = conn.last_insert_rowid();
    conn.execute("INSERT OR IGNORE INTO calcs (id, basis, formula) VALUES (1, '', '')", []).unwrap();
    id
}

/// Insert a draft batch for `month` holding one line (1 分), by raw SQL; returns the batch id.
fn raw_draft(conn: &Connection, month: &str, item: &str, period: &str, kind: &str) -> i64 {
    let id = raw_batch(conn, month);
    conn.execute(
        "INSERT INTO draft_chunks (batch_id, seq, line_count, total_fen, lines)
         VALUES (?1, 0, 1, 1, json_array(json_array(0, ?2, '张三', '', '', ?3, ?4, ?5, 1, 1)))",
        rusqlite::params![id, ZHANG, item, period, kind],
    )
    .unwrap();
    id
}

/// The SQL of the commit's move, by hand: the draft's lines (the `draft_lines` view) into `lines`, then its chunks
/// out of `draft_chunks`.
fn raw_move(id: i64) -> String {
    format!(
        "INSERT INTO lines (batch_id, line_no, person_id, name, category, town, item, period, kind, amount_fen,
                            calc_id)
         SELECT batch_id, line_no, person_id, name, category, town, item, period, kind, amount_fen, calc_id
           FROM draft_lines WHERE batch_id = {id};
         DELETE FROM draft_chunks WHERE batch_id = {id};"
    )
}

/// The SQL marking batch `id` committed (after `raw_move`).
fn raw_commit(id: i64, pay_date: &str) -> String {
    format!("UPDATE batches SET status = 'committed', committed_at = 'x', pay_date = '{pay_date}' WHERE id = {id}")
}

#[test]
fn the_database_refuses_a_second_regular_payment_of_a_person_item_and_period() {
    let (_dir, path) = temp_ledger();
    let ledger = Ledger::open(&path).unwrap();
    committed_march(&ledger);
    let conn = ledger.conn();
    let id = raw_draft(conn, "2024-04", "残疾抚恤金", "2024-03", "正常");
    assert_eq!(raw_error(conn, &raw_move(id)), "UNIQUE constraint failed: lines.period, lines.person_id, lines.item");
    // The same through the error mapping the API uses:
    let mapped = super::sql::sql_err(&path, conn.execute_batch(&raw_move(id)).unwrap_err());
    assert_eq!(
        mapped.to_string(),
        format!(
            "台账 {} 拒绝了这次写入：同一人同一项目同一所属期的正常发放只能确认一次；台账未作任何修改",
            path.display()
        )
    );
}

#[test]
fn the_database_refuses_a_second_committed_funeral_grant() {
    let (_dir, path) = temp_ledger();
    let ledger = Ledger::open(&path).unwrap();
    let conn = ledger.conn();
    let first = raw_draft(conn, "2024-05", "丧葬补助", "2024-04", "丧葬补助");
    let second = raw_draft(conn, "2024-06", "丧葬补助金", "2024-05", "丧葬补助");
    conn.execute_batch(&format!("{} {}", raw_move(first), raw_commit(first, "2024-05-15"))).unwrap();
    assert_eq!(raw_error(conn, &raw_move(second)), "UNIQUE constraint failed: lines.person_id");
    assert_eq!(count(conn, "SELECT COUNT(*) FROM lines"), 1);
}

#[test]
fn the_database_commits_a_batch_only_with_all_its_lines_moved_and_counted() {
    let (_dir, path) = temp_ledger();
    let ledger = Ledger::open(&path).unwrap();
    let conn = ledger.conn();
    let id = raw_draft(conn, "2024-03", "残疾抚恤金", "2024-03", "正常");
    let refused = "确认发放时须将草稿明细全部转入已发放明细，且记录的笔数和合计须与明细一致";
    // Its draft line is still in draft_chunks: the batch cannot be marked committed.
    assert_eq!(raw_error(conn, &raw_commit(id, "2024-03-15")), refused);
    // A count or total that is not the moved lines' (1 line of 1 分) is refused.
    conn.execute_batch(&raw_move(id)).unwrap();
    for (lines, total) in [(2, 1), (1, 0)] {
        let sql = format!(
            "UPDATE batches SET status = 'committed', committed_at = 'x', pay_date = '2024-03-15',
                    line_count = {lines}, total_fen = {total} WHERE id = {id}"
        );
        assert_eq!(raw_error(conn, &sql), refused);
    }
    // A draft records no count or total.
    assert_eq!(raw_error(conn, "UPDATE batches SET line_count = 1"), "草稿批次不记录笔数和合计");
    conn.execute_batch(&format!(
        "UPDATE batches SET status = 'committed', committed_at = 'x', pay_date = '2024-03-15',
                line_count = 1, total_fen = 1 WHERE id = {id}"
    ))
    .unwrap();
    // Once committed, nothing can be added to the batch, in either table, nor changed.
    // (`draft_chunks` refuses it through its foreign key to (batch, 'draft'), not a trigger.)
    assert_eq!(
        raw_error(
            conn,
            &format!(
                "INSERT INTO lines (batch_id, line_no, person_id, name, category, town, item, period, kind,
                 amount_fen, calc_id) VALUES ({id}, 1, '{LI}', '李四', '', '', '残疾抚恤金', '2024-03', '正常', 1, 1)"
            )
        ),
        "只能向发放草稿添加明细"
    );
    assert_eq!(
        raw_error(
            conn,
            &format!(
                "INSERT INTO draft_chunks (batch_id, seq, line_count, total_fen, lines)
                 VALUES ({id}, 0, 1, 1, json_array(json_array(1, '{LI}', '李四', '', '', '残疾抚恤金', '2024-03',
                                                              '正常', 1, 1)))"
            )
        ),
        "FOREIGN KEY constraint failed"
    );
    assert_eq!(raw_error(conn, "UPDATE lines SET amount_fen = 999"), "已确认发放的明细不能修改");
    assert_eq!(raw_error(conn, "DELETE FROM lines"), "已确认发放的明细不能删除");
    assert_eq!(count(conn, "SELECT amount_fen FROM lines"), 1);
    assert_eq!(ledger.batch(ym("2024-03")).unwrap().map(|b| (b.lines, b.total_fen)), Some((1, 1)));
}

#[test]
fn committing_changes_nothing_but_status_time_pay_date_and_reason() {
    let (_dir, path) = temp_ledger();
    let ledger = Ledger::open(&path).unwrap();
    let conn = ledger.conn();
    let id = raw_draft(conn, "2024-03", "残疾抚恤金", "2024-03", "正常");
    conn.execute_batch(&raw_move(id)).unwrap();
    for forged in ["inputs_digest = 'forged'", "entitled_fen = 5", "shortfalls = '[{}]'"] {
        assert_eq!(
            raw_error(
                conn,
                &format!(
                    "UPDATE batches SET status = 'committed', committed_at = 'x', pay_date = '2024-03-15', {forged}"
                )
            ),
            "确认发放时不能改动批次内容",
            "{forged}"
        );
    }
    assert_eq!(
        raw_error(conn, "UPDATE batches SET status = 'committed'"),
        "CHECK constraint failed: committed_has_pay_date"
    );
}

// ---------------------------------------------------------------------------------------------------------------
// concurrency
// ---------------------------------------------------------------------------------------------------------------

#[test]
fn a_ledger_locked_by_another_process_is_busy_with_a_clear_message() {
    let (_dir, path) = temp_ledger();
    let ledger = Ledger::open(&path).unwrap();
    ledger.set_busy_timeout(Duration::from_millis(100)).unwrap();
    let other = Connection::open(&path).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let err = ledger
        .save_draft_test(&batch(
            "2024-03",
            "in-1",
            vec![line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Regular, 888_917)],
        ))
        .unwrap_err();
    assert_eq!(err.to_string(), format!("台账 {} 正被另一个 youfu 进程使用，请稍后再试", path.display()));
    assert_eq!((err.code(), err.exit_code()), ("LEDGER_BUSY", EXIT_LEDGER));
    other.execute_batch("ROLLBACK").unwrap();
    // Once the other process is done, the same call goes through.
    ledger
        .save_draft_test(&batch(
            "2024-03",
            "in-1",
            vec![line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Regular, 888_917)],
        ))
        .unwrap();
}

// ---------------------------------------------------------------------------------------------------------------
// crash in the middle of save_draft (a real abort, in a child process)
// ---------------------------------------------------------------------------------------------------------------

const CHILD_LEDGER_ENV: &str = "YOUFU_LEDGER_TEST_CHILD_PATH";

/// Run only as the child of `an_abort_in_the_middle_of_save_draft_leaves_the_previous_draft`.
#[test]
#[ignore = "child process of the crash test"]
fn crash_child_saves_a_draft() {
    let Ok(path) = std::env::var(CHILD_LEDGER_ENV) else {
        return;
    };
    let ledger = Ledger::open(Path::new(&path)).unwrap();
    let _ = ledger.save_draft_test(&batch(
        "2024-03",
        "in-2",
        vec![
            line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Regular, 1),
            line(LI, "残疾抚恤金", "2024-03", PaymentKind::Regular, 2),
        ],
    ));
    unreachable!("the abort hook should have ended this process");
}

#[test]
fn an_abort_in_the_middle_of_save_draft_leaves_the_previous_draft() {
    let (_dir, path) = temp_ledger();
    let first = Ledger::open(&path)
        .unwrap()
        .save_draft_test(&batch(
            "2024-03",
            "in-1",
            vec![line(ZHANG, "残疾抚恤金", "2024-03", PaymentKind::Regular, 888_917)],
        ))
        .unwrap();
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "ledger::sqlite::tests::crash_child_saves_a_draft", "--nocapture"])
        .env(CHILD_LEDGER_ENV, &path)
        .env(TEST_ABORT_AFTER_LINES_ENV, "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(!status.success());
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(6), "the child should die of SIGABRT: {status:?}");
    }
    // The child died holding the write transaction, with the old draft deleted and one new line written.
    let ledger = Ledger::open(&path).unwrap();
    assert_eq!(ledger.batches().unwrap(), vec![first]);
    assert_eq!(count(ledger.conn(), "SELECT SUM(amount_fen) FROM draft_lines"), 888_917);
}

// ---------------------------------------------------------------------------------------------------------------
// files that are refused, untouched
// ---------------------------------------------------------------------------------------------------------------

/// Files in the directory other than `name` (a refused open must not leave a journal behind).
fn others_in(dir: &Path, name: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != name)
        .collect()
}

#[test]
fn a_missing_ledger_is_not_created_by_open_existing() {
    let (dir, path) = temp_ledger();
    let err = Ledger::open_existing(&path).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("台账文件 {} 不存在。只有 youfu init 会新建台账；台账在别处时请用 --ledger 指定", path.display())
    );
    assert_eq!((err.code(), err.exit_code()), ("LEDGER_MISSING", 7));
    assert!(!path.exists());
    assert!(others_in(dir.path(), "youfu.db").is_empty());
}

#[test]
fn a_ledger_in_a_missing_folder_cannot_be_created() {
    let (dir, _path) = temp_ledger();
    let path = dir.path().join("no-such-folder").join("youfu.db");
    let err = Ledger::open(&path).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("无法读写台账文件 {}：无法打开或创建该文件，请确认所在文件夹存在且可写", path.display())
    );
    assert_eq!((err.code(), err.exit_code()), ("LEDGER_IO", 7));
}

#[test]
fn random_bytes_are_refused_as_not_a_database_and_left_unchanged() {
    let (dir, path) = temp_ledger();
    // Deterministic pseudo-random bytes (64-bit LCG), 8 KiB.
    let mut state: u64 = 0x2024_0315;
    let bytes: Vec<u8> = (0..8192)
        .map(|_| {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (state >> 56) as u8
        })
        .collect();
    std::fs::write(&path, &bytes).unwrap();
    for open in [Ledger::open, Ledger::open_existing] {
        let err = open(&path).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "台账 {} 已损坏或不是数据库文件（不是 SQLite 数据库文件），未对该文件做任何修改。\
                 请从备份恢复台账，或用 --ledger 指定正确的台账文件",
                path.display()
            )
        );
        assert_eq!((err.code(), err.exit_code()), ("LEDGER_CORRUPT", 7));
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
    }
    assert!(others_in(dir.path(), "youfu.db").is_empty());
}

#[test]
fn a_ledger_with_damaged_pages_is_refused_and_left_unchanged() {
    let (dir, path) = temp_ledger();
    let ledger = Ledger::open(&path).unwrap();
    let lines: Vec<NewLine> =
        (0..300).map(|n| line(&format!("ID{n:06}"), "残疾抚恤金", "2024-03", PaymentKind::Regular, 888_917)).collect();
    ledger.save_draft_test(&batch("2024-03", "in-1", lines)).unwrap();
    drop(ledger);
    let mut bytes = std::fs::read(&path).unwrap();
    let page: usize = 4096;
    assert!(bytes.len() >= 6 * page, "ledger only {} bytes", bytes.len());
    // Keep page 1 (the header and schema), overwrite everything after it.
    for (i, b) in bytes[page..].iter_mut().enumerate() {
        *b = (i * 7 % 251) as u8;
    }
    std::fs::write(&path, &bytes).unwrap();
    let err = Ledger::open(&path).unwrap_err();
    assert_eq!(err.code(), "LEDGER_CORRUPT");
    assert_eq!(
        err.to_string(),
        format!(
            "台账 {} 已损坏或不是数据库文件（数据库内容损坏：database disk image is malformed），未对该文件做任何修改。\
             请从备份恢复台账，或用 --ledger 指定正确的台账文件",
            path.display()
        )
    );
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    // Read-only commands skip the whole-file check, but this damage is met already when reading the schema.
    assert_eq!(Ledger::open_existing(&path).unwrap_err().to_string(), err.to_string());
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    assert!(others_in(dir.path(), "youfu.db").is_empty());
}

#[test]
fn commit_checks_the_pages_it_reads_and_refuses_a_damaged_draft_leaving_the_file_unchanged() {
    let (dir, path) = temp_ledger();
    let ledger = Ledger::open(&path).unwrap();
    committed_march(&ledger);
    let lines: Vec<NewLine> =
        (0..300).map(|n| line(&format!("ID{n:06}"), "残疾抚恤金", "2024-04", PaymentKind::Regular, 888_917)).collect();
    ledger.save_draft_test(&batch("2024-04", "in-1", lines)).unwrap();
    let root: i64 = count(ledger.conn(), "SELECT rootpage FROM sqlite_master WHERE name = 'draft_chunks'");
    drop(ledger);
    // Overwrite the root page of the draft's table (an interior page: 300 lines span several pages).
    let mut bytes = std::fs::read(&path).unwrap();
    let page: usize = 4096;
    let at = (root as usize - 1) * page;
    for (i, b) in bytes[at..at + page].iter_mut().enumerate() {
        *b = (i * 7 % 251) as u8;
    }
    std::fs::write(&path, &bytes).unwrap();
    // `open` (what `pay` uses) does not read the whole file: the header is fine, and so is the committed month.
    let ledger = Ledger::open(&path).unwrap();
    assert_eq!(ledger.batch_lines(ym("2024-03")).unwrap().len(), 2);
    // `commit` checks the tables it reads before it writes anything.
    let err = ledger.commit(ym("2024-04"), date("2024-04-15"), COMMITTED_AT, "in-1", None).unwrap_err();
    assert_eq!(err.code(), "LEDGER_CORRUPT");
    // (quick_check meets the damaged interior page and fails as SQLITE_CORRUPT itself.)
    assert_eq!(
        err.to_string(),
        format!(
            "台账 {} 已损坏或不是数据库文件（数据库内容损坏：database disk image is malformed），未对该文件做任何修改。\
             请从备份恢复台账，或用 --ledger 指定正确的台账文件",
            path.display()
        )
    );
    assert_eq!(ledger.batch(ym("2024-03")).unwrap().unwrap().status, BatchStatus::Committed);
    drop(ledger);
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    assert!(others_in(dir.path(), "youfu.db").is_empty());
}

#[test]
fn two_processes_creating_the_same_new_ledger_both_succeed() {
    for _ in 0..20 {
        let (_dir, path) = temp_ledger();
        let barrier = Arc::new(Barrier::new(2));
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let path = path.clone();
                let barrier = Arc::clone(&barrier);
                std::thread::spawn(move || {
                    barrier.wait();
                    Ledger::open(&path).map(|_| ())
                })
            })
            .collect();
        for h in handles {
            if let Err(e) = h.join().unwrap() {
                panic!("open failed: {e:?}");
            }
        }
        let ledger = Ledger::open(&path).unwrap();
        let version: i64 = ledger.conn().pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(version, 7);
        assert_eq!(count(ledger.conn(), "SELECT COUNT(*) FROM sqlite_master WHERE name = 'paid_totals'"), 1);
    }
}

#[test]
fn a_sqlite_file_of_another_application_is_refused_and_left_unchanged() {
    let (dir, path) = temp_ledger();
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE people (name TEXT); INSERT INTO people VALUES ('王五');").unwrap();
    }
    let bytes = std::fs::read(&path).unwrap();
    let err = Ledger::open(&path).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "文件 {} 不是 youfu 台账（其中已有其他数据表：people），未对该文件做任何修改。请用 --ledger 指定正确的台账文件",
            path.display()
        )
    );
    assert_eq!((err.code(), err.exit_code()), ("LEDGER_NOT_YOUFU", 7));
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    assert!(others_in(dir.path(), "youfu.db").is_empty());
}

#[test]
fn a_sqlite_file_with_another_application_id_is_refused() {
    let (_dir, path) = temp_ledger();
    {
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "application_id", 1234).unwrap();
    }
    let bytes = std::fs::read(&path).unwrap();
    let err = Ledger::open(&path).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "文件 {} 不是 youfu 台账（文件标识 application_id 为 1234，youfu 台账应为 2037347686），\
             未对该文件做任何修改。请用 --ledger 指定正确的台账文件",
            path.display()
        )
    );
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

#[test]
fn a_folder_is_not_a_ledger() {
    let (dir, _path) = temp_ledger();
    let err = Ledger::open(dir.path()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "文件 {} 不是 youfu 台账（这是一个文件夹），未对该文件做任何修改。请用 --ledger 指定正确的台账文件",
            dir.path().display()
        )
    );
}

#[test]
fn a_ledger_from_a_newer_youfu_is_refused_and_left_unchanged() {
    let (_dir, path) = temp_ledger();
    {
        let ledger = Ledger::open(&path).unwrap();
        ledger.conn().pragma_update(None, "user_version", 99).unwrap();
    }
    let bytes = std::fs::read(&path).unwrap();
    let err = Ledger::open(&path).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "台账 {} 的结构版本为 99，高于本程序支持的版本 7，未对该文件做任何修改。请升级 youfu 后再使用该台账",
            path.display()
        )
    );
    assert_eq!((err.code(), err.exit_code()), ("LEDGER_TOO_NEW", 7));
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

// ---------------------------------------------------------------------------------------------------------------
// migrations
// ---------------------------------------------------------------------------------------------------------------

/// A ledger file at schema `version` (< 4), made with the released migrations' SQL.
fn old_ledger(path: &Path, version: usize) -> Connection {
    let conn = Connection::open(path).unwrap();
    let sql: String = MIGRATIONS[..version].concat();
    conn.execute_batch(&format!(
        "BEGIN; {sql} PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {version}; COMMIT;"
    ))
    .unwrap();
    conn
}

/// Insert a line into a version 1–3 `lines` table.
/// `line` is (身份证号, 项目, 所属期, kind label).
fn old_line(conn: &Connection, batch: i64, line: (&str, &str, &str, &str), fen: i64, calc: u8) {
    let (id, item, period, kind) = line;
    let (row, start, basis, formula) = match calc {
        0 => (Some(3), Some("2023-08-01"), "样例通知", "106670 元/年 ÷ 12 = 8889.1666… → 8889.17"),
        1 => (Some(4), Some("2023-08-01"), "样例通知", "4200 元/月 → 4200.00"),
        _ => (None, None, "", "补发 2024-03：应发 8889.17 − 已发 8836.17 = 53.00"),
    };
    conn.execute(
        "INSERT INTO lines (batch_id, person_id, name, category, town, item, period, kind, amount_fen, standard_row,
                            standard_start, basis, formula)
         VALUES (?1, ?2, ?3, '残疾军人', '城关镇', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        rusqlite::params![
            batch,
            id,
            if id == ZHANG { "张三" } else { "李四" },
            item,
            period,
            kind,
            fen,
            row,
            start,
            basis,
            formula
        ],
    )
    .unwrap();
}

fn old_batch(conn: &Connection, month: &str) -> i64 {
    conn.execute(
        "INSERT INTO batches (month, status, created, inputs_digest, outputs_digest, tool_version)
         VALUES (?1, 'draft', ?2, 'in', 'out', '0.1.0')",
        [month, CREATED],
    )
    .unwrap();
    conn.last_insert_rowid()
}

fn old_commit(conn: &Connection, batch: i64, pay_date: &str) {
    conn.execute_batch(&format!(
        "UPDATE batches SET status = 'committed', committed_at = '{COMMITTED_AT}', pay_date = '{pay_date}'
          WHERE id = {batch};
         UPDATE lines SET committed = 1 WHERE batch_id = {batch};"
    ))
    .unwrap();
}

#[test]
fn a_version_1_ledger_opens_and_migrates_forward_keeping_its_payments() {
    let (_dir, path) = temp_ledger();
    {
        // A ledger as the first release wrote it: migration 1 only, with one committed March batch.
        let conn = old_ledger(&path, 1);
        let id = old_batch(&conn, "2024-03");
        old_line(&conn, id, (ZHANG, "残疾抚恤金", "2024-03", "正常"), 1, 0);
        old_commit(&conn, id, "2024-03-15");
        let no_view: i64 = count(&conn, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'paid_totals'");
        assert_eq!(no_view, 0);
    }
    let ledger = Ledger::open(&path).unwrap();
    let version: i64 = ledger.conn().pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
    assert_eq!(version, 7);
    let added = count(
        ledger.conn(),
        "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('paid_totals', 'lines_by_period', 'calcs', 'draft_lines')",
    );
    assert_eq!(added, 4);
    // The old payment is there, reported through the view, and still protected.
    assert_eq!(ledger.first_committed_month().unwrap(), Some(ym("2024-03")));
    assert_eq!(
        ledger.paid_totals(ym("2024-03"), ym("2024-03")).unwrap(),
        vec![PaidTotal {
            id: ZHANG.to_string(), item: "残疾抚恤金".to_string(), period: ym("2024-03"), total_fen: 1
        }]
    );
    let err = ledger.save_draft_test(&batch("2024-03", "in-2", vec![])).unwrap_err();
    assert_eq!(err.exit_code(), 6);
}

#[test]
fn a_version_3_ledger_migrates_forward_keeping_every_batch_and_line() {
    let (_dir, path) = temp_ledger();
    {
        let conn = old_ledger(&path, 3);
        // March committed (two people, two calculations), April committed (regular, 补发 for March, 丧葬补助 with
        // no standard row), May a draft (two lines), all written the version 3 way.
        let march = old_batch(&conn, "2024-03");
        old_line(&conn, march, (ZHANG, "残疾抚恤金", "2024-03", "正常"), 888_917, 0);
        old_line(&conn, march, (LI, "护理费", "2024-03", "正常"), 420_000, 1);
        old_commit(&conn, march, "2024-03-15");
        let april = old_batch(&conn, "2024-04");
        old_line(&conn, april, (ZHANG, "残疾抚恤金", "2024-04", "正常"), 888_917, 0);
        old_line(&conn, april, (ZHANG, "残疾抚恤金", "2024-03", "补发"), 5_300, 2);
        old_line(&conn, april, (LI, "丧葬补助", "2024-03", "丧葬补助"), 5_333_502, 2);
        old_commit(&conn, april, "2024-04-12");
        let may = old_batch(&conn, "2024-05");
        old_line(&conn, may, (ZHANG, "残疾抚恤金", "2024-05", "正常"), 888_917, 0);
        old_line(&conn, may, (ZHANG, "护理费", "2024-05", "正常"), 420_000, 1);
        conn.execute_batch("UPDATE batches SET entitled_fen = 1308917, shortfalls = '[1]' WHERE month = '2024-05'")
            .unwrap();
    }
    let ledger = Ledger::open(&path).unwrap();
    assert_eq!(ledger.conn().pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0)).unwrap(), SCHEMA_VERSION);
    // Batches: March 888917 + 420000 = 1308917 分 in 2 lines; April 888917 + 5300 + 5333502 = 6227719 分 in 3;
    // May (draft) 1308917 分 in 2.
    let batches: Vec<(i64, String, BatchStatus, i64, i64, Option<String>)> = ledger
        .batches()
        .unwrap()
        .into_iter()
        .map(|b| (b.id, b.month.to_string(), b.status, b.lines, b.total_fen, b.pay_date.map(|d| d.to_string())))
        .collect();
    assert_eq!(
        batches,
        vec![
            (1, "2024-03".into(), BatchStatus::Committed, 2, 1_308_917, Some("2024-03-15".into())),
            (2, "2024-04".into(), BatchStatus::Committed, 3, 6_227_719, Some("2024-04-12".into())),
            (3, "2024-05".into(), BatchStatus::Draft, 2, 1_308_917, None),
        ]
    );
    // The committed counts and totals are stored now (not re-added on every listing).
    assert_eq!(count(ledger.conn(), "SELECT SUM(line_count) FROM batches WHERE status = 'committed'"), 5);
    // Every committed line reads back as written, in batch order, with its interned 依据 and formula.
    let april = ledger.batch_lines(ym("2024-04")).unwrap();
    let shown: Vec<String> = april
        .iter()
        .map(|l| {
            format!("{} {} {} {} {} {:?} {}", l.id, l.item, l.period, l.kind, l.amount_fen, l.standard_row, l.formula)
        })
        .collect();
    assert_eq!(
        shown,
        vec![
            format!("{ZHANG} 残疾抚恤金 2024-04 正常 888917 Some(3) 106670 元/年 ÷ 12 = 8889.1666… → 8889.17"),
            format!("{ZHANG} 残疾抚恤金 2024-03 补发 5300 None 补发 2024-03：应发 8889.17 − 已发 8836.17 = 53.00"),
            format!("{LI} 丧葬补助 2024-03 丧葬补助 5333502 None 补发 2024-03：应发 8889.17 − 已发 8836.17 = 53.00"),
        ]
    );
    assert_eq!(april[0].basis, "样例通知");
    assert_eq!(april[0].pay_date, Some(date("2024-04-12")));
    let march = ledger.batch_lines(ym("2024-03")).unwrap();
    assert_eq!(
        march.iter().map(|l| (l.id.as_str(), l.amount_fen)).collect::<Vec<_>>(),
        vec![(ZHANG, 888_917), (LI, 420_000)]
    );
    // Three distinct calculations among the six lines.
    assert_eq!(count(ledger.conn(), "SELECT COUNT(*) FROM calcs"), 3);
    // March paid for 张三: 888917 + 5300 = 894217 分.
    assert_eq!(
        ledger.paid_totals(ym("2024-03"), ym("2024-03")).unwrap()[0],
        PaidTotal { id: ZHANG.into(), item: "残疾抚恤金".into(), period: ym("2024-03"), total_fen: 894_217 }
    );
    assert_eq!(ledger.funeral_paid(LI).unwrap().map(|l| l.amount_fen), Some(5_333_502));
    assert_eq!(ledger.lines_for(ZHANG, None).unwrap().len(), 3);
    // The draft's lines kept their order and values, and the draft commits as any other.
    let may = ledger.batch(ym("2024-05")).unwrap().unwrap();
    assert_eq!((may.entitled_fen, may.shortfalls.as_str()), (Some(1_308_917), "[1]"));
    let info = ledger.commit(ym("2024-05"), date("2024-05-15"), COMMITTED_AT, "in", None).unwrap();
    assert_eq!((info.lines, info.total_fen), (2, 1_308_917));
    let may_lines = ledger.batch_lines(ym("2024-05")).unwrap();
    assert_eq!(may_lines.iter().map(|l| l.item.as_str()).collect::<Vec<_>>(), vec!["残疾抚恤金", "护理费"]);
    // Still protected: March cannot be paid again, its lines cannot be changed.
    let err = ledger
        .save_draft_test(&batch("2024-06", "in-6", vec![line(LI, "护理费", "2024-03", PaymentKind::Regular, 1)]))
        .unwrap_err();
    assert_eq!(err.code(), "ALREADY_PAID");
    assert_eq!(raw_error(ledger.conn(), "DELETE FROM lines"), "已确认发放的明细不能删除");
}

#[test]
fn migrations_are_numbered_by_position_and_the_version_matches() {
    assert_eq!(MIGRATIONS.len() as i64, SCHEMA_VERSION);
    // Each migration is SQL that applies cleanly on top of the previous ones.
    let conn = Connection::open_in_memory().unwrap();
    for m in MIGRATIONS {
        conn.execute_batch(m).unwrap();
    }
}

#[test]
fn line_kinds_are_stored_as_their_chinese_labels() {
    for (kind, label) in
        [(PaymentKind::Regular, "正常"), (PaymentKind::Arrears, "补发"), (PaymentKind::Funeral, "丧葬补助")]
    {
        assert_eq!(kind.label(), label);
        assert_eq!(kind.to_string(), label);
        assert_eq!(PaymentKind::from_label(label), Some(kind));
        assert_eq!(serde_json::to_string(&kind).unwrap(), format!("\"{label}\""));
    }
    assert_eq!(PaymentKind::from_label("补助"), None);
    assert_eq!(BatchStatus::Committed.label(), "已确认发放");
    assert_eq!(BatchStatus::Draft.as_str(), "draft");
}

/// A version 3 ledger carried forward keeps its line ids, so one batch's rows may lie inside another's rowid
/// range: each batch still counts only its own lines, once.
#[test]
fn period_counts_skip_other_batches_rows_inside_a_batch_rowid_range() {
    let (_dir, path) = temp_ledger();
    {
        let conn = old_ledger(&path, 3);
        let march = old_batch(&conn, "2024-03");
        let april = old_batch(&conn, "2024-04");
        // Rowids 1..=4 alternate March, April, March, April.
        old_line(&conn, march, (ZHANG, "残疾抚恤金", "2024-03", "正常"), 100, 0);
        old_line(&conn, april, (ZHANG, "残疾抚恤金", "2024-04", "正常"), 200, 0);
        old_line(&conn, march, (LI, "残疾抚恤金", "2024-03", "正常"), 10, 0);
        old_line(&conn, april, (ZHANG, "残疾抚恤金", "2024-03", "补发"), 7, 2);
        old_commit(&conn, march, "2024-03-15");
        old_commit(&conn, april, "2024-04-12");
    }
    let ledger = Ledger::open(&path).unwrap();
    // April: 200 + 7 = 207 分 in 2 lines, only 张三, one 正常 pair (张三,04).
    assert_eq!(ledger.period_counts(ym("2024-04"), ym("2024-04")).unwrap().totals, counts(2, 207, 1, 1));
    // March: 100 + 10 = 110 分, 张三 and 李四, pairs (张三,03) (李四,03).
    assert_eq!(ledger.period_counts(ym("2024-03"), ym("2024-03")).unwrap().totals, counts(2, 110, 2, 2));
    // Both: 317 分 in 4 lines, each once; 正常 pairs (张三,03) (李四,03) (张三,04) = 3.
    let c = ledger.period_counts(ym("2024-03"), ym("2024-04")).unwrap();
    assert_eq!(c.totals, counts(4, 317, 2, 3));
    assert_eq!(c.arrears, counts(1, 7, 1, 1));
}

/// `period_counts` asks SQLite for no sort: each batch's span is two seeks of `lines_by_batch`, and its lines a
/// rowid range scan of the table (no index walk with a table seek per row, no temporary B-tree).
#[test]
fn period_counts_scans_rowid_ranges_without_sorting() {
    let (_dir, path) = temp_ledger();
    let ledger = Ledger::open(&path).unwrap();
    let plan = |sql: &str| -> Vec<String> {
        let mut stmt = ledger.conn().prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let mut rows = stmt.raw_query();
        let mut plan = Vec::new();
        while let Some(r) = rows.next().unwrap() {
            plan.push(r.get::<_, String>(3).unwrap());
        }
        plan
    };
    assert_eq!(
        plan(super::counts::PERIOD_COUNTS_SCAN),
        vec!["SEARCH lines USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)"]
    );
    let span = plan(super::counts::PERIOD_COUNTS_SPAN);
    assert!(span.iter().all(|s| !s.contains("TEMP B-TREE") && !s.contains("SCAN lines")), "{span:?}");
    assert_eq!(span.iter().filter(|s| s.contains("USING COVERING INDEX lines_by_batch (batch_id=?)")).count(), 2);
}

// ---------------------------------------------------------------------------------------------------------------
// drafts kept as chunks of JSON lines (schema version 5)
// ---------------------------------------------------------------------------------------------------------------

#[test]
fn a_draft_over_several_chunks_keeps_every_line_its_number_and_text_through_commit() {
    // Seven lines in chunks of three (CHUNK_LINES under test), not in the never-pay-twice order: the commit sorts
    // them for the indexes (`batch_lines` gives them back in draft order: the suite's
    // `a_draft_keeps_every_line_its_order_and_text_through_commit`).
    let (_dir, path) = temp_ledger();
    let ledger = Ledger::open(&path).unwrap();
    let ids = [7, 3, 5, 1, 6, 2, 4].map(|n| format!("51010119800101000{n}"));
    let lines: Vec<NewLine> = ids
        .iter()
        .enumerate()
        .map(|(n, id)| {
            let mut l = line(id, "残疾抚恤金", "2024-03", PaymentKind::Regular, 100 + n as i64);
            l.name = ODD_NAMES[n % ODD_NAMES.len()].to_string();
            l
        })
        .collect();
    let draft = ledger.save_draft_test(&batch("2024-03", "in-1", lines.clone())).unwrap();
    // 100 + 101 + … + 106 = 721 分 in 7 lines; three chunks (3 + 3 + 1).
    assert_eq!((draft.lines, draft.total_fen), (7, 721));
    assert_eq!(count(ledger.conn(), "SELECT COUNT(*) FROM draft_chunks"), 3);
    assert_eq!(count(ledger.conn(), "SELECT SUM(line_count) FROM draft_chunks"), 7);
    // The view reads the draft back as written, escapes undone.
    let names: Vec<String> = {
        let mut stmt = ledger.conn().prepare("SELECT name FROM draft_lines ORDER BY line_no").unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    assert_eq!(names, lines.iter().map(|l| l.name.clone()).collect::<Vec<_>>());
    let info = ledger.commit(ym("2024-03"), date("2024-03-15"), COMMITTED_AT, "in-1", None).unwrap();
    assert_eq!((info.lines, info.total_fen), (7, 721));
    assert_eq!(count(ledger.conn(), "SELECT COUNT(*) FROM draft_chunks"), 0);
    // Stored in key order (rowid order = insertion order): …0001 to …0007.
    let stored: Vec<String> = {
        let mut stmt = ledger.conn().prepare("SELECT person_id FROM lines ORDER BY id").unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    let mut sorted = ids.to_vec();
    sorted.sort();
    assert_eq!(stored, sorted);
}

#[test]
fn a_damaged_chunk_is_refused_at_commit_and_nothing_is_moved() {
    let (_dir, path) = temp_ledger();
    let ledger = Ledger::open(&path).unwrap();
    let lines: Vec<NewLine> =
        (0..5).map(|n| line(&format!("ID{n:06}"), "残疾抚恤金", "2024-03", PaymentKind::Regular, 1)).collect();
    ledger.save_draft_test(&batch("2024-03", "in-1", lines)).unwrap();
    // The second chunk's last line cut short (as a disk error or a hand edit might leave it).
    ledger
        .conn()
        .execute_batch(
            "UPDATE draft_chunks SET lines = substr(lines, 1, length(lines) - 10) || char(10) || ']' WHERE seq = 1",
        )
        .unwrap();
    let before = ledger.batches().unwrap();
    let err = ledger.commit(ym("2024-03"), date("2024-03-15"), COMMITTED_AT, "in-1", None).unwrap_err();
    assert_eq!(err.code(), "LEDGER_CORRUPT");
    assert_eq!(
        err.to_string(),
        format!(
            "台账 {} 已损坏或不是数据库文件（发放草稿第 2 块第 2 条明细无法读取（EOF while parsing a string at line 1 \
             column 79）），未对该文件做任何修改。请从备份恢复台账，或用 --ledger 指定正确的台账文件",
            path.display()
        )
    );
    assert_eq!(ledger.batches().unwrap(), before);
    assert_eq!(count(ledger.conn(), "SELECT COUNT(*) FROM lines"), 0);
}

#[test]
fn a_version_4_draft_migrates_into_chunks_and_commits() {
    let (_dir, path) = temp_ledger();
    {
        let conn = old_ledger(&path, 4);
        let id = old_batch(&conn, "2024-03");
        conn.execute("INSERT INTO calcs (id, basis, formula) VALUES (1, '样例通知', '4200 元/月 → 4200.00')", [])
            .unwrap();
        // Line numbers as version 4 kept them (not from 0, with gaps), in an order unlike the key's.
        for (n, (line_no, who)) in
            [(40, "ID000003"), (41, "ID000001"), (45, "ID000002"), (47, "ID000004")].into_iter().enumerate()
        {
            conn.execute(
                "INSERT INTO draft_lines (batch_id, line_no, person_id, name, category, town, item, period, kind,
                                          amount_fen, calc_id)
                 VALUES (?1, ?2, ?3, ?4, '残疾军人', '城关镇', '护理费', '2024-03', '正常', ?5, 1)",
                rusqlite::params![id, line_no, who, ODD_NAMES[n], 420_000 + n as i64],
            )
            .unwrap();
        }
    }
    let ledger = Ledger::open(&path).unwrap();
    assert_eq!(ledger.conn().pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0)).unwrap(), SCHEMA_VERSION);
    // 420000 + 420001 + 420002 + 420003 = 1680006 分 in 4 lines, one chunk.
    let draft = ledger.batch(ym("2024-03")).unwrap().unwrap();
    assert_eq!((draft.status, draft.lines, draft.total_fen), (BatchStatus::Draft, 4, 1_680_006));
    assert_eq!(count(ledger.conn(), "SELECT COUNT(*) FROM draft_chunks"), 1);
    let info = ledger.commit(ym("2024-03"), date("2024-03-15"), COMMITTED_AT, "in", None).unwrap();
    assert_eq!((info.lines, info.total_fen), (4, 1_680_006));
    let back = ledger.batch_lines(ym("2024-03")).unwrap();
    assert_eq!(
        back.iter().map(|l| (l.id.as_str(), l.name.as_str(), l.amount_fen)).collect::<Vec<_>>(),
        vec![
            ("ID000003", ODD_NAMES[0], 420_000),
            ("ID000001", ODD_NAMES[1], 420_001),
            ("ID000002", ODD_NAMES[2], 420_002),
            ("ID000004", ODD_NAMES[3], 420_003),
        ]
    );
    assert_eq!(back[0].formula, "4200 元/月 → 4200.00");
}

// the report's columns packed at commit (schema version 6)

#[test]
fn packed_lines_are_taken_only_for_a_committed_batch_with_its_count_and_total() {
    let (_dir, path) = temp_ledger();
    let ledger = Ledger::open(&path).unwrap();
    three_months_for_counts(&ledger);
    ledger
        .save_draft_test(&batch("2024-06", "in-6", vec![line(ZHANG, "残疾抚恤金", "2024-06", PaymentKind::Regular, 1)]))
        .unwrap();
    let conn = ledger.conn();
    let refused = |sql: &str| conn.execute(sql, []).unwrap_err().to_string();
    let draft_id = count(conn, "SELECT id FROM batches WHERE status = 'draft'");
    let march = count(conn, "SELECT id FROM batches WHERE month = '2024-03'");
    assert_eq!(
        refused(&format!("INSERT INTO packed_lines VALUES ({draft_id}, 1, 1, x'00')")),
        "汇总明细只能记入已确认发放的批次，且笔数和合计须与批次一致"
    );
    // March is committed but already has its blob; a second is refused by the key, a changed one by the trigger.
    assert!(refused(&format!("INSERT INTO packed_lines VALUES ({march}, 4, 163, x'00')")).contains("UNIQUE"));
    assert_eq!(refused("UPDATE packed_lines SET data = x'00'"), "已确认发放批次的汇总明细不能修改");
    assert_eq!(refused("DELETE FROM packed_lines"), "已确认发放批次的汇总明细不能删除");
    conn.execute_batch("DROP TRIGGER packed_lines_no_delete; DELETE FROM packed_lines;").unwrap();
    // March: 100+20+3+40 = 163 分 in 4 lines; any other count or total is refused.
    assert_eq!(
        refused(&format!("INSERT INTO packed_lines VALUES ({march}, 4, 164, x'00')")),
        "汇总明细只能记入已确认发放的批次，且笔数和合计须与批次一致"
    );
    conn.execute(&format!("INSERT INTO packed_lines VALUES ({march}, 4, 163, x'00')"), []).unwrap();
}

#[test]
fn a_damaged_packed_batch_is_refused_with_its_month() {
    let (_dir, path) = temp_ledger();
    let ledger = Ledger::open(&path).unwrap();
    three_months_for_counts(&ledger);
    ledger
        .conn()
        .execute_batch(
            "DROP TRIGGER packed_lines_no_update;
             UPDATE packed_lines SET data = substr(data, 1, length(data) - 1)
              WHERE batch_id = (SELECT id FROM batches WHERE month = '2024-04');",
        )
        .unwrap();
    let err = ledger.period_counts(ym("2024-03"), ym("2024-05")).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "台账 {} 已损坏或不是数据库文件（2024-04 批次的汇总明细无法读取（数据不完整）），未对该文件做任何修改。请从备份恢复台账，或用 --ledger 指定正确的台账文件",
            path.display()
        )
    );
    assert_eq!(err.code(), "LEDGER_CORRUPT");
}

// ---------------------------------------------------------------------------------------------------------------
// bank returns (退回) and re-issues (重发), schema version 7
// ---------------------------------------------------------------------------------------------------------------

#[test]
fn the_database_refuses_to_change_or_delete_a_return_event() {
    let (_dir, path) = temp_ledger();
    let ledger = Ledger::open(&path).unwrap();
    let (march, li) = march_with_a_return(&ledger);
    let conn = ledger.conn();
    assert_eq!(raw_error(conn, "UPDATE bank_returns SET reason = '已更正'"), "退回记录不能修改");
    assert_eq!(raw_error(conn, "UPDATE bank_returns SET amount_fen = 1"), "退回记录不能修改");
    assert_eq!(raw_error(conn, "DELETE FROM bank_returns"), "退回记录不能删除");
    assert_eq!(raw_error(conn, "UPDATE returned_lines SET line_id = line_id"), "退回记录不能修改");
    assert_eq!(raw_error(conn, "DELETE FROM returned_lines"), "退回记录不能删除");
    // A transfer is returned once; an event belongs to a committed batch of its month.
    assert_eq!(
        raw_error(
            conn,
            &format!(
                "INSERT INTO bank_returns (batch_id, month, transfer_no, person_id, name, account, amount_fen, status,
                 reason, file_name, file_sha256, file_row, recorded_at)
                 VALUES ({}, '2024-03', 2, '{LI}', '李四', 'x', 1, '失败', '', 'f', 'd', 9, 'now')",
                march.id
            )
        ),
        "UNIQUE constraint failed: bank_returns.batch_id, bank_returns.transfer_no"
    );
    assert_eq!(
        raw_error(
            conn,
            &format!(
                "INSERT INTO bank_returns (batch_id, month, transfer_no, person_id, name, account, amount_fen, status,
                 reason, file_name, file_sha256, file_row, recorded_at)
                 VALUES ({}, '2024-04', 1, '{ZHANG}', '张三', 'x', 1, '失败', '', 'f', 'd', 9, 'now')",
                march.id
            )
        ),
        "退回记录只能记入已确认发放的批次"
    );
    // The committed lines themselves are unchanged, and the event is there as recorded.
    assert_eq!(count(conn, "SELECT SUM(amount_fen) FROM lines"), 12_345_678);
    assert_eq!(count(conn, &format!("SELECT return_id FROM returned_lines WHERE line_id = {li}")), 1);
    let r = ledger.returns(ym("2024-03"), ym("2024-03")).unwrap();
    assert_eq!((r.len(), r[0].event.reason.as_str(), r[0].lines.len()), (1, "账户已销户", 1));
    assert_eq!(r[0].lines[0].reissued_in, None);
    // history shows the line as returned; what reached 李四 is nothing.
    let lines = ledger.lines_for(LI, None).unwrap();
    assert_eq!(lines[0].returned.as_ref().unwrap().reason, "账户已销户");
    assert_eq!(lines[0].reached_fen(), 0);
}

#[test]
fn the_database_refuses_a_second_reissue_of_one_returned_line_and_a_reissue_of_a_line_not_returned() {
    let (_dir, path) = temp_ledger();
    let ledger = Ledger::open(&path).unwrap();
    let (_, li) = march_with_a_return(&ledger);
    // April re-issues it; May's draft re-issues it again (the API's refusal of that commit, and the reads of a
    // re-issue, are the suite's `returns_are_recorded_read_and_reissued_once`). Here the database's own refusals,
    // in raw SQL: a second re-issue of the line, by the UNIQUE index …
    ledger.save_draft_test(&reissue_draft("2024-04", li)).unwrap();
    ledger.commit(ym("2024-04"), date("2024-04-15"), COMMITTED_AT, "in-2024-04", None).unwrap();
    ledger.save_draft_test(&reissue_draft("2024-05", li)).unwrap();
    let conn = ledger.conn();
    let may = count(conn, "SELECT id FROM batches WHERE month = '2024-05'");
    let sql = |of: i64| {
        format!(
            "INSERT INTO lines (batch_id, line_no, person_id, name, category, town, item, period, kind, amount_fen,
             calc_id, reissue_of) VALUES ({may}, 0, '{LI}', '李四', '', '', '残疾抚恤金', '2024-03', '重发', 2345678,
             1, {of})"
        )
    };
    assert_eq!(raw_error(conn, &sql(li)), "UNIQUE constraint failed: lines.reissue_of");
    // 张三's line was never returned: no 重发 of it.
    let zhang = count(conn, &format!("SELECT id FROM lines WHERE person_id = '{ZHANG}'"));
    assert_eq!(raw_error(conn, &sql(zhang)), "重发只能针对银行已退回的明细");
    // A 重发 line must say what it re-issues, and only a 重发 line may.
    assert_eq!(
        raw_error(conn, &sql(li).replace(&format!(", {li})"), ", NULL)")),
        "CHECK constraint failed: reissue_has_its_line"
    );
    assert_eq!(count(conn, "SELECT COUNT(*) FROM lines WHERE kind = '重发'"), 1);
}

/// A county's file answers the county reads for one county (whatever its code: the file records none) with what
/// the unscoped reads give, names no county of its own, and refuses several.
#[test]
fn a_sqlite_ledger_answers_for_one_county_and_refuses_several() {
    let (_dir, path) = temp_ledger();
    let ledger = Ledger::open(&path).unwrap();
    committed_march(&ledger);
    let store: &dyn LedgerStore = &ledger;
    let one = ["110101".to_string()];
    assert_eq!(store.counties().unwrap(), Vec::<String>::new());
    let march = ym("2024-03");
    assert_eq!(
        store.county_period_counts(&one, march, march).unwrap(),
        vec![store.period_counts(march, march).unwrap()]
    );
    assert_eq!(store.county_batches(&one).unwrap(), vec![store.batches().unwrap()]);
    assert_eq!(store.county_returned_by_month(&one).unwrap(), vec![store.returned_by_month().unwrap()]);
    let two = ["110101".to_string(), "110102".to_string()];
    let e = store.county_batches(&two).unwrap_err();
    assert_eq!(e.code(), "LEDGER_ONE_COUNTY");
    assert_eq!(
        e.to_string(),
        format!(
            "台账 {} 是一个县（市、区）的 SQLite 文件，只能按一个县（市、区）读取，不能按 110101、110102 读取；未作任何修改",
            path.display()
        )
    );
    assert_eq!(e.exit_code(), EXIT_LEDGER);
    assert!(matches!(store.county_period_counts(&[], march, march), Err(LedgerError::OneCounty { .. })));
}
