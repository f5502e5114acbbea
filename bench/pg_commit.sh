#!/usr/bin/env bash
# `commit` of one county's month of N recipients (default 1M) on a PostgreSQL ledger, with the release binary: a
# throwaway server (Debian's postgresql package: initdb + pg_ctl on a Unix socket, as the postgres user when run as
# root; shared_buffers=256MB, max_wal_size=4GB, fsync and synchronous_commit on as a server's defaults), the
# generator's roster, `youfu init`, the month's draft by `pay --no-xlsx` (timed, not the target), then `commit`
# timed once under /usr/bin/time (wall seconds, peak RSS of youfu). Everything goes in a temporary folder, removed
# at the end. Not part of `cargo test`; bench/run.sh does not run it yet.
#
#   bench/pg_commit.sh [N]
set -euo pipefail

N="${1:-1000000}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="$ROOT/target/release"
[[ -x "$BIN/youfu" && -x "$BIN/examples/gen_roster" ]] || {
  echo "build first: cargo build --release --example gen_roster && cargo build --release --bin youfu" >&2
  exit 2
}
PGBIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
W="$(mktemp -d /tmp/youfu-pgbench-XXXXXX)"
as_pg() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[[ $(id -u) -eq 0 ]] && chown postgres "$W"
cleanup() { as_pg "$PGBIN/pg_ctl" stop -D "$W/data" -m fast -w >/dev/null 2>&1 || true; rm -rf "$W"; }
trap cleanup EXIT

as_pg "$PGBIN/initdb" -D "$W/data" -U postgres -E UTF8 --locale=C.UTF-8 --auth-local=trust --no-instructions >/dev/null
as_pg "$PGBIN/pg_ctl" start -w -D "$W/data" -l "$W/server.log" \
  -o "-k $W -c listen_addresses='' -c shared_buffers=256MB -c max_wal_size=4GB" >/dev/null
as_pg "$PGBIN/psql" -h "$W" -U postgres -q -c "CREATE ROLE youfu LOGIN" -c "CREATE DATABASE youfu_ledger OWNER youfu"

SOCKET="$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$W")"
mkdir -p "$W/office"
sed "s|^county_code = \"110101\"|county_code = \"110101\"\nledger = \"postgresql://youfu@$SOCKET/youfu_ledger\"|" \
  "$ROOT/fixtures/youfu.toml" >"$W/office/youfu.toml"
ROSTER="$ROOT/bench/data/roster-$N.csv"
[[ -s "$ROSTER" ]] || { mkdir -p "$ROOT/bench/data"; "$BIN/examples/gen_roster" --rows "$N" --format csv --out "$ROSTER"; }
YOUFU="$BIN/youfu --config $W/office/youfu.toml"

$YOUFU init >/dev/null
/usr/bin/time -o "$W/pay.time" -f "pay --no-xlsx (the draft): %e s wall, %M KB" \
  $YOUFU pay --month 2024-03 --roster "$ROSTER" --standards "$ROOT/fixtures/standards.csv" --out "$W/out" --no-xlsx \
  >/dev/null 2>&1
cat "$W/pay.time"
# The server's side: the CPU seconds of the backends that ended, which the postmaster has reaped (cutime + cstime).
PM="$(head -n 1 "$W/data/postmaster.pid")"
reaped() { awk '{ printf "%.2f", ($16 + $17) / 100 }' "/proc/$PM/stat"; }
before="$(reaped)"
/usr/bin/time -f "commit of $N recipients: %e s wall, %U s user + %S s system in youfu, %M KB" \
  $YOUFU commit --month 2024-03 --pay-date 2024-03-15 >/dev/null
sleep 1
echo "server CPU of the commit's backend: $(python3 -c "print(round($(reaped) - $before, 2))") s"
as_pg "$PGBIN/psql" -h "$W" -U postgres -d youfu_ledger -At \
  -c "SELECT 'committed lines: ' || count(*) FROM youfu.lines" \
  -c "SELECT 'database size: ' || pg_size_pretty(pg_database_size('youfu_ledger'))"
