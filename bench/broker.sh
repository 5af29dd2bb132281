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
bench_broker_up() {
  if ! $ls broker status --dir build/bench-broker >/dev/null 2>&1; then
    $ls broker start --dir build/bench-broker --port 29092 >/dev/null
    bench_started_broker=1
  fi
}
bench_broker_down() {
  for t in "${bench_topics[@]}"; do
    $ls topics delete "$t" --if-exists -X bootstrap.servers=${bench_bootstrap:-127.0.0.1:29092} >/dev/null 2>&1 || true
  done
  if [ "$bench_started_broker" = 1 ]; then $ls broker stop --dir build/bench-broker >/dev/null || true; fi
}
