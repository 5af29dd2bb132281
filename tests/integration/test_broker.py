"""`lakestream broker` around the running test broker; only one test starts a second JVM,
which cannot bind its port and exits at once."""
import os
import socket
import time


def test_status_of_the_running_broker(lakestream, bootstrap, broker_dir):
    p = lakestream.run("broker", "status", "--dir", broker_dir, broker=False)
    assert p.stdout.startswith("running\n")
    assert f"bootstrap  {bootstrap}" in p.stdout
    folder = os.path.realpath(broker_dir)  # printed with symlinks resolved
    assert f"folder     {folder}" in p.stdout
    assert f"{folder}/logs/server.log" in p.stdout


def test_start_when_running_says_so(lakestream, bootstrap, broker_dir):
    port = bootstrap.rsplit(":", 1)[1]
    p = lakestream.run("broker", "start", "--dir", broker_dir, "--port", port, broker=False)
    assert p.stdout.startswith("Kafka broker already running\n")
    assert f"bootstrap  {bootstrap}" in p.stdout
    # Asked for another port than the one it runs on: a script would go on with the wrong one.
    other = int(port) + 7
    p = lakestream.run("broker", "start", "--dir", broker_dir, "--port", other, broker=False, expect=2)
    assert f"already runs at {bootstrap}, not at 127.0.0.1:{other}: stop it first" in p.stderr


def test_stop_and_status_of_an_empty_folder(lakestream, test_tmp):
    empty = f"{test_tmp}/no-broker-here"
    for _ in range(2):  # idempotent
        p = lakestream.run("broker", "stop", "--dir", empty, broker=False)
        assert p.stdout == f"no Kafka broker running in {empty}\n"
    p = lakestream.run("broker", "status", "--dir", empty, expect=3, broker=False)
    assert p.stdout.startswith("not running\n")


def test_port_in_use_is_reported_before_java_starts(lakestream, bootstrap, test_tmp):
    port = bootstrap.rsplit(":", 1)[1]
    started = time.monotonic()
    p = lakestream.run("broker", "start", "--dir", f"{test_tmp}/second-broker", "--port", port,
                       expect=1, broker=False)
    assert time.monotonic() - started < 10
    assert p.stderr.startswith("lakestream: error: ")
    assert f"port {port} on 127.0.0.1 is already in use" in p.stderr


def test_another_broker_answering_at_the_address_is_not_ours(lakestream, bootstrap, test_tmp):
    # A host name is not checked before Java starts: the new JVM fails to bind the test
    # broker's port, while the test broker answers there. Its answer is another cluster's.
    port = bootstrap.rsplit(":", 1)[1]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        controller_port = s.getsockname()[1]
    p = lakestream.run("broker", "start", "--dir", f"{test_tmp}/shadow-broker", "--host",
                       "localhost", "--port", port, "--controller-port", controller_port,
                       "--timeout", 60, expect=1, broker=False)
    assert "Kafka broker started" not in p.stdout
    assert f"(port {port} or {controller_port} is in use" in p.stderr
    p = lakestream.run("broker", "status", "--dir", f"{test_tmp}/shadow-broker", expect=3,
                       broker=False)
    assert p.stdout.startswith("not running\n")


def test_missing_jars_point_at_setup(lakestream, test_tmp):
    p = lakestream.run("broker", "start", "--dir", f"{test_tmp}/jarless-broker", "--port", 39990,
                       expect=1, broker=False, env={"LAKESTREAM_KAFKA_HOME": f"{test_tmp}/no-kafka"})
    assert "the Kafka broker jars are not in" in p.stderr
    assert "run scripts/setup.sh" in p.stderr


def test_help_has_description_and_example(lakestream):
    for sub in ("start", "stop", "status"):
        p = lakestream.run("broker", sub, "--help", broker=False)
        assert "Examples:" in p.stdout, sub
        assert f"lakestream broker {sub}" in p.stdout, sub
