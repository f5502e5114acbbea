//! The ledger's schema as an ordered list of SQL migrations, and the checks that decide whether a file is a youfu
//! ledger (application_id, user_version, tables) before anything is written to it.
//!
//! `PRAGMA application_id` marks the file as youfu's; `PRAGMA user_version` is the number of migrations applied.
//! Migration `i` (0-based) takes the schema from version `i` to `i + 1`; each runs in its own `BEGIN IMMEDIATE`
//! transaction together with the `user_version` bump, so a crash leaves the file at a whole version. A released
//! migration is never edited: a change to the schema is a new entry at the end of `MIGRATIONS`.

use super::sql::sql_err;
use crate::ledger::LedgerError;
use rusqlite::{Connection, TransactionBehavior};
use std::path::Path;

/// `PRAGMA application_id` of a youfu ledger: the bytes "youf" (0x796F7566).
pub const APPLICATION_ID: i64 = 0x796F_7566;

/// The schema version this build writes and reads (= `MIGRATIONS.len()`).
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Version 1: batches and lines, money as INTEGER 分, the never-pay-twice unique indexes and the triggers that
/// freeze committed rows. Version 2: lookup indexes for history/explain/arrears and the `paid_totals` view.
/// Version 3: the batch's entitlement and shortfalls (audit). Version 4: drafts in their own table, committed
/// lines moved there by `commit`, repeated texts interned in `calcs`, stored batch totals (see `MIGRATION_4`).
/// Version 5: a draft's lines as chunks of JSON text (`draft_chunks`), `draft_lines` a view over them (see
/// `MIGRATION_5`). Version 6: each committed batch's report columns packed into one blob (`packed_lines`, see
/// `MIGRATION_6`). Version 7: bank transfers, 退回 events and 重发 (see `MIGRATION_7`). Each constant's comment says what its version adds and why.
pub(super) const MIGRATIONS: &[&str] =
    &[MIGRATION_1, MIGRATION_2, MIGRATION_3, MIGRATION_4, MIGRATION_5, MIGRATION_6, MIGRATION_7];

