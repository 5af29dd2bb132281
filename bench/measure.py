"""Runs one command and measures it: wall seconds, CPU seconds (user + sys) and peak RSS
of the whole process tree. Needs psutil (in the venv of bench/spark/setup.sh).

  python bench/measure.py OUT.json -- COMMAND [ARGS...]

CPU: getrusage of the reaped children (the command and every descendant it waited for),
or the largest sampled total of the live tree if that is more (descendants that are never
reaped). Peak RSS: the largest sum of RSS over the live tree, sampled every 100 ms, or
the largest single process's peak from getrusage if that is more. The command's output
goes through; its exit status is this script's.
"""
import json
import os
import resource
import subprocess
import sys
import time

import psutil


def tree(proc):
    try:
        return [proc] + proc.children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def main():
    out, sep, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
    assert sep == "--" and cmd, __doc__
    start = time.monotonic()
    child = subprocess.Popen(cmd)
    root = psutil.Process(child.pid)
    peak_rss = 0
    peak_cpu = 0.0
    while child.poll() is None:
        rss = cpu = 0
        for p in tree(root):
            try:
                rss += p.memory_info().rss
                t = p.cpu_times()
                cpu += t.user + t.system + t.children_user + t.children_system
            except psutil.NoSuchProcess:
                pass
        peak_rss = max(peak_rss, rss)
        peak_cpu = max(peak_cpu, cpu)
        time.sleep(0.1)
    wall = time.monotonic() - start
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = max(ru.ru_utime + ru.ru_stime, peak_cpu)
    peak_rss = max(peak_rss, ru.ru_maxrss * 1024)
    result = {"command": cmd[0], "exit": child.returncode, "wall_seconds": round(wall, 3),
              "cpu_seconds": round(cpu, 2), "peak_rss_mb": round(peak_rss / 2**20, 1)}
    with open(out, "w") as f:
        json.dump(result, f)
        f.write("\n")
    print(f"[measure] {json.dumps(result)}", file=sys.stderr)
    sys.exit(child.returncode)


if __name__ == "__main__":
    main()
