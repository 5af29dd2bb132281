"""`lakestream topics` against the real local broker, cross-checked with kcat."""
import json
import subprocess
import time


def kcat_metadata(bootstrap, topic):
    """The topic as kcat (an independent librdkafka client) sees it."""
    p = subprocess.run(["kcat", "-L", "-b", bootstrap, "-t", topic, "-J"],
                       capture_output=True, text=True, timeout=60, check=True)
    topics = [t for t in json.loads(p.stdout)["topics"] if t["topic"] == topic]
    assert len(topics) == 1, p.stdout
    return topics[0]


def test_create_list_describe(lakestream, bootstrap, topic_name):
    p = lakestream.run("topics", "create", topic_name, "--partitions", 4,
                       "--topic-config", "retention.ms=3600000")
    assert f"created topic '{topic_name}'" in p.stdout

    listed = lakestream.run("topics", "list").stdout.splitlines()
    assert topic_name in listed
    assert not any(name.startswith("__") for name in listed)
    as_json = {t["name"]: t for t in json.loads(lakestream.run("topics", "list", "--json").stdout)}
    assert as_json[topic_name]["partitions"] == 4

    desc = json.loads(lakestream.run("topics", "describe", topic_name, "--json").stdout)
    assert desc["name"] == topic_name
    assert desc["partition_count"] == 4
    assert desc["replication_factor"] == 1
    assert [p["id"] for p in desc["partitions"]] == [0, 1, 2, 3]
    assert all(p["leader"] == 1 and p["replicas"] == [1] and p["isr"] == [1] for p in desc["partitions"])
    assert desc["configs"]["retention.ms"]["value"] == "3600000"
    assert desc["configs"]["retention.ms"]["source"] == "DYNAMIC_TOPIC_CONFIG"

    text = lakestream.run("topics", "describe", topic_name).stdout
    assert "partitions          4" in text
    assert "retention.ms=3600000" in text

    kcat = kcat_metadata(bootstrap, topic_name)
    assert sorted(p["partition"] for p in kcat["partitions"]) == [0, 1, 2, 3]


def test_all_configs_shows_defaults(lakestream, topic_name):
    lakestream.run("topics", "create", topic_name)
    desc = json.loads(lakestream.run("topics", "describe", topic_name, "--json", "--all-configs").stdout)
    assert desc["configs"]["cleanup.policy"] == {"value": "delete", "source": "DEFAULT_CONFIG", "default": True}


def test_create_twice_is_a_clear_error_unless_if_not_exists(lakestream, topic_name):
    lakestream.run("topics", "create", topic_name, "--partitions", 2)
    p = lakestream.run("topics", "create", topic_name, "--partitions", 2, expect=2)
    assert p.stderr.startswith("lakestream: error: ")
    assert f"topic '{topic_name}' already exists" in p.stderr
    assert "--if-not-exists" in p.stderr

    p = lakestream.run("topics", "create", topic_name, "--partitions", 2, "--if-not-exists")
    assert "already exists" in p.stdout
    assert p.stderr == ""


def test_invalid_topic_config_names_the_key(lakestream, topic_name):
    p = lakestream.run("topics", "create", topic_name, "--topic-config", "retention.msx=5", expect=2)
    assert "retention.msx" in p.stderr
    assert "INVALID_CONFIG" in p.stderr


def test_unknown_client_property_names_file_and_line(lakestream, topic_name, test_tmp, bootstrap):
    props = f"{test_tmp}/{topic_name}.properties"
    with open(props, "w") as f:
        f.write(f"# test client\nbootstrap.servers={bootstrap}\nno.such.property=1\n")
    p = lakestream.run("topics", "create", topic_name, "--config", props, expect=2, broker=False)
    assert p.stderr.startswith("lakestream: error: ")
    assert f"{props}:3" in p.stderr
    assert "no.such.property" in p.stderr


def test_unreachable_broker_fails_within_the_timeout(lakestream, topic_name):
    started = time.monotonic()
    p = lakestream.run("topics", "create", topic_name, "--timeout", 3,
                       "-X", "bootstrap.servers=127.0.0.1:1", expect=1, timeout=60, broker=False)
    assert time.monotonic() - started < 20
    assert "lakestream: error: no Kafka broker answered at bootstrap.servers=127.0.0.1:1" in p.stderr
    assert "Connection refused" in p.stderr


def test_a_timeout_out_of_range_is_a_usage_error(lakestream):
    # Seconds, turned into int milliseconds: 2147484 s was taken as 0.001 s.
    for args in (["list"], ["describe", "t"], ["lag", "t", "-g", "g"]):
        for value in ("0", "2147484"):
            p = lakestream.run("topics", *args, "--timeout", value, "-X", "bootstrap.servers=127.0.0.1:1",
                               expect=2, broker=False)
            assert f"--timeout: must be a whole number from 1 to 3600, got '{value}'" in p.stderr, p.stderr


