"""Window-to-lake latency from a lake's files: for every (window, file) pair, the file's
mtime (its commit: both jobs write under a temporary name and rename) minus the window's
end. Also the latency of each window's last file (the window complete in the lake).

  python bench/latency.py LAKE LAYOUT FROM TO [--json OUT]

LAYOUT: `lakestream` (<lake>/turnstile/date=*/part-*.csv.gz, DATE = window end's date) or
`seed` (<lake>/turnstile/batch_*.csv.gz, DATE = the message's date: the window ending at
00:00:00 carries the previous day). FROM, TO (epoch seconds) are when the producer ran;
the windows that count start at or after FROM and end by TO - delay, i.e. the windows
that must close (an event at least the watermark delay past their end was produced):
expected_windows of them, `windows` of them in the lake. Prints a JSON line with p50,
p99, max and the counts.
"""
import argparse
import csv
import glob
import gzip
import json
import os
from datetime import datetime, timedelta, timezone


def percentile(values, q):
    v = sorted(values)
    if not v:
        return None
    k = (len(v) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lake")
    ap.add_argument("layout", choices=["lakestream", "seed"])
    ap.add_argument("start", type=float)
    ap.add_argument("end", type=float)
    ap.add_argument("--window", type=float, default=10)
    ap.add_argument("--delay", type=float, default=10, help="watermark delay, seconds")
    ap.add_argument("--json")
    a = ap.parse_args()
    pattern = "turnstile/date=*/*.csv.gz" if a.layout == "lakestream" else "turnstile/batch_*.csv.gz"
    pairs = {}  # (window end, file) -> latency
    for path in glob.glob(os.path.join(a.lake, pattern)):
        mtime = os.stat(path).st_mtime
        with gzip.open(path, "rt", newline="") as f:
            for row in csv.DictReader(f):
                end = datetime.strptime(row["DATE"] + " " + row["TIME"], "%m/%d/%Y %H:%M:%S")
                if a.layout == "seed" and row["TIME"] == "00:00:00":
                    end += timedelta(days=1)
                end_s = end.replace(tzinfo=timezone.utc).timestamp()
                if end_s - a.window >= a.start and end_s <= a.end - a.delay:
                    pairs[(end_s, path)] = mtime - end_s
    per_file = list(pairs.values())
    complete = {}
    for (end_s, _), lat in pairs.items():
        complete[end_s] = max(complete.get(end_s, lat), lat)
    # Windows wholly inside the run that must close: an event >= their end + delay came.
    first = -(-a.start // a.window) * a.window
    expected = max(0, int((a.end - a.delay - first) // a.window))
    r = {"layout": a.layout, "expected_windows": expected, "windows": len(complete),
         "window_files": len(per_file),
         "p50": percentile(per_file, 0.5), "p99": percentile(per_file, 0.99),
         "max": max(per_file) if per_file else None,
         "complete_p50": percentile(list(complete.values()), 0.5),
         "complete_p99": percentile(list(complete.values()), 0.99)}
    r = {k: round(v, 2) if isinstance(v, float) else v for k, v in r.items()}
    if a.json:
        with open(a.json, "w") as f:
            json.dump(r, f)
            f.write("\n")
    print(json.dumps(r))


if __name__ == "__main__":
    main()
