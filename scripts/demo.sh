#!/usr/bin/env bash
# The main job, end to end, on a fresh machine: installs what is missing, builds
# lakestream, starts a local Kafka broker on 127.0.0.1:9092, and streams a real
# week of MTA turnstile readings into the topic `mta-turnstile`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
source scripts/env.sh
cmake --preset release >/dev/null
cmake --build --preset release >/dev/null
ls=build/release/src/app/lakestream

$ls broker start
$ls topics create mta-turnstile --partitions 4 --if-not-exists
$ls produce --source data/mta/turnstile_230603.csv.gz --topic mta-turnstile
echo
$ls broker status || true
echo "The broker keeps running; stop it with: $ls broker stop"
