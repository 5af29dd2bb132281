#!/usr/bin/env bash
# The main job, end to end, on a fresh machine: installs what is missing, builds
# lakestream, starts a local Kafka broker on 127.0.0.1:9092, streams a real week of MTA
# turnstile readings into a topic, aggregates it in 5-minute windows into the lake
# (./demo/lake), loads the lake into a DuckDB warehouse (./demo/warehouse.duckdb), prints
# reports, and says where everything is.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
source scripts/env.sh
echo "[demo] building (release)" >&2
cmake --preset release >/dev/null
cmake --build --preset release >/dev/null
ls=build/release/src/app/lakestream
out=demo
topic=mta-turnstile-demo-$(date +%Y%m%d%H%M%S)
# Each run starts from an empty lake and warehouse: a second run would otherwise load the
# week again (from a new topic) next to the first.
rm -rf $out/lake $out/warehouse.duckdb $out/warehouse.duckdb.wal
mkdir -p $out

echo "== broker" && $ls broker start
echo "== topic $topic" && $ls topics create "$topic" --partitions 4
echo "== produce" && $ls produce --source data/mta/turnstile_230603.csv.gz --topic "$topic"
echo "== process" && $ls process --topic "$topic" --group demo --trigger available-now --duration 5 \
  --lake $out/lake
echo "== load" && $ls load --lake $out/lake --warehouse $out/warehouse.duckdb
echo "== report: top stations" && $ls report --warehouse $out/warehouse.duckdb --limit 5
echo "== report: daily totals" && $ls report --warehouse $out/warehouse.duckdb --query daily
echo
echo "lake:      $(pwd)/$out/lake/turnstile  (CSV.gz; DuckDB: read_csv('$out/lake/turnstile/*/*.csv.gz', hive_partitioning=false, types={'SCP': 'VARCHAR', 'DATE': 'VARCHAR'}))"
echo "warehouse: $(pwd)/$out/warehouse.duckdb  (tables dim_station, dim_booth, dim_date, fact_turnstile; view rpt_turnstile)"
$ls broker status || true
echo "The broker keeps running; stop it with: $ls broker stop"
