#!/usr/bin/env bash
# End-to-end benchmark of youfu for 10k, 100k and 1M recipients, from CSV and from .xlsx, with the floors
# (only reading the roster, only writing a workbook of the same size) timed in the same run.
# Writes docs/benchmarks.md. Generated data and ledgers go to bench/data/ (git-ignored).
#
#   bench/run.sh [--sizes 10000,100000,1000000] [--quick] [--runs N] [--append] [--history-max N] [--no-pg]
#
# --quick = --sizes 10000,100000. Medians come from hyperfine (installed with apt-get if missing); peak memory
# from /usr/bin/time around each timed run. --append keeps the earlier sizes' results (to add a size later).
# --history-max N skips the twelve-month ledger (report, arrears) for sizes above N (0 = no limit). Nothing here is part of `cargo test`.
# With the 1M size and the Debian package `postgresql` installed, the PostgreSQL rows (bench/pg.sh) run in the same
# run, on a throwaway server; --no-pg leaves them out.
set -euo pipefail

SIZES=10000,100000,1000000
RUNS=3
APPEND=0
HISTORY_MAX=0
PG=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --sizes) SIZES="$2"; shift 2 ;;
    --quick) SIZES=10000,100000; shift ;;
    --runs) RUNS="$2"; shift 2 ;;
    --append) APPEND=1; shift ;;
    --history-max) HISTORY_MAX="$2"; shift 2 ;;
    --no-pg) PG=0; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DATA="$ROOT/bench/data"
mkdir -p "$DATA"
cd "$ROOT"

need() { command -v "$1" >/dev/null 2>&1; }
if ! need hyperfine || [[ ! -x /usr/bin/time ]]; then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  $SUDO apt-get install -y hyperfine time
fi

# The examples first, the binary alone last: a build with examples or tests turns on the test-only feature
# fault-injection (the package's dev-dependency on itself), and the binary measured must be the one users get.
cargo build --release --example gen_roster --example floor_read --example floor_write
cargo build --release --bin youfu
BIN="$ROOT/target/release"
YOUFU="$BIN/youfu --config $ROOT/fixtures/youfu.toml"
STD="$ROOT/fixtures/standards.csv"
RESULTS="$DATA/results.tsv"
[[ $APPEND == 1 ]] || : >"$RESULTS"
# The commit measured (docs/benchmarks.md names it; a later `bench/report.py` run must not name a later commit).
rev="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
# The page this script writes is not a change to what is measured (an --append run follows a run that rewrote it).
git -C "$ROOT" diff --quiet HEAD -- . ':!docs/benchmarks.md' 2>/dev/null || rev="$rev with uncommitted changes"
if [[ $APPEND == 1 && -s "$DATA/commit.txt" ]]; then
  grep -qxF "$rev" "$DATA/commit.txt" || echo "$rev" >>"$DATA/commit.txt"
else
  echo "$rev" >"$DATA/commit.txt"
fi

median() { python3 -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["results"][0]["median"])' "$1"; }

# measure NAME SIZE CMD [PREPARE]: median of RUNS runs (hyperfine, PREPARE before each) and the largest peak RSS
# of those runs (each run under /usr/bin/time, which appends its maximum resident set size in KB to a file).
measure() {
  local name="$1" size="$2" cmd="$3" prepare="${4:-true}"
  local json="$DATA/h-$name-$size.json" rss="$DATA/rss-$name-$size.txt"
  : >"$rss"
  hyperfine --style basic --runs "$RUNS" --prepare "$prepare" --export-json "$json" -n "$name" \
    "/usr/bin/time -a -o $rss -f %M bash -c '$cmd'" >&2
  local kb
  kb=$(sort -n "$rss" | tail -n 1)
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$size" "$(median "$json")" "$kb" "$cmd" >>"$RESULTS"
  echo "== $name $size: $(median "$json") s, $kb KB" >&2
}

