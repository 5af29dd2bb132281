"""Builds the benchmark's messages from one real MTA week, for kcat to publish.

Input: the `lakestream produce --source <week> --format csv --dump FILE` output
(key TAB value, in event-time order). Output: N messages, the week replayed as often as
needed, copy k shifted by k weeks (DATE and TIMESTAMP moved by 7k days, the first 8 hex
digits of the ID replaced by k, so every copy is new data), split into one file per
Kafka partition by crc32(key) % P (every device stays in one partition, in event-time
order). Each partition file ends with one end-of-stream marker (STATION END-OF-STREAM,
ENTRIES = EXITS = 0) a day after the last reading, so that every window of the real
data closes under both jobs' watermarks; the markers' own windows never close.

  python3 bench/make_messages.py DUMP N OUTDIR [--partitions 4]

Writes OUTDIR/p<i>.tsv and prints a JSON summary (messages, ENTRIES, EXITS, copies).
"""
import argparse
import json
import os
import zlib
from datetime import datetime, timedelta


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dump")
    ap.add_argument("messages", type=int)
    ap.add_argument("outdir")
    ap.add_argument("--partitions", type=int, default=4)
    a = ap.parse_args()

    with open(a.dump) as f:
        week = [line.rstrip("\n").split("\t", 1) for line in f]
    rows = []
    for key, value in week:
        fields = value.split(",")
        assert len(fields) == 13, f"not a 13-field csv message: {value!r}"
        rows.append((key, crc32_partition(key, a.partitions), fields))

    os.makedirs(a.outdir, exist_ok=True)
    outs = [open(os.path.join(a.outdir, f"p{i}.tsv"), "w") for i in range(a.partitions)]
    written = entries = exits = 0
    copy = 0
    last_ts = None
    while written < a.messages:
        shift = timedelta(days=7 * copy)
        dmap, tmap = {}, {}
        for key, part, f in rows:
            if written == a.messages:
                break
            d = dmap.get(f[6])
            if d is None:
                d = dmap[f[6]] = (datetime.strptime(f[6], "%m-%d-%y") + shift).strftime("%m-%d-%y")
            day = f[12][:10]
            t = tmap.get(day)
            if t is None:
                t = tmap[day] = (datetime.strptime(day, "%Y-%m-%d") + shift).strftime("%Y-%m-%d")
            ts = t + f[12][10:]
            out = f[:6] + [d] + f[7:11] + [f"{copy:08x}" + f[11][8:], ts]
            outs[part].write(key + "\t" + ",".join(out) + "\n")
            entries += int(f[9])
            exits += int(f[10])
            written += 1
            last_ts = ts
        copy += 1
    end = datetime.strptime(last_ts, "%Y-%m-%d %H:%M:%S") + timedelta(days=1)
    for i, out in enumerate(outs):
        marker = ["ZEND", "ZEND", "00-00-00", "END-OF-STREAM", "0", "END", end.strftime("%m-%d-%y"),
                  end.strftime("%H:%M:%S"), "REGULAR", "0", "0", f"end-of-stream-{i}",
                  end.strftime("%Y-%m-%d %H:%M:%S")]
        out.write(f"end-of-stream-{i}\t" + ",".join(marker) + "\n")
        out.close()
    print(json.dumps({"messages": written, "markers": a.partitions, "entries": entries,
                      "exits": exits, "copies": copy, "first_week_rows": len(rows)}))


def crc32_partition(key, partitions):
    return zlib.crc32(key.encode()) % partitions


if __name__ == "__main__":
    main()
