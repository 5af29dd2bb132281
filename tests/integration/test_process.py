"""`lakestream process` against the real broker: the lake must equal an expectation computed
independently here (streams.expected_lake over the messages as read back with kcat)."""
import base64
import collections
import datetime
import glob
import gzip
import json
import os
import random
import signal
import socket
import subprocess
import threading
import time
import uuid

import pytest

import streams

WEEK_MESSAGES = 248194


def lake_listing(lake):
    """The lake's paths, with the bytes of its checkpoints, but for the partitions' commit
    claims (`<partition>.commits/`): a run that recovers a partition claims the next commit
    number there as its fence, a link to the same checkpoint, even when it then stops."""
    listing = []
    for path in sorted(glob.glob(os.path.join(lake, "**", "*"), recursive=True)):
        if ".commits" in path:
            continue
        checkpoint = os.sep + "_checkpoints" + os.sep in path and os.path.isfile(path)
        listing.append((path, open(path, "rb").read() if checkpoint else None))
    return listing


@pytest.fixture(scope="module")
def week(lakestream, bootstrap, source_dir):
    """The real week produced once into a 4-partition topic, and its messages as read back."""
    topic = f"week-{uuid.uuid4().hex[:8]}"
    lakestream.run("topics", "create", topic, "--partitions", 4)
    lakestream.run("produce", "--source", f"{source_dir}/data/mta/turnstile_230603.csv.gz",
                   "--topic", topic, timeout=300)
    messages = streams.kcat_read(bootstrap, topic)
    assert len(messages) == WEEK_MESSAGES
    records = [streams.parse_csv_message(v) for _, _, _, v in messages]
    return topic, records


_expected = {}


def expected_week(records, size_s, slide_s):
    """streams.expected_lake over the week, computed once per window shape."""
    if (size_s, slide_s) not in _expected:
        _expected[(size_s, slide_s)] = streams.expected_lake(records, size_s, slide_s)
    return _expected[(size_s, slide_s)]


def group():
    return f"g-{uuid.uuid4().hex[:8]}"


def process(lakestream, topic, lake, *extra, expect=0, timeout=600, g=None):
    stats = f"{lake}.stats.json"
    p = lakestream.run("process", "--topic", topic, "--group", g or group(), "--lake", lake,
                       "--trigger", "available-now", "--stats-json", stats, *extra,
                       expect=expect, timeout=timeout)
    return p, json.loads(open(stats).read())


def assert_lake(lake, expected):
    by_python = streams.read_lake_python(lake)
    assert by_python == expected
    assert streams.read_lake_duckdb(lake) == expected
    assert max(by_python.values()) == 1, "one row per group and window"
    assert streams.temp_files(lake) == []


def assert_group_caught_up(lakestream, topic, g):
    """The group's committed offsets (informational, for lag monitors) reached every end."""
    lag = json.loads(lakestream.run("topics", "lag", topic, "--group", g, "--json").stdout)
    assert [p["partition"] for p in lag["partitions"]] == [0, 1, 2, 3]
    assert [p["committed"] for p in lag["partitions"]] == [p["end"] for p in lag["partitions"]]
    assert sum(p["end"] for p in lag["partitions"]) == WEEK_MESSAGES
    assert lag["lag"] == 0


def test_tumbling_5_minutes_equals_expectation(lakestream, week, tmp_path):
    topic, records = week
    lake = str(tmp_path / "lake")
    g = group()
    p, stats = process(lakestream, topic, lake, "--duration", 5, g=g)
    assert_group_caught_up(lakestream, topic, g)
    expected = expected_week(records, 300, 300)
    assert_lake(lake, expected)
    assert (stats["records"], stats["bad"], stats["late"], stats["duplicates"]) == (WEEK_MESSAGES, 0, 0, 0)
    assert stats["rows_committed"] == sum(expected.values())
    # Every row sits in the date= folder of its window end (the DATE column).
    for path in streams.lake_files(lake):
        day = path.split("date=")[1][:10]
        for (_, _, _, _, _, _, date, _, _, _, _), n in streams.read_lake_python_file(path).items():
            assert f"{date[6:]}-{date[:2]}-{date[3:5]}" == day


def test_parquet_lake_reads_in_duckdb(lakestream, week, tmp_path):
    topic, records = week
    lake = str(tmp_path / "lake")
    process(lakestream, topic, lake, "--duration", 5, "--lake-format", "parquet")
    assert streams.lake_files(lake, ext="csv.gz") == []
    assert streams.read_lake_duckdb(lake, fmt="parquet") == expected_week(records, 300, 300)
    import duckdb
    bad = duckdb.connect().execute(
        f"select count(*) from read_parquet('{lake}/turnstile/*/*.parquet', hive_partitioning=false) "
        "where WINDOW_END - WINDOW_START != interval 5 minute "
        "or strftime(WINDOW_END, '%m/%d/%Y') != DATE or strftime(WINDOW_END, '%H:%M:%S') != TIME"
    ).fetchone()[0]
    assert bad == 0


def test_hopping_60_minutes_by_15(lakestream, week, tmp_path):
    topic, records = week
    lake = str(tmp_path / "lake")
    process(lakestream, topic, lake, "--duration", 60, "--slide", 15)
    assert_lake(lake, expected_week(records, 3600, 900))
    # Each reading is in 4 of these windows: the warehouse would count it 4 times.
    p = lakestream.run("load", "--lake", lake, "--warehouse", str(tmp_path / "w.duckdb"), expect=2, broker=False)
    assert (f"lakestream: error: lake table 'turnstile' holds hopping windows (3600 s sliding by 900 s: each "
            f"reading is in 4 windows)") in p.stderr
    assert sorted(os.listdir(f"{lake}/turnstile/_windows")) == ["3600s-900s"]


def test_week_produced_twice_gives_the_same_lake(lakestream, bootstrap, source_dir, week, tmp_path):
    _, records = week
    topic = f"twice-{uuid.uuid4().hex[:8]}"
    lakestream.run("topics", "create", topic, "--partitions", 4)
    for _ in range(2):
        lakestream.run("produce", "--source", f"{source_dir}/data/mta/turnstile_230603.csv.gz",
                       "--topic", topic, timeout=300)
    lake = str(tmp_path / "lake")
    _, stats = process(lakestream, topic, lake)
    assert_lake(lake, expected_week(records, 300, 300))
    assert stats["records"] == 2 * WEEK_MESSAGES
    # Every second copy is dropped: below the watermark (late) or, near a partition's
    # newest event time, as a duplicate of (ID, STATION, TIMESTAMP).
    assert stats["late"] + stats["duplicates"] == WEEK_MESSAGES
    assert stats["duplicates"] > 0


# Tumbling windows, and hopping ones (whose state is panes that several windows share).
@pytest.mark.parametrize("duration,slide", [(5, 5), (60, 15)])
def test_kill_9_at_random_moments(lakestream, week, tmp_path, duration, slide):
    topic, records = week
    rng = random.Random(20260603 + slide)
    max_delay = 1.5
    for attempt in range(4):
        lake = str(tmp_path / f"lake{attempt}")
        argv = [lakestream.binary, "process", "--topic", topic, "--group", group(), "--lake", lake,
                "--trigger", "available-now", "--max-records-per-trigger", "3000",
                "--duration", str(duration), "--slide", str(slide),
                "-X", f"bootstrap.servers={lakestream.bootstrap}",
                # Static membership: a restarted member gets its partitions back at once
                # instead of waiting for the killed one's session to expire.
                "-X", f"group.instance.id=killed-{attempt}"]
        checkpoints = os.path.join(lake, "_checkpoints", topic, "*")
        kills = 0
        while True:
            proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            if kills < 6:
                # Kill it while it works: after its first commit, at a random moment.
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline and proc.poll() is None and not glob.glob(checkpoints):
                    time.sleep(0.02)
                try:
                    proc.wait(timeout=rng.uniform(0.02, max_delay))
                except subprocess.TimeoutExpired:
                    proc.send_signal(signal.SIGKILL)
                    proc.communicate()
                    kills += 1
                    continue
            _, err = proc.communicate(timeout=600)
            assert proc.returncode == 0, err
            break
        if kills >= 5:
            assert_lake(lake, expected_week(records, duration * 60, slide * 60))
            return
        max_delay /= 3  # this machine processed the week too fast for the kills: again, sooner
    pytest.fail("could not kill the processor 5 times while it worked")


