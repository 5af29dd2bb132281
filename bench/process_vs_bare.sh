#!/usr/bin/env bash
# Benchmark for `lakestream process`: N turnstile messages (default 4,000,000) in a
# 4-partition topic on a local broker, read from offset zero by (1) a bare librdkafka
# consumer that only touches the bytes (the physical limit on this machine) and (2)
# `lakestream process --trigger available-now` (5-minute tumbling windows, CSV.gz lake),
# in the same run. Reports records/s, CPU seconds and peak RSS of each and the ratio.
#
#   bench/process_vs_bare.sh [--messages N] [--runs R]      # after scripts/setup.sh
#
# Each of the R runs (default 3) reads the whole topic with both readers, alternating;
# the table shows the run with the median lakestream wall time and the ratio of medians.
#
# Writes bench/results/<date>-process.md. Starts the bench broker (build/bench-broker,
# 127.0.0.1:29092) unless it is running, and stops it at the end if it started it.
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
work=build/bench-process
rm -rf "$work" && mkdir -p "$work"
bootstrap=127.0.0.1:29092
topic=bench-process-$(date +%s)
source bench/broker.sh
bench_broker_up
trap bench_broker_down EXIT

bench_topic "$topic"
records=$(bench/publish_messages.sh $ls $bootstrap "$topic" "$messages" "$work")
echo "[process] $records records in $topic" >&2
# Each reports its own CPU seconds and peak RSS (getrusage); wall time is measured here,
# start-up included.
now() { date +%s.%N; }
for r in $(seq 1 "$runs"); do
  s=$(now); build/release/bench/bare_consumer $bootstrap "$topic" > "$work/bare.$r.stats.json"; e=$(now)
  echo "$s $e" > "$work/bare.$r.wall"
  rm -rf "$work/lake"
  s=$(now)
  # A new group per run: each run reads from offset zero into an empty lake.
  $ls process --topic "$topic" --group bench-process-$r --trigger available-now --duration 5 \
    --lake "$work/lake" --stats-json "$work/ls.$r.stats.json" -X bootstrap.servers=$bootstrap > "$work/ls.$r.log" 2>&1
  e=$(now); echo "$s $e" > "$work/ls.$r.wall"
done

out=bench/results/$(date +%Y-%m-%d)-process.md
python3 - "$work" "$records" "$out" "$runs" <<'PY'
import json, os, statistics, sys
work, records, out, runs = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
m, walls = {}, {}
for k in ("bare", "ls"):
    results = []
    for r in range(1, runs + 1):
        d = json.load(open(f"{work}/{k}.{r}.stats.json"))
        s, e = map(float, open(f"{work}/{k}.{r}.wall").read().split())
        d["wall_seconds"] = e - s
        results.append(d)
    results.sort(key=lambda d: d["wall_seconds"])
    m[k] = results[len(results) // 2]  # the median run
    walls[k] = [round(d["wall_seconds"], 2) for d in results]
rate = {k: records / m[k]["wall_seconds"] for k in m}
rows = [("bare librdkafka consumer (the limit)", "bare"),
        ("lakestream process --trigger available-now", "ls")]
lines = [f"# lakestream process vs the bare read limit",
         "",
         f"{records:,} records (the real MTA week replayed with shifted dates), 4 partitions, local "
         f"Kafka; {os.cpu_count()} cores. Same topic, both from offset zero, alternating; the median of "
         f"{runs} runs each (wall s of all runs: bare {walls['bare']}, lakestream {walls['ls']}).",
         "",
         "| reader | wall s | records/s | CPU s | peak RSS MB |", "|---|---:|---:|---:|---:|"]
for name, k in rows:
    lines.append(f"| {name} | {m[k]['wall_seconds']:.2f} | {rate[k]:,.0f} | {m[k]['cpu_seconds']:.2f} "
                 f"| {m[k]['peak_rss_mb']:.0f} |")
ls = m["ls"]
lines += ["", f"lakestream / limit = **{rate['ls'] / rate['bare']:.2f}**", "",
          f"lakestream's output (median run): {ls['rows_emitted']:,} rows in {ls['files']:,} files; "
          f"late {ls['late']:,}, duplicates {ls['duplicates']:,}, bad {ls['bad']:,} (0 expected: the "
          f"messages are in event-time order per partition)."]
open(out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
echo "written to $out"
