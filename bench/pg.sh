# PostgreSQL rows of the benchmark (sourced by bench/run.sh when the Debian `postgresql` package is installed):
# a throwaway server in a temporary folder (initdb + pg_ctl on a Unix socket, as the tests do; as the `postgres`
# user when run as root), then, beside SQLite's rows and in the same run:
#   pg_commit          `commit` of a 1M-recipient month on PostgreSQL;
#   pg_report_province `report --period 2024H1 --all-counties` over six committed months of 1M recipients across
#                      100 counties (10,000 each: the 1M roster cut into 100 slices, so no person is in two
#                      counties);
#   pg_county_alone    one 1M-recipient county's `pay --no-xlsx` + `commit` alone;
#   pg_20_counties     20 counties of 50,000 each paying and committing at once (target: ≤ 2× pg_county_alone).
# The server keeps PostgreSQL's default settings (fsync on): what a bureau's server would do.

PG_ROOT=""
pg_as() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

pg_start() {
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [[ -x "$PG_BIN/initdb" ]] || return 1
  PG_ROOT=$(mktemp -d /tmp/youfu-bench-pg.XXXXXX)
  chmod 755 "$PG_ROOT"
  [[ $(id -u) -eq 0 ]] && chown postgres "$PG_ROOT"
  pg_as "$PG_BIN/initdb" -D "$PG_ROOT/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  pg_as "$PG_BIN/pg_ctl" -D "$PG_ROOT/data" -l "$PG_ROOT/server.log" -w \
    -o "-k $PG_ROOT -c listen_addresses=''" start >/dev/null
  trap pg_stop EXIT
  # The socket folder, percent-encoded as the URL's host.
  PG_HOST=$(python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$PG_ROOT")
}

pg_stop() {
  [[ -n "$PG_ROOT" && -d "$PG_ROOT" ]] || return 0
  pg_as "$PG_BIN/pg_ctl" -D "$PG_ROOT/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG_ROOT"
  PG_ROOT=""
}

pg_psql() { pg_as "$PG_BIN/psql" -h "$PG_ROOT" -U postgres -q -v ON_ERROR_STOP=1 "$@"; }
pg_url() { echo "postgresql://postgres@$PG_HOST/$1"; }

# pg_config DIR CODE DB: a county's youfu.toml (the fixtures' settings, its own code, the shared ledger).
pg_config() {
  local dir="$1" code="$2" db="$3"
  mkdir -p "$dir"
  # Top-level keys first: after the fixture's [tables] they would belong to the last table.
  printf 'county_code = "%s"\nledger = "%s"\n' "$code" "$(pg_url "$db")" >"$dir/youfu.toml"
  grep -v -E '^(county_code|ledger) *=' "$ROOT/fixtures/youfu.toml" >>"$dir/youfu.toml"
}

# pg_slices ROSTER N PREFIX: the roster cut into N slices of equal size (header repeated), PREFIX-01.csv …
pg_slices() {
  python3 - "$1" "$2" "$3" <<'EOF'
import sys
src, n, prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lines = open(src, encoding="utf-8").read().splitlines(keepends=True)
head, body = lines[0], lines[1:]
size = (len(body) + n - 1) // n
for i in range(n):
    with open(f"{prefix}-{i + 1:03d}.csv", "w", encoding="utf-8") as f:
        f.write(head)
        f.writelines(body[i * size:(i + 1) * size])
EOF
}

# The county codes used: 100 invented county-level codes (51 province, cities 80–89, counties 01–10).
pg_code() { printf '51%02d%02d' $((80 + ($1 - 1) / 10)) $((($1 - 1) % 10 + 1)); }

pg_bench() {
  local n=1000000 r="$DATA/roster-1000000.csv" P="$DATA/pg"
  [[ -s "$r" ]] || { echo "pg rows need the 1M roster (--sizes with 1000000)" >&2; return 0; }
  pg_start || { echo "PostgreSQL not installed: no pg rows" >&2; return 0; }
  rm -rf "$P"; mkdir -p "$P"
  local Y="$BIN/youfu"
  # psql as a script of its own: hyperfine's --prepare runs in sh, where this file's functions do not exist.
  local SQL="$P/psql.sh"
  printf '#!/bin/bash\nif [[ $(id -u) -eq 0 ]]; then exec runuser -u postgres -- %s -h %s -U postgres -q -v ON_ERROR_STOP=1 "$@"; else exec %s -h %s -U postgres -q -v ON_ERROR_STOP=1 "$@"; fi\n' \
    "$PG_BIN/psql" "$PG_ROOT" "$PG_BIN/psql" "$PG_ROOT" >"$SQL"
  chmod +x "$SQL"

  # commit of a 1M month: a database holding the draft is the template of each run's database.
  pg_psql -c "CREATE DATABASE draft1m"
  pg_config "$P/one" 518001 draft1m
  $Y --config "$P/one/youfu.toml" init >/dev/null
  $Y --config "$P/one/youfu.toml" pay --month 2024-03 --roster "$r" --standards "$STD" --out "$P/one/out" --no-xlsx >/dev/null 2>&1
  pg_config "$P/c" 518001 commit1m
  measure pg_commit "$n" "$Y --config $P/c/youfu.toml commit --month 2024-03 --pay-date 2024-03-15 2>/dev/null" \
    "$SQL -c 'DROP DATABASE IF EXISTS commit1m' -c 'CREATE DATABASE commit1m TEMPLATE draft1m'"

  # one 1M county alone, pay + commit, fresh database each run.
  pg_config "$P/alone" 518001 alone
  measure pg_county_alone "$n" \
    "$Y --config $P/alone/youfu.toml pay --month 2024-03 --roster $r --standards $STD --out $P/alone/out --no-xlsx >/dev/null 2>&1 && $Y --config $P/alone/youfu.toml commit --month 2024-03 --pay-date 2024-03-15 >/dev/null 2>&1" \
    "rm -rf $P/alone/out; $SQL -c 'DROP DATABASE IF EXISTS alone' -c 'CREATE DATABASE alone' && $Y --config $P/alone/youfu.toml init >/dev/null"

  # 20 counties of 50,000 at once on one server.
  pg_slices "$r" 20 "$P/s20"
  for i in $(seq 1 20); do pg_config "$P/k$i" "$(pg_code "$i")" twenty; done
  local each="$P/county.sh"
  cat >"$each" <<EOF
#!/bin/bash
i=\$1; c=$P/k\$i/youfu.toml; rm -rf $P/k\$i/out
$Y --config \$c pay --month 2024-03 --roster $P/s20-\$(printf %03d \$i).csv --standards $STD --out $P/k\$i/out --no-xlsx >/dev/null 2>$P/k\$i/err.log &&
$Y --config \$c commit --month 2024-03 --pay-date 2024-03-15 >/dev/null 2>>$P/k\$i/err.log || { cat $P/k\$i/err.log >&2; exit 1; }
EOF
  chmod +x "$each"
  measure pg_20_counties "$n" "seq 1 20 | xargs -P 20 -n 1 $each" \
    "$SQL -c 'DROP DATABASE IF EXISTS twenty' -c 'CREATE DATABASE twenty' && $Y --config $P/k1/youfu.toml init >/dev/null"

  # a province: 100 counties of 10,000, six committed months each, then the province's half-year report
  # (600 pay + commit runs to build it: PG_PROVINCE=0 leaves it out of a short run).
  [[ ${PG_PROVINCE:-1} == 1 ]] || { pg_stop; return 0; }
  pg_slices "$r" 100 "$P/s100"
  pg_psql -c "CREATE DATABASE province"
  for i in $(seq 1 100); do pg_config "$P/p$i" "$(pg_code "$i")" province; done
  $Y --config "$P/p1/youfu.toml" init >/dev/null
  # Two counties at a time (the build is not measured; a month's counties are independent): about half the
  # time of 600 runs one after the other on the 2-core machine.
  local month="$P/province-month.sh"
  cat >"$month" <<EOF
#!/bin/bash
m=\$1; i=\$2; c=$P/p\$i/youfu.toml; rm -rf $P/p\$i/out
$Y --config \$c pay --month 2024-\$m --roster $P/s100-\$(printf %03d \$i).csv --standards $STD --out $P/p\$i/out --no-xlsx >/dev/null 2>&1
$Y --config \$c commit --month 2024-\$m --pay-date 2024-\$m-10 >/dev/null 2>&1
rm -rf $P/p\$i/out
EOF
  chmod +x "$month"
  for m in 01 02 03 04 05 06; do
    seq 1 100 | xargs -P 2 -n 1 "$month" "$m"
  done
  measure pg_report_province "$n" "$Y --config $P/p1/youfu.toml report --period 2024H1 --all-counties --out $P/province.md >/dev/null 2>&1"
  pg_stop
}
