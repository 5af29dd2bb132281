#!/usr/bin/env bash
# Benchmark for `lakestream load`: the lake of N turnstile messages (default 4,000,000; built
# as process_vs_bare.sh builds it: published to the bench broker, then `process --trigger
# available-now`, CSV.gz) loaded into a new DuckDB warehouse (star schema, md5 keys, the
# exactly-once manifest), next to DuckDB itself reading the same files into one plain table
# (`CREATE TABLE AS SELECT * FROM read_csv([...])`, the same DuckDB version, in the same
# run): the rate of reading those files here, what the warehouse's own work adds to.
#
#   bench/load_vs_duckdb.sh [--messages N] [--runs R]      # after scripts/setup.sh
#
# Each of the R runs (default 3) loads into a new file with both, alternating; the table
# shows the median run of each. Also times a second `load` of the same lake (nothing new:
# every file skipped by its manifest row). Writes bench/results/<date>-load.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
messages=4000000
runs=3
while [ $# -gt 0 ]; do
  case $1 in
    --messages) messages=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
source scripts/env.sh
cmake --preset release >/dev/null && cmake --build --preset release >/dev/null
ls=build/release/src/app/lakestream
work=build/bench-load
rm -rf "$work" && mkdir -p "$work"
bootstrap=127.0.0.1:29092
topic=bench-load-$(date +%s)
source bench/broker.sh
bench_broker_up
trap bench_broker_down EXIT

bench_topic "$topic"
records=$(bench/publish_messages.sh $ls $bootstrap "$topic" "$messages" "$work")
$ls process --topic "$topic" --group bench-load --trigger available-now --duration 5 \
  --lake "$work/lake" -X bootstrap.servers=$bootstrap > "$work/process.log" 2>&1
echo "[load] $records records in $topic -> $(tail -1 "$work/process.log")" >&2

# Wall, CPU seconds and peak RSS of one command (GNU time), as "wall cpu rss_kb".
timed() {
  local out=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$out.time" "$@" > "$out.log" 2>&1
  awk '{printf "%s %.2f %s\n", $1, $2 + $3, $4}' "$out.time" > "$out"
}
for r in $(seq 1 "$runs"); do
  rm -f "$work/plain.duckdb" "$work/plain.duckdb.wal"
  timed "$work/duckdb.$r" "$LAKESTREAM_VENV/bin/python" - "$work/lake/turnstile" "$work/plain.duckdb" <<'PY'
import glob, sys, duckdb
files = sorted(glob.glob(sys.argv[1] + "/date=*/part-*.csv.gz"))
con = duckdb.connect(sys.argv[2])
# The lake's columns, typed as the warehouse reads them (by position, no sniffing).
columns = {"index": "BIGINT", "CA": "VARCHAR", "UNIT": "VARCHAR", "SCP": "VARCHAR", "STATION": "VARCHAR",
           "LINENAME": "VARCHAR", "DIVISION": "VARCHAR", "DATE": "VARCHAR", "TIME": "VARCHAR",
           "DESC": "VARCHAR", "ENTRIES": "BIGINT", "EXITS": "BIGINT"}
con.execute("CREATE TABLE lake AS SELECT * FROM read_csv($files, header = true, auto_detect = false, "
            "compression = 'gzip', hive_partitioning = false, columns = $columns)",
            {"files": files, "columns": columns})
print(con.execute("SELECT count(*) FROM lake").fetchone()[0])
con.close()
PY
  rm -f "$work/warehouse.duckdb" "$work/warehouse.duckdb.wal"
  timed "$work/ls.$r" $ls load --lake "$work/lake" --warehouse "$work/warehouse.duckdb" \
    --stats-json "$work/ls.$r.stats.json"
done
timed "$work/again" $ls load --lake "$work/lake" --warehouse "$work/warehouse.duckdb"

out=bench/results/$(date +%Y-%m-%d)-load.md
python3 - "$work" "$records" "$out" "$runs" <<'PY'
import json, os, sys
work, records, out, runs = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
def run(name):
    wall, cpu, rss = open(f"{work}/{name}").read().split()
    return {"wall": float(wall), "cpu": float(cpu), "rss_mb": int(rss) / 1024}
m, walls = {}, {}
for k in ("duckdb", "ls"):
    rs = sorted((run(f"{k}.{r}") for r in range(1, runs + 1)), key=lambda d: d["wall"])
    m[k], walls[k] = rs[len(rs) // 2], [d["wall"] for d in rs]
stats = json.load(open(f"{work}/ls.1.stats.json"))
rows = stats["rows_loaded"]
duck_rows = int(open(f"{work}/duckdb.1.log").read().split()[-1])
files = stats["files_loaded"]
again = run("again")
lines = ["# lakestream load vs DuckDB reading the same lake", "",
         f"The lake of {records:,} records ({rows:,} rows in {files:,} CSV.gz files, from `process "
         f"--trigger available-now`); {os.cpu_count()} cores; both into a new DuckDB file, alternating; "
         f"the median of {runs} runs each (wall s of all runs: DuckDB {walls['duckdb']}, lakestream "
         f"{walls['ls']}).", "",
         "| loader | wall s | rows/s | CPU s | peak RSS MB |", "|---|---:|---:|---:|---:|",
         f"| DuckDB: one table, `CREATE TABLE AS SELECT * FROM read_csv([...])` ({duck_rows:,} rows) "
         f"| {m['duckdb']['wall']:.2f} | {duck_rows / m['duckdb']['wall']:,.0f} | {m['duckdb']['cpu']:.2f} "
         f"| {m['duckdb']['rss_mb']:.0f} |",
         f"| lakestream load: star schema, md5 keys, manifest, exactly once "
         f"| {m['ls']['wall']:.2f} | {rows / m['ls']['wall']:,.0f} | {m['ls']['cpu']:.2f} "
         f"| {m['ls']['rss_mb']:.0f} |", "",
         f"lakestream / DuckDB = **{m['duckdb']['wall'] / m['ls']['wall']:.2f}** (rate ratio)", "",
         f"A second `load` of the same lake (every file skipped by its manifest row): "
         f"{again['wall']:.2f} s."]
open(out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
echo "written to $out"
