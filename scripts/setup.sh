#!/usr/bin/env bash
# Installs everything lakestream needs on a fresh Debian 12 machine, from package
# registries only: Debian packages (compilers' libraries, librdkafka, kcat, ...),
# the Apache Kafka broker jars from Maven Central, DuckDB's C library from npm,
# and a Python venv (pytest, duckdb) for the integration tests.
#
# Idempotent: each step checks what is already there and is skipped if so. A
# LAKESTREAM_*_HOME naming an installation setup did not make is used as it is, never changed.
# Downloads are cached under $LAKESTREAM_CACHE (default ~/.cache/lakestream).
# Prints the environment to use at the end; scripts/env.sh reproduces it.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=env.sh
source "$here/env.sh"

say() { printf '[setup] %s\n' "$*" >&2; }
fail() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config
  librdkafka-dev kcat zlib1g-dev libzstd-dev liblz4-dev libssl-dev libsasl2-dev
  libgtest-dev libgmock-dev libcli11-dev nlohmann-json3-dev libyaml-cpp-dev libfmt-dev libxxhash-dev libdeflate-dev libisal-dev libjemalloc-dev
  maven default-jre-headless python3-venv bc
)

install_apt() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    say "Debian packages: all present"
    return
  fi
  say "Debian packages: installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq || fail "apt-get update failed (is the Debian mirror reachable?)"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null \
    || fail "apt-get could not install: ${missing[*]}"
}

# Whether $1, a LAKESTREAM_*_HOME, is not setup's own folder in the cache ($2) and already
# holds the component (the glob $3): someone's installation (an Apache Kafka tarball, their
# own DuckDB build), used as it is. Setup deletes and overwrites files only in its own folders.
foreign_install() {
  [ "$1" != "$2" ] && compgen -G "$3" >/dev/null
}

install_kafka() {
  local libs="$LAKESTREAM_KAFKA_HOME/libs"
  if [ -f "$LAKESTREAM_KAFKA_HOME/.complete" ]; then
    say "Kafka $LAKESTREAM_KAFKA_VERSION jars: present in $libs"
    return
  fi
  if foreign_install "$LAKESTREAM_KAFKA_HOME" "$LAKESTREAM_CACHE/kafka-$LAKESTREAM_KAFKA_VERSION" \
      "$libs/kafka_2.13-*.jar"; then
    say "Kafka jars: using $libs as it is (LAKESTREAM_KAFKA_HOME, not installed by setup)"
    return
  fi
  say "Kafka $LAKESTREAM_KAFKA_VERSION jars: fetching from Maven Central into $libs"
  rm -rf "$libs" && mkdir -p "$libs"
  mvn -q -B -f "$here/kafka/pom.xml" -Dkafka.version="$LAKESTREAM_KAFKA_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$libs" \
    || fail "Maven could not fetch org.apache.kafka:kafka_2.13:$LAKESTREAM_KAFKA_VERSION (see the output above)"
  ls "$libs"/kafka_2.13-*.jar >/dev/null 2>&1 || fail "Kafka broker jar missing in $libs after Maven ran"
  touch "$LAKESTREAM_KAFKA_HOME/.complete"
}

install_duckdb() {
  if [ -f "$LAKESTREAM_DUCKDB_HOME/.complete" ]; then
    say "DuckDB $LAKESTREAM_DUCKDB_VERSION: present in $LAKESTREAM_DUCKDB_HOME"
    return
  fi
  if foreign_install "$LAKESTREAM_DUCKDB_HOME" "$LAKESTREAM_CACHE/duckdb-$LAKESTREAM_DUCKDB_VERSION" \
      "$LAKESTREAM_DUCKDB_HOME/lib/libduckdb.so"; then
    say "DuckDB: using $LAKESTREAM_DUCKDB_HOME as it is (LAKESTREAM_DUCKDB_HOME, not installed by setup)"
    return
  fi
  say "DuckDB $LAKESTREAM_DUCKDB_VERSION: fetching from npm into $LAKESTREAM_DUCKDB_HOME"
  local tmp
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "@duckdb/node-bindings-linux-x64@${LAKESTREAM_DUCKDB_VERSION}-r.1" \
      "duckdb@${LAKESTREAM_DUCKDB_VERSION}" >/dev/null 2>"$tmp/npm.log") \
    || { cat "$tmp/npm.log" >&2; fail "npm could not fetch DuckDB $LAKESTREAM_DUCKDB_VERSION"; }
  mkdir -p "$LAKESTREAM_DUCKDB_HOME/lib" "$LAKESTREAM_DUCKDB_HOME/include"
  tar -xzf "$tmp"/duckdb-node-bindings-linux-x64-*.tgz -C "$tmp" package/libduckdb.so
  mv "$tmp/package/libduckdb.so" "$LAKESTREAM_DUCKDB_HOME/lib/"
  tar -xzf "$tmp"/duckdb-"$LAKESTREAM_DUCKDB_VERSION".tgz -C "$tmp" package/src/duckdb/src/include/duckdb.h
  mv "$tmp/package/src/duckdb/src/include/duckdb.h" "$LAKESTREAM_DUCKDB_HOME/include/"
  rm -rf "$tmp"
  touch "$LAKESTREAM_DUCKDB_HOME/.complete"
}

