"""Helpers shared by the integration tests: an independent Kafka client (kcat), readers of
the lake that share no code with lakestream (python csv+gzip, DuckDB), and an independent
implementation of the windowed aggregation lakestream must produce."""
import collections
import csv
import datetime
import glob
import gzip
import json
import os
import re
import subprocess
import urllib.request

import duckdb

TURNSTILE_FIELDS = ["CA", "UNIT", "SCP", "STATION", "LINENAME", "DIVISION", "DATE", "TIME", "DESC",
                    "ENTRIES", "EXITS", "ID", "TIMESTAMP"]
LAKE_COLUMNS = ["CA", "UNIT", "SCP", "STATION", "LINENAME", "DIVISION", "DATE", "TIME", "DESC",
                "ENTRIES", "EXITS"]


def kcat_read(bootstrap, topic):
    """All messages of `topic` as (partition, offset, key, value), read to the end with kcat."""
    p = subprocess.run(
        ["kcat", "-C", "-b", bootstrap, "-t", topic, "-e", "-q", "-o", "beginning",
         "-f", "%p\\t%o\\t%k\\t%s\\n"],
        capture_output=True, text=True, timeout=300, check=True)
    out = []
    for line in p.stdout.splitlines():
        part, offset, key, value = line.split("\t", 3)
        out.append((int(part), int(offset), key, value))
    return out


def kcat_publish(bootstrap, topic, lines_path):
    """Publishes `key<TAB>value` lines with kcat (librdkafka's default partitioner).
    Idempotence keeps each partition in file order even when a request is retried under load
    (a reordered early record would be late, and missing from the lake)."""
    subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", topic, "-K", "\t",
                    "-X", "enable.idempotence=true", "-l", lines_path],
                   check=True, timeout=300)


def end_offset(bootstrap, topic, partition=0):
    """The partition's end offset, asked with kcat (works while a producer is writing)."""
    p = subprocess.run(["kcat", "-Q", "-b", bootstrap, "-t", f"{topic}:{partition}:-1"],
                       capture_output=True, text=True, timeout=30, check=True)
    return int(p.stdout.split()[-1])


def _epoch(ts):
    return int(datetime.datetime.strptime(ts, "%Y-%m-%d %H:%M:%S")
               .replace(tzinfo=datetime.timezone.utc).timestamp())


def _fmt(epoch, pattern):
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime(pattern)


def expected_lake(records, size_s, slide_s):
    """The lake rows (a Counter of LAKE_COLUMNS tuples) for turnstile records (dicts of the
    13 fields) aggregated per device and window [start, start+size), start a multiple of the
    slide, keyed by window end; no late records or duplicates are expected in `records`."""
    sums = collections.defaultdict(lambda: [0, 0])
    for r in records:
        t = _epoch(r["TIMESTAMP"])
        start = t // slide_s * slide_s
        while start + size_s > t:
            key = (r["CA"], r["UNIT"], r["SCP"], r["STATION"], r["LINENAME"], r["DIVISION"],
                   r["DESC"], start + size_s)
            sums[key][0] += int(r["ENTRIES"])
            sums[key][1] += int(r["EXITS"])
            start -= slide_s
    rows = collections.Counter()
    for (ca, unit, scp, station, line, division, desc, end), (e, x) in sums.items():
        rows[(ca, unit, scp, station, line, division, _fmt(end, "%m/%d/%Y"), _fmt(end, "%H:%M:%S"),
              desc, e, x)] += 1
    return rows


def parse_csv_message(value):
    """A `csv` wire-format turnstile message as a dict of its 13 fields."""
    fields = next(csv.reader([value]))
    assert len(fields) == 13, value
    return dict(zip(TURNSTILE_FIELDS, fields))


def checkpoints(lake, topic):
    """The topic's partition checkpoints in the lake, {partition: body}: each the newest claim
    in `_checkpoints/<topic>/<partition>.commits/` (the commit record), or the file
    `<partition>` where there is no claim."""
    out = {}
    for path in glob.glob(os.path.join(lake, "_checkpoints", topic, "*")):
        name = os.path.basename(path)
        if not name.isdigit():
            continue  # the claims' folders, temp files
        claims = sorted(glob.glob(os.path.join(path + ".commits", "[0-9]" * 12)))
        with open(claims[-1] if claims else path) as f:
            f.readline()
            out[int(name)] = json.loads(f.readline())
    return out


def lake_files(lake, table="turnstile", ext="csv.gz"):
    return sorted(glob.glob(os.path.join(lake, table, "date=*", f"*.{ext}")))


def read_lake_python(lake, table="turnstile"):
    """The lake's CSV.gz rows with Python's csv+gzip, as a Counter of LAKE_COLUMNS tuples.
    Checks the seed's positional layout: a header with a leading empty column, then a
    row index 0, 1, 2, ... per file."""
    rows = collections.Counter()
    for path in lake_files(lake, table):
        with gzip.open(path, "rt", newline="") as f:
            reader = csv.reader(f)
            assert next(reader) == [""] + LAKE_COLUMNS, path
            for i, row in enumerate(reader):
                assert row[0] == str(i), (path, row)
                rows[tuple(row[1:10]) + (int(row[10]), int(row[11]))] += 1
    return rows


def read_lake_duckdb(lake, table="turnstile", fmt="csv"):
    """The lake's rows read by DuckDB itself (read_csv / read_parquet over the folder)."""
    con = duckdb.connect()
    cols = ", ".join(f'"{c}"' for c in LAKE_COLUMNS)
    # The date=YYYY-MM-DD folders would otherwise be read as a hive partition column `date`
    # that shadows the files' own DATE column (same day, other format).
    if fmt == "csv":
        src = f"read_csv('{lake}/{table}/*/*.csv.gz', header=true, all_varchar=true, hive_partitioning=false)"
    else:
        src = f"read_parquet('{lake}/{table}/*/*.parquet', hive_partitioning=false)"
    rows = collections.Counter()
    for r in con.execute(f"select {cols} from {src}").fetchall():
        rows[tuple(str(v) for v in r[:9]) + (int(r[9]), int(r[10]))] += 1
    return rows


def temp_files(lake):
    return [p for p in glob.glob(os.path.join(lake, "**", ".*"), recursive=True) if p.endswith(".tmp")]


def read_lake_python_file(path):
    """One CSV.gz lake file's rows, as read_lake_python reads them."""
    rows = collections.Counter()
    with gzip.open(path, "rt", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        for row in reader:
            rows[tuple(row[1:10]) + (int(row[10]), int(row[11]))] += 1
    return rows


def scrape_metrics(url):
    """A Prometheus text page as lakestream serves it: ({name: value} of the samples with
    the page's labels only, and {name: {partition: value}} of the per-partition ones), and
    the page's labels as text (asserted the same on every sample)."""
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
        text = r.read().decode()
    samples, common = {}, set()
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name_labels, value = line.rsplit(" ", 1)
            name, _, rest = name_labels.partition("{")
            labels = rest.rstrip("}")
            if ',topic="' in labels:
                labels, _, where = labels.partition(',topic="')
                partition = int(re.search(r'partition="(\d+)"', where).group(1))
                samples.setdefault(name, {})[partition] = int(value)
            else:
                samples[name] = int(value)
            common.add(labels)
    assert len(common) <= 1, common
    return samples, common.pop() if common else ""


def metrics_url(stderr):
    """The URL a command with --metrics-port prints first on stderr."""
    first = stderr.readline()
    m = re.fullmatch(r"metrics at (http://127\.0\.0\.1:\d+/metrics)\n", first)
    assert m, first
    return m.group(1)
