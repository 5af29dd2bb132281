# Sourced by the benchmark scripts (after `ls` names the lakestream binary): the bench
# broker, build/bench-broker on 127.0.0.1:29092. bench_broker_up starts it unless it is
# already running; bench_broker_down stops it only if bench_broker_up started it, so a
# broker left running between benchmark runs stays up.
bench_started_broker=0
bench_broker_up() {
  if ! $ls broker status --dir build/bench-broker >/dev/null 2>&1; then
    $ls broker start --dir build/bench-broker --port 29092 >/dev/null
    bench_started_broker=1
  fi
}
bench_broker_down() {
  if [ "$bench_started_broker" = 1 ]; then $ls broker stop --dir build/bench-broker >/dev/null || true; fi
}
