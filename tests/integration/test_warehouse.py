"""`lakestream load` / `report` against real lakes written by `lakestream process` from the real
broker. Expectations are computed here independently of lakestream: the lake is read with
Python's csv+gzip, keys with hashlib.md5, and the warehouse is read with Python's duckdb."""
import collections
import csv
import datetime
import glob
import gzip
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import uuid

import duckdb
import pytest

import streams

WEEK_ENTRIES, WEEK_EXITS = 13067489, 21312168
TABLES = ["dim_station", "dim_booth", "dim_date", "fact_turnstile"]


# --- independent readers -------------------------------------------------------------------

def lake_files(lake):
    return sorted(glob.glob(os.path.join(lake, "turnstile", "date=*", "part-*.csv.gz")))


def lake_rows(lake):
    """Every lake row as a dict, with the file it came from."""
    for path in lake_files(lake):
        with gzip.open(path, "rt", newline="") as f:
            reader = csv.reader(f)
            assert next(reader) == ["", "CA", "UNIT", "SCP", "STATION", "LINENAME", "DIVISION", "DATE", "TIME",
                                    "DESC", "ENTRIES", "EXITS"]
            for r in reader:
                yield {"file": path, "CA": r[1], "UNIT": r[2], "SCP": r[3], "STATION": r[4], "DATE": r[7],
                       "TIME": r[8], "ENTRIES": int(r[10]), "EXITS": int(r[11])}


def iso_date(mdy):
    return datetime.datetime.strptime(mdy, "%m/%d/%Y").date().isoformat()


def window_day(mdy, time):
    """The day a window [start, end) is on: that of its last instant (one ending at 00:00:00 is
    on the day before)."""
    end = datetime.datetime.strptime(f"{mdy} {time}", "%m/%d/%Y %H:%M:%S")
    return (end - datetime.timedelta(microseconds=1)).date().isoformat()


def expected_from_lake(lake):
    """(facts {log_id: [entries, exits]}, per (station, date) sums, files per log_id)."""
    facts = collections.defaultdict(lambda: [0, 0])
    by_station_day = collections.defaultdict(lambda: [0, 0])
    files_of = collections.defaultdict(set)
    for r in lake_rows(lake):
        created = f"{iso_date(r['DATE'])} {r['TIME']}"
        parts = [p.replace("\\", "\\\\").replace("|", "\\|") for p in (r["CA"], r["UNIT"], r["SCP"])]
        log_id = hashlib.md5("|".join(parts + [created]).encode()).hexdigest()
        facts[log_id][0] += r["ENTRIES"]
        facts[log_id][1] += r["EXITS"]
        files_of[log_id].add(r["file"])
        s = by_station_day[(r["STATION"], window_day(r["DATE"], r["TIME"]))]
        s[0] += r["ENTRIES"]
        s[1] += r["EXITS"]
    return dict(facts), dict(by_station_day), files_of


def connect(db, deadline_s=60):
    """A read-only DuckDB connection, retried while a lakestream load holds the file."""
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            return duckdb.connect(db, read_only=True)
        except duckdb.IOException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def warehouse_tables(db):
    con = connect(db)
    try:
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in TABLES}
    finally:
        con.close()


def warehouse_facts(db):
    con = connect(db)
    try:
        return {k: [e, x] for k, e, x in con.execute("SELECT log_id, entries, exits FROM fact_turnstile").fetchall()}
    finally:
        con.close()


def assert_consistent(db, lake):
    """The exactly-once invariant at any moment: the facts hold exactly the files in the manifest."""
    con = connect(db)
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        if "load_manifest" not in tables:
            return 0  # killed before the schema was committed
        m_files, m_rows, m_entries, m_exits = con.execute(
            "SELECT count(*), coalesce(sum(row_count), 0), coalesce(sum(entries), 0), coalesce(sum(exits), 0) "
            "FROM load_manifest").fetchone()
        f_entries, f_exits = con.execute(
            "SELECT coalesce(sum(entries), 0), coalesce(sum(exits), 0) FROM fact_turnstile").fetchone()
        paths = [p for (p,) in con.execute("SELECT file_path FROM load_manifest").fetchall()]
    finally:
        con.close()
    assert (f_entries, f_exits) == (m_entries, m_exits)
    assert set(paths) <= {os.path.relpath(p, lake) for p in lake_files(lake)}
    return m_files