# A newer librdkafka than Debian's 2.0.2, which re-checks a full prefetch queue only once
# a second and so caps `lakestream process` near 250,000 records/s. PyPI's
# confluent-kafka wheel carries the official self-contained build (OpenSSL, SASL, zstd,
# lz4 linked in; only libc needed). Same C ABI: lakestream compiles against Debian's
# headers and loads this one through its rpath (CMakeLists.txt).
install_librdkafka() {
  local lib="$LAKESTREAM_RDKAFKA_HOME/lib/librdkafka.so.1"
  if [ -f "$LAKESTREAM_RDKAFKA_HOME/.complete" ]; then
    say "librdkafka $LAKESTREAM_RDKAFKA_VERSION: present in $LAKESTREAM_RDKAFKA_HOME"
    return
  fi
  if foreign_install "$LAKESTREAM_RDKAFKA_HOME" "$LAKESTREAM_CACHE/librdkafka-$LAKESTREAM_RDKAFKA_VERSION" "$lib"; then
    say "librdkafka: using $lib as it is (LAKESTREAM_RDKAFKA_HOME, not installed by setup)"
    return
  fi
  say "librdkafka $LAKESTREAM_RDKAFKA_VERSION: fetching PyPI's confluent-kafka wheel into $LAKESTREAM_RDKAFKA_HOME"
  local tmp
  tmp=$(mktemp -d)
  "$LAKESTREAM_VENV/bin/pip" download -q --disable-pip-version-check --no-deps --only-binary=:all: \
      --python-version 3.11 --platform manylinux_2_28_x86_64 -d "$tmp" \
      --require-hashes -r "$here/librdkafka-wheel.txt" >"$tmp/pip.log" 2>&1 \
    || { cat "$tmp/pip.log" >&2; fail "pip could not fetch the confluent-kafka wheel with librdkafka $LAKESTREAM_RDKAFKA_VERSION"; }
  mkdir -p "$LAKESTREAM_RDKAFKA_HOME/lib"
  "$LAKESTREAM_VENV/bin/python" - "$tmp"/confluent_kafka-*.whl "$lib" <<'PY' || fail "no librdkafka inside the confluent-kafka wheel"
import shutil, sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    names = [n for n in z.namelist() if n.startswith("confluent_kafka.libs/librdkafka")]
    if len(names) != 1:
        sys.exit(f"expected one librdkafka in {wheel}, found {names}")
    with z.open(names[0]) as src, open(dest, "wb") as out:
        shutil.copyfileobj(src, out)
PY
  local got
  got=$("$LAKESTREAM_VENV/bin/python" -c 'import ctypes, sys
l = ctypes.CDLL(sys.argv[1]); l.rd_kafka_version_str.restype = ctypes.c_char_p
print(l.rd_kafka_version_str().decode())' "$lib") || fail "the librdkafka from the wheel does not load"
  [ "$got" = "$LAKESTREAM_RDKAFKA_VERSION" ] \
    || fail "the wheel's librdkafka is $got, expected $LAKESTREAM_RDKAFKA_VERSION (scripts/librdkafka-wheel.txt and scripts/env.sh disagree)"
  rm -rf "$tmp"
  touch "$LAKESTREAM_RDKAFKA_HOME/.complete"
}

install_python() {
  if [ -f "$LAKESTREAM_VENV/.complete" ]; then
    say "Python venv: present in $LAKESTREAM_VENV"
    return
  fi
  say "Python venv: creating $LAKESTREAM_VENV (pytest, duckdb)"
  python3 -m venv "$LAKESTREAM_VENV" || fail "python3 -m venv failed"
  "$LAKESTREAM_VENV/bin/pip" install -q --disable-pip-version-check \
    "pytest==8.3.*" "duckdb==${LAKESTREAM_DUCKDB_VERSION}" \
    || fail "pip could not install pytest and duckdb==${LAKESTREAM_DUCKDB_VERSION}"
  touch "$LAKESTREAM_VENV/.complete"
}

install_apt
install_kafka
install_duckdb
install_python
install_librdkafka
say "done. Kafka: $LAKESTREAM_KAFKA_HOME  DuckDB: $LAKESTREAM_DUCKDB_HOME  venv: $LAKESTREAM_VENV  librdkafka: $LAKESTREAM_RDKAFKA_HOME"
