"""Turn bench/data/results.tsv (written by bench/run.sh) into docs/benchmarks.md: machine, commands, table."""
import subprocess
import sys
from collections import defaultdict

results_path, out_path, sizes_arg, runs = sys.argv[1:5]
rows = [line.rstrip("\n").split("\t") for line in open(results_path, encoding="utf-8") if line.strip()]
med = {}
peak = {}
cmds = {}
for name, size, m, kb, cmd in rows:
    med[(name, int(size))] = float(m)
    peak[(name, int(size))] = int(kb) / 1024 if kb else float("nan")
    cmds.setdefault(name, cmd)
sizes = sorted({s for (_, s) in med})


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


FLOORS = {
    "pay_csv": ("floor_write_xlsx",),
    "pay_csv_no_xlsx": ("floor_read_csv",),
    "pay_xlsx": ("floor_read_xlsx", "floor_write_xlsx"),
    "pay_xlsx_no_xlsx": ("floor_read_xlsx",),
    "pay_csv_long": ("floor_write_xlsx",),
    "pay_csv_long_no_xlsx": ("floor_read_csv",),
}
LABELS = {
    "floor_read_csv": "floor: read roster.csv (csv crate)",
    "floor_read_xlsx": "floor: read roster.xlsx (calamine streaming)",
    "floor_write_xlsx": "floor: write payments.xlsx-shaped workbook (constant memory)",
    "pay_csv": "`pay` from CSV, all outputs incl. payments.xlsx + ledger",
    "pay_csv_no_xlsx": "`pay` from CSV, `--no-xlsx` (CSV outputs, bank file, ledger)",
    "pay_xlsx": "`pay` from .xlsx, all outputs + ledger",
    "pay_xlsx_no_xlsx": "`pay` from .xlsx, `--no-xlsx`",
    "pay_csv_long": "`pay` from CSV with long texts (`gen_roster --long-texts`), all outputs",
    "pay_csv_long_no_xlsx": "`pay` from CSV with long texts, `--no-xlsx`",
    "commit": "`commit` of the month's draft",
    "report": "`report --period 2024H1` over six committed months",
    "arrears": "`arrears --from 2024-01 --to 2024-12` over twelve committed months",
    "pg_commit": "PostgreSQL: `commit` of the month's draft",
    "pg_county_alone": "PostgreSQL: one county's `pay --no-xlsx` + `commit`, alone on the server",
    "pg_20_counties": "PostgreSQL: 20 counties of 50,000 paying and committing at once",
    "pg_report_province": "PostgreSQL: `report --period 2024H1 --all-counties`, 100 counties, six months",
}
order = list(LABELS)

out = []
out.append("# Benchmarks\n")
out.append("Written by `bench/run.sh` (do not edit by hand; rerun the script). Medians of "
           f"{runs} runs (hyperfine); peak memory is the largest maximum resident set size of those runs "
           "(each run under `/usr/bin/time -f %M`). The floor of a measurement is what the same input/output costs with nothing "
           "but the libraries (`examples/floor_read.rs`, `examples/floor_write.rs`); *ratio* = median / floor.\n")
out.append("## Machine\n")
out.append("```text")
out.append(f"nproc: {sh('nproc')}")
out.append(sh("free -h"))
out.append(sh("lscpu | head -n 15"))
# The commit(s) measured, as bench/run.sh recorded them (else the current one).
try:
    measured = " + ".join(line.strip() for line in open(sys.path[0] + "/data/commit.txt", encoding="utf-8") if line.strip())
except OSError:
    measured = ""
measured = measured or sh('git -C ' + repr(sys.path[0] + '/..') + ' rev-parse --short HEAD')
out.append(f"youfu: {measured}, {sh('rustc --version')}")
out.append("```\n")
out.append("## Command\n")
out.append("```sh")
# A run in parts (e.g. the largest size added later with --append) passes its command lines as a 5th argument.
out.append(sys.argv[5] if len(sys.argv) > 5 else f"bench/run.sh --sizes {','.join(str(x) for x in sizes)} --runs {runs}")
out.append("```\n")
out.append("Each measurement's command (for the largest size):\n")
out.append("| measurement | command |")
out.append("|---|---|")
for name in order:
    if name in cmds:
        c = [c for (n, s, _, _, c) in rows if n == name][-1]
        out.append(f"| {name} | `{c}` |")
out.append("")
out.append("## Results\n")
out.append("| rows | measurement | median (s) | peak RSS (MB) | floor (s) | ratio | µs per recipient |")
out.append("|---:|---|---:|---:|---:|---:|---:|")
for s in sizes:
    for name in order:
        if (name, s) not in med:
            continue
        m = med[(name, s)]
        fl = FLOORS.get(name)
        if fl and all((f, s) in med for f in fl):
            f = sum(med[(x, s)] for x in fl)
            floor, ratio = f"{f:.2f}", f"{m / f:.2f}×"
        else:
            floor, ratio = "", ""
        out.append(f"| {s:,} | {LABELS[name]} | {m:.2f} | {peak[(name, s)]:.0f} | {floor} | {ratio} | "
                   f"{m / s * 1e6:.2f} |")
out.append("")
if len(sizes) > 1:
    lo, hi = sizes[0], sizes[-1]
    out.append(f"## Growth from {lo:,} to {hi:,} rows\n")
    out.append("Per-recipient cost at the largest size divided by the per-recipient cost at the smallest (1.00 = "
               "perfectly linear; below 1 = fixed start-up costs amortised).\n")
    out.append("| measurement | ratio |")
    out.append("|---|---:|")
    for name in order:
        if (name, lo) in med and (name, hi) in med:
            out.append(f"| {name} | {(med[(name, hi)] / hi) / (med[(name, lo)] / lo):.2f} |")
    out.append("")
notes = sys.path[0] + "/notes.md"
try:
    out.append(open(notes, encoding="utf-8").read())
except OSError:
    pass
open(out_path, "w", encoding="utf-8").write("\n".join(out) + "\n")
