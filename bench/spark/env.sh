# Sourced by the Spark benchmark scripts: where bench/spark/setup.sh installs things.
# Every value can be overridden from the environment.
# shellcheck source=../../scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/env.sh"
: "${LAKESTREAM_SPARK_VERSION:=3.5.7}"   # pyspark from PyPI and spark-sql-kafka from Maven: same version
: "${LAKESTREAM_SPARK_VENV:=$LAKESTREAM_CACHE/spark-venv}"
: "${LAKESTREAM_SPARK_JARS:=$LAKESTREAM_CACHE/spark-kafka-$LAKESTREAM_SPARK_VERSION/jars}"
export LAKESTREAM_SPARK_VERSION LAKESTREAM_SPARK_VENV LAKESTREAM_SPARK_JARS
