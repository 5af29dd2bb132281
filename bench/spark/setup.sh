#!/usr/bin/env bash
# Installs the seed's Spark consumer for the side-by-side benchmarks (bench/compare.sh,
# bench/latency.sh), from package registries only:
#   - a Python venv with pyspark (pinned below), pandas + pyarrow (the seed writes each
#     micro-batch through pandas), matplotlib (the chart) and psutil (the measurements),
#     from PyPI, in $LAKESTREAM_SPARK_VENV (default $LAKESTREAM_CACHE/spark-venv);
#   - Spark's Kafka source (org.apache.spark:spark-sql-kafka-0-10_2.12, same version as
#     pyspark) and the dependencies pyspark lacks, from Maven Central with
#     `mvn dependency:copy-dependencies` (bench/spark/pom.xml), in $LAKESTREAM_SPARK_JARS;
#   - GNU time from Debian if /usr/bin/time is missing.
# Java 17 comes from scripts/setup.sh (default-jre-headless). Run scripts/setup.sh first.
#
#   bench/spark/setup.sh
#
# Idempotent: each step is skipped when its folder is complete.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=env.sh
source "$here/env.sh"

say() { printf '[spark-setup] %s\n' "$*" >&2; }
fail() { printf '[spark-setup] ERROR: %s\n' "$*" >&2; exit 1; }

install_time() {
  if [ -x /usr/bin/time ]; then
    say "GNU time: present"
    return
  fi
  say "GNU time: installing the Debian package"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq || fail "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq time >/dev/null || fail "apt-get could not install time"
}

install_venv() {
  if [ -f "$LAKESTREAM_SPARK_VENV/.complete" ]; then
    say "Spark venv: present in $LAKESTREAM_SPARK_VENV"
    return
  fi
  command -v java >/dev/null || fail "java not found (scripts/setup.sh installs default-jre-headless)"
  say "Spark venv: creating $LAKESTREAM_SPARK_VENV (pyspark $LAKESTREAM_SPARK_VERSION, pandas, pyarrow, matplotlib, psutil)"
  rm -rf "$LAKESTREAM_SPARK_VENV"
  python3 -m venv "$LAKESTREAM_SPARK_VENV" || fail "python3 -m venv failed"
  "$LAKESTREAM_SPARK_VENV/bin/pip" install -q --disable-pip-version-check \
    "pyspark==$LAKESTREAM_SPARK_VERSION" "pandas==2.2.*" "numpy==1.26.*" "pyarrow==17.*" \
    "matplotlib==3.9.*" "psutil==6.*" \
    || fail "pip could not install pyspark==$LAKESTREAM_SPARK_VERSION and its companions"
  touch "$LAKESTREAM_SPARK_VENV/.complete"
}

install_jars() {
  if [ -f "$LAKESTREAM_SPARK_JARS/.complete" ]; then
    say "Spark Kafka source jars: present in $LAKESTREAM_SPARK_JARS"
    return
  fi
  say "Spark Kafka source jars: fetching from Maven Central into $LAKESTREAM_SPARK_JARS"
  rm -rf "$LAKESTREAM_SPARK_JARS" && mkdir -p "$LAKESTREAM_SPARK_JARS"
  mvn -q -B -f "$here/pom.xml" -Dspark.version="$LAKESTREAM_SPARK_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$LAKESTREAM_SPARK_JARS" \
    || fail "Maven could not fetch org.apache.spark:spark-sql-kafka-0-10_2.12:$LAKESTREAM_SPARK_VERSION"
  ls "$LAKESTREAM_SPARK_JARS"/spark-sql-kafka-0-10_2.12-*.jar >/dev/null 2>&1 \
    || fail "spark-sql-kafka jar missing in $LAKESTREAM_SPARK_JARS after Maven ran"
  touch "$LAKESTREAM_SPARK_JARS/.complete"
}

install_time
install_venv
install_jars
say "done. venv: $LAKESTREAM_SPARK_VENV  jars: $LAKESTREAM_SPARK_JARS"
