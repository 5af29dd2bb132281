#!/usr/bin/env bash
# Latency benchmark: how long after a window ends its rows are committed in the lake, for
# lakestream and for the seed's Spark job, both streaming with a 1-second trigger.
#
#   bench/latency.sh [--rate 20000] [--seconds 60]     # run after scripts/setup.sh
#
# For each job in turn, on its own fresh 4-partition topic of its own broker
# (build/bench-broker, 127.0.0.1:29092/29093, stopped at exit): start the job, wait until
# it runs, then `lakestream produce --source synthetic --rate R` for S seconds (event
# time = now, the seed's dummy feed), wait until every window that must close is in the
# lake (at most 150 s), stop the job (SIGTERM). Jobs: lakestream, the Spark job with
# Spark's defaults as the seed ran it (200 shuffle partitions), and the Spark job with
# spark.sql.shuffle.partitions=2 (the usual tuning for local[2]). Query: the turnstile
# query with 10-second tumbling windows and a 10-second watermark delay
# (bench/pipelines/turnstile-10s.yaml for lakestream, --duration 10s for Spark). The
# latency of a window in a file is the file's mtime minus the window's end
# (bench/latency.py). The watermark delay alone puts the floor at ~10 s for all (a
# window closes when an event 10 s past its end arrives).
# Writes bench/results/<date>-latency.md; work files in build/bench-latency/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rate=20000
seconds=60
grace=150   # at most this long after the producer for the windows to land
while [ $# -gt 0 ]; do
  case $1 in
    --rate) rate=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

say() { printf '[latency] %s\n' "$*" >&2; }
bench/spark/setup.sh 2>/dev/null
source bench/spark/env.sh
cmake --preset release >/dev/null && cmake --build --preset release >/dev/null
ls=build/release/src/app/lakestream
py=$LAKESTREAM_SPARK_VENV/bin/python
work=build/bench-latency
rm -rf "$work" && mkdir -p "$work"
bootstrap=127.0.0.1:29092
job_pid=""

source bench/broker.sh
bench_broker_up
cleanup() {
  [ -z "$job_pid" ] || kill "$job_pid" 2>/dev/null || true
  bench_broker_down
}
trap cleanup EXIT

# wait_for FILE PATTERN: until the job's log shows PATTERN (at most 180 s).
wait_for() {
  for _ in $(seq 1 360); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    kill -0 "$job_pid" 2>/dev/null || { tail -20 "$1" >&2; say "the job died"; exit 1; }
    sleep 0.5
  done
  tail -20 "$1" >&2; say "timed out waiting for '$2' in $1"; exit 1
}

run() {  # run NAME: one latency run; writes $work/NAME.latency.json
  local name=$1 topic layout=seed
  topic=bench-latency-$name-$(date +%s)
  bench_topic "$topic"
  $ls topics create "$topic" --partitions 4 -X bootstrap.servers=$bootstrap >/dev/null
  say "$name: starting (topic $topic)"
  case $name in
    lakestream)
      layout=lakestream
      $ls process --pipeline bench/pipelines/turnstile-10s.yaml --table turnstile --topic "$topic" \
        --group bench-latency --trigger 1s --lake "$work/$name-lake" \
        -X bootstrap.servers=$bootstrap > "$work/$name.log" 2>&1 &
      job_pid=$!
      sleep 5 ;;  # joins the group; nothing to wait for in its log before records arrive
    spark|spark-2)
      local extra=()
      [ $name = spark ] || extra=(--shuffle-partitions 2)
      bench/spark/run.sh --bootstrap $bootstrap --topic "$topic" --lake "$work/$name-lake" \
        --trigger 1s --duration 10s --slide 10s --driver-memory 2g "${extra[@]}" \
        > "$work/$name.log" 2>&1 &
      job_pid=$!
      wait_for "$work/$name.log" "query started"
      sleep 10 ;;  # the first micro-batch (empty topic) plans and runs
  esac
  say "$name: producing $rate msg/s for $seconds s"
  local start end
  start=$(date +%s.%N)
  $ls produce --source synthetic --rate "$rate" --count $((rate * seconds)) --topic "$topic" \
    --format csv -X bootstrap.servers=$bootstrap > "$work/$name.produce.log" 2>&1
  end=$(date +%s.%N)
  # Wait until every window that must close is in the lake, at most $grace s.
  local waited=0
  while :; do
    sleep 2; waited=$((waited + 2))
    $py bench/latency.py "$work/$name-lake" $layout "$start" "$end" --json "$work/$name.latency.json" >/dev/null
    $py -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(r["windows"] < r["expected_windows"])' \
      "$work/$name.latency.json" && break
    [ $waited -lt "$grace" ] || { say "$name: not all windows committed after $grace s"; break; }
  done
  kill -TERM "$job_pid"
  wait "$job_pid" || { tail -20 "$work/$name.log" >&2; say "$name exited with an error"; exit 1; }
  job_pid=""
  cat "$work/$name.latency.json"
}

run lakestream
run spark
run spark-2

mkdir -p bench/results
out=bench/results/$(date +%Y-%m-%d)-latency.md
$py - "$work" "$rate" "$seconds" "$out" <<'EOF'
import json, os, sys
work, rate, seconds, out = sys.argv[1:5]
jobs = ("lakestream", "spark", "spark-2")
r = {j: json.load(open(f"{work}/{j}.latency.json")) for j in jobs}
mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
lines = [
    "# Window-to-lake latency: lakestream vs the seed's Spark consumer", "",
    f"Machine: {os.cpu_count()} cores, {mem:.1f} GiB RAM, shared with other work. "
    f"Producer: `lakestream produce --source synthetic --rate {rate}` for {seconds} s "
    "(event time = now, 8 groups, random keys over 4 partitions). Query: turnstile, "
    "10-second tumbling windows, watermark delay 10 s, dedup applied; both jobs streaming "
    "with a 1-second trigger, one after the other on fresh topics.", "",
    "Latency = lake file mtime (commit by rename) - window end, per (window, file); "
    "\"complete\" = the window's last file. The watermark delay makes ~10 s the floor for both. "
    "Counted: the windows that start after the producer started and must close (end at least "
    "10 s before it stopped); each job ran until all of them were in its lake or 150 s had "
    "passed after the producer stopped. A window missing from the lake at the end is not "
    "in the percentiles: compare the window counts. With a few windows per job, p99 is "
    "close to the max; --seconds 300 gives more samples.", "",
    "| job | windows in lake / must close | window files | p50 s | p99 s | max s | complete p50 s | complete p99 s |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
]
names = {"lakestream": "lakestream process --trigger 1s",
         "spark": "seed's Spark job, processingTime 1 s, local[2], Spark defaults (200 shuffle partitions)",
         "spark-2": "same, spark.sql.shuffle.partitions=2"}
for j in jobs:
    x = r[j]
    lines.append(f"| {names[j]} | {x['windows']} / {x['expected_windows']} | {x['window_files']} | {x['p50']} | {x['p99']} | "
                 f"{x['max']} | {x['complete_p50']} | {x['complete_p99']} |")
open(out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
print(f"\nwritten to {out}")
EOF
