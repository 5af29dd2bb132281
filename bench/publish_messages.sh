#!/usr/bin/env bash
# Builds N turnstile messages from the real week (bench/make_messages.py: the week replayed
# with dates shifted a week per copy, new IDs, one file per partition, an end-of-stream
# marker per partition) and publishes them with kcat into a new 4-partition topic.
#
#   bench/publish_messages.sh LAKESTREAM BOOTSTRAP TOPIC N WORKDIR
#
# Prints the number of records in the topic. Used by compare.sh and process_vs_bare.sh.
set -euo pipefail
ls=$1 bootstrap=$2 topic=$3 messages=$4 work=$5
week=data/mta/turnstile_230603.csv.gz
mkdir -p "$work"
$ls produce --source $week --format csv --dump "$work/week.tsv" >/dev/null 2>&1
python3 bench/make_messages.py "$work/week.tsv" "$messages" "$work/messages" > "$work/messages.json"
rm "$work/week.tsv"
$ls topics create "$topic" --partitions 4 -X bootstrap.servers=$bootstrap >/dev/null
# Idempotence keeps each partition in file (event-time) order when a request is retried
# under load; without it one run here got a reordered batch, whose records were then late.
for p in 0 1 2 3; do
  kcat -P -b $bootstrap -t "$topic" -p $p -K $'\t' -l -X compression.codec=lz4 -X linger.ms=20 \
    -X enable.idempotence=true -X batch.size=1000000 -X queue.buffering.max.messages=500000 \
    "$work/messages/p$p.tsv" &
done
wait
rm -rf "$work/messages"
kcat -Q -b $bootstrap -t "$topic:0:-1" -t "$topic:1:-1" -t "$topic:2:-1" -t "$topic:3:-1" \
  | awk '{s += $NF} END {print s}'