def test_a_mistyped_command_is_named_with_the_commands_there_are(lakestream):
    # CLI11 said only "A subcommand is required", as if none had been typed.
    for args, typo, where, commands in (
            (["procss", "--source", "x"], "procss", "lakestream", "broker, topics, produce, process, load, report"),
            (["topics", "creat", "t"], "creat", "lakestream topics", "create, list, describe, lag, delete"),
            (["broker", "strat"], "strat", "lakestream broker", "start, stop, status")):
        p = lakestream.run(*args, expect=2, broker=False)
        assert p.stderr == (f"lakestream: error: unknown command '{typo}' for `{where}`; the commands are "
                            f"{commands} (see `{where} --help`)\n"), p.stderr
    # None typed: CLI11's message stands.
    p = lakestream.run("topics", expect=2, broker=False)
    assert p.stderr.startswith("A subcommand is required"), p.stderr


def test_delete(lakestream, bootstrap, topic_name):
    lakestream.run("topics", "create", topic_name)
    lakestream.run("topics", "delete", topic_name)
    p = lakestream.run("topics", "describe", topic_name, expect=2)
    assert "does not exist" in p.stderr
    p = lakestream.run("topics", "delete", topic_name, expect=2)
    assert "does not exist" in p.stderr
    lakestream.run("topics", "delete", topic_name, "--if-exists")


def test_delete_refuses_internal_topics(lakestream, bootstrap):
    # Deleting __consumer_offsets would erase every group's committed offsets on the cluster.
    p = lakestream.run("topics", "delete", "__consumer_offsets", expect=2)
    assert "'__consumer_offsets' is one of the brokers' own topics" in p.stderr
    # A '__' topic somebody created is theirs to delete.
    lakestream.run("topics", "create", "__lakestream-test-mine")
    lakestream.run("topics", "delete", "__lakestream-test-mine")


def test_lag_of_a_group_that_never_committed(lakestream, bootstrap, topic_name):
    lakestream.run("topics", "create", topic_name, "--partitions", 2)
    for partition, count in ((0, 3), (1, 2)):
        subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", topic_name, "-p", str(partition)],
                       input="".join(f"m{i}\n" for i in range(count)), text=True, timeout=60,
                       check=True)
    lag = json.loads(lakestream.run("topics", "lag", topic_name, "--group", "never", "--json").stdout)
    assert lag == {"topic": topic_name, "group": "never", "lag": None,
                   "partitions": [{"partition": 0, "committed": None, "end": 3, "lag": None},
                                  {"partition": 1, "committed": None, "end": 2, "lag": None}]}
    text = lakestream.run("topics", "lag", topic_name, "--group", "never").stdout
    assert "committed no offset" in text
    p = lakestream.run("topics", "lag", topic_name + "-missing", "--group", "never", expect=2)
    assert "does not exist" in p.stderr


def test_lag_right_after_the_broker_restarts(lakestream, bootstrap, broker_dir, topic_name):
    """While a restarted broker loads its groups, their coordinator answers NOT_COORDINATOR
    or COORDINATOR_LOAD_IN_PROGRESS. librdkafka's admin call for committed offsets crashed
    the process on the first (its issue #5040) and `lag` failed on the second; now `lag`
    waits until the coordinator answers. How long the window lasts depends on the broker,
    so a run may not meet it: the test holds the exact figures right after the restart."""
    lakestream.run("topics", "create", topic_name, "--partitions", 2)
    for partition, count in ((0, 3), (1, 2)):
        subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", topic_name, "-p", str(partition)],
                       input="".join(f"m{i}\n" for i in range(count)), text=True, timeout=60,
                       check=True)
    # Several groups, each read to the end and committed by kcat's group consumer on exit,
    # so that the restarted coordinator has more to load.
    groups = [f"{topic_name}-g{i}" for i in range(8)]
    for g in groups:
        subprocess.run(["kcat", "-b", bootstrap, "-G", g, "-X", "auto.offset.reset=earliest",
                        "-e", "-q", "-f", "", topic_name], timeout=60, check=True)
    port = bootstrap.rsplit(":", 1)[1]
    lakestream.run("broker", "stop", "--dir", broker_dir, "--timeout", 60, broker=False)
    lakestream.run("broker", "start", "--dir", broker_dir, "--port", port, "--timeout", 120,
                   broker=False, timeout=180)
    for g in groups:
        lag = json.loads(lakestream.run("topics", "lag", topic_name, "--group", g, "--json").stdout)
        assert lag == {"topic": topic_name, "group": g, "lag": 0,
                       "partitions": [{"partition": 0, "committed": 3, "end": 3, "lag": 0},
                                      {"partition": 1, "committed": 2, "end": 2, "lag": 0}]}


def test_help_has_description_and_example(lakestream):
    for sub in ("create", "list", "describe", "lag", "delete"):
        p = lakestream.run("topics", sub, "--help", broker=False)
        assert "Examples:" in p.stdout, sub
        assert f"lakestream topics {sub}" in p.stdout, sub