const MIGRATION_1: &str = r#"
CREATE TABLE batches (
    id             INTEGER PRIMARY KEY,
    month          TEXT    NOT NULL CONSTRAINT month_format CHECK (month GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]'),
    status         TEXT    NOT NULL CONSTRAINT status_known CHECK (status IN ('draft', 'committed')),
    created        TEXT    NOT NULL,
    committed_at   TEXT,
    pay_date       TEXT    CONSTRAINT pay_date_format
                           CHECK (pay_date IS NULL OR pay_date GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'),
    late_reason    TEXT,
    inputs_digest  TEXT    NOT NULL,
    outputs_digest TEXT    NOT NULL,
    tool_version   TEXT    NOT NULL,
    CONSTRAINT committed_has_pay_date
        CHECK ((status = 'committed') = (committed_at IS NOT NULL AND pay_date IS NOT NULL))
);

-- At most one committed batch and at most one draft per month.
CREATE UNIQUE INDEX batches_one_committed_per_month ON batches (month) WHERE status = 'committed';
CREATE UNIQUE INDEX batches_one_draft_per_month ON batches (month) WHERE status = 'draft';

CREATE TABLE lines (
    id             INTEGER PRIMARY KEY,
    batch_id       INTEGER NOT NULL REFERENCES batches (id),
    -- Set to 1 by the commit step, in the same transaction that commits the batch; never back to 0.
    committed      INTEGER NOT NULL DEFAULT 0 CONSTRAINT committed_flag CHECK (committed IN (0, 1)),
    person_id      TEXT    NOT NULL CONSTRAINT person_id_present CHECK (person_id <> ''),
    name           TEXT    NOT NULL,
    category       TEXT    NOT NULL,
    town           TEXT    NOT NULL,
    item           TEXT    NOT NULL CONSTRAINT item_present CHECK (item <> ''),
    period         TEXT    NOT NULL CONSTRAINT period_format CHECK (period GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]'),
    kind           TEXT    NOT NULL CONSTRAINT kind_known CHECK (kind IN ('正常', '补发', '丧葬补助')),
    amount_fen     INTEGER NOT NULL
                           CONSTRAINT amount_is_integer_fen CHECK (typeof(amount_fen) = 'integer')
                           CONSTRAINT amount_not_negative CHECK (amount_fen >= 0),
    standard_row   INTEGER,
    standard_start TEXT,
    basis          TEXT    NOT NULL,
    formula        TEXT    NOT NULL
);

CREATE INDEX lines_by_batch ON lines (batch_id);

-- Never pay twice (domain rule 6): the regular payment of a (person, item, period) once among committed lines,
-- the funeral grant once per person; and no duplicates inside one batch either.
CREATE UNIQUE INDEX lines_regular_once ON lines (person_id, item, period) WHERE committed = 1 AND kind = '正常';
CREATE UNIQUE INDEX lines_funeral_once ON lines (person_id) WHERE committed = 1 AND kind = '丧葬补助';
CREATE UNIQUE INDEX lines_regular_once_per_batch ON lines (batch_id, person_id, item, period) WHERE kind = '正常';
CREATE UNIQUE INDEX lines_funeral_once_per_batch ON lines (batch_id, person_id) WHERE kind = '丧葬补助';

-- Batches are born drafts; a committed batch is never changed or deleted; committing changes nothing but the
-- status, the commit time, the pay date and the late reason.
CREATE TRIGGER batches_insert_draft_only BEFORE INSERT ON batches WHEN NEW.status <> 'draft'
BEGIN SELECT RAISE(ABORT, '新批次只能是草稿，须经 commit 才能确认发放'); END;

CREATE TRIGGER batches_committed_no_update BEFORE UPDATE ON batches WHEN OLD.status = 'committed'
BEGIN SELECT RAISE(ABORT, '已确认发放的批次不能修改'); END;

CREATE TRIGGER batches_commit_changes_nothing_else BEFORE UPDATE ON batches
WHEN OLD.status = 'draft' AND NEW.status = 'committed'
 AND (NEW.id IS NOT OLD.id OR NEW.month IS NOT OLD.month OR NEW.created IS NOT OLD.created
      OR NEW.inputs_digest IS NOT OLD.inputs_digest OR NEW.outputs_digest IS NOT OLD.outputs_digest
      OR NEW.tool_version IS NOT OLD.tool_version)
BEGIN SELECT RAISE(ABORT, '确认发放时不能改动批次内容'); END;

CREATE TRIGGER batches_committed_no_delete BEFORE DELETE ON batches WHEN OLD.status = 'committed'
BEGIN SELECT RAISE(ABORT, '已确认发放的批次不能删除'); END;

-- Lines are added to drafts only, uncommitted; a committed line (or any line of a committed batch) is never
-- changed or deleted; the only change allowed is the commit step flipping `committed` 0 → 1 once its batch is
-- committed.
CREATE TRIGGER lines_insert_into_draft_only BEFORE INSERT ON lines
WHEN NEW.committed <> 0 OR (SELECT status FROM batches WHERE id = NEW.batch_id) IS NOT 'draft'
BEGIN SELECT RAISE(ABORT, '只能向发放草稿添加明细'); END;

CREATE TRIGGER lines_committed_no_update BEFORE UPDATE ON lines
WHEN OLD.committed = 1
  OR (NEW.committed = 0 AND (SELECT status FROM batches WHERE id = OLD.batch_id) = 'committed')
BEGIN SELECT RAISE(ABORT, '已确认发放的明细不能修改'); END;

CREATE TRIGGER lines_commit_with_batch_only BEFORE UPDATE ON lines
WHEN OLD.committed = 0 AND NEW.committed <> 0
 AND ((SELECT status FROM batches WHERE id = OLD.batch_id) IS NOT 'committed'
      OR NEW.id IS NOT OLD.id OR NEW.batch_id IS NOT OLD.batch_id OR NEW.person_id IS NOT OLD.person_id
      OR NEW.name IS NOT OLD.name OR NEW.category IS NOT OLD.category OR NEW.town IS NOT OLD.town
      OR NEW.item IS NOT OLD.item OR NEW.period IS NOT OLD.period OR NEW.kind IS NOT OLD.kind
      OR NEW.amount_fen IS NOT OLD.amount_fen OR NEW.standard_row IS NOT OLD.standard_row
      OR NEW.standard_start IS NOT OLD.standard_start OR NEW.basis IS NOT OLD.basis
      OR NEW.formula IS NOT OLD.formula)
BEGIN SELECT RAISE(ABORT, '明细只能随所属批次一起确认发放，且确认时不能改动'); END;

CREATE TRIGGER lines_committed_no_delete BEFORE DELETE ON lines
WHEN OLD.committed = 1 OR (SELECT status FROM batches WHERE id = OLD.batch_id) = 'committed'
BEGIN SELECT RAISE(ABORT, '已确认发放的明细不能删除'); END;
"#;

const MIGRATION_2: &str = r#"
CREATE INDEX lines_by_person ON lines (person_id, period) WHERE committed = 1;
CREATE INDEX lines_by_period ON lines (period) WHERE committed = 1;

-- What was paid per person, item and period: the regular line plus any arrears (丧葬补助 is a separate sum).
CREATE VIEW paid_totals AS
SELECT person_id, item, period, SUM(amount_fen) AS total_fen
  FROM lines
 WHERE committed = 1 AND kind IN ('正常', '补发')
 GROUP BY person_id, item, period;
"#;

/// Version 3: what the month's batch should have paid, for the audit's 足额 check: the regular entitlement of
/// every eligible recipient (in 分) and the list of eligible recipients left unpaid with the reason (JSON).
const MIGRATION_3: &str = r#"
ALTER TABLE batches ADD COLUMN entitled_fen INTEGER;
ALTER TABLE batches ADD COLUMN shortfalls TEXT NOT NULL DEFAULT '[]';
"#;

/// Version 4: a ledger that stays fast at a province's scale (a million recipients, 1.6 million lines a month, a
/// year of months in one file).
///
/// - `draft_lines` holds drafts: scratch that the next `pay` of the month replaces. Clustered by (batch, line
///   number) (WITHOUT ROWID), so a draft is appended in order; no cross-batch index, no per-row trigger, only the
///   money CHECKs and a foreign key to (batch, 'draft'). Nothing in it is a payment.
/// - `lines` holds committed lines only. `commit` moves a draft's lines there in one `INSERT … SELECT` sorted by
///   (所属期, 身份证号, 项目), deletes them from `draft_lines` and marks the batch committed, in one transaction.
///   The never-pay-twice indexes lead with the 所属期, so a new month's keys are appended at the end of the index
///   instead of touching every page of it; `lines` rows are never changed or deleted, and are only added to a batch
///   that is still a draft (i.e. during its commit).
/// - `calcs` interns the 标准表 row, its 起始日期, 依据 and the formula (a few distinct values repeated on a
///   million lines); rows are never changed or deleted.
/// - `batches.line_count` / `batches.total_fen` are set by the commit (the database checks them against the
///   moved lines, and that no draft line is left behind), so listing batches does not re-add a year of lines.
/// - `lines.line_no` keeps the draft's order (what `batch_lines` returns) although rows are stored sorted.
///
/// Existing v3 ledgers are carried forward: every batch, committed line (same ids) and draft line is kept.
const MIGRATION_4: &str = r#"
DROP VIEW paid_totals;

CREATE TABLE calcs (
    id             INTEGER PRIMARY KEY,
    standard_row   INTEGER,
    standard_start TEXT,
    basis          TEXT NOT NULL,
    formula        TEXT NOT NULL
);
CREATE UNIQUE INDEX calcs_once ON calcs (formula, basis, standard_row, standard_start);

CREATE TRIGGER calcs_no_update BEFORE UPDATE ON calcs
BEGIN SELECT RAISE(ABORT, '计算依据记录不能修改'); END;
CREATE TRIGGER calcs_no_delete BEFORE DELETE ON calcs
BEGIN SELECT RAISE(ABORT, '计算依据记录不能删除'); END;

INSERT INTO calcs (standard_row, standard_start, basis, formula)
SELECT DISTINCT standard_row, standard_start, basis, formula FROM lines ORDER BY formula, basis;

-- Draft lines belong to drafts: the (batch, status) pair they reference must be (id, 'draft'), so a line cannot be
-- added to a committed batch, and a batch with draft lines left cannot become committed. A foreign key, checked
-- with one index probe per row, because a per-row trigger costs more than the insert itself at a million lines.
-- Only the money CHECKs are repeated here: the text formats are checked when `commit` moves the lines.
CREATE UNIQUE INDEX batches_id_status ON batches (id, status);

CREATE TABLE draft_lines (
    batch_id     INTEGER NOT NULL,
    batch_status TEXT    NOT NULL DEFAULT 'draft' CONSTRAINT draft_lines_in_drafts CHECK (batch_status = 'draft'),
    line_no      INTEGER NOT NULL,
    person_id    TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    category     TEXT    NOT NULL,
    town         TEXT    NOT NULL,
    item         TEXT    NOT NULL,
    period       TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    amount_fen   INTEGER NOT NULL
                         CONSTRAINT amount_is_integer_fen CHECK (typeof(amount_fen) = 'integer')
                         CONSTRAINT amount_not_negative CHECK (amount_fen >= 0),
    calc_id      INTEGER NOT NULL,
    PRIMARY KEY (batch_id, line_no),
    FOREIGN KEY (batch_id, batch_status) REFERENCES batches (id, status)
) WITHOUT ROWID;

INSERT INTO draft_lines (batch_id, line_no, person_id, name, category, town, item, period, kind, amount_fen,
                         calc_id)
SELECT l.batch_id, l.id, l.person_id, l.name, l.category, l.town, l.item, l.period, l.kind, l.amount_fen, c.id
  FROM lines l
  JOIN calcs c ON c.formula = l.formula AND c.basis = l.basis
              AND c.standard_row IS l.standard_row AND c.standard_start IS l.standard_start
 WHERE l.committed = 0
 ORDER BY l.batch_id, l.id;

CREATE TABLE lines_v4 (
    id         INTEGER PRIMARY KEY,
    batch_id   INTEGER NOT NULL REFERENCES batches (id),
    -- The line's place in its draft (the order `batch_lines` returns).
    line_no    INTEGER NOT NULL,
    person_id  TEXT    NOT NULL CONSTRAINT person_id_present CHECK (person_id <> ''),
    name       TEXT    NOT NULL,
    category   TEXT    NOT NULL,
    town       TEXT    NOT NULL,
    item       TEXT    NOT NULL CONSTRAINT item_present CHECK (item <> ''),
    period     TEXT    NOT NULL CONSTRAINT period_format CHECK (period GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]'),
    -- Written with OR, not IN (…): SQLite evaluates this IN list through a temporary table on every row.
    kind       TEXT    NOT NULL CONSTRAINT kind_known CHECK (kind = '正常' OR kind = '补发' OR kind = '丧葬补助'),
    amount_fen INTEGER NOT NULL
                       CONSTRAINT amount_is_integer_fen CHECK (typeof(amount_fen) = 'integer')
                       CONSTRAINT amount_not_negative CHECK (amount_fen >= 0),
    calc_id    INTEGER NOT NULL REFERENCES calcs (id)
);

INSERT INTO lines_v4 (id, batch_id, line_no, person_id, name, category, town, item, period, kind, amount_fen,
                      calc_id)
SELECT l.id, l.batch_id, l.id, l.person_id, l.name, l.category, l.town, l.item, l.period, l.kind, l.amount_fen,
       c.id
  FROM lines l
  JOIN calcs c ON c.formula = l.formula AND c.basis = l.basis
              AND c.standard_row IS l.standard_row AND c.standard_start IS l.standard_start
 WHERE l.committed = 1
 ORDER BY l.id;

DROP TABLE lines;
ALTER TABLE lines_v4 RENAME TO lines;

-- (batch_id) only: with the rowid after it, a commit appends here too; `batch_lines` sorts by line_no itself.
CREATE INDEX lines_by_batch ON lines (batch_id);
-- Never pay twice (domain rule 6), among committed lines: the regular payment of a (所属期, person, item) once,
-- the funeral grant once per person. Led by the 所属期 so that a month's commit appends at the index's end.
CREATE UNIQUE INDEX lines_regular_once ON lines (period, person_id, item) WHERE kind = '正常';
CREATE UNIQUE INDEX lines_funeral_once ON lines (person_id) WHERE kind = '丧葬补助';
CREATE INDEX lines_by_period ON lines (period, person_id);

-- Lines are added only to a batch that is still a draft (the commit moves them in before it marks the batch
-- committed); they are never changed or deleted.
CREATE TRIGGER lines_insert_into_draft_only BEFORE INSERT ON lines
WHEN (SELECT status FROM batches WHERE id = NEW.batch_id) IS NOT 'draft'
BEGIN SELECT RAISE(ABORT, '只能向发放草稿添加明细'); END;

CREATE TRIGGER lines_committed_no_update BEFORE UPDATE ON lines
BEGIN SELECT RAISE(ABORT, '已确认发放的明细不能修改'); END;

CREATE TRIGGER lines_committed_no_delete BEFORE DELETE ON lines
BEGIN SELECT RAISE(ABORT, '已确认发放的明细不能删除'); END;

-- A committed batch's stored count and total; filled in for the batches committed before version 4.
ALTER TABLE batches ADD COLUMN line_count INTEGER;
ALTER TABLE batches ADD COLUMN total_fen INTEGER;

DROP TRIGGER batches_committed_no_update;
UPDATE batches
   SET line_count = (SELECT COUNT(*) FROM lines l WHERE l.batch_id = batches.id),
       total_fen = (SELECT COALESCE(SUM(l.amount_fen), 0) FROM lines l WHERE l.batch_id = batches.id)
 WHERE status = 'committed';
CREATE TRIGGER batches_committed_no_update BEFORE UPDATE ON batches WHEN OLD.status = 'committed'
BEGIN SELECT RAISE(ABORT, '已确认发放的批次不能修改'); END;

-- Committing moves every draft line into `lines`, and the count and total it records (when it records them) are
-- those of the moved lines.
CREATE TRIGGER batches_commit_moves_every_line BEFORE UPDATE ON batches
WHEN OLD.status = 'draft' AND NEW.status = 'committed'
 AND (EXISTS (SELECT 1 FROM draft_lines d WHERE d.batch_id = OLD.id)
      OR (NEW.line_count IS NOT NULL
          AND NEW.line_count IS NOT (SELECT COUNT(*) FROM lines l WHERE l.batch_id = OLD.id))
      OR (NEW.total_fen IS NOT NULL
          AND NEW.total_fen IS NOT (SELECT COALESCE(SUM(l.amount_fen), 0) FROM lines l WHERE l.batch_id = OLD.id)))
BEGIN SELECT RAISE(ABORT, '确认发放时须将草稿明细全部转入已发放明细，且记录的笔数和合计须与明细一致'); END;

-- The entitlement and shortfalls (version 3) are frozen at commit like the rest of the draft.
CREATE TRIGGER batches_commit_keeps_entitlement BEFORE UPDATE ON batches
WHEN OLD.status = 'draft' AND NEW.status = 'committed'
 AND (NEW.entitled_fen IS NOT OLD.entitled_fen OR NEW.shortfalls IS NOT OLD.shortfalls)
BEGIN SELECT RAISE(ABORT, '确认发放时不能改动批次内容'); END;

-- A draft's count and total are those of its draft lines: none are stored.
CREATE TRIGGER batches_insert_no_stored_total BEFORE INSERT ON batches
WHEN NEW.line_count IS NOT NULL OR NEW.total_fen IS NOT NULL
BEGIN SELECT RAISE(ABORT, '草稿批次不记录笔数和合计'); END;
CREATE TRIGGER batches_draft_has_no_stored_total BEFORE UPDATE ON batches
WHEN OLD.status = 'draft' AND NEW.status = 'draft' AND (NEW.line_count IS NOT NULL OR NEW.total_fen IS NOT NULL)
BEGIN SELECT RAISE(ABORT, '草稿批次不记录笔数和合计'); END;

CREATE VIEW paid_totals AS
SELECT person_id, item, period, SUM(amount_fen) AS total_fen
  FROM lines
 WHERE kind IN ('正常', '补发')
 GROUP BY person_id, item, period;
"#;

/// Version 5: a draft's lines kept as a few hundred chunks of JSON text instead of a million rows (`pay` of a
/// province spent ~4 s inserting rows it only keeps until `commit`).
///
/// - `draft_chunks` holds a draft as chunks of up to `store::CHUNK_LINES` lines in draft order (`seq`), each chunk a
///   JSON array of `[line_no, 身份证号, 姓名, 类别, 乡镇, 项目, 所属期, 发放类型, 分, calc_id]`, one line per text line,
///   with the chunk's line count and total in 分 beside it (a draft's count and total are their sums). `line_no` is
///   the line's place in the draft (what `batch_lines` returns). `commit` sorts the lines by the never-pay-twice key
///   itself before moving them into `lines`. A chunk belongs only to a draft (the foreign key to (batch, 'draft')).
/// - `draft_lines` is now a view over the chunks (`json_each`) with the old table's columns, for reading a draft in
///   SQL (the exact already-paid join, tests, a person looking at the file); it is slow at a million lines, and
///   the commands do not stream a draft through it.
/// - The money and text CHECKs of a line are applied when `commit` inserts it into `lines` (as before for the
///   texts); `save_draft` refuses a negative amount itself before anything is written.
///
/// Existing drafts are carried over, their lines in the same order of line numbers.
const MIGRATION_5: &str = r#"
CREATE TABLE draft_chunks (
    id           INTEGER PRIMARY KEY,
    batch_id     INTEGER NOT NULL,
    batch_status TEXT    NOT NULL DEFAULT 'draft' CONSTRAINT draft_chunks_in_drafts CHECK (batch_status = 'draft'),
    seq          INTEGER NOT NULL,
    line_count   INTEGER NOT NULL CONSTRAINT chunk_not_empty CHECK (typeof(line_count) = 'integer' AND line_count > 0),
    total_fen    INTEGER NOT NULL
                         CONSTRAINT chunk_total_is_integer_fen CHECK (typeof(total_fen) = 'integer')
                         CONSTRAINT amount_not_negative CHECK (total_fen >= 0),
    lines        TEXT    NOT NULL,
    FOREIGN KEY (batch_id, batch_status) REFERENCES batches (id, status)
);
CREATE UNIQUE INDEX draft_chunks_in_order ON draft_chunks (batch_id, seq);

INSERT INTO draft_chunks (batch_id, seq, line_count, total_fen, lines)
SELECT batch_id, k / 4096, COUNT(*), SUM(amount_fen),
       '[' || char(10)
           || group_concat(json_array(line_no, person_id, name, category, town, item, period, kind, amount_fen,
                                      calc_id), ',' || char(10) ORDER BY k)
           || char(10) || ']'
  FROM (SELECT d.*, ROW_NUMBER() OVER (PARTITION BY batch_id ORDER BY line_no) - 1 AS k FROM draft_lines d)
 GROUP BY batch_id, k / 4096
 ORDER BY batch_id, k / 4096;

DROP TRIGGER batches_commit_moves_every_line;
DROP TABLE draft_lines;

CREATE VIEW draft_lines AS
SELECT c.batch_id AS batch_id, j.value ->> 0 AS line_no, j.value ->> 1 AS person_id, j.value ->> 2 AS name,
       j.value ->> 3 AS category, j.value ->> 4 AS town, j.value ->> 5 AS item, j.value ->> 6 AS period,
       j.value ->> 7 AS kind, j.value ->> 8 AS amount_fen, j.value ->> 9 AS calc_id
  FROM draft_chunks c, json_each(c.lines) j;

-- As in version 4, with the draft's lines now in chunks.
CREATE TRIGGER batches_commit_moves_every_line BEFORE UPDATE ON batches
WHEN OLD.status = 'draft' AND NEW.status = 'committed'
 AND (EXISTS (SELECT 1 FROM draft_chunks d WHERE d.batch_id = OLD.id)
      OR (NEW.line_count IS NOT NULL
          AND NEW.line_count IS NOT (SELECT COUNT(*) FROM lines l WHERE l.batch_id = OLD.id))
      OR (NEW.total_fen IS NOT NULL
          AND NEW.total_fen IS NOT (SELECT COALESCE(SUM(l.amount_fen), 0) FROM lines l WHERE l.batch_id = OLD.id)))
BEGIN SELECT RAISE(ABORT, '确认发放时须将草稿明细全部转入已发放明细，且记录的笔数和合计须与明细一致'); END;
"#;

/// Version 6: the report's columns of each committed batch packed into one blob (`packed_lines`, written by
/// `commit`; see `packed`), so `report` reads six months of a province without stepping SQLite through ten million
/// rows. A blob is accepted only for a committed batch with the same line count and total, and never changed or
/// deleted. Batches committed before this version have none and are read from `lines`.
const MIGRATION_6: &str = r#"
CREATE TABLE packed_lines (
    batch_id   INTEGER PRIMARY KEY REFERENCES batches (id),
    line_count INTEGER NOT NULL,
    total_fen  INTEGER NOT NULL,
    data       BLOB    NOT NULL
);

CREATE TRIGGER packed_lines_of_committed_batch BEFORE INSERT ON packed_lines
WHEN NOT EXISTS (SELECT 1 FROM batches b
                  WHERE b.id = NEW.batch_id AND b.status = 'committed'
                    AND b.line_count IS NEW.line_count AND b.total_fen IS NEW.total_fen)
BEGIN SELECT RAISE(ABORT, '汇总明细只能记入已确认发放的批次，且笔数和合计须与批次一致'); END;
CREATE TRIGGER packed_lines_no_update BEFORE UPDATE ON packed_lines
BEGIN SELECT RAISE(ABORT, '已确认发放批次的汇总明细不能修改'); END;
CREATE TRIGGER packed_lines_no_delete BEFORE DELETE ON packed_lines
BEGIN SELECT RAISE(ABORT, '已确认发放批次的汇总明细不能删除'); END;
"#;

/// Version 7: what the bank actually paid (issue 19). A month's bank transfers are kept with its batch, the bank's
/// 退回 (failed transfers, from its 回盘 file) are recorded as events, and a 重发 line re-issues a returned line.
///
/// - `transfers` holds a batch's bank transfers as written in its 代发 file, in chunks of JSON lines
///   `[序号, first line_no, line count, 分, 身份证号, 账号]` (a transfer is a run of the batch's lines). Written
///   with the draft, replaced with it, frozen once the batch is committed.
/// - `bank_returns` holds one 退回 event per returned transfer: the batch, the transfer's 序号, account, amount,
///   the bank's status word and reason, and where it was read (file name, SHA-256, row). Append-only: the
///   database refuses UPDATE and DELETE; a transfer is returned at most once (UNIQUE).
/// - `returned_lines` names the committed lines of each returned transfer (a line returned at most once), and is
///   append-only too. Committed lines are never changed: "paid" is sent minus returned, worked out by queries.
/// - `lines` is rebuilt (same ids) to allow the kind 重发 and to carry `reissue_of`, the returned line a 重发 line
///   re-issues; a UNIQUE index refuses a second re-issue of one returned line, and a trigger refuses a 重发 of a
///   line that was not returned. `draft_reissues` carries that link for a draft's 重发 lines until `commit`.
const MIGRATION_7: &str = r#"
CREATE TABLE lines_v7 (
    id         INTEGER PRIMARY KEY,
    batch_id   INTEGER NOT NULL REFERENCES batches (id),
    line_no    INTEGER NOT NULL,
    person_id  TEXT    NOT NULL CONSTRAINT person_id_present CHECK (person_id <> ''),
    name       TEXT    NOT NULL,
    category   TEXT    NOT NULL,
    town       TEXT    NOT NULL,
    item       TEXT    NOT NULL CONSTRAINT item_present CHECK (item <> ''),
    period     TEXT    NOT NULL CONSTRAINT period_format CHECK (period GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]'),
    kind       TEXT    NOT NULL
                       CONSTRAINT kind_known CHECK (kind = '正常' OR kind = '补发' OR kind = '丧葬补助' OR kind = '重发'),
    amount_fen INTEGER NOT NULL
                       CONSTRAINT amount_is_integer_fen CHECK (typeof(amount_fen) = 'integer')
                       CONSTRAINT amount_not_negative CHECK (amount_fen >= 0),
    calc_id    INTEGER NOT NULL REFERENCES calcs (id),
    reissue_of INTEGER REFERENCES lines_v7 (id)
               CONSTRAINT reissue_has_its_line CHECK ((kind = '重发') = (reissue_of IS NOT NULL))
);

INSERT INTO lines_v7 (id, batch_id, line_no, person_id, name, category, town, item, period, kind, amount_fen,
                      calc_id)
SELECT id, batch_id, line_no, person_id, name, category, town, item, period, kind, amount_fen, calc_id
  FROM lines ORDER BY id;

DROP VIEW paid_totals;
DROP TRIGGER batches_commit_moves_every_line;
DROP TABLE lines;
ALTER TABLE lines_v7 RENAME TO lines;

-- As in version 5 (dropped above while `lines` was rebuilt).
CREATE TRIGGER batches_commit_moves_every_line BEFORE UPDATE ON batches
WHEN OLD.status = 'draft' AND NEW.status = 'committed'
 AND (EXISTS (SELECT 1 FROM draft_chunks d WHERE d.batch_id = OLD.id)
      OR (NEW.line_count IS NOT NULL
          AND NEW.line_count IS NOT (SELECT COUNT(*) FROM lines l WHERE l.batch_id = OLD.id))
      OR (NEW.total_fen IS NOT NULL
          AND NEW.total_fen IS NOT (SELECT COALESCE(SUM(l.amount_fen), 0) FROM lines l WHERE l.batch_id = OLD.id)))
BEGIN SELECT RAISE(ABORT, '确认发放时须将草稿明细全部转入已发放明细，且记录的笔数和合计须与明细一致'); END;

CREATE INDEX lines_by_batch ON lines (batch_id);
CREATE UNIQUE INDEX lines_regular_once ON lines (period, person_id, item) WHERE kind = '正常';
CREATE UNIQUE INDEX lines_funeral_once ON lines (person_id) WHERE kind = '丧葬补助';
CREATE INDEX lines_by_period ON lines (period, person_id);
-- A returned line is re-issued (重发) at most once.
CREATE UNIQUE INDEX lines_reissue_once ON lines (reissue_of) WHERE reissue_of IS NOT NULL;

CREATE TRIGGER lines_insert_into_draft_only BEFORE INSERT ON lines
WHEN (SELECT status FROM batches WHERE id = NEW.batch_id) IS NOT 'draft'
BEGIN SELECT RAISE(ABORT, '只能向发放草稿添加明细'); END;

CREATE TRIGGER lines_committed_no_update BEFORE UPDATE ON lines
BEGIN SELECT RAISE(ABORT, '已确认发放的明细不能修改'); END;

CREATE TRIGGER lines_committed_no_delete BEFORE DELETE ON lines
BEGIN SELECT RAISE(ABORT, '已确认发放的明细不能删除'); END;

-- Sent for the person, item and period (正常 + 补发; a 重发 re-sends a returned line and 丧葬补助 is its own sum),
-- returned lines included: what arrears compare with (a returned line is made good by its 重发, not by a 补发).
CREATE VIEW paid_totals AS
SELECT person_id, item, period, SUM(amount_fen) AS total_fen
  FROM lines
 WHERE kind IN ('正常', '补发')
 GROUP BY person_id, item, period;

CREATE TABLE transfers (
    id           INTEGER PRIMARY KEY,
    batch_id     INTEGER NOT NULL REFERENCES batches (id),
    seq          INTEGER NOT NULL,
    transfers    INTEGER NOT NULL CONSTRAINT transfers_chunk_not_empty CHECK (transfers > 0),
    data         TEXT    NOT NULL
);
CREATE UNIQUE INDEX transfers_in_order ON transfers (batch_id, seq);

CREATE TRIGGER transfers_into_drafts_only BEFORE INSERT ON transfers
WHEN (SELECT status FROM batches WHERE id = NEW.batch_id) IS NOT 'draft'
BEGIN SELECT RAISE(ABORT, '代发记录只能随发放草稿写入'); END;
CREATE TRIGGER transfers_no_update BEFORE UPDATE ON transfers
BEGIN SELECT RAISE(ABORT, '代发记录不能修改'); END;
CREATE TRIGGER transfers_committed_no_delete BEFORE DELETE ON transfers
WHEN (SELECT status FROM batches WHERE id = OLD.batch_id) IS NOT 'draft'
BEGIN SELECT RAISE(ABORT, '已确认发放批次的代发记录不能删除'); END;

CREATE TABLE draft_reissues (
    batch_id     INTEGER NOT NULL,
    batch_status TEXT    NOT NULL DEFAULT 'draft' CONSTRAINT draft_reissues_in_drafts CHECK (batch_status = 'draft'),
    line_no      INTEGER NOT NULL,
    reissue_of   INTEGER NOT NULL,
    PRIMARY KEY (batch_id, line_no),
    FOREIGN KEY (batch_id, batch_status) REFERENCES batches (id, status)
) WITHOUT ROWID;

CREATE TABLE bank_returns (
    id          INTEGER PRIMARY KEY,
    batch_id    INTEGER NOT NULL REFERENCES batches (id),
    month       TEXT    NOT NULL CONSTRAINT return_month_format CHECK (month GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]'),
    transfer_no INTEGER NOT NULL CONSTRAINT transfer_no_positive CHECK (transfer_no > 0),
    person_id   TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    account     TEXT    NOT NULL,
    amount_fen  INTEGER NOT NULL
                        CONSTRAINT return_amount_is_integer_fen CHECK (typeof(amount_fen) = 'integer')
                        CONSTRAINT return_amount_positive CHECK (amount_fen > 0),
    status      TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    file_name   TEXT    NOT NULL,
    file_sha256 TEXT    NOT NULL,
    file_row    INTEGER NOT NULL,
    recorded_at TEXT    NOT NULL
);
-- A transfer is returned at most once.
CREATE UNIQUE INDEX bank_returns_once ON bank_returns (batch_id, transfer_no);

CREATE TRIGGER bank_returns_of_committed_batches BEFORE INSERT ON bank_returns
WHEN NOT EXISTS (SELECT 1 FROM batches b WHERE b.id = NEW.batch_id AND b.status = 'committed' AND b.month = NEW.month)
BEGIN SELECT RAISE(ABORT, '退回记录只能记入已确认发放的批次'); END;
CREATE TRIGGER bank_returns_no_update BEFORE UPDATE ON bank_returns
BEGIN SELECT RAISE(ABORT, '退回记录不能修改'); END;
CREATE TRIGGER bank_returns_no_delete BEFORE DELETE ON bank_returns
BEGIN SELECT RAISE(ABORT, '退回记录不能删除'); END;

CREATE TABLE returned_lines (
    line_id   INTEGER PRIMARY KEY REFERENCES lines (id),
    return_id INTEGER NOT NULL REFERENCES bank_returns (id)
);
CREATE INDEX returned_lines_by_return ON returned_lines (return_id);

CREATE TRIGGER returned_lines_of_the_returned_batch BEFORE INSERT ON returned_lines
WHEN (SELECT batch_id FROM lines WHERE id = NEW.line_id)
     IS NOT (SELECT batch_id FROM bank_returns WHERE id = NEW.return_id)
BEGIN SELECT RAISE(ABORT, '退回的明细须属于退回记录所在的批次'); END;
CREATE TRIGGER returned_lines_no_update BEFORE UPDATE ON returned_lines
BEGIN SELECT RAISE(ABORT, '退回记录不能修改'); END;
CREATE TRIGGER returned_lines_no_delete BEFORE DELETE ON returned_lines
BEGIN SELECT RAISE(ABORT, '退回记录不能删除'); END;

-- A 重发 line re-issues a line that the bank returned.
CREATE TRIGGER lines_reissue_of_returned_only BEFORE INSERT ON lines
WHEN NEW.reissue_of IS NOT NULL AND NOT EXISTS (SELECT 1 FROM returned_lines r WHERE r.line_id = NEW.reissue_of)
BEGIN SELECT RAISE(ABORT, '重发只能针对银行已退回的明细'); END;
"#;

/// What an opened file turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Found {
    /// An empty database (a new or zero-length file): the schema may be installed.
    Fresh,
    /// A youfu ledger at this schema version (≤ `SCHEMA_VERSION`).
    Ledger { version: i64 },
}

