#!/usr/bin/env bash
# scripts/setup.sh leaves alone an installation that LAKESTREAM_*_HOME names and that it did
# not make: it used to delete an Apache Kafka tarball's libs/ (and whatever the user had put
# there) to fetch its own jars, and to overwrite another libduckdb.so or librdkafka.so.1.
# Offline: every component is either such an installation or marked complete.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/kafka/libs" "$tmp/duckdb/lib" "$tmp/duckdb/include" "$tmp/rdkafka/lib" "$tmp/venv"
echo own >"$tmp/kafka/libs/kafka_2.13-3.9.0.jar"
echo own >"$tmp/kafka/libs/my-connector.jar"
echo own >"$tmp/duckdb/lib/libduckdb.so"
echo own >"$tmp/duckdb/include/duckdb.h"
echo own >"$tmp/rdkafka/lib/librdkafka.so.1"
touch "$tmp/venv/.complete"

LAKESTREAM_CACHE="$tmp/cache" LAKESTREAM_KAFKA_HOME="$tmp/kafka" LAKESTREAM_DUCKDB_HOME="$tmp/duckdb" \
  LAKESTREAM_RDKAFKA_HOME="$tmp/rdkafka" LAKESTREAM_VENV="$tmp/venv" \
  bash "$here/../scripts/setup.sh" >"$tmp/setup.out" 2>&1 || { cat "$tmp/setup.out"; exit 1; }

status=0
for f in kafka/libs/kafka_2.13-3.9.0.jar kafka/libs/my-connector.jar duckdb/lib/libduckdb.so \
    duckdb/include/duckdb.h rdkafka/lib/librdkafka.so.1; do
  if [ "$(cat "$tmp/$f" 2>/dev/null)" != own ]; then
    echo "FAIL: setup.sh replaced or removed $f" >&2
    status=1
  fi
done
[ "$(ls "$tmp/kafka/libs" | wc -l)" -eq 2 ] || { echo "FAIL: setup.sh added jars to $tmp/kafka/libs" >&2; status=1; }
[ ! -e "$tmp/cache" ] || { echo "FAIL: setup.sh installed into its cache" >&2; status=1; }
[ "$status" -eq 0 ] || cat "$tmp/setup.out" >&2
exit "$status"
