#!/usr/bin/env bash
# Latency benchmark: how long after a window ends its rows are committed in the lake, for
# lakestream and for the seed's Spark job, both streaming with a 1-second trigger.
#
#   bench/latency.sh [--rate 20000] [--seconds 60]     # run after scripts/setup.sh
#
# For each job in turn, on its own fresh 4-partition topic of its own broker
# (build/bench-broker, 127.0.0.1:29092/29093, stopped at exit): start the job, wait until
# it runs, then `lakestream produce --source synthetic --rate R` for S seconds (event
# time = now, the seed's dummy feed), wait 30 s, stop the job. Query: the turnstile query
# with 10-second tumbling windows and a 10-second watermark delay
# (bench/pipelines/turnstile-10s.yaml for lakestream, --duration 10s for Spark). The
# latency of a window in a file is the file's mtime minus the window's end
# (bench/latency.py); windows that lie wholly inside the producer's run count. The
# watermark delay alone puts the floor at ~10 s for both (a window closes when an event
# 10 s past its end arrives).
# Writes bench/results/<date>-latency.md; work files in build/bench-latency/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rate=20000
seconds=60
grace=30
while [ $# -gt 0 ]; do
  case $1 in
    --rate) rate=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
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

$ls broker start --dir build/bench-broker --port 29092 >/dev/null
cleanup() {
  [ -z "$job_pid" ] || kill "$job_pid" 2>/dev/null || true
  $ls broker stop --dir build/bench-broker >/dev/null || true
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

run() {  # run JOB: one latency run; writes $work/JOB.latency.json
  local job=$1 topic
  topic=bench-latency-$job-$(date +%s)
  $ls topics create "$topic" --partitions 4 -X bootstrap.servers=$bootstrap >/dev/null
  say "$job: starting (topic $topic)"
  if [ "$job" = lakestream ]; then
    $ls process --pipeline bench/pipelines/turnstile-10s.yaml --table turnstile --topic "$topic" \
      --group bench-latency --trigger 1s --lake "$work/lakestream-lake" \
      -X bootstrap.servers=$bootstrap > "$work/lakestream.log" 2>&1 &
    job_pid=$!
    sleep 5   # joins the group; nothing to wait for in its log before records arrive
  else
    bench/spark/run.sh --bootstrap $bootstrap --topic "$topic" --lake "$work/spark-lake" \
      --trigger 1s --duration 10s --slide 10s --driver-memory 2g \
      --run-seconds $((seconds + grace + 20)) > "$work/spark.log" 2>&1 &
    job_pid=$!
    wait_for "$work/spark.log" "query started"
    sleep 10  # the first micro-batches (empty topic) plan and run
  fi
  say "$job: producing $rate msg/s for $seconds s"
  local start end
  start=$(date +%s.%N)
  $ls produce --source synthetic --rate "$rate" --count $((rate * seconds)) --topic "$topic" \
    --format csv -X bootstrap.servers=$bootstrap > "$work/$job.produce.log" 2>&1
  end=$(date +%s.%N)
  sleep $grace
  if [ "$job" = lakestream ]; then kill -TERM "$job_pid"; fi
  wait "$job_pid" || { tail -20 "$work/$job.log" >&2; say "$job exited with an error"; exit 1; }
  job_pid=""
  local layout=lakestream
  [ "$job" = lakestream ] || layout=seed
  $py bench/latency.py "$work/$job-lake" $layout "$start" "$end" --json "$work/$job.latency.json"
}

run lakestream
run spark

mkdir -p bench/results
out=bench/results/$(date +%Y-%m-%d)-latency.md
$py - "$work" "$rate" "$seconds" "$out" <<'EOF'
import json, os, sys
work, rate, seconds, out = sys.argv[1:5]
r = {j: json.load(open(f"{work}/{j}.latency.json")) for j in ("lakestream", "spark")}
mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
lines = [
    "# Window-to-lake latency: lakestream vs the seed's Spark consumer", "",
    f"Machine: {os.cpu_count()} cores, {mem:.1f} GiB RAM, shared with other work. "
    f"Producer: `lakestream produce --source synthetic --rate {rate}` for {seconds} s "
    "(event time = now, 8 groups, random keys over 4 partitions). Query: turnstile, "
    "10-second tumbling windows, watermark delay 10 s, dedup applied; both jobs streaming "
    "with a 1-second trigger, one after the other on fresh topics.", "",
    "Latency = lake file mtime (commit by rename) - window end, per (window, file); "
    "\"complete\" = the window's last file. The watermark delay makes ~10 s the floor for both.", "",
    "| job | windows | window files | p50 s | p99 s | max s | complete p50 s | complete p99 s |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
]
names = {"lakestream": "lakestream process --trigger 1s", "spark": "seed's Spark job, processingTime 1 s, local[2]"}
for j in ("lakestream", "spark"):
    x = r[j]
    lines.append(f"| {names[j]} | {x['windows']} | {x['window_files']} | {x['p50']} | {x['p99']} | "
                 f"{x['max']} | {x['complete_p50']} | {x['complete_p99']} |")
open(out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
print(f"\nwritten to {out}")
EOF
