#!/usr/bin/env bash
# Runs the seed's Spark consumer (bench/spark/seed_consumer.py) with the venv and the
# Kafka source jars of bench/spark/setup.sh. Arguments go to the job; see its --help.
#
#   bench/spark/run.sh --bootstrap 127.0.0.1:29092 --topic T --lake build/spark-lake
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=env.sh
source "$here/env.sh"
[ -f "$LAKESTREAM_SPARK_VENV/.complete" ] || { echo "run bench/spark/setup.sh first" >&2; exit 2; }
export PYSPARK_PYTHON="$LAKESTREAM_SPARK_VENV/bin/python"
exec "$LAKESTREAM_SPARK_VENV/bin/python" "$here/seed_consumer.py" "$@"
