#!/usr/bin/env bash
# Benchmark: `lakestream produce --speed max` of a real MTA week against kcat
# publishing the same pre-rendered messages to the same broker, in one run.
#
#   bench/produce_vs_kcat.sh [--runs N] [--warmup N] [--bootstrap HOST:PORT]
#
# Without --bootstrap it uses the bench broker on 127.0.0.1:29092 (folder
# build/bench-broker), started unless it is running and stopped at the end if it was. Both producers use the same client
# settings (lz4, linger 20 ms, idempotence), and both wait for every delivery.
# lakestream's time includes reading and replaying the gzip file; kcat's does not.
# Untimed rounds of both first (default 3: a broker just started runs its JIT and writes
# back to disk for a minute, and then both clients, and lakestream more, publish up to 30%
# slower than on a settled broker), then N runs (default 7), alternating, each into fresh
# topics and each after a `sync` (the broker's writes of the run before would otherwise be
# written back during it); the medians are compared. Every run's seconds are listed too, with
# the median of each pair's own ratio (a lakestream run and the kcat run after it), which the
# machine's drift from pair to pair does not move. Prints a table and writes
# bench/results/<date>-produce.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs=7
warmup=3
bootstrap=""
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --bootstrap) bootstrap=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

source scripts/env.sh
cmake --preset release >/dev/null && cmake --build --preset release >/dev/null
ls=build/release/src/app/lakestream
week=data/mta/turnstile_230603.csv.gz
work=$(mktemp -d)
source bench/broker.sh
if [ -z "$bootstrap" ]; then
  bootstrap=127.0.0.1:29092
  bench_broker_up
fi
cleanup() {
  rm -rf "$work"
  bench_broker_down
}
trap cleanup EXIT

$ls produce --source $week --dump "$work/messages.tsv" >/dev/null 2>&1
n=$(wc -l < "$work/messages.tsv")
settings=(compression.codec=lz4 linger.ms=20 batch.size=1000000 enable.idempotence=true
          queue.buffering.max.messages=500000)

now() { date +%s.%N; }
# Untimed rounds first (see the top).
xs=()
for kv in "${settings[@]}"; do xs+=(-X "$kv"); done
bench_bootstrap=$bootstrap
for w in $(seq 1 "$warmup"); do
  t=bench-produce-warmup-$$-$w
  bench_topic $t
  $ls topics create $t --partitions 4 -X bootstrap.servers=$bootstrap >/dev/null
  $ls produce --source $week --topic $t --speed max -X bootstrap.servers=$bootstrap >/dev/null 2>&1
  kcat -P -b $bootstrap -t $t -K $'\t' -l "${xs[@]}" "$work/messages.tsv"
done
ls_rates=() kcat_rates=() ls_send_rates=() ls_secs=() kcat_secs=() pair_ratios=()
for i in $(seq 1 "$runs"); do
  t=bench-produce-ls-$$-$i
  bench_topic $t
  $ls topics create $t --partitions 4 -X bootstrap.servers=$bootstrap >/dev/null
  sync  # the previous run's writes leave the page cache here, not during this run
  s=$(now)
  $ls produce --source $week --topic $t --speed max -X bootstrap.servers=$bootstrap \
    -X compression.type=lz4 --stats-json "$work/stats.json" >/dev/null 2>&1
  e=$(now)
  ls_rates+=("$(echo "$n / ($e - $s)" | bc -l)")
  ls_secs+=("$(printf '%.3f' "$(echo "$e - $s" | bc -l)")")
  ls_send_rates+=("$(python3 -c "import json; print(json.load(open('$work/stats.json'))['messages_per_second'])")")

  t=bench-produce-kcat-$$-$i
  bench_topic $t
  $ls topics create $t --partitions 4 -X bootstrap.servers=$bootstrap >/dev/null
  xs=()
  for kv in "${settings[@]}"; do xs+=(-X "$kv"); done
  sync  # the previous run's writes leave the page cache here, not during this run
  s=$(now)
  kcat -P -b $bootstrap -t $t -K $'\t' -l "${xs[@]}" "$work/messages.tsv"
  e=$(now)
  kcat_rates+=("$(echo "$n / ($e - $s)" | bc -l)")
  kcat_secs+=("$(printf '%.3f' "$(echo "$e - $s" | bc -l)")")
  pair_ratios+=("$(echo "${kcat_secs[-1]} / ${ls_secs[-1]}" | bc -l)")
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ls_rate=$(median "${ls_rates[@]}")
ls_send_rate=$(median "${ls_send_rates[@]}")
kcat_rate=$(median "${kcat_rates[@]}")
ratio=$(echo "$ls_rate / $kcat_rate" | bc -l)
send_ratio=$(echo "$ls_send_rate / $kcat_rate" | bc -l)
pair_ratio=$(median "${pair_ratios[@]}")
join() { local IFS=,; echo "$*" | sed 's/,/, /g'; }
mkdir -p bench/results
out=bench/results/$(date +%Y-%m-%d)-produce.md
{
  echo "# produce vs kcat, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $($ls --version); kcat $(kcat -V | sed -n 's/^Version \([^ ]*\).*\(librdkafka [^ ]*\).*/\1 with \2/p'); Kafka $LAKESTREAM_KAFKA_VERSION (local, 1 node); $n messages of $week into 4 partitions; median of $runs runs."
  echo
  echo "| producer | msg/s | ratio |"
  echo "|---|---:|---:|"
  printf '| kcat -P (pre-rendered) | %.0f | 1.00 |\n' "$kcat_rate"
  printf '| lakestream produce --speed max, whole command (reads + replays the .gz, connects, publishes) | %.0f | %.2f |\n' "$ls_rate" "$ratio"
  printf '| lakestream produce, publishing phase only (its --stats-json: render, send, flush) | %.0f | %.2f |\n' "$ls_send_rate" "$send_ratio"
  echo
  echo "Both kcat and the whole lakestream command are timed from outside, start-up and connection included."
  echo "Seconds of each run, in the order run (each lakestream run is followed by a kcat run): lakestream [$(join "${ls_secs[@]}")], kcat [$(join "${kcat_secs[@]}")]."
  printf 'The median of the %d pairs'"'"' own ratios (kcat seconds / lakestream seconds of the same pair, which cancels the drift of the machine between pairs): %.2f.\n' "$runs" "$pair_ratio"
  echo "kcat runs with the librdkafka it is packaged with (Debian's); with lakestream's newer one it was slower here (0.72 s instead of 0.28 s for the week)."
} > "$out"
cat "$out"
echo
echo "written to $out"