for n in ${SIZES//,/ }; do
  for f in csv xlsx; do
    r="$DATA/roster-$n.$f"
    [[ -s "$r" ]] || "$BIN/examples/gen_roster" --rows "$n" --format "$f" --out "$r"
  done
  # The same people with 姓名, 开户行, 乡镇（街道）, 村（社区） and 备注 2–3 times longer (memory grows with the texts).
  rl="$DATA/roster-$n-long.csv"
  [[ -s "$rl" ]] || "$BIN/examples/gen_roster" --rows "$n" --format csv --long-texts --out "$rl"
  W="$DATA/w$n"
  mkdir -p "$W"
  # Only `youfu init` creates a ledger: an empty one made once, copied fresh before each timed run that needs one.
  rm -f "$W/empty.db"; $YOUFU --ledger "$W/empty.db" init >/dev/null
  for f in csv xlsx; do
    r="$DATA/roster-$n.$f"
    measure "floor_read_$f" "$n" "$BIN/examples/floor_read $r"
    pay="$YOUFU --ledger $W/pay.db pay --month 2024-03 --roster $r --standards $STD --out $W/out-$f"
    measure "pay_$f" "$n" "$pay 2>/dev/null" "rm -rf $W/pay.db $W/out-$f && cp $W/empty.db $W/pay.db"
    measure "pay_${f}_no_xlsx" "$n" "$pay --no-xlsx 2>/dev/null" "rm -rf $W/pay.db $W/out-$f && cp $W/empty.db $W/pay.db"
  done
  pay="$YOUFU --ledger $W/pay.db pay --month 2024-03 --roster $rl --standards $STD --out $W/out-long"
  measure pay_csv_long "$n" "$pay 2>/dev/null" "rm -rf $W/pay.db $W/out-long && cp $W/empty.db $W/pay.db"
  measure pay_csv_long_no_xlsx "$n" "$pay --no-xlsx 2>/dev/null" "rm -rf $W/pay.db $W/out-long && cp $W/empty.db $W/pay.db"
  lines=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["counts"]["payments"])' "$W/out-csv/manifest.json")
  measure floor_write_xlsx "$n" "$BIN/examples/floor_write --rows $lines --out $W/floor.xlsx"

  # commit: a fresh copy of a ledger holding the month's draft each run.
  rm -rf "$W/out-d"; cp "$W/empty.db" "$W/draft.db"
  $YOUFU --ledger "$W/draft.db" pay --month 2024-03 --roster "$DATA/roster-$n.csv" --standards "$STD" --out "$W/out-d" --no-xlsx >/dev/null 2>&1
  measure commit "$n" "$YOUFU --ledger $W/commit.db commit --month 2024-03 --pay-date 2024-03-15 2>/dev/null" "cp $W/draft.db $W/commit.db"

  # six committed months (2024-01..06) → report 2024H1; six more (2024-07..12) → arrears over twelve months.
  if [[ $HISTORY_MAX != 0 && $n -gt $HISTORY_MAX ]]; then continue; fi
  cp "$W/empty.db" "$W/year.db"
  for m in 01 02 03 04 05 06 07 08 09 10 11 12; do
    rm -rf "$W/out-m"
    $YOUFU --ledger "$W/year.db" pay --month "2024-$m" --roster "$DATA/roster-$n.csv" --standards "$STD" --out "$W/out-m" --no-xlsx >/dev/null 2>&1
    $YOUFU --ledger "$W/year.db" commit --month "2024-$m" --pay-date "2024-$m-10" >/dev/null 2>&1
    if [[ $m == 06 ]]; then
      measure report "$n" "$YOUFU --ledger $W/year.db report --period 2024H1 --roster $DATA/roster-$n.csv --out $W/report.md >/dev/null 2>&1"
    fi
  done
  measure arrears "$n" "$YOUFU --ledger $W/year.db arrears --from 2024-01 --to 2024-12 --roster $DATA/roster-$n.csv --standards $STD >/dev/null 2>&1"
done

if [[ $PG == 1 && ",$SIZES," == *,1000000,* ]]; then
  # shellcheck source=bench/pg.sh
  source "$ROOT/bench/pg.sh"
  pg_bench
fi

mkdir -p "$ROOT/docs"
python3 "$ROOT/bench/report.py" "$RESULTS" "$ROOT/docs/benchmarks.md" "$SIZES" "$RUNS"
echo "wrote docs/benchmarks.md" >&2