# group.protocol=consumer: the broker's rebalance protocol (KIP-848), where the client may set
# no session timeout, heartbeat interval or assignor (lakestream's defaults of them made the
# client refuse to start).
@pytest.mark.parametrize("protocol", [[], ["-X", "group.protocol=consumer"]], ids=["classic", "consumer"])
def test_two_processes_in_one_group(lakestream, week, tmp_path, protocol):
    topic, records = week
    lake = str(tmp_path / "lake")
    g = group()

    def start(name):
        return subprocess.Popen(
            [lakestream.binary, "process", "--topic", topic, "--group", g, "--lake", lake,
             "--trigger", "available-now", "--max-records-per-trigger", "5000",
             "--stats-json", str(tmp_path / f"{name}.json"), *protocol,
             "-X", f"bootstrap.servers={lakestream.bootstrap}"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    first = start("a")
    # The second joins midway: once the first has committed its first results.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not glob.glob(os.path.join(lake, "_checkpoints", topic, "*")):
        assert first.poll() is None, first.communicate()
        time.sleep(0.05)
    second = start("b")
    for p in (first, second):
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
    assert_lake(lake, expected_week(records, 300, 300))
    a = json.loads((tmp_path / "a.json").read_text())
    b = json.loads((tmp_path / "b.json").read_text())
    # A revoked partition is committed before it moves: nothing is read twice.
    assert a["records"] + b["records"] == WEEK_MESSAGES
    assert_group_caught_up(lakestream, topic, g)


def test_two_members_killed_at_random_moments(lakestream, week, tmp_path):
    # Two members of one group, each killed and restarted at random moments while the other
    # works: a restart comes back under its static member id (it gets its partitions back at
    # once) or as a new member (the group moves partitions between the two processes, and the
    # dead member's only after its session expires). Partitions change owners mid-commit,
    # recover from the other process's checkpoints and fence it. The lake must hold the week
    # exactly once when the survivors end. LAKESTREAM_CHAOS_KILLS and LAKESTREAM_CHAOS_SEED
    # make it a longer soak by hand.
    topic, records = week
    seed = int(os.environ.get("LAKESTREAM_CHAOS_SEED", "20261125"))
    kills_wanted = int(os.environ.get("LAKESTREAM_CHAOS_KILLS", "8"))
    rng = random.Random(seed)
    max_delay = 1.5
    for attempt in range(4):
        lake = str(tmp_path / f"lake{attempt}")
        g = group()
        kills = _kill_members_at_random(lakestream, topic, lake, g, rng, kills_wanted, max_delay, seed)
        if kills >= kills_wanted:
            # Every member ended by itself with available-now: the week is in the lake, once.
            assert_lake(lake, expected_week(records, 300, 300))
            before = lake_listing(lake)
            process(lakestream, topic, lake, g=g)
            assert lake_listing(lake) == before, "a last run found nothing left to do"
            return
        max_delay /= 3  # the members processed the week too fast for the kills: again, sooner
    pytest.fail(f"could not kill the members {kills_wanted} times while they worked (seed {seed})")


def _kill_members_at_random(lakestream, topic, lake, g, rng, kills_wanted, max_delay, seed):
    """Runs two members until they end by themselves, killing one of them at a random moment
    up to `kills_wanted` times; returns the number of kills."""
    starts = collections.Counter()

    def start(name):
        starts[name] += 1
        argv = [lakestream.binary, "process", "--topic", topic, "--group", g, "--lake", lake,
                "--trigger", "available-now", "--max-records-per-trigger", "2000",
                "-X", f"bootstrap.servers={lakestream.bootstrap}",
                "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=500"]
        if rng.random() < 0.5:
            argv += ["-X", f"group.instance.id=chaos-{name}"]
        return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    members = {"a": start("a"), "b": start("b")}
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not glob.glob(os.path.join(lake, "_checkpoints", topic, "*")):
        for p in members.values():
            assert p.poll() is None, p.communicate()
        time.sleep(0.02)
    kills = 0
    while kills < kills_wanted:
        running = [n for n, p in members.items() if p.poll() is None]
        if not running:
            break
        name = rng.choice(running)
        try:  # a random moment, or earlier if the chosen member ends by itself
            members[name].wait(timeout=rng.uniform(0.02, max_delay))
        except subprocess.TimeoutExpired:
            members[name].send_signal(signal.SIGKILL)
            members[name].communicate()
            kills += 1
            members[name] = start(name)
    for name, p in members.items():
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, f"member {name} (start {starts[name]}, seed {seed}): {err}"
    return kills


def test_a_paused_member_drops_its_work_and_the_new_owner_goes_on(lakestream, source_dir, week, tmp_path):
    # A member stopped past its group session (a stall, a starved container) and then
    # resumed holds uncommitted work of partitions the group gave to the other member. It
    # must learn that before it commits: its commit would pass the fencing check (the new
    # owner has not committed yet) and the new owner's next commit would then be refused,
    # stopping the healthy process (exit 1). Streaming members while the week is produced.
    _, records = week
    topic = f"paused-{uuid.uuid4().hex[:8]}"
    lakestream.run("topics", "create", topic, "--partitions", 4)
    lake = str(tmp_path / "lake")
    g = group()
    settings = ["-X", f"bootstrap.servers={lakestream.bootstrap}", "-X", "session.timeout.ms=6000",
                "-X", "heartbeat.interval.ms=500"]

    def member(name, *extra):
        return subprocess.Popen(
            [lakestream.binary, "process", "--topic", topic, "--group", g, "--lake", lake, *extra,
             "--stats-json", str(tmp_path / f"{name}.json"), *settings],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    paused, other = member("paused", "--trigger", "1s"), member("other", "--trigger", "1s")
    try:
        _pause_one_of_two_members(lakestream, source_dir, topic, lake, paused, other)
    finally:
        for p in (paused, other):
            if p.poll() is None:
                p.kill()
                p.communicate()
    # Counters count work and only go up: together, every record at least once.
    counted = sum(json.loads((tmp_path / f"{n}.json").read_text())["records"] for n in ("paused", "other"))
    assert counted >= WEEK_MESSAGES
    # The windows still open are flushed by a last run; the lake is then exactly the week's.
    process(lakestream, topic, lake, g=g)
    assert_lake(lake, expected_week(records, 300, 300))


def _pause_one_of_two_members(lakestream, source_dir, topic, lake, paused, other):
    producer = subprocess.Popen(
        [lakestream.binary, "produce", "--source", f"{source_dir}/data/mta/turnstile_230603.csv.gz",
         "--topic", topic, "--speed", "25000", "-X", f"bootstrap.servers={lakestream.bootstrap}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Both members have committed (each owns partitions and works) before the pause.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(streams.checkpoints(lake, topic)) < 4:
        assert paused.poll() is None and other.poll() is None
        time.sleep(0.05)
    time.sleep(2)
    paused.send_signal(signal.SIGSTOP)
    time.sleep(9)  # > session.timeout.ms: the group gives its partitions to `other`
    paused.send_signal(signal.SIGCONT)
    _, err = producer.communicate(timeout=300)
    assert producer.returncode == 0, err
    time.sleep(3)  # commits of the last records, on both members
    # The healthy member goes on. The paused one drops its work and goes on too, unless a
    # commit was in flight on its commit thread when it stopped: that one is then refused by
    # the fencing check (the new owner committed meanwhile) and the paused process exits 1,
    # losing nothing (see src/process/README.md).
    assert other.poll() is None, other.communicate()
    for p in (paused, other):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    _, err = other.communicate(timeout=60)
    assert other.returncode == 0, err
    _, err = paused.communicate(timeout=60)
    if paused.returncode == 0:
        assert "assignment lost (session expired)" in err
    else:
        assert paused.returncode == 1 and "another process owns the partition now" in err, err


def one_partition_topic(lakestream, tmp_path, prefix, values):
    """A new topic of one partition holding `values`, in order."""
    topic = f"{prefix}-{uuid.uuid4().hex[:8]}"
    lakestream.run("topics", "create", topic, "--partitions", "1")
    lines = tmp_path / f"{topic}.txt"
    lines.write_text("".join(f"k\t{v}\n" for v in values))
    streams.kcat_publish(lakestream.bootstrap, topic, str(lines))
    return topic


def start_streaming_member(lakestream, topic, g, lake):
    """A streaming member of group `g` (trigger 1 h) serving its metrics (see await_metric)."""
    p = subprocess.Popen(
        [lakestream.binary, "process", "--topic", topic, "--group", g, "--lake", lake, "--trigger", "1h",
         "--metrics-port", "0", "-X", f"bootstrap.servers={lakestream.bootstrap}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    p.metrics_url = None
    return p


def await_metric(member, name, least, failure, timeout=60):
    """Waits until the metrics page of `member` (start_streaming_member) shows `name` >= `least`."""
    if member.metrics_url is None:
        member.metrics_url = streams.metrics_url(member.stderr)
    deadline = time.monotonic() + timeout
    while streams.scrape_metrics(member.metrics_url)[0][name] < least:
        assert time.monotonic() < deadline, failure
        time.sleep(0.1)


def test_available_now_waits_for_partitions_another_member_holds(lakestream, bootstrap, tmp_path):
    # A streaming member holds a partition it has read but not committed (trigger 1 h) when
    # an available-now run joins the group. The run does its partition, then must not end
    # as if the topic were done: it waits for the other member. Stopped, that one commits
    # on its way out (its last windows still open), and the rebalance hands the partition
    # to the run, which emits them.
    topic = f"held-{uuid.uuid4().hex[:8]}"
    lakestream.run("topics", "create", topic, "--partitions", "2")
    records = []
    for p in (0, 1):
        lines = tmp_path / f"p{p}.txt"
        values = []
        for i in range(20):
            r = [f"A{p}{i:02d}", "R001", "02-00-00", "ST", "1", "BMT", "07/22/2024", "10:00:00", "REGULAR", str(i),
                 str(i), f"id{p}-{i}", f"2024-07-22 10:{3 * i:02d}:00"]
            values.append(",".join(r))
        records += [streams.parse_csv_message(v) for v in values]
        lines.write_text("\n".join(values) + "\n")
        subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", topic, "-p", str(p), "-l", str(lines)], check=True,
                       timeout=60)
    lake = str(tmp_path / "lake")
    g = group()
    streaming = start_streaming_member(lakestream, topic, g, lake)
    try:
        await_metric(streaming, "lakestream_records_total", 40, "the streaming member did not read both partitions")
        backfill = subprocess.Popen(
            [lakestream.binary, "process", "--topic", topic, "--group", g, "--lake", lake, "--trigger",
             "available-now", "-X", f"bootstrap.servers={bootstrap}"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        note = backfill.stderr.readline()  # printed once what it was given is done
        assert "not assigned to this process, not processed to the end in the lake: waiting for the group's other " \
               "members" in note, note
        assert backfill.poll() is None
    finally:
        streaming.send_signal(signal.SIGTERM)
        _, err = streaming.communicate(timeout=60)
    assert streaming.returncode == 0, err
    out, err = backfill.communicate(timeout=60)
    assert backfill.returncode == 0, err
    assert "not processed by this run" not in err
    assert_lake(lake, streams.expected_lake(records, 300, 300))


def test_available_now_waits_for_a_peer_flushing_for_longer_than_its_patience(lakestream, bootstrap, tmp_path):
    # The run waits for a partition another member works on as long as its checkpoint moves.
    # A peer at its end of input flushes in steps, each a commit at the same offset: those
    # are progress too (the run failed session.timeout.ms + 10 s after the last offset it saw
    # move, while the peer was still flushing). The peer here is a file-source job writing
    # the partition's checkpoint (--source-name: the topic), paused at each commit for
    # longer than its flush would take on a fast machine; the partition in the group is held
    # by a streaming member of another lake, so the run gets none of its own.
    topic = one_partition_topic(lakestream, tmp_path, "flush", ["x"])
    day = tmp_path / "day.csv.gz"
    with gzip.open(day, "wt") as f:  # 3,000 turnstiles all day: 7.2 M rows of windows at the end
        f.write(",C/A,UNIT,SCP,STATION,LINENAME,DIVISION,DATE,TIME,DESC,ENTRIES,EXITS\n")
        for d in range(3000):
            for h in range(0, 24, 4):
                f.write(f"0,A{d:04d},R051,02-00-00,59 ST,NQR456W,BMT,05/27/2023,{h:02d}:00:00,REGULAR,"
                        f"{1000 + h},{500 + h}\n")
    window = ["--duration", "1440", "--slide", "1"]
    lake = str(tmp_path / "lake")
    g = group()
    holder = start_streaming_member(lakestream, topic, g, str(tmp_path / "other"))
    run = peer = None
    try:
        await_metric(holder, "lakestream_assigned_partitions", 1, "the streaming member was not given the partition")
        # Patience: session.timeout.ms (6 s, the broker's least) + 10 s.
        run = subprocess.Popen(
            [lakestream.binary, "process", "--topic", topic, "--group", g, "--lake", lake, "--trigger",
             "available-now", *window, "-X", "session.timeout.ms=6000", "-X", f"bootstrap.servers={bootstrap}"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        note = run.stderr.readline()
        assert "waiting for the group's other members" in note, note
        started = time.monotonic()
        peer = subprocess.Popen(
            [lakestream.binary, "process", "--source", str(day), "--source-name", topic, "--lake", lake, *window],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        checkpoint = os.path.join(lake, "_checkpoints", topic, "0")
        seen, pauses = None, 0
        while peer.poll() is None:
            try:
                now = os.stat(checkpoint).st_ino
            except FileNotFoundError:
                now = None
            if now is not None and now != seen:  # a commit: the peer pauses 3 s (< the run's patience)
                seen = now
                peer.send_signal(signal.SIGSTOP)
                time.sleep(3)
                peer.send_signal(signal.SIGCONT)
                pauses += 1
            time.sleep(0.005)
        _, err = peer.communicate(timeout=60)
        assert peer.returncode == 0, err
        assert pauses >= 7 and time.monotonic() - started > 20, (pauses, time.monotonic() - started)
        out, err = run.communicate(timeout=60)
        assert run.returncode == 0, err
        assert "processed 0 records" in out, out
    finally:
        for p in (run, peer):
            if p is not None and p.poll() is None:
                p.kill()
                p.communicate()
        holder.send_signal(signal.SIGTERM)
        _, err = holder.communicate(timeout=60)
    assert holder.returncode == 0, err


@pytest.mark.parametrize("dead_letters", ["lake", "topic"])
def test_garbage_goes_to_dead_letters(lakestream, bootstrap, source_dir, tmp_path, dead_letters):
    dump = tmp_path / "week.tsv"
    lakestream.run("produce", "--source", f"{source_dir}/data/mta/turnstile_230603.csv.gz",
                   "--dump", dump, broker=False)
    good, garbage, lines = [], [], []
    kinds = [
        lambda f: ",".join(f[:12]),                                       # 12 fields
        lambda f: ",".join(f[:9] + ["12x"] + f[10:]),                     # bad ENTRIES
        lambda f: ",".join(f[:12] + ["2023-13-45 00:00:00"]),             # bad TIMESTAMP
        lambda f: "\"unbalanced," + ",".join(f[1:]),                      # bad quoting
    ]
    for i, line in enumerate(dump.read_text().splitlines()):
        key, value = line.split("\t", 1)
        lines.append(line)
        good.append(streams.parse_csv_message(value))
        if i % 100 == 99:
            bad = kinds[len(garbage) % len(kinds)](value.split(","))
            garbage.append(bad)
            lines.append(f"{key}\t{bad}")
    assert len(garbage) == WEEK_MESSAGES // 100
    mixed = tmp_path / "mixed.tsv"
    mixed.write_text("\n".join(lines) + "\n")
    topic = f"garbage-{uuid.uuid4().hex[:8]}"
    lakestream.run("topics", "create", topic, "--partitions", 4)
    streams.kcat_publish(bootstrap, topic, str(mixed))

    lake = str(tmp_path / "lake")
    extra = []
    if dead_letters == "topic":
        dlq = f"{topic}-dlq"
        lakestream.run("topics", "create", dlq, "--partitions", 1)
        extra = ["--dead-letter-topic", dlq]
    p, stats = process(lakestream, topic, lake, *extra)
    assert stats["bad"] == len(garbage)
    assert (stats["late"], stats["duplicates"]) == (0, 0)
    assert_lake(lake, streams.expected_lake(good, 300, 300))
    # Every bad record is in the dead-letter output with where it came from and why.
    letters = []
    if dead_letters == "lake":
        assert "dead letters under" in p.stdout
        for path in glob.glob(os.path.join(lake, "_dead_letters", topic, "date=*", "*.jsonl")):
            letters += [json.loads(l) for l in open(path)]
    else:
        assert f"dead letters in topic {dlq}" in p.stdout
        assert not os.path.exists(os.path.join(lake, "_dead_letters"))
        for _, _, key, value in streams.kcat_read(bootstrap, dlq):
            letters.append(json.loads(value))
            assert key == letters[-1]["position"]
    assert sorted(l["raw"] for l in letters) == sorted(garbage)
    on_kafka = {(p_, o): v for p_, o, _, v in streams.kcat_read(bootstrap, topic)}
    for l in letters:
        assert l["topic"] == topic
        assert on_kafka[(l["partition"], l["offset"])] == l["raw"]
        assert l["position"] == f"{topic}/{l['partition']}@{l['offset']}"
        assert l["reason"]


def test_a_record_too_big_for_a_dead_letter_does_not_stop_the_job(lakestream, bootstrap, tmp_path):
    # A dead letter holds its record twice (raw text and raw_base64): an 800 KB record Kafka
    # took made a 1.9 MB letter the producer refused, and the failed commit was then passed
    # over by the next one (the rows of the first lost). Now the letter is cut to fit, and
    # says so.
    topic = f"bigbad-{uuid.uuid4().hex[:8]}"
    dlq = f"{topic}-dlq"
    for t in (topic, dlq):
        lakestream.run("topics", "create", t, "--partitions", "1")
    good = []
    for i in range(60):
        values = [f"A{i:03d}", "R001", "02-00-00", "ST", "1", "BMT", "07/22/2024", "10:00:00", "REGULAR",
                  str(i), str(2 * i), f"id{i}", f"2024-07-22 10:{i:02d}:00"]
        good.append(",".join(values))
    big = "B" * 800_000
    for part in (good[:30], [big], good[30:]):
        lines = tmp_path / f"part{len(part)}.txt"
        lines.write_text("\n".join(part) + "\n")
        subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", topic, "-X", "message.max.bytes=2000000", "-l",
                        str(lines)], check=True, timeout=60)
    lake = str(tmp_path / "lake")
    p, stats = process(lakestream, topic, lake, "--dead-letter-topic", dlq)
    assert (stats["records"], stats["bad"]) == (61, 1)
    assert_lake(lake, streams.expected_lake([streams.parse_csv_message(v) for v in good], 300, 300))
    [(_, offset, key, value)] = streams.kcat_read(bootstrap, dlq)
    letter = json.loads(value)
    assert key == letter["position"] == f"{topic}/0@30"
    assert letter["raw"] == ""
    kept = len(base64.b64decode(letter["raw_base64"]))
    assert 600_000 < kept < 800_000
    assert letter["reason"].endswith(f"[raw left out and raw_base64 cut to fit message.max.bytes: the first {kept} "
                                     f"of 800000 bytes; the whole record is at its position in the source topic]")


def test_old_records_after_the_week_are_late(lakestream, bootstrap, source_dir, week, tmp_path):
    _, records = week
    topic = f"late-{uuid.uuid4().hex[:8]}"
    lakestream.run("topics", "create", topic, "--partitions", 4)
    lakestream.run("produce", "--source", f"{source_dir}/data/mta/turnstile_230603.csv.gz",
                   "--topic", topic, timeout=300)
    # 40 messages from the week's first day, with new IDs, keyed by their device.
    old = tmp_path / "old.tsv"
    late = []
    for r in records[:40]:
        r = dict(r, ID=str(uuid.uuid4()))
        value = ",".join(r[f] for f in streams.TURNSTILE_FIELDS)
        late.append(value)
        late_key = f"{r['CA']},{r['UNIT']},{r['SCP']}"
        old.open("a").write(f"{late_key}\t{value}\n")
    streams.kcat_publish(bootstrap, topic, str(old))
    lake = str(tmp_path / "lake")
    _, stats = process(lakestream, topic, lake, "--late-output")
    assert stats["late"] == 40
    assert_lake(lake, expected_week(records, 300, 300))
    written = []
    for path in glob.glob(os.path.join(lake, "_late", topic, "date=*", "*.jsonl")):
        written += [json.loads(l)["value"] for l in open(path)]
    assert sorted(written) == sorted(late)


def test_a_record_far_in_the_future_is_named_when_it_makes_the_rest_late(lakestream, bootstrap, week, tmp_path):
    _, records = week
    topic = f"future-{uuid.uuid4().hex[:8]}"
    lakestream.run("topics", "create", topic, "--partitions", 1)
    stamped = [dict(records[0], ID="a"), dict(records[0], ID="b", TIMESTAMP="2099-01-01 00:00:00"),
               dict(records[1], ID="c")]
    lines = tmp_path / "future.tsv"
    lines.write_text("".join("k\t" + ",".join(r[f] for f in streams.TURNSTILE_FIELDS) + "\n" for r in stamped))
    streams.kcat_publish(bootstrap, topic, str(lines))
    p, stats = process(lakestream, topic, str(tmp_path / "lake"))
    assert stats["late"] == 1
    first = records[0]["TIMESTAMP"]
    assert (f"lakestream: warning: {topic}/0@1: event time 2099-01-01 00:00:00 is "
            f"{(datetime.datetime(2099, 1, 1) - datetime.datetime.fromisoformat(first)).days} days after every "
            f"earlier record of the partition (newest {first}), and its watermark follows: records before "
            f"2098-12-31 23:55:00 are late from now on.") in p.stderr


def transactional_topic(lakestream, bootstrap):
    """A new one-partition topic of 20 records (random bytes) written in one transaction: its
    commit marker puts the end offset at 21, one past the last record's offset + 1."""
    topic = f"tx-{uuid.uuid4().hex[:8]}"
    lakestream.run("topics", "create", topic, "--partitions", "1")
    subprocess.run(["java", "-cp", os.path.join(os.environ["LAKESTREAM_KAFKA_HOME"], "libs", "*"),
                    "org.apache.kafka.tools.ProducerPerformance", "--topic", topic, "--num-records", "20",
                    "--record-size", "50", "--throughput", "-1", "--producer-props", f"bootstrap.servers={bootstrap}",
                    "--transactional-id", f"{topic}-producer", "--transaction-duration-ms", "100000"],
                   check=True, capture_output=True, timeout=120)
    # Awaited: once (a loaded CI run), kcat read the end offset as 0 right after the tool exited.
    deadline = time.monotonic() + 30
    while streams.end_offset(bootstrap, topic) != 21 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert streams.end_offset(bootstrap, topic) == 21
    return topic


def assert_committed(lakestream, topic, g, offsets):
    lag = json.loads(lakestream.run("topics", "lag", topic, "--group", g, "--json").stdout)
    assert [p["committed"] for p in lag["partitions"]] == offsets
    assert lag["lag"] == 0


@pytest.mark.parametrize("settings", [[], ["-X", "enable.partition.eof=false"]], ids=["default", "eof-off"])
def test_available_now_ends_after_a_transaction(lakestream, bootstrap, tmp_path, settings):
    # The job never reaches the end offset by records alone. The group's offset for lag
    # monitors is the end, past the marker: nothing is left to read. The end-of-partition
    # event that says so is on even where the user's settings turn it off.
    topic = transactional_topic(lakestream, bootstrap)
    lake = str(tmp_path / "lake")
    p = lakestream.run("process", "--topic", topic, "--group", f"{topic}-g", "--trigger", "available-now",
                       "--lake", lake, *settings, timeout=60)
    # Random bytes: every record is a dead letter, and the job ends.
    assert "processed 20 records" in p.stdout and "bad records 20" in p.stdout, p.stdout
    assert_committed(lakestream, topic, f"{topic}-g", [21])


def test_a_group_id_in_the_config_names_the_group_without_group(lakestream, tmp_path):
    # It was overridden by --group's default ('mta') without a word; with --group too, the
    # two must agree.
    topic = one_partition_topic(lakestream, tmp_path, "gid", ["garbage"] * 3)
    g = group()
    config = tmp_path / "client.properties"
    config.write_text(f"group.id={g}\n")
    p = lakestream.run("process", "--topic", topic, "--config", str(config), "--trigger", "available-now",
                       "--lake", str(tmp_path / "lake"), timeout=60)
    assert f"from {topic} (group {g})" in p.stdout, p.stdout
    assert_committed(lakestream, topic, g, [3])
    p = lakestream.run("process", "--topic", topic, "--group", "other", "--config", str(config), "--trigger",
                       "available-now", "--lake", str(tmp_path / "lake2"), expect=2, timeout=60)
    assert (f"{config}:1: group.id={g}, but this job joins group 'other' (--group): give one of them, --group or "
            "group.id") in p.stderr, p.stderr


def test_a_streaming_member_has_no_lag_after_a_transaction(lakestream, bootstrap, tmp_path):
    # Streaming, the commit marker is no record to wait for either: the lag on the metrics
    # page reaches 0, and so does the group's once the member stops.
    topic = transactional_topic(lakestream, bootstrap)
    g = group()
    member = start_streaming_member(lakestream, topic, g, str(tmp_path / "lake"))
    try:
        await_metric(member, "lakestream_bad_records_total", 20, "the records were not read")
        deadline = time.monotonic() + 60
        while (now := streams.scrape_metrics(member.metrics_url)[0]).get("lakestream_lag_records") != 0:
            assert time.monotonic() < deadline, f"the lag stayed {now.get('lakestream_lag_records')}"
            time.sleep(0.1)
        assert now["lakestream_partition_next_offset"] == {0: 21}
    finally:
        member.send_signal(signal.SIGTERM)
        _, err = member.communicate(timeout=60)
    assert member.returncode == 0, err
    assert_committed(lakestream, topic, g, [21])


def test_a_re_created_topic_is_not_resumed_as_the_old_one(lakestream, bootstrap, tmp_path):
    # The lake's checkpoint says "resume at offset N". A topic deleted and re-created with at
    # least N records has other records below N: resuming there would skip them silently.
    topic = f"recreate-{uuid.uuid4().hex[:8]}"

    def publish(first, count):
        lines = tmp_path / f"m{first}.tsv"
        with lines.open("w") as f:
            for i in range(first, first + count):
                values = [f"A{i:03d}", "R001", "02-00-00", "ST", "1", "BMT", "07/22/2024", "10:00:00", "REGULAR",
                          str(i), str(i), f"id{i}", f"2024-07-22 10:{i:02d}:00"]
                f.write(f"k\t{','.join(values)}\n")
        streams.kcat_publish(bootstrap, topic, str(lines))

    lakestream.run("topics", "create", topic, "--partitions", "1")
    publish(0, 30)
    lake = str(tmp_path / "lake")
    _, stats = process(lakestream, topic, lake)
    assert stats["records"] == 30
    # More records in the same topic: the last committed one is read again, checked, and
    # the job goes on from there.
    publish(30, 10)
    _, stats = process(lakestream, topic, lake)
    assert stats["records"] == 10
    before = lake_listing(lake)

    def recreate(count):
        lakestream.run("topics", "delete", topic)
        deadline = time.monotonic() + 60
        while lakestream.run("topics", "create", topic, "--partitions", "1", expect=None).returncode != 0:
            assert time.monotonic() < deadline, "the deleted topic could not be created again within 60 s"
            time.sleep(0.5)  # the broker deletes the old topic in the background
        publish(0, count)

    recreate(40)  # the same values, published again: other record timestamps
    p = lakestream.run("process", "--topic", topic, "--group", group(), "--lake", lake, "--trigger", "available-now",
                       expect=1, timeout=120)
    assert (f"{topic}/0: the record at offset 39 is not the one the lake's checkpoint last processed there"
            in p.stderr), p.stderr
    assert f"move the partition's checkpoint ('{lake}/_checkpoints/{topic}/0' and" in p.stderr
    assert f"and its lake files away: part-{topic}-p0-* in the date= folders of its table" in p.stderr
    assert lake_listing(lake) == before

    # One record short of the checkpoint's offset: the seek lands at the end, without an error.
    recreate(39)
    p = lakestream.run("process", "--topic", topic, "--group", group(), "--lake", lake, "--trigger", "available-now",
                       expect=1, timeout=120)
    assert f"{topic}/0: the lake's checkpoint is at offset 40, but the partition ends at 39" in p.stderr, p.stderr
    assert lake_listing(lake) == before


def test_a_topic_re_created_while_the_job_runs_stops_it_before_a_commit(lakestream, bootstrap, tmp_path):
    # librdkafka goes on fetching a re-created topic at the old topic's offsets: the new
    # topic's records below them were skipped without a word, and the ones past them
    # committed (found by review: 30 records processed, the topic deleted, created again and
    # given 40; the job committed the last 10). Each commit now checks the topic's id first.
    topic = f"recreated-live-{uuid.uuid4().hex[:8]}"

    def publish(count, tag):
        lines = tmp_path / f"{tag}.tsv"
        with lines.open("w") as f:
            for i in range(count):
                values = [f"A{i:03d}", "R001", "02-00-00", "ST", "1", "BMT", "07/22/2024", "10:00:00", "REGULAR",
                          str(i), str(i), f"{tag}{i}", f"2024-07-22 10:{i:02d}:00"]
                f.write(f"k\t{','.join(values)}\n")
        streams.kcat_publish(bootstrap, topic, str(lines))

    lakestream.run("topics", "create", topic, "--partitions", "1")
    publish(30, "old")
    lake = str(tmp_path / "lake")
    member = subprocess.Popen(
        [lakestream.binary, "process", "--topic", topic, "--group", group(), "--lake", lake, "--trigger", "1s",
         "--metrics-port", "0", "-X", f"bootstrap.servers={bootstrap}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    member.metrics_url = None
    try:
        await_metric(member, "lakestream_records_total", 30, "the job did not read the first 30 records")
        committed = streams.scrape_metrics(member.metrics_url)[0]["lakestream_commits_total"]
        await_metric(member, "lakestream_commits_total", committed + 1, "the job did not commit the 30 records")
        before = lake_listing(lake)
        lakestream.run("topics", "delete", topic)
        deadline = time.monotonic() + 60
        while lakestream.run("topics", "create", topic, "--partitions", "1", expect=None).returncode != 0:
            assert time.monotonic() < deadline, "the deleted topic could not be created again within 60 s"
            time.sleep(0.5)  # the broker deletes the old topic in the background
        publish(40, "new")
        _, err = member.communicate(timeout=120)
    finally:
        if member.poll() is None:
            member.kill()
            member.wait()
    assert member.returncode == 1, err
    # Stopped by the check before a commit, or (when a fetch came before the new records) by
    # the offset the new topic did not have yet: never a commit of the new topic's records.
    assert (f"{topic}/0: topic '{topic}' was deleted and created again while the job ran" in err
            or "not in the topic any more" in err), err
    assert lake_listing(lake) == before


def test_a_partition_new_to_the_lake_is_not_processed_by_another_job(lakestream, bootstrap, tmp_path):
    # A lake's checkpoints refuse a job with other settings (here --duration), but each only
    # for its own partition: a partition without one (added to the topic, or empty until
    # now) was processed, its 10-minute windows committed beside the 5-minute ones.
    topic = f"newpart-{uuid.uuid4().hex[:8]}"
    lakestream.run("topics", "create", topic, "--partitions", "2")
    records = []
    for p in (0, 1):
        values = [",".join([f"A{p}{i:02d}", "R001", "02-00-00", "ST", "1", "BMT", "07/22/2024", "10:00:00", "REGULAR",
                            str(i), str(i), f"id{p}-{i}", f"2024-07-22 10:{2 * i:02d}:00"]) for i in range(20)]
        records.append([streams.parse_csv_message(v) for v in values])
        (tmp_path / f"p{p}.txt").write_text("".join(v + "\n" for v in values))

    def publish(p):
        subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", topic, "-p", str(p), "-l", str(tmp_path / f"p{p}.txt")],
                       check=True, timeout=60)

    publish(0)
    lake = str(tmp_path / "lake")
    g = group()
    process(lakestream, topic, lake, g=g)
    publish(1)
    before = lake_listing(lake)
    p = lakestream.run("process", "--topic", topic, "--group", g, "--lake", lake, "--trigger", "available-now",
                       "--duration", "10", expect=2)
    # Partition 0's refusal is the error shown; partition 1's (the unit test
    # APartitionNewToTheLakeIsRefusedToAnotherJob has its message) keeps it out of the lake.
    assert ("checkpoint: written by a different pipeline spec than 'mta-turnstile' (its window, schema, keys or output "
            f"changed) ({lake}/_checkpoints/{topic}/0). If the pipeline changed on purpose, process into a new --lake"
            in p.stderr), p.stderr
    assert lake_listing(lake) == before
    # The lake's own job goes on with the partition.
    process(lakestream, topic, lake, g=g)
    assert_lake(lake, streams.expected_lake(records[0] + records[1], 300, 300))


def test_file_source_gives_the_same_lake(lakestream, week, source_dir, tmp_path):
    _, records = week
    lake = str(tmp_path / "lake")
    p = lakestream.run("process", "--source", f"{source_dir}/data/mta/turnstile_230603.csv.gz",
                       "--lake", lake, "--trigger", "available-now", broker=False, timeout=600)
    assert "processed 248,194 records" in p.stdout
    assert_lake(lake, expected_week(records, 300, 300))
    # Run again: resumes from its checkpoint, adds nothing.
    before = sorted(streams.lake_files(lake))
    lakestream.run("process", "--source", f"{source_dir}/data/mta/turnstile_230603.csv.gz",
                   "--lake", lake, "--trigger", "available-now", broker=False, timeout=600)
    assert sorted(streams.lake_files(lake)) == before
    # Another file under the same source name, or the same file into another table, would
    # resume from offsets that are not its own (skipping records): refused, nothing written.
    p = lakestream.run("process", "--source", f"{source_dir}/data/mta/turnstile_150627_subset.csv",
                       "--lake", lake, "--trigger", "available-now", broker=False, expect=2)
    assert ("counts the records of files turnstile_230603.csv.gz (" in p.stderr
            and "this job reads files turnstile_150627_subset.csv (" in p.stderr), p.stderr
    p = lakestream.run("process", "--source", f"{source_dir}/data/mta/turnstile_230603.csv.gz",
                       "--lake", lake, "--table", "again", "--trigger", "available-now", broker=False, expect=2)
    assert "belongs to a job writing turnstile (csv.gz)" in p.stderr and "this job writes again (csv.gz)" in p.stderr
    assert sorted(streams.lake_files(lake)) == before
    lakestream.run("process", "--source", f"{source_dir}/data/mta/turnstile_150627_subset.csv",
                   "--source-name", "subset", "--lake", lake, "--trigger", "available-now", broker=False)
    assert len(streams.lake_files(lake)) > len(before)


def checkpointed_records(lake, topic):
    """The next offsets of the topic's partition checkpoints, added up (from offset 0: the
    records read and committed)."""
    return sum(body["next_offset"] for body in streams.checkpoints(lake, topic).values())


def test_sigterm_commits_and_exits_0(lakestream, week, tmp_path):
    topic, _ = week
    lake = str(tmp_path / "lake")
    stats = tmp_path / "stats.json"
    proc = subprocess.Popen(
        [lakestream.binary, "process", "--topic", topic, "--group", group(), "--lake", lake,
         "--trigger", "1h", "--stats-json", str(stats), "-X", f"bootstrap.servers={lakestream.bootstrap}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Streaming with a 1 h trigger: only the memory bound commits before the stop. Let it
    # work a few seconds (there is nothing to observe before the stop).
    with pytest.raises(subprocess.TimeoutExpired):
        proc.wait(timeout=4)
    start = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert time.monotonic() - start < 15
    s = json.loads(stats.read_text())
    assert s["records"] > 0 and s["interrupted"] is True
    # Every record it read is reflected in a checkpoint: the next offsets add up.
    assert checkpointed_records(lake, topic) == s["records"]
    assert streams.lake_files(lake), "closed windows were committed on the way out"


METRICS_GROUP = f"metrics-{uuid.uuid4().hex[:8]}"


def test_metrics_endpoint_follows_the_job(lakestream, week, tmp_path):
    topic, records = week
    stats = tmp_path / "stats.json"
    proc = subprocess.Popen(
        [lakestream.binary, "process", "--topic", topic, "--group", METRICS_GROUP, "--lake", str(tmp_path / "lake"),
         "--trigger", "1s", "--metrics-port", "0", "--stats-json", str(stats),
         "-X", f"bootstrap.servers={lakestream.bootstrap}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = streams.metrics_url(proc.stderr)  # printed before the job starts
        # Await the whole week read and committed (the 1 s trigger commits closed windows).
        deadline = time.monotonic() + 120
        while True:
            now, labels = streams.scrape_metrics(url)
            assert labels == f'group="{METRICS_GROUP}",pipeline="mta-turnstile"'
            if now["lakestream_records_total"] == len(records) and now.get("lakestream_lag_records") == 0 \
                    and now["lakestream_commits_total"] >= 4:
                break
            assert time.monotonic() < deadline, now
            time.sleep(0.2)
        assert now["lakestream_assigned_partitions"] == 4
        # Per partition: all caught up, and the next offsets add up to the week.
        assert now["lakestream_partition_lag_records"] == {0: 0, 1: 0, 2: 0, 3: 0}
        assert sum(now["lakestream_partition_next_offset"].values()) == len(records)
        assert len(now["lakestream_partition_watermark_seconds"]) == 4
        # Streaming, each partition holds its last windows open; its dedup keys and groups.
        for state in ("open_windows", "open_cells", "groups", "dedup_keys"):
            assert len(now[f"lakestream_partition_{state}"]) == 4 and min(now[f"lakestream_partition_{state}"].values()) > 0
        for zero in ("bad_records", "late_records", "duplicate_records", "skipped_rows"):
            assert now[f"lakestream_{zero}_total"] == 0
        assert now["lakestream_rows_committed_total"] > 0
        assert now["lakestream_watermark_max_seconds"] >= now["lakestream_watermark_min_seconds"] > 1685000000
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    s = json.loads(stats.read_text())
    assert s["records"] == now["lakestream_records_total"]
    assert s["windows_emitted"] >= now["lakestream_windows_emitted_total"]


def test_metrics_lag_of_a_partition_with_only_deleted_records_is_0(lakestream, bootstrap, tmp_path):
    # Records deleted (retention, kafka-delete-records) from a partition nothing has read:
    # its next record to process is at its first offset, not at 0 (the lag showed the
    # deleted records, for as long as no new one came).
    topic = one_partition_topic(lakestream, tmp_path, "deleted", ["a", "b", "c"])
    offsets = tmp_path / "delete.json"
    offsets.write_text(json.dumps({"partitions": [{"topic": topic, "partition": 0, "offset": 3}], "version": 1}))
    subprocess.run(["java", "-cp", os.path.join(os.environ["LAKESTREAM_KAFKA_HOME"], "libs", "*"),
                    "org.apache.kafka.tools.DeleteRecordsCommand", "--bootstrap-server", bootstrap,
                    "--offset-json-file", str(offsets)], check=True, capture_output=True, timeout=120)
    member = start_streaming_member(lakestream, topic, group(), str(tmp_path / "lake"))
    try:
        await_metric(member, "lakestream_assigned_partitions", 1, "the partition was not assigned")
        deadline = time.monotonic() + 60
        while "lakestream_lag_records" not in (now := streams.scrape_metrics(member.metrics_url)[0]):
            assert time.monotonic() < deadline, "the lag stayed unknown"
            time.sleep(0.1)
        assert now["lakestream_lag_records"] == 0
        assert now["lakestream_partition_lag_records"] == {0: 0}
        assert now["lakestream_partition_next_offset"] == {0: 3}
    finally:
        member.send_signal(signal.SIGTERM)
        _, err = member.communicate(timeout=60)
    assert member.returncode == 0, err


class Terminal:
    """A pseudo-terminal for a command's stderr, as an engineer's shell gives it (a progress
    line is drawn only there); what the command wrote is collected in `text`."""

    def __init__(self):
        self.master, self.slave = os.openpty()
        self.text = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        while True:
            try:
                data = os.read(self.master, 4096)
            except OSError:  # EIO: every writer has closed the terminal
                return
            if not data:
                return
            self.text += data.decode(errors="replace")

    def await_text(self, needle, failure, timeout=60):
        deadline = time.monotonic() + timeout
        while needle not in self.text:
            assert time.monotonic() < deadline, f"{failure}\n{self.text!r}"
            time.sleep(0.05)

    def close(self):
        os.close(self.slave)
        self._reader.join(timeout=10)
        os.close(self.master)


def test_a_warning_on_a_terminal_starts_on_a_line_of_its_own(lakestream, tmp_path):
    # On a terminal `process` redraws a progress line in place, without a line feed. A
    # warning written then continued that line: "... files 0lakestream: warning: ...".
    # Now the progress line is erased first, and drawn again after the warning.
    device = "A002,R051,02-00-00,LEXINGTON AVE,NQR456,BMT,06/20/2015,00:00:00,REGULAR,5,1"
    topic = one_partition_topic(lakestream, tmp_path, "tty", [f"{device},id1,2015-06-20 00:00:00"])
    terminal = Terminal()
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["TERM"] = "xterm"
    proc = subprocess.Popen(
        [lakestream.binary, "process", "--topic", topic, "--group", group(), "--lake", str(tmp_path / "lake"),
         "--trigger", "1s", "-X", f"bootstrap.servers={lakestream.bootstrap}"],
        stdout=subprocess.PIPE, stderr=terminal.slave, text=True, env=env)
    try:
        terminal.await_text("[process] 1 rec", "no progress line on the terminal")
        # Four years later: the warning about a jump in event time.
        lines = tmp_path / "jump.txt"
        lines.write_text(f"k\t{device},id2,2019-06-20 00:00:00\n")
        streams.kcat_publish(lakestream.bootstrap, topic, str(lines))
        terminal.await_text("lakestream: warning:", "no warning about the jump")
        terminal.await_text("[process] 2 rec", "no progress line after the warning")
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
        terminal.close()
    assert proc.returncode == 0
    assert out.startswith("processed 2 records from ")
    before, warning = terminal.text.split("lakestream: warning:", 1)
    assert before.endswith("\r\x1b[K") and "[process] 1 rec" in before, terminal.text
    assert warning.startswith(f" {topic}/0@1: event time 2019-06-20 00:00:00 is 1461 days after every earlier "
                              "record of the partition"), terminal.text
    # The warning's line ends; the progress line is drawn again below it.
    assert "\n\r\x1b[K[process] 2 rec" in warning.replace("\r\n", "\n"), terminal.text


def free_ports(n):
    """`n` distinct ports the system says are free now (all bound at once, then released)."""
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def test_sigterm_while_waiting_for_the_broker_exits_0_within_seconds(lakestream, tmp_path):
    # No broker at that address: the job waits up to --connect-timeout (here 60 s) for one,
    # and a stop ends the wait.
    (nobody,) = free_ports(1)
    proc = subprocess.Popen(
        [lakestream.binary, "process", "--lake", str(tmp_path / "lake"), "--connect-timeout", "60",
         "-X", f"bootstrap.servers=127.0.0.1:{nobody}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with pytest.raises(subprocess.TimeoutExpired):
        proc.wait(timeout=1)
    start = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    elapsed = time.monotonic() - start
    assert proc.returncode == 0, err
    assert elapsed < 10, f"the stop took {elapsed:.1f} s\n{err}"
    assert "processed 0 records" in out


def test_sigterm_with_the_broker_gone_exits_0_within_seconds(lakestream, source_dir, tmp_path):
    # A broker of its own, stopped under a running job: the stop still checkpoints
    # everything read and exits 0 soon (the group's last offsets, informational, are
    # dropped; librdkafka's close, and even its destroy, could wait ~10 s for a coordinator
    # to take a commit sent after the broker went: 1 stop in 3 under asan).
    # Two ports the system says are free now (a fixed pair can be some connection's local
    # port: this machine's ephemeral range starts at 32768).
    port, controller_port = free_ports(2)
    broker_dir = str(tmp_path / "broker")  # a new one each run
    lakestream.run("broker", "start", "--dir", broker_dir, "--port", port, "--controller-port", controller_port,
                   broker=False, timeout=180)
    try:
        bootstrap = f"127.0.0.1:{port}"
        topic = f"gone-{uuid.uuid4().hex[:8]}"
        lakestream.run("topics", "create", topic, "--partitions", 4, "-X", f"bootstrap.servers={bootstrap}",
                       broker=False)
        lakestream.run("produce", "--source", f"{source_dir}/data/mta/turnstile_230603.csv.gz", "--topic", topic,
                       "-X", f"bootstrap.servers={bootstrap}", broker=False, timeout=300)
        lake = str(tmp_path / "lake")
        stats = tmp_path / "stats.json"
        proc = subprocess.Popen(
            [lakestream.binary, "process", "--topic", topic, "--group", group(), "--lake", lake, "--trigger", "1h",
             "--stats-json", str(stats), "-X", f"bootstrap.servers={bootstrap}"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # A 1 h trigger: what it reads is committed only by the stop. Let it read a while.
        with pytest.raises(subprocess.TimeoutExpired):
            proc.wait(timeout=6)
    finally:
        lakestream.run("broker", "stop", "--dir", broker_dir, broker=False, timeout=120)
    start = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    elapsed = time.monotonic() - start
    assert proc.returncode == 0, err
    assert elapsed < 5, f"the stop took {elapsed:.1f} s\n{err}"
    assert "no broker answered at the stop" in err
    s = json.loads(stats.read_text())
    assert s["records"] > 0 and s["interrupted"] is True
    assert checkpointed_records(lake, topic) == s["records"]


def private_ports(n):
    """`n` distinct ports free now, below the kernel's ephemeral range (32768-60999 here): a
    broker restarted on a port inside it can find it taken as a connection's local port (its
    own clients reconnect to it meanwhile). Not the bench broker's 29092/29093 (nor the test
    broker's 19092/19093): one may start there while this test's broker is stopped."""
    rng = random.SystemRandom()
    candidates = [p for p in range(20000, 32000) if p not in (29092, 29093)]
    while True:
        ports = rng.sample(candidates, n)
        sockets = [socket.socket() for _ in ports]
        try:
            for s, port in zip(sockets, ports):
                s.bind(("127.0.0.1", port))
            return ports
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()


class StderrLines:
    """A running process's stderr, read by a thread as it comes: (monotonic time, line)."""

    def __init__(self, stream):
        self.lines = []
        self._thread = threading.Thread(target=lambda: self.lines.extend((time.monotonic(), l) for l in stream),
                                        daemon=True)
        self._thread.start()

    def first(self, text):
        """The time of the first line holding `text` so far, or None."""
        return next((t for t, line in list(self.lines) if text in line), None)

    def text(self):
        """All of it, once the process has ended."""
        self._thread.join(timeout=10)
        return "".join(line for _, line in self.lines)


def test_available_now_waits_out_a_broker_outage(lakestream, source_dir, week, tmp_path):
    # A broker of its own, stopped under two available-now runs (each its own group and lake)
    # until both lose their partitions (their group sessions end), then started again. A run
    # waits while the cluster does not answer, for up to --connect-timeout of outage, past the
    # wait it gives other members without progress (session.timeout.ms + 10 s), and finishes
    # the exact lake once the cluster hands its partitions back. The other, with a 2 s
    # --connect-timeout, fails (exit 1) naming the outage and the client's last error; its
    # lake is then resumed to the same lake.
    _, records = week
    port, controller_port = private_ports(2)  # restarted on the same ports: below the ephemeral range
    broker_dir = str(tmp_path / "broker")  # a new one each run
    bootstrap = f"127.0.0.1:{port}"

    def broker(action):
        ports = ["--port", port, "--controller-port", controller_port] if action == "start" else []
        lakestream.run("broker", action, "--dir", broker_dir, *ports, broker=False, timeout=180)

    session_s = 6  # the broker's least (group.min.session.timeout.ms): the shortest outage that loses them
    patience = session_s + 10
    runs = {}
    broker("start")
    try:
        topic = f"outage-{uuid.uuid4().hex[:8]}"
        lakestream.run("topics", "create", topic, "--partitions", 4, "-X", f"bootstrap.servers={bootstrap}",
                       broker=False)
        lakestream.run("produce", "--source", f"{source_dir}/data/mta/turnstile_230603.csv.gz", "--topic", topic,
                       "-X", f"bootstrap.servers={bootstrap}", broker=False, timeout=300)
        # A first group query creates the group coordinator's topic (~1 s): the runs then
        # join at once, and are held at about the same time.
        lakestream.run("topics", "lag", topic, "--group", group(), "-X", f"bootstrap.servers={bootstrap}",
                       broker=False)
        for name, connect_timeout in (("waits", 60), ("fails", 2)):
            with open(tmp_path / f"{name}.out", "w") as out:
                proc = subprocess.Popen(
                    [lakestream.binary, "process", "--topic", topic, "--group", group(), "--lake",
                     str(tmp_path / name), "--trigger", "available-now", "--connect-timeout", str(connect_timeout),
                     "--max-records-per-trigger", "2000", "--stats-json", str(tmp_path / f"{name}.json"),
                     "-X", f"bootstrap.servers={bootstrap}", "-X", f"session.timeout.ms={session_s * 1000}",
                     "-X", "heartbeat.interval.ms=500",
                     # Paced, whatever this machine's speed: a fetch waits 50 ms on the broker (for
                     # more bytes than the topic holds) and brings one record batch (~6,400 of the
                     # week's ~39), with little fetched ahead; a checkpoint every batch.
                     "-X", "fetch.wait.max.ms=50", "-X", "fetch.min.bytes=100000000",
                     "-X", "max.partition.fetch.bytes=65536", "-X", "queued.min.messages=1000",
                     "-X", "queued.max.messages.kbytes=256"],
                    stdout=out, stderr=subprocess.PIPE, text=True)
            runs[name] = (proc, StderrLines(proc.stderr))
        # Mid-run: each run is held (SIGSTOP) once its first checkpoint is in its lake, until
        # the broker has stopped (well within the group session): the outage lands before the
        # run's end however the stop and this loop are scheduled.
        held = {}
        deadline = time.monotonic() + 60
        while len(held) < len(runs):
            for name, (proc, lines) in runs.items():
                assert proc.poll() is None, f"{name} exited before its first checkpoint\n{lines.text()}"
                if name not in held and streams.checkpoints(str(tmp_path / name), topic):
                    proc.send_signal(signal.SIGSTOP)
                    held[name] = time.monotonic()
            assert time.monotonic() < deadline, "no checkpoint within 60 s"
            time.sleep(0.01)
        broker("stop")
        for proc, _ in runs.values():
            proc.send_signal(signal.SIGCONT)
        # A run held longer than its group session would take it for a stall of its own.
        assert time.monotonic() - min(held.values()) < session_s - 1, held
        # Both lose their partitions when their session ends, and wait for them.
        note = "not assigned to this process, not processed to the end in the lake: waiting for the group's other"
        deadline = time.monotonic() + 60
        while not all(lines.first(note) for _, lines in runs.values()):
            for name, (proc, lines) in runs.items():
                assert proc.poll() is None, f"{name} exited during the outage\n{lines.text()}"
            assert time.monotonic() < deadline, "the runs did not wait for their lost partitions within 60 s"
            time.sleep(0.05)
        for name in runs:
            assert checkpointed_records(str(tmp_path / name), topic) < WEEK_MESSAGES
        # Past 2 s of outage, the wait without progress runs out: exit 1, naming the outage.
        proc, lines = runs["fails"]
        assert proc.wait(timeout=60) == 1, lines.text()
        err = lines.text()
        assert f"{topic}/0: assignment lost (session expired)" in err, err
        parts = ", ".join(f"{topic}/{p}" for p in range(4))
        head = f"lakestream: error: {parts}: not processed to the end by this run: the cluster did not answer for "
        assert head in err, err
        seconds, rest = err.split(head, 1)[1].split(" s while it waited for them (last error: ", 1)
        assert int(seconds) >= patience, err
        last_error, rest = rest.split("; --connect-timeout sets how long an outage is waited out). ", 1)
        assert f"Connect to ipv4#127.0.0.1:{port} failed: Connection refused" in last_error, err
        assert rest.startswith("When the cluster answers again, run again: it resumes from the lake's checkpoints"), err
        # The other waits on, past the wait it gives other members without progress (where
        # the first gave up).
        waiting_since = runs["waits"][1].first(note)
        while time.monotonic() < waiting_since + patience + 3:
            assert runs["waits"][0].poll() is None, runs["waits"][1].text()
            time.sleep(0.1)
        broker("start")
        # Meanwhile (the other rejoins its group, ~session.timeout.ms): the failed run's lake
        # is resumed by a run of its own, to the exact lake.
        expected = expected_week(records, 300, 300)
        lakestream.run("process", "--topic", topic, "--group", group(), "--lake", str(tmp_path / "fails"),
                       "--trigger", "available-now", "-X", f"bootstrap.servers={bootstrap}", broker=False)
        assert_lake(str(tmp_path / "fails"), expected)
        proc, lines = runs["waits"]
        assert proc.wait(timeout=120) == 0, lines.text()
        err = lines.text()
        assert f"{topic}/0: assignment lost (session expired)" in err and "lakestream: error" not in err, err
        assert_lake(str(tmp_path / "waits"), expected)
        stats = json.loads((tmp_path / "waits.json").read_text())
        # Counted as work: the records a lost assignment dropped uncommitted, read again.
        assert stats["records"] == WEEK_MESSAGES + stats["records_dropped"]
        assert (stats["bad"], stats["late"], stats["duplicates"]) == (0, 0, 0)
        assert stats["rows_committed"] == sum(expected.values())
    finally:
        for proc, _ in runs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGCONT)
                proc.kill()
                proc.wait()
        broker("stop")


def test_seed_wire_format_gives_the_same_lake(lakestream, source_dir, week, tmp_path):
    _, records = week
    topic = f"seed-{uuid.uuid4().hex[:8]}"
    lakestream.run("topics", "create", topic, "--partitions", 4)
    lakestream.run("produce", "--source", f"{source_dir}/data/mta/turnstile_230603.csv.gz",
                   "--topic", topic, "--format", "seed", timeout=300)
    lake = str(tmp_path / "lake")
    _, stats = process(lakestream, topic, lake, "--format", "seed")
    assert stats["bad"] == 0
    assert_lake(lake, expected_week(records, 300, 300))


def test_taxi_pipeline(lakestream, bootstrap, source_dir, tmp_path):
    """pipelines/taxi-rides.yaml: rides per pickup zone in 10-minute windows sliding by 5,
    with the sum of total_amount, against an expectation computed here from the topic."""
    import collections
    import datetime
    import duckdb
    topic = f"rides-{uuid.uuid4().hex[:8]}"
    lakestream.run("topics", "create", topic, "--partitions", 2)
    lakestream.run("produce", "--source", f"rides:{source_dir}/data/taxi/rides.csv", "--topic", topic)
    rides = [json.loads(v) for _, _, _, v in streams.kcat_read(bootstrap, topic)]
    assert len(rides) == 266
    want = collections.defaultdict(lambda: [0, 0.0])
    for r in rides:
        t = int(datetime.datetime.strptime(r["tpep_pickup_datetime"], "%Y-%m-%d %H:%M:%S")
                .replace(tzinfo=datetime.timezone.utc).timestamp())
        start = t // 300 * 300
        while start + 600 > t:
            key = (r["PULocationID"], start)
            want[key][0] += 1
            want[key][1] += r["total_amount"]
            start -= 300

    def check(got):  # rows of (zone, window start, window size, rides, total_amount)
        assert len(got) == len(want)
        for zone, start, size, n, amount in got:
            assert size == 600
            assert want[(zone, start)][0] == n
            assert abs(want[(zone, start)][1] - amount) < 1e-6

    lake = str(tmp_path / "lake")
    _, stats = process(lakestream, topic, lake, "--pipeline", f"{source_dir}/pipelines/taxi-rides.yaml",
                       "--lake-format", "parquet")
    assert stats["records"] == 266 and stats["bad"] == 0 and stats["late"] == 0
    got = duckdb.connect().execute(
        f"select PULocationID, epoch(window_start)::bigint, epoch(window_end - window_start)::bigint, "
        f"rides, total_amount from read_parquet('{lake}/taxi-rides/*/*.parquet', hive_partitioning=false)"
    ).fetchall()
    check(got)

    # The same pipeline over the file itself into the default CSV.gz lake: the window
    # bounds it asks for are CSV columns too (only the turnstile layout leaves them out).
    csv_lake = str(tmp_path / "csv_lake")
    lakestream.run("process", "--pipeline", f"{source_dir}/pipelines/taxi-rides.yaml",
                   "--source", f"rides:{source_dir}/data/taxi/rides.csv", "--lake", csv_lake, broker=False)
    got = duckdb.connect().execute(
        f"select PULocationID, epoch(window_start::timestamp)::bigint, "
        f"epoch(window_end::timestamp - window_start::timestamp)::bigint, rides, total_amount "
        f"from read_csv('{csv_lake}/taxi-rides/*/*.csv.gz', header=true, hive_partitioning=false)"
    ).fetchall()
    check(got)


DIFF_PIPELINE = """version: 1
name: diff
format: json
schema:
  - {name: dev, type: string}
  - {name: zone, type: int64}
  - {name: ts, type: timestamp}
  - {name: ts2, type: timestamp, format: "YYYY-MM-DDTHH:MM:SS"}
  - {name: i, type: int64}
  - {name: d, type: double}
  - {name: id, type: string}
event_time: {field: ts}
dedup_key: [id, ts]
window: {size: 10m, slide: 4m}
watermark_delay: 7m
group_by: [dev, zone]
aggregates:
  - {name: n, function: count}
  - {name: n_i, function: count, field: i}
  - {name: s_i, function: sum, field: i}
  - {name: mn_i, function: min, field: i}
  - {name: a_i, function: avg, field: i}
  - {name: s_d, function: sum, field: d}
  - {name: mx_d, function: max, field: d}
  - {name: a_d, function: avg, field: d}
  - {name: mx_t, function: max, field: ts2}
output:
  - {name: dev, from: dev}
  - {name: zone, from: zone}
  - {name: ws, from: window_start}
  - {name: we, from: window_end}
  - {name: day, from: window_end, format: MM/DD/YYYY}
  - {name: n, from: n}
  - {name: n_i, from: n_i}
  - {name: s_i, from: s_i}
  - {name: mn_i, from: mn_i}
  - {name: a_i, from: a_i}
  - {name: s_d, from: s_d}
  - {name: mx_d, from: mx_d}
  - {name: a_d, from: a_d}
  - {name: mx_t, from: mx_t}
"""


@pytest.mark.parametrize("lake_format", ["csv", "parquet"])
def test_a_pipeline_file_equals_duckdb_sql(lakestream, bootstrap, tmp_path, lake_format):
    """A general pipeline (hopping windows whose size is no multiple of the slide, NULLs,
    group values with commas, quotes, newlines and emoji, int64 extremes, duplicates inside
    and outside the dedup horizon, late records, event times on window bounds) over one
    partition, against the same query in DuckDB SQL over the records that are neither late
    nor duplicates (a sequential scan of the partition decides those, as the watermark does)."""
    import duckdb
    rnd = random.Random(20261125)
    top = 2 ** 63 - 1
    base = 1_700_000_000 // 3600 * 3600
    records, t = [], base
    for k in range(1500):
        r = rnd.random()
        if r < 0.05:
            et = t - rnd.randint(420, 3000)  # most below the watermark
        elif r < 0.25:
            et = min(t, t // 240 * 240 - rnd.choice([0, 240, 600]))  # on a window bound
        else:
            et = t - rnd.randint(0, 420)
            t += rnd.randint(0, 30)
        rec = {"dev": rnd.choice(["a,b", 'q"u"o', "new\nline", "ü😀", "", "NULL", None]),
               "zone": rnd.choice([0, -7, top, -top - 1, None]), "ts": et,
               "ts2": rnd.choice([None, et + rnd.randint(-10 ** 6, 10 ** 6)]),
               "i": rnd.choice([None, top, -top - 1, rnd.randint(-1000, 1000)]),
               # Dyadic values: their sums are exact in any order (hopping windows add panes).
               "d": rnd.choice([None, 0.125, -2.5, rnd.randint(-10 ** 9, 10 ** 9) / 1024]),
               "id": str(rnd.randint(0, 300))}
        if rnd.random() < 0.1 and records:
            prev = rnd.choice(records[-200:])
            rec["id"], rec["ts"] = prev["id"], prev["ts"]
        records.append(rec)

    def stamp(s, sep=" "):
        return datetime.datetime.fromtimestamp(s, datetime.timezone.utc).strftime(f"%Y-%m-%d{sep}%H:%M:%S")

    messages = [json.dumps({**r, "ts": stamp(r["ts"]), "ts2": None if r["ts2"] is None else stamp(r["ts2"], "T")})
                for r in records]
    # Late and duplicate records, as the partition's watermark (newest event time - 7m) decides.
    newest, first_seen, accepted, late, duplicates = None, {}, [], 0, 0
    for r in records:
        if newest is not None and r["ts"] < newest - 420:
            late += 1
            continue
        newest = r["ts"] if newest is None else max(newest, r["ts"])
        key = (r["id"], r["ts"])
        if first_seen.get(key, -2 ** 63) >= newest - 420:
            duplicates += 1
            continue
        first_seen[key] = r["ts"]
        accepted.append(r)
    assert late > 50 and duplicates > 10

    topic = f"diff-{uuid.uuid4().hex[:8]}"
    lakestream.run("topics", "create", topic, "--partitions", 1)
    (tmp_path / "msgs").write_text("\x1e".join(messages))
    subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", topic, "-D", "\\x1e", "-X", "enable.idempotence=true",
                    "-l", str(tmp_path / "msgs")], check=True, timeout=120)
    (tmp_path / "diff.yaml").write_text(DIFF_PIPELINE)
    lake = str(tmp_path / "lake")
    _, stats = process(lakestream, topic, lake, "--pipeline", tmp_path / "diff.yaml", "--lake-format", lake_format)
    assert (stats["records"], stats["bad"], stats["late"], stats["duplicates"]) == (1500, 0, late, duplicates)

    con = duckdb.connect()
    con.execute("create table r (seq bigint, dev varchar, zone bigint, ts bigint, ts2 bigint, i bigint, d double)")
    con.executemany("insert into r values (?, ?, ?, ?, ?, ?, ?)",
                    [(k, r["dev"], r["zone"], r["ts"], r["ts2"], r["i"], r["d"]) for k, r in enumerate(accepted)])
    # Windows [start, start + 600) with start a multiple of 240; int64 sums wrap as documented.
    want = con.execute("""
        with w as (select *, unnest(range((floor((ts - 600) / 240)::bigint + 1) * 240,
                                          floor(ts / 240)::bigint * 240 + 1, 240)) as ws from r)
        select dev, zone, to_timestamp(ws)::timestamp, to_timestamp(ws + 600)::timestamp,
               strftime(to_timestamp(ws + 600), '%m/%d/%Y'), count(*), count(i),
               case when count(i) = 0 then null
                    else ((sum(i)::hugeint + 9223372036854775808) % 18446744073709551616
                          + 18446744073709551616) % 18446744073709551616 - 9223372036854775808 end::bigint,
               min(i), avg(i), sum(d), max(d), avg(d), to_timestamp(max(ts2))::timestamp
        from w group by all order by 4, 1 nulls first, 2 nulls first""").fetchall()
    if lake_format == "parquet":
        src = f"read_parquet('{lake}/diff/*/*.parquet', hive_partitioning=false)"
    else:
        # NULL is an empty cell, an empty string "" (allow_quoted_nulls=false tells them apart).
        src = (f"read_csv('{lake}/diff/*/*.csv.gz', header=true, hive_partitioning=false, allow_quoted_nulls=false, "
               f"types={{'dev': 'VARCHAR', 'day': 'VARCHAR', 's_d': 'DOUBLE', 'mx_d': 'DOUBLE', 'a_d': 'DOUBLE'}})")
    got = con.execute(f"select * exclude (column00) from {src}" if lake_format == "csv" else f"select * from {src}")
    got = got.fetchall()
    assert len(got) == len(want) > 1000
    assert got == want
    if lake_format == "parquet":
        types = con.execute(f"select column_name, column_type from (describe select * from {src})").fetchall()
        assert [t for _, t in types] == ["VARCHAR", "BIGINT", "TIMESTAMP", "TIMESTAMP", "VARCHAR", "BIGINT", "BIGINT",
                                         "BIGINT", "BIGINT", "DOUBLE", "DOUBLE", "DOUBLE", "DOUBLE", "TIMESTAMP"]


def test_a_changed_pipeline_is_refused_by_itself(lakestream, source_dir, tmp_path):
    """A lake's checkpoints belong to its pipeline: a run with the pipeline changed is refused
    (exit 2) with that reason alone. available-now first said it was waiting for the group's
    other members to finish the partition, which no member held: its checkpoint had just been
    refused."""
    topic = f"rides-{uuid.uuid4().hex[:8]}"
    lakestream.run("topics", "create", topic, "--partitions", 1)
    lakestream.run("produce", "--source", f"rides:{source_dir}/data/taxi/rides.csv", "--topic", topic)
    lake = str(tmp_path / "lake")
    taxi = f"{source_dir}/pipelines/taxi-rides.yaml"
    process(lakestream, topic, lake, "--pipeline", taxi)
    changed = tmp_path / "taxi-rides.yaml"
    changed.write_text(open(taxi).read().replace("watermark_delay: 10m", "watermark_delay: 20m"))
    p = lakestream.run("process", "--topic", topic, "--group", group(), "--lake", lake, "--trigger", "available-now",
                       "--pipeline", changed, expect=2)
    assert p.stderr == (f"lakestream: error: checkpoint: written by a different pipeline spec than 'taxi-rides' "
                        f"(its window, schema, keys or output changed) ({lake}/_checkpoints/{topic}/0). If the "
                        f"pipeline changed on purpose, process into a new --lake (or, for --source files, give "
                        f"another --source-name)\n"), p.stderr


def test_errors_are_clear(lakestream, source_dir, tmp_path):
    p = lakestream.run("process", "--topic", f"missing-{uuid.uuid4().hex[:8]}", "--lake", str(tmp_path / "l"),
                       "--trigger", "available-now", expect=2)
    assert "does not exist" in p.stderr and "lakestream topics create" in p.stderr
    assert "processed" not in p.stdout
    # A name Kafka refuses is named so, not "does not exist, create it" (which topics create refuses).
    p = lakestream.run("process", "--topic", "Bad/Topic", "--lake", str(tmp_path / "l"), "--trigger", "available-now",
                       expect=2)
    assert "topic name 'Bad/Topic' has the character '/'; Kafka allows only ASCII letters, digits" in p.stderr
    assert "topics create" not in p.stderr
    # librdkafka blamed a session.timeout.ms the user never set.
    p = lakestream.run("process", "--lake", str(tmp_path / "l"), "-X", "max.poll.interval.ms=4000", expect=2)
    assert ("-X: max.poll.interval.ms=4000 is below the session timeout lakestream sets (session.timeout.ms=10000"
            in p.stderr), p.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text(open(f"{source_dir}/pipelines/mta-turnstile.yaml").read().replace("size: 5m", "size: five"))
    p = lakestream.run("process", "--pipeline", str(bad), "--lake", str(tmp_path / "l"), expect=2)
    assert f"{bad}:" in p.stderr
    missing = f"missing-dlq-{uuid.uuid4().hex[:8]}"
    p = lakestream.run("process", "--lake", str(tmp_path / "l"), "--trigger", "available-now",
                       "--dead-letter-topic", missing, expect=2)
    assert "--dead-letter-topic" in p.stderr and missing in p.stderr and "lakestream topics create" in p.stderr
    p = lakestream.run("process", "--source", f"{source_dir}/data/mta/turnstile_150627_subset.csv",
                       "--lake", str(tmp_path / "l"), "--dead-letter-topic", "x", expect=2, broker=False)
    assert "--dead-letter-topic needs a Kafka source" in p.stderr
    # Kafka options with a file source would be ignored: they are refused, by name.
    p = lakestream.run("process", "--source", f"{source_dir}/data/mta/turnstile_150627_subset.csv",
                       "--lake", str(tmp_path / "l"), "--topic", "t", expect=2)
    assert "lakestream: error: --topic, -X configure the Kafka source; with --source FILE there is none" in p.stderr
    assert not (tmp_path / "l").exists()
    # Rides are JSON objects: a pipeline reading another format is refused before anything
    # is written; records that all fail their pipeline end with a hint.
    rides = f"rides:{source_dir}/data/taxi/rides.csv"
    p = lakestream.run("process", "--source", rides, "--lake", str(tmp_path / "r"), expect=2, broker=False)
    assert "pipeline 'mta-turnstile' reads csv: use a json pipeline" in p.stderr
    assert not (tmp_path / "r").exists()
    # One rides file a run, as produce has it: among other sources it was taken for an MTA
    # file named "rides:...", which "does not exist".
    for sources in ([rides, rides], [f"{source_dir}/data/mta/turnstile_150627_subset.csv", rides]):
        p = lakestream.run("process", "--pipeline", f"{source_dir}/pipelines/taxi-rides.yaml", "--source", *sources,
                           "--lake", str(tmp_path / "r"), expect=2, broker=False)
        assert f"--source {rides} stands alone: give one rides file a run, without other sources" in p.stderr
        assert not (tmp_path / "r").exists()
    p = lakestream.run("process", "--pipeline", f"{source_dir}/pipelines/taxi-rides.yaml", "--source",
                       f"{source_dir}/data/mta/turnstile_150627_subset.csv", "--lake", str(tmp_path / "t"),
                       broker=False)
    assert "bad records 1,681" in p.stdout
    assert "every record was bad: the messages do not fit pipeline 'taxi-rides' (wire format json" in p.stderr
    p = lakestream.run("process", "--lake", str(tmp_path / "l"), "--bad-rows", str(tmp_path / "b.jsonl"), expect=2)
    assert "--bad-rows is for --source files" in p.stderr and not (tmp_path / "b.jsonl").exists()
    # A file where a folder of the lake's path should be is named.
    (tmp_path / "afile").write_text("x")
    p = lakestream.run("process", "--source", f"{source_dir}/data/mta/turnstile_150627_subset.csv",
                       "--lake", str(tmp_path / "afile" / "lake"), expect=2, broker=False)
    assert f"--lake '{tmp_path}/afile/lake': '{tmp_path}/afile' is a file, not a folder" in p.stderr
    p = lakestream.run("process", "--source", f"{source_dir}/data/mta/turnstile_150627_subset.csv",
                       "--lake", str(tmp_path / "afile"), expect=2, broker=False)
    assert f"--lake '{tmp_path}/afile' is a file: give the lake's folder" in p.stderr
    # The built-in query's window options: in range, and not mixed with a pipeline file's window.
    p = lakestream.run("process", "--lake", str(tmp_path / "l"), "--slide", "0", expect=2, broker=False)
    assert "--slide: must be a whole number from 1 to 5256000, got '0'" in p.stderr
    # 0 committed after every fetched batch and -1 became 2^64 - 1 (no limit), both without a word.
    for value in ("0", "-1"):
        p = lakestream.run("process", "--lake", str(tmp_path / "l"), "--max-records-per-trigger", value, expect=2,
                           broker=False)
        assert f"--max-records-per-trigger: must be a whole number, 1 or more, got '{value}'" in p.stderr, p.stderr
    p = lakestream.run("process", "--pipeline", f"{source_dir}/pipelines/taxi-rides.yaml", "--duration", "60",
                       "--lake", str(tmp_path / "t"), expect=2, broker=False)
    assert "with --pipeline the window is the file's `window:`" in p.stderr
    # An object-store URL is not taken for a local folder named "s3:".
    p = lakestream.run("process", "--source", f"{source_dir}/data/mta/turnstile_150627_subset.csv",
                       "--lake", "s3://bucket/lake", expect=2, broker=False)
    assert "lake 's3://bucket/lake': s3:// URLs are not supported" in p.stderr and not os.path.exists("s3:")


def test_file_source_keeps_malformed_rows_aside(lakestream, source_dir, tmp_path):
    # A broken line in a file given to --source: skipped, counted, and with --bad-rows kept
    # whole; the lake is that of the good rows.
    lines = open(f"{source_dir}/data/mta/turnstile_150627_subset.csv").read().splitlines()
    broken = tmp_path / "broken.csv"
    broken.write_text("\n".join(lines[:4] + ["A002,R051,02-00-00,59 ST,NQR456W,BMT"] + lines[4:]) + "\n")
    rejects = tmp_path / "rejects.jsonl"
    p = lakestream.run("process", "--source", str(broken), "--lake", str(tmp_path / "a"), "--bad-rows", str(rejects),
                       "--stats-json", str(tmp_path / "a.json"), broker=False)
    assert f"skipped row: {broken}:5: expected 11 fields, found 6" in p.stderr
    assert f"skipped 1 malformed rows of the files (in {rejects})" in p.stdout
    assert json.load(open(tmp_path / "a.json"))["skipped_rows"] == 1
    assert [json.loads(line) for line in rejects.read_text().splitlines()] == [
        {"file": str(broken), "line": 5, "reason": "expected 11 fields, found 6",
         "text": "A002,R051,02-00-00,59 ST,NQR456W,BMT"}]
    lakestream.run("process", "--source", f"{source_dir}/data/mta/turnstile_150627_subset.csv",
                   "--lake", str(tmp_path / "b"), broker=False)
    good = streams.read_lake_python(str(tmp_path / "b"))
    assert sum(good.values()) > 0 and streams.read_lake_python(str(tmp_path / "a")) == good


def test_a_file_source_changed_in_place_is_not_resumed(lakestream, source_dir, tmp_path):
    # The checkpoint of a file source keeps the files' names and sizes, and the last message
    # it read. A file rewritten to the same size with rows damaged yields fewer messages (or
    # others at the resume point): the run stops instead of skipping into the new content.
    lines = open(f"{source_dir}/data/mta/turnstile_150627_subset.csv").read().splitlines()
    week = tmp_path / "week.csv"
    week.write_text("\n".join(lines) + "\n")
    lake = str(tmp_path / "lake")
    lakestream.run("process", "--source", str(week), "--lake", lake, broker=False)
    before = lake_listing(lake)
    damaged = lines[:-5] + ["#" * len(line) for line in lines[-5:]]  # same bytes, 5 rows fewer
    week.write_text("\n".join(damaged) + "\n")
    p = lakestream.run("process", "--source", str(week), "--lake", lake, broker=False, expect=1)
    assert "files: the files hold fewer messages (" in p.stderr, p.stderr
    assert "than the lake's checkpoint counted" in p.stderr
    assert f"move the partition's checkpoint ('{lake}/_checkpoints/files/0' and" in p.stderr
    assert "and its lake files away: part-files-p0-* in the date= folders of its table" in p.stderr
    assert lake_listing(lake) == before
