#!/usr/bin/env bash
# Benchmark: lakestream against the seed's Spark consumer, side by side, on the same
# Kafka topic, with a bare librdkafka reader as the limit.
#
#   bench/compare.sh [--messages N]     # default 1,000,000; run after scripts/setup.sh
#
# 1. installs the Spark job (bench/spark/setup.sh, idempotent) and builds the release tree;
# 2. starts the bench broker (build/bench-broker, 127.0.0.1:29092/29093; bench/broker.sh)
#    unless it is running, and stops it at exit if it started it;
# 3. builds N messages from the real week data/mta/turnstile_230603.csv.gz replayed with
#    dates shifted a week per copy (bench/make_messages.py: `produce --dump`, new IDs, one
#    file per partition, an end-of-stream marker per partition) and publishes them with
#    kcat into a fresh 4-partition topic;
# 4. reads the topic from offset zero with, in turn: bench/bare_consumer (the limit),
#    `lakestream process --trigger available-now` (5-minute tumbling windows, CSV.gz lake)
#    and the Spark job (Trigger.AvailableNow, local[2]), each measured by bench/measure.py
#    (wall s, CPU s = user + sys of the process tree, peak RSS of the tree);
# 5. checks that both lakes hold the same totals per group and window
#    (bench/compare_outputs.py, DuckDB);
# 6. writes bench/results/<date>-compare.md and <date>-compare.png and prints the ratios.
# Work files go to build/bench-compare/ (kept for inspection, replaced by the next run).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
messages=1000000
while [ $# -gt 0 ]; do
  case $1 in
    --messages) messages=$2; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

say() { printf '[compare] %s\n' "$*" >&2; }
t0=$(date +%s)
bench/spark/setup.sh
source bench/spark/env.sh
say "building the release tree"
cmake --preset release >/dev/null && cmake --build --preset release >/dev/null
ls=build/release/src/app/lakestream
py=$LAKESTREAM_SPARK_VENV/bin/python
week=data/mta/turnstile_230603.csv.gz
work=build/bench-compare
rm -rf "$work" && mkdir -p "$work"
bootstrap=127.0.0.1:29092
topic=bench-compare-$(date +%s)

source bench/broker.sh
bench_broker_up
cleanup() { bench_broker_down; }
trap cleanup EXIT

say "building $messages messages from $week and publishing them to $topic with kcat"
bench_topic "$topic"
records=$(bench/publish_messages.sh $ls $bootstrap "$topic" "$messages" "$work")
say "$records records in $topic"

say "1/3 bare_consumer (the limit)"
$py bench/measure.py "$work/bare.measure.json" -- \
  build/release/bench/bare_consumer $bootstrap "$topic" > "$work/bare.stats.json"

say "2/3 lakestream process --trigger available-now"
$py bench/measure.py "$work/lakestream.measure.json" -- \
  $ls process --topic "$topic" --group bench-ls --trigger available-now --duration 5 --slide 5 \
  --lake "$work/lakestream-lake" --lake-format csv --stats-json "$work/lakestream.stats.json" \
  -X bootstrap.servers=$bootstrap > "$work/lakestream.log" 2>&1

say "3/3 the seed's Spark job, Trigger.AvailableNow, local[2]"
# Spark runs the whole backlog as one micro-batch: its heap grows with the topic.
driver_gb=$(( (messages * 4 + 999999) / 1000000 )); [ $driver_gb -ge 4 ] || driver_gb=4
$py bench/measure.py "$work/spark.measure.json" -- \
  bench/spark/run.sh --bootstrap $bootstrap --topic "$topic" --lake "$work/spark-lake" \
  --trigger available-now --duration 5m --slide 5m --driver-memory ${driver_gb}g \
  --stats-json "$work/spark.stats.json" > "$work/spark.log" 2>&1

say "comparing the two lakes"
agree=0
"$LAKESTREAM_VENV/bin/python" bench/compare_outputs.py "$work/lakestream-lake" "$work/spark-lake" \
  --json "$work/agreement.json" || agree=$?

mkdir -p bench/results
day=$(date +%Y-%m-%d)
$py bench/compare_report.py "$work" "$records" "$topic" "$(( $(date +%s) - t0 ))" \
  "bench/results/$day-compare.md" "bench/results/$day-compare.png"
[ $agree = 0 ] || { say "the two lakes DIFFER: see $work/agreement.json"; exit 1; }
