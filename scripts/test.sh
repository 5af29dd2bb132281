#!/usr/bin/env bash
# Runs every lakestream test on a fresh machine: installs what is missing
# (scripts/setup.sh), builds with AddressSanitizer + UndefinedBehaviorSanitizer,
# and runs the unit tests and the integration tests (a real local Kafka broker on
# 127.0.0.1:19092, real DuckDB files) through CTest.
#
#   scripts/test.sh                 # everything, asan+ubsan build
#   scripts/test.sh --preset debug  # another CMake preset (debug, release, asan)
#   scripts/test.sh -L unit         # extra arguments go to ctest (here: unit tests only)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

preset=asan
if [ "${1:-}" = "--preset" ]; then
  preset=$2
  shift 2
fi

bash scripts/setup.sh
source scripts/env.sh

echo "[test] configuring and building preset '$preset'" >&2
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
echo "[test] running tests" >&2
ctest --preset "$preset" "$@"
