"""An independent implementation of the replay rules, for checking lakestream's output.

Written from the rules in issue 2 / src/mta/replay.h, sharing no code with lakestream.
"""
import collections
import gzip


def read_rows(path):
    """Yields (line_no, [CA, UNIT, SCP, STATION, LINENAME, DIVISION, DATE, TIME, DESC, ENTRIES, EXITS])."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", newline="") as f:
        lines = f.read().split("\n")
    header = [x.strip() for x in lines[0].split(",")]
    skip = 1 if header[0] == "" else 0
    for n, line in enumerate(lines[1:], start=2):
        line = line.rstrip("\r").strip()
        if line:
            yield n, [x.strip() for x in line.split(",")][skip:]


def replay(paths, max_delta=10000):
    """Returns (messages, anomalies); a message is a dict with the 13 wire fields but ID."""
    devices = collections.OrderedDict()
    order = 0
    for path in paths:
        for _, f in read_rows(path):
            m, d, y = f[6].split("/")
            ts = f"{y}-{m}-{d} {f[7]}"
            devices.setdefault((f[0], f[1], f[2]), []).append((ts, order, f))
            order += 1
    out, anomalies = [], 0
    for readings in devices.values():
        readings.sort(key=lambda r: r[0])
        kept = []
        for r in readings:
            if kept and kept[-1][0] == r[0]:
                if kept[-1][2][8] != "REGULAR" and r[2][8] == "REGULAR":
                    kept[-1] = r
                continue
            kept.append(r)
        for prev, cur in zip(kept, kept[1:]):
            de = int(cur[2][9]) - int(prev[2][9])
            dx = int(cur[2][10]) - int(prev[2][10])
            if de < 0 or de > max_delta:
                de, anomalies = 0, anomalies + 1
            if dx < 0 or dx > max_delta:
                dx, anomalies = 0, anomalies + 1
            f = cur[2]
            out.append((cur[0], cur[1], {
                "CA": f[0], "UNIT": f[1], "SCP": f[2], "STATION": f[3], "LINENAME": f[4],
                "DIVISION": f[5], "DESC": f[8], "ENTRIES": de, "EXITS": dx, "TIMESTAMP": cur[0],
            }))
    out.sort(key=lambda t: (t[0], t[1]))
    return [m for _, _, m in out], anomalies