# --- running lakestream --------------------------------------------------------------------

def group():
    return f"g-{uuid.uuid4().hex[:8]}"


def new_topic(lakestream, name):
    topic = f"wh-{name}-{uuid.uuid4().hex[:8]}"
    lakestream.run("topics", "create", topic, "--partitions", 4)
    return topic


def process(lakestream, topic, lake, *extra):
    """Runs the job over the whole topic; returns its --stats-json figures."""
    stats = f"{lake}.stats.json"
    lakestream.run("process", "--topic", topic, "--group", group(), "--lake", lake, "--duration", 5,
                   "--trigger", "available-now", "--stats-json", stats, *extra, timeout=600)
    assert lake_files(lake)
    return json.loads(open(stats).read())


def load(lakestream, lake, db, *extra, expect=0, env=None):
    return lakestream.run("load", "--lake", lake, "--warehouse", db, *extra, broker=False, expect=expect,
                          timeout=600, env=env)


@pytest.fixture(scope="module")
def reference(lakestream, source_dir, tmp_path_factory):
    """The real week, produced keyed by device into 4 partitions, processed and loaded."""
    topic = new_topic(lakestream, "week")
    lakestream.run("produce", "--source", f"{source_dir}/data/mta/turnstile_230603.csv.gz", "--topic", topic,
                   timeout=300)
    base = tmp_path_factory.mktemp("reference")
    lake, db = str(base / "lake"), str(base / "warehouse.duckdb")
    process(lakestream, topic, lake)
    stats = str(base / "load.json")
    p = load(lakestream, lake, db, "--stats-json", stats)
    return {"topic": topic, "lake": lake, "db": db, "tables": warehouse_tables(db), "load_stdout": p.stdout,
            "stats": json.loads(open(stats).read())}


# --- tests ---------------------------------------------------------------------------------