/// Decide what the file behind `conn` is, reading only. Refuses other applications' files, a ledger newer than
/// this build, and (through the SQLite error) files that are not databases.
pub(super) fn inspect(conn: &Connection, path: &Path) -> Result<Found, LedgerError> {
    if conn.is_autocommit() {
        // One read transaction, so the marks and the table list come from the same state of the file even while
        // another process is creating the schema. Rolled back on drop: nothing is written.
        let tx = conn.unchecked_transaction().map_err(|e| sql_err(path, e))?;
        inspect_in_transaction(&tx, path)
    } else {
        inspect_in_transaction(conn, path)
    }
}

fn inspect_in_transaction(conn: &Connection, path: &Path) -> Result<Found, LedgerError> {
    let err = |e| sql_err(path, e);
    let app_id: i64 = conn.pragma_query_value(None, "application_id", |r| r.get(0)).map_err(err)?;
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(err)?;
    let mut stmt =
        conn.prepare("SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name").map_err(err)?;
    let objects: Vec<String> = stmt.query_map([], |r| r.get(0)).map_err(err)?.collect::<Result<_, _>>().map_err(err)?;
    if app_id == APPLICATION_ID {
        if version > SCHEMA_VERSION {
            return Err(LedgerError::TooNew { path: path.to_path_buf(), found: version, supported: SCHEMA_VERSION });
        }
        if version < 1 {
            return Err(LedgerError::Corrupt {
                path: path.to_path_buf(),
                detail: format!("文件标识为 youfu 台账，但结构版本号为 {version}"),
            });
        }
        return Ok(Found::Ledger { version });
    }
    if app_id == 0 && version == 0 && objects.is_empty() {
        return Ok(Found::Fresh);
    }
    let detail = if app_id != 0 {
        format!("文件标识 application_id 为 {app_id}，youfu 台账应为 {APPLICATION_ID}")
    } else if !objects.is_empty() {
        let shown: Vec<&str> = objects.iter().take(5).map(String::as_str).collect();
        let more = if objects.len() > 5 { "等" } else { "" };
        format!("其中已有其他数据表：{}{more}", shown.join("、"))
    } else {
        format!("文件没有 youfu 标识，但结构版本号为 {version}")
    };
    Err(LedgerError::NotLedger { path: path.to_path_buf(), detail })
}

