# Sourced by the benchmark scripts (after `ls` names the lakestream binary): the bench
# broker, build/bench-broker on 127.0.0.1:29092. bench_broker_up starts it unless it is
# already running; bench_broker_down stops it only if bench_broker_up started it, so a
# broker left running between benchmark runs stays up.
#
# bench_topic NAME records a topic the run creates; bench_broker_down deletes them all
# (on `bench_bootstrap`, default the bench broker). Left behind, they piled up: with ~300
# topics the broker took 400 ms instead of 250 ms for kcat's week.
bench_started_broker=0
bench_topics=()
bench_topic() { bench_topics+=("$1"); }
#
# A deleted topic's files stay on disk (as <topic>-<partition>.<id>-delete) until the
# broker removes them 60 s later (file.delete.delay.ms), or at its next start when it was
# stopped before: 1.4 GB of them had piled up, their removal landing in whatever was being
# measured. So a stopped broker's leftovers are removed before it starts, and a running
# broker is given time to remove them first.
bench_broker_up() {
  local data=build/bench-broker/data
  if ! $ls broker status --dir build/bench-broker >/dev/null 2>&1; then
    rm -rf "$data"/*-delete
    $ls broker start --dir build/bench-broker --port 29092 >/dev/null
    bench_started_broker=1
  else
    local waited=0
    while compgen -G "$data/*-delete" >/dev/null && [ $waited -lt 90 ]; do
      [ $waited = 0 ] && echo "[bench] waiting for the broker to remove earlier runs' deleted topics..." >&2
      sleep 1
      waited=$((waited + 1))
    done
  fi
  sync
}
bench_broker_down() {
  for t in "${bench_topics[@]}"; do
    $ls topics delete "$t" --if-exists -X bootstrap.servers=${bench_bootstrap:-127.0.0.1:29092} >/dev/null 2>&1 || true
  done
  if [ "$bench_started_broker" = 1 ]; then $ls broker stop --dir build/bench-broker >/dev/null || true; fi
}