def test_week_facts_equal_the_lake(lakestream, reference, tmp_path):
    lake, db = reference["lake"], reference["db"]
    facts, by_station_day, _ = expected_from_lake(lake)
    assert sum(e for e, _ in facts.values()) == WEEK_ENTRIES
    assert sum(x for _, x in facts.values()) == WEEK_EXITS
    assert warehouse_facts(db) == facts

    # A booth's station: that of its latest window end (the least md5 among that end's rows).
    booths = {}
    for r in lake_rows(lake):
        key = hashlib.md5(f"{r['UNIT']}|{r['CA']}".encode()).hexdigest()
        end = datetime.datetime.strptime(f"{r['DATE']} {r['TIME']}", "%m/%d/%Y %H:%M:%S")
        station = hashlib.md5(r["STATION"].encode()).hexdigest()
        best = booths.get(key)
        if best is None or (end, best[1]) > (best[0], station):
            booths[key] = (end, station)
    con = connect(db)
    assert {b: (t, s) for b, s, t in con.execute("SELECT booth_id, station_id, station_as_of FROM dim_booth")
            .fetchall()} == booths
    con.close()

    con = connect(db)
    got = {(s, d.isoformat()): [e, x] for s, d, e, x in con.execute(
        "SELECT station_name, full_date, sum(entries), sum(exits) FROM rpt_turnstile GROUP BY ALL").fetchall()}
    assert got == by_station_day
    # The seed's schema, as DuckDB itself sees it.
    cols = {t: [c for (c,) in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index", [t]).fetchall()]
        for t in TABLES + ["rpt_turnstile"]}
    files, rows = con.execute("SELECT count(*), sum(row_count) FROM load_manifest").fetchone()
    con.close()
    assert cols["dim_station"] == ["station_id", "station_name"]
    # The seed's columns, then when the station was taken (its latest window's end).
    assert cols["dim_booth"] == ["booth_id", "remote", "booth_name", "station_id", "station_as_of"]
    assert cols["dim_date"] == ["date_id", "full_date", "year", "quarter", "month", "month_name", "day",
                                "day_of_week", "day_of_week_name", "is_weekend"]
    assert cols["fact_turnstile"] == ["log_id", "station_id", "booth_id", "scp", "line_name", "division",
                                      "created_dt", "entries", "exits"]
    assert {"station_name", "booth_name", "remote", "full_date", "entries", "exits"} <= set(cols["rpt_turnstile"])
    n_rows = sum(1 for _ in lake_rows(lake))
    assert (files, rows) == (len(lake_files(lake)), n_rows)
    s = reference["stats"]
    assert (s["files_loaded"], s["files_failed"], s["rows_loaded"], s["ok"]) == (files, 0, n_rows, True)
    assert f"loaded {files} files ({n_rows:,} rows" in reference["load_stdout"]

    # Reports: the same numbers, computed here from the lake.
    by_station = collections.defaultdict(lambda: [0, 0])
    by_day = collections.defaultdict(lambda: [0, 0])
    for (station, day), (e, x) in by_station_day.items():
        by_station[station][0] += e
        by_station[station][1] += x
        if "2023-05-29" <= day <= "2023-06-01":
            by_day[day][0] += e
            by_day[day][1] += x
    top = sorted(by_station.items(), key=lambda kv: (-kv[1][0], kv[0]))[:5]
    p = lakestream.run("report", "--warehouse", db, "--limit", 5, "--format", "csv", broker=False)
    assert p.stdout == "station,entries,exits\n" + "".join(f"{s},{e},{x}\n" for s, (e, x) in top)
    p = lakestream.run("report", "--warehouse", db, "--query", "daily", "--from", "2023-05-29", "--to", "2023-06-01",
                       "--format", "json", broker=False)
    assert [(d["date"], d["entries"], d["exits"]) for d in json.loads(p.stdout)] == \
        [(d, e, x) for d, (e, x) in sorted(by_day.items())]
    p = lakestream.run("report", "--warehouse", db, broker=False)
    assert p.stdout.splitlines()[2].split()[-2:] == [f"{top[0][1][0]:,}", f"{top[0][1][1]:,}"]
    # daily has a row a day, in date order: --limit and --by were ignored without a word (all the days).
    for option, value in (("--limit", 2), ("--by", "exits")):
        p = lakestream.run("report", "--warehouse", db, "--query", "daily", option, value, expect=2, broker=False)
        assert p.stderr == (f"lakestream: error: {option} is for --query top-stations and hourly; daily has a row "
                            "a day, in date order (narrow it with --from and --to)\n"), p.stderr
    # An empty value was taken as the option not given: all dates, all stations.
    for option in ("--from", "--to", "--station"):
        p = lakestream.run("report", "--warehouse", db, "--query", "daily", option, "", expect=2, broker=False)
        assert f"{option}: must not be empty (leave the option out for no limit)" in p.stderr, p.stderr


def test_second_load_is_a_no_op_and_a_changed_file_is_reported(lakestream, reference, tmp_path):
    lake, db = str(tmp_path / "lake"), str(tmp_path / "w.duckdb")
    shutil.copytree(reference["lake"], lake)
    shutil.copy(reference["db"], db)
    n = len(lake_files(lake))
    p = load(lakestream, lake, db)
    assert f"loaded 0 files (0 rows, 0.0 MB)" in p.stdout and f"skipped {n} already loaded; failed 0" in p.stdout
    assert warehouse_tables(db) == reference["tables"]

    # Edit one file after it was loaded: reported with both checksums, not reloaded.
    victim = lake_files(lake)[n // 2]
    with gzip.open(victim, "rt", newline="") as f:
        text = f.read()
    lines = text.splitlines(keepends=True)
    fields = lines[1].split(",")
    fields[10] = str(int(fields[10]) + 1000)
    lines[1] = ",".join(fields)
    with gzip.open(victim, "wt", newline="") as f:
        f.write("".join(lines))
    rel = os.path.relpath(victim, lake)
    p = load(lakestream, lake, db, expect=1)
    assert f"lake file '{rel}' changed after it was loaded: the manifest records xxh3-64:" in p.stderr
    assert "the file now has xxh3-64:" in p.stderr and "Restore the original file" in p.stderr
    assert f"skipped {n - 1} already loaded; failed 1" in p.stdout
    assert warehouse_tables(db) == reference["tables"]


def test_a_lake_without_the_table_says_why_nothing_was_loaded(lakestream, tmp_path):
    lake, db = tmp_path / "lake", str(tmp_path / "w.duckdb")
    (lake / "_checkpoints").mkdir(parents=True)
    p = load(lakestream, lake, db)
    assert "loaded 0 files" in p.stdout
    assert f"no lake files in '{lake}/turnstile' yet: `lakestream process --lake {lake}`" in p.stderr
    (lake / "taxi-rides" / "date=2020-07-01").mkdir(parents=True)
    p = load(lakestream, lake, db)
    assert f"no lake files in '{lake}/turnstile'; the lake holds: taxi-rides." in p.stderr
    # --lake given a table's folder (it holds date= partitions): say which folder to give.
    for given in (lake / "taxi-rides", f"{lake}/taxi-rides/"):
        p = load(lakestream, given, db)
        assert p.stderr == (f"lakestream: warning: no lake files in '{given}/turnstile': '{given}' holds "
                            f"date= partitions, so it is a table's folder, not the lake: give --lake '{lake}' "
                            f"(and --table 'taxi-rides' if that is the table to load)\n"), p.stderr


def test_watch_options_without_watch_are_refused(lakestream, tmp_path):
    # A one-shot load neither polls nor serves metrics: the option was silently ignored.
    for option, says in ((["--interval", "3"], "--interval requires --watch"),
                         (["--metrics-port", "0"], "--metrics-port is for --watch")):
        p = lakestream.run("load", "--lake", str(tmp_path / "lake"), "--warehouse", str(tmp_path / "w.duckdb"),
                           *option, expect=2, broker=False, timeout=30)
        assert says in p.stderr, p.stderr
    assert not (tmp_path / "w.duckdb").exists()


def test_a_hopping_table_is_refused_by_load_and_load_watch(lakestream, tmp_path):
    lake, db = tmp_path / "lake", str(tmp_path / "w.duckdb")
    (lake / "turnstile" / "_windows").mkdir(parents=True)
    (lake / "turnstile" / "_windows" / "300s-300s").write_text("")
    load(lakestream, lake, db)  # tumbling: loads (nothing here)
    (lake / "turnstile" / "_windows" / "600s-300s").write_text("")  # a hopping job wrote there too
    for watch in ([], ["--watch", "--interval", "0.1"]):
        p = lakestream.run("load", "--lake", str(lake), "--warehouse", db, *watch, expect=2, broker=False, timeout=30)
        assert "lake table 'turnstile' holds hopping windows (600 s sliding by 300 s: each reading is in 2 windows)" \
            in p.stderr, p.stderr


def test_partial_aggregates_of_uuid_keyed_messages_are_summed(lakestream, bootstrap, reference, tmp_path):
    # The same week, each message under a random key: one device's readings spread over all
    # partitions, so each partition's lake files hold partial sums of the same windows.
    dump = tmp_path / "week.tsv"
    lakestream.run("produce", "--source", f"{os.environ['LAKESTREAM_SOURCE_DIR']}/data/mta/turnstile_230603.csv.gz",
                   "--dump", dump, broker=False, timeout=300)
    keyed = tmp_path / "uuid.tsv"
    rng = random.Random(4)
    with open(dump) as src, open(keyed, "w") as dst:
        for line in src:
            _, value = line.rstrip("\n").split("\t", 1)
            dst.write(f"{uuid.UUID(int=rng.getrandbits(128), version=4)}\t{value}\n")
    topic = new_topic(lakestream, "uuid")
    # With idempotence: a request retried under load could otherwise reorder a partition,
    # and a record overtaken by a later one is late and missing from the lake.
    streams.kcat_publish(bootstrap, topic, str(keyed))
    lake, db = str(tmp_path / "lake"), str(tmp_path / "w.duckdb")
    stats = process(lakestream, topic, lake)
    assert stats["records"] == sum(1 for _ in open(keyed)) and stats["late"] == 0 and stats["bad"] == 0
    facts, _, files_of = expected_from_lake(lake)
    # MTA devices report every few hours, so a 5-minute window rarely holds two readings of
    # one device; the few that do (a few hundred in this week) land in different files.
    split = sum(1 for f in files_of.values() if len(f) > 1)
    assert split > 100, "windows were not split across partitions' files"
    load(lakestream, lake, db)
    assert warehouse_facts(db) == facts
    assert warehouse_tables(db) == reference["tables"]


def test_kill_9_during_load_then_load_again(lakestream, reference, tmp_path):
    lake, db = str(tmp_path / "lake"), str(tmp_path / "w.duckdb")
    process(lakestream, reference["topic"], lake, "--max-records-per-trigger", 2000)
    n = len(lake_files(lake))
    assert n > 50
    rng = random.Random(9)
    kills, max_delay = 0, 3.0
    for attempt in range(40):
        proc = subprocess.Popen([lakestream.binary, "load", "--lake", lake, "--warehouse", db],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            proc.wait(timeout=rng.uniform(0.2, max_delay))
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
            kills += 1
            loaded = assert_consistent(db, lake)
            if kills >= 5 and 0 < loaded < n:
                break
            continue
        out, err = proc.communicate()
        assert proc.returncode == 0, err
        if kills >= 3:
            break
        # This machine loaded everything before the kill: start over, kill sooner.
        os.remove(db)
        max_delay /= 2
    assert kills >= 3, "could not kill the loader while it worked"
    p = load(lakestream, lake, db)
    assert "failed 0" in p.stdout
    assert assert_consistent(db, lake) == n
    assert warehouse_tables(db) == reference["tables"]
    p = load(lakestream, lake, db)
    assert f"loaded 0 files (0 rows, 0.0 MB)" in p.stdout and f"skipped {n} already loaded" in p.stdout


def checkpoint_offsets(lake, topic):
    return {p: body["next_offset"] for p, body in streams.checkpoints(lake, topic).items()}


def end_offsets(bootstrap, topic):
    out = {}
    for part in range(4):
        p = subprocess.run(["kcat", "-Q", "-b", bootstrap, "-t", f"{topic}:{part}:-1"], capture_output=True,
                           text=True, timeout=30, check=True)
        out[part] = int(p.stdout.split()[-1])
    return out


def wait_for(condition, what, timeout=300):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.3)


def test_streaming_process_and_load_watch_give_the_batch_warehouse(lakestream, bootstrap, source_dir,
                                                                   reference, tmp_path):
    topic = new_topic(lakestream, "live")
    lake, db = str(tmp_path / "lake"), str(tmp_path / "w.duckdb")
    g = group()
    common = ["-X", f"bootstrap.servers={bootstrap}"]
    proc = subprocess.Popen([lakestream.binary, "process", "--topic", topic, "--group", g, "--lake", lake,
                             "--duration", "5", "--trigger", "2s", *common],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stats = tmp_path / "watch.json"
    watch = subprocess.Popen([lakestream.binary, "load", "--watch", "--interval", "1", "--lake", lake,
                              "--warehouse", db, "--stats-json", str(stats), "--metrics-port", "0"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = streams.metrics_url(watch.stderr)
        lakestream.run("produce", "--source", f"{source_dir}/data/mta/turnstile_230603.csv.gz", "--topic", topic,
                       timeout=300)
        ends = end_offsets(bootstrap, topic)
        assert sum(ends.values()) == 248194
        wait_for(lambda: checkpoint_offsets(lake, topic) == ends, "the processor to commit every message")
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        # Streaming keeps the last windows open; the batch trigger of the same group closes them.
        lakestream.run("process", "--topic", topic, "--group", g, "--lake", lake, "--duration", 5,
                       "--trigger", "available-now", timeout=300)
        n = len(lake_files(lake))
        wait_for(lambda: assert_consistent(db, lake) == n, "load --watch to load every lake file")
        assert watch.poll() is None, watch.communicate()
        # Its metrics say the same (the page is updated after each poll).
        wait_for(lambda: streams.scrape_metrics(url)[0]["lakestream_load_files_loaded_total"] == n,
                 "the metrics to show every file loaded", timeout=30)
        scraped, labels = streams.scrape_metrics(url)
        assert labels == f'table="turnstile",warehouse="{db}"'
        assert scraped["lakestream_load_files_failed_total"] == 0
        assert scraped["lakestream_load_polls_total"] >= 1
        assert scraped["lakestream_load_last_success_seconds"] >= int(time.time()) - 600
        watch.send_signal(signal.SIGINT)
        out, err = watch.communicate(timeout=60)
        assert watch.returncode == 0, err
    finally:
        for p in (proc, watch):
            if p.poll() is None:
                p.kill()
                p.communicate()
    s = json.loads(stats.read_text())
    assert (s["files_loaded"], s["files_failed"]) == (n, 0)
    assert s["rows_loaded"] == scraped["lakestream_load_rows_loaded_total"]
    assert f"loaded {n} files" in out
    assert warehouse_tables(db) == reference["tables"]


class Watch:
    """`load --watch` polling every 0.1 s with a metrics port, ended by SIGINT (killed if a
    test fails first): `with Watch(...) as w:`, then w.out, w.err, w.returncode."""

    def __init__(self, lakestream, lake, db, *extra):
        self.proc = subprocess.Popen([lakestream.binary, "load", "--watch", "--interval", "0.1", "--lake", str(lake),
                                      "--warehouse", db, "--metrics-port", "0", *extra],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.url = streams.metrics_url(self.proc.stderr)

    def metric(self, name):
        return streams.scrape_metrics(self.url)[0][f"lakestream_load_{name}"]

    def polls(self, more):
        """Waits for `more` further polls to begin."""
        after = self.metric("polls_total") + more
        wait_for(lambda: self.metric("polls_total") >= after, f"{more} more polls", timeout=30)

    def __enter__(self):
        return self

    def __exit__(self, failed, *_):
        if failed is None:
            self.proc.send_signal(signal.SIGINT)
            self.out, self.err = self.proc.communicate(timeout=60)
            self.returncode = self.proc.returncode
        elif self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


def write_one_row_lake_file(lake):
    part = lake / "turnstile" / "date=2023-06-03" / "part-mta-p0-000000000001-0000.csv.gz"
    part.parent.mkdir(parents=True)
    with gzip.open(part, "wt", newline="") as f:
        f.write(",CA,UNIT,SCP,STATION,LINENAME,DIVISION,DATE,TIME,DESC,ENTRIES,EXITS\n"
                "0,A002,R051,02-00-00,59 ST,NQR456W,BMT,06/03/2023,10:00:00,REGULAR,5,6\n")


def test_load_watch_forgets_a_lake_error_that_has_cleared(lakestream, tmp_path):
    # The lake folder gone for a while (an unmount, a move): the watcher says so once; back,
    # with nothing new to load, it is fine again, and Ctrl-C ends it with exit 0.
    lake, db, stats = tmp_path / "lake", str(tmp_path / "w.duckdb"), tmp_path / "watch.json"
    write_one_row_lake_file(lake)
    with Watch(lakestream, lake, db, "--stats-json", str(stats)) as w:
        wait_for(lambda: w.metric("files_loaded_total") == 1, "the file to load", timeout=30)
        lake.rename(tmp_path / "away")
        w.polls(2)
        (tmp_path / "away").rename(lake)
        w.polls(2)
    assert w.err.count(f"lake folder '{lake}' does not exist") == 1, w.err
    assert w.returncode == 0, w.err
    assert json.loads(stats.read_text())["ok"] is True
    assert "loaded 1 files (1 rows" in w.out


def test_load_watch_waits_out_readers_that_hold_the_warehouse(lakestream, tmp_path):
    # Reports (other processes) holding the file while the watcher polls: a note when they
    # start to, not an error at each poll, and a Ctrl-C while one holds it ends with exit 0
    # (found by review: a dashboard polling `report` filled the log with an error line per
    # report, each naming its PID, and a watch stopped during one exited 1, "ok": false).
    lake, db, stats = tmp_path / "lake", str(tmp_path / "w.duckdb"), tmp_path / "watch.json"
    write_one_row_lake_file(lake)
    load(lakestream, lake, db)

    def hold():
        reader = subprocess.Popen(
            [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True); "
             "print('held', flush=True); sys.stdin.read()", db],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert reader.stdout.readline() == "held\n"
        return reader

    def release(reader):
        reader.stdin.close()
        assert reader.wait(timeout=30) == 0

    first = hold()
    with Watch(lakestream, lake, db, "--stats-json", str(stats)) as w:
        w.polls(2)
        second = hold()  # another reader, before the first lets go: the same spell
        release(first)
        w.polls(2)
        release(second)
        wait_for(lambda: w.metric("files_skipped_total") == 1, "the watcher to open the warehouse", timeout=30)
        # Held again when a new file comes, and still held at the Ctrl-C: the file waits.
        third = hold()
        second_file = lake / "turnstile" / "date=2023-06-03" / "part-mta-p0-000000000002-0000.csv.gz"
        shutil.copy(lake / "turnstile" / "date=2023-06-03" / "part-mta-p0-000000000001-0000.csv.gz", second_file)
        w.polls(2)
    release(third)
    assert w.err.count("is open in another process") == 2, w.err  # two spells
    assert "error" not in w.err, w.err
    assert w.returncode == 0, w.err
    assert json.loads(stats.read_text())["ok"] is True


def test_load_watch_started_before_the_lake_waits_for_it(lakestream, tmp_path):
    # Started before the job that makes the lake: a note, not an error; the lake's first
    # file loads once it is there.
    lake, db, stats = tmp_path / "lake", str(tmp_path / "w.duckdb"), tmp_path / "watch.json"
    with Watch(lakestream, lake, db, "--stats-json", str(stats)) as w:
        # Its first poll's line (read from the pipe: communicate would miss what readline buffered).
        note = w.proc.stderr.readline()
        w.polls(2)
        write_one_row_lake_file(lake)
        wait_for(lambda: w.metric("files_loaded_total") == 1, "the file to load", timeout=30)
    assert note == (f"lakestream: note: lake folder '{lake}' does not exist yet; waiting for it (`lakestream process "
                    f"--lake {lake}` creates it)\n")
    assert "error" not in w.err, w.err
    assert w.returncode == 0, w.err
    assert json.loads(stats.read_text())["ok"] is True
    assert "loaded 1 files (1 rows" in w.out and f"warehouse {db}: 1 fact rows" in w.out, w.out
    # A lake without files: the warehouse is not opened, and the summary says so.
    (tmp_path / "empty" / "turnstile").mkdir(parents=True)
    with Watch(lakestream, tmp_path / "empty", db) as w:
        w.polls(2)
    assert w.returncode == 0, w.err
    assert f"warehouse {db}: not opened (no new lake file to load)" in w.out, w.out


def test_without_duckdb_only_its_commands_fail_clearly(lakestream, source_dir, tmp_path):
    # DuckDB is loaded when first needed: without it, a warehouse command says what to do
    # and the rest of lakestream works.
    env = {"LAKESTREAM_DUCKDB_LIBRARY": str(tmp_path / "missing" / "libduckdb.so")}
    (tmp_path / "lake").mkdir()
    p = load(lakestream, tmp_path / "lake", tmp_path / "w.duckdb", expect=None, env=env)
    assert p.returncode != 0
    assert "cannot load DuckDB" in p.stderr and "missing/libduckdb.so" in p.stderr
    assert "scripts/setup.sh" in p.stderr
    p = lakestream.run("produce", "--source", f"{source_dir}/data/mta/turnstile_150919_hudsonyd_raw.csv",
                       "--dump", str(tmp_path / "dump.tsv"), broker=False, env=env)
    assert len((tmp_path / "dump.tsv").read_text().splitlines()) == 824
    p = lakestream.run("--version", broker=False, env=env)
    assert "DuckDB not found: " in p.stdout