/// `PRAGMA quick_check`: a file whose pages or indexes are damaged is refused before anything is written.
pub(super) fn check_integrity(conn: &Connection, path: &Path) -> Result<(), LedgerError> {
    check_pages(conn, path, "PRAGMA quick_check(3)")
}

/// `PRAGMA quick_check` of the tables (with their indexes) that `commit` reads: `batches`, `calcs` and
/// `draft_chunks` — bounded by the size of the drafts, not by the years of committed lines, which `commit` only
/// appends to (SQLite itself reports a damaged page on the path it appends along as `SQLITE_CORRUPT`).
pub(super) fn check_commit_inputs(conn: &Connection, path: &Path) -> Result<(), LedgerError> {
    for table in ["batches", "calcs", "draft_chunks"] {
        check_pages(conn, path, &format!("PRAGMA quick_check({table})"))?;
    }
    Ok(())
}

fn check_pages(conn: &Connection, path: &Path, pragma: &str) -> Result<(), LedgerError> {
    let err = |e| sql_err(path, e);
    let mut stmt = conn.prepare(pragma).map_err(err)?;
    let rows: Vec<String> = stmt.query_map([], |r| r.get(0)).map_err(err)?.collect::<Result<_, _>>().map_err(err)?;
    if rows.len() == 1 && rows[0] == "ok" {
        Ok(())
    } else {
        Err(LedgerError::Corrupt {
            path: path.to_path_buf(), detail: format!("完整性检查未通过：{}", rows.join("；"))
        })
    }
}

/// Apply the missing migrations, each in its own `BEGIN IMMEDIATE` transaction. The file is inspected again under
/// the write lock, so two processes creating or upgrading the same ledger do not both migrate.
pub(super) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), LedgerError> {
    let err = |e| sql_err(path, e);
    loop {
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(err)?;
        if version >= SCHEMA_VERSION {
            return Ok(());
        }
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(err)?;
        let version = match inspect(&tx, path)? {
            Found::Fresh => 0,
            Found::Ledger { version } => version,
        };
        if version >= SCHEMA_VERSION {
            return tx.commit().map_err(err);
        }
        tx.execute_batch(MIGRATIONS[version as usize]).map_err(err)?;
        if version == 0 {
            tx.pragma_update(None, "application_id", APPLICATION_ID).map_err(err)?;
        }
        tx.pragma_update(None, "user_version", version + 1).map_err(err)?;
        tx.commit().map_err(err)?;
    }
}
