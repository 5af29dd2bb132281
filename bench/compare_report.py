"""Writes the report of bench/compare.sh: a Markdown table (with the machine and the
versions), a PNG chart (bench/chart.py), and prints the ratios lakestream/Spark and
lakestream/limit. Run by bench/compare.sh with the Spark venv's python.

  python bench/compare_report.py WORKDIR RECORDS TOPIC TOTAL_SECONDS OUT.md OUT.png
"""
import json
import os
import platform
import subprocess
import sys
from datetime import datetime, timezone

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
import chart  # noqa: E402


def load(path):
    with open(path) as f:
        return json.load(f)


def cmd(*args):
    try:
        return subprocess.run(args, capture_output=True, text=True, check=False).stdout.strip() \
            or subprocess.run(args, capture_output=True, text=True, check=False).stderr.strip()
    except OSError:
        return "?"


def main():
    work, records, topic, total, out_md, out_png = sys.argv[1:7]
    records = int(records)
    rows = []
    for name, label in (("bare", "limit: bare librdkafka reader"),
                        ("lakestream", "lakestream process --trigger available-now"),
                        ("spark", "seed's Spark job, Trigger.AvailableNow")):
        m = load(f"{work}/{name}.measure.json")
        s = load(f"{work}/{name}.stats.json")
        job_seconds = s.get("seconds", s.get("wall_seconds"))
        read = s.get("records", s.get("messages"))
        assert read == records, f"{name} read {read} of {records} records"
        m["records_per_second"] = records / m["wall_seconds"]
        with open(f"{work}/{name}.measure.json", "w") as f:
            json.dump(m, f)
        rows.append((name, label, m, job_seconds, read))
    agreement = load(f"{work}/agreement.json")
    meta = load(f"{work}/messages.json")
    by = {r[0]: r[2] for r in rows}
    r_spark = by["lakestream"]["records_per_second"] / by["spark"]["records_per_second"]
    r_limit = by["lakestream"]["records_per_second"] / by["bare"]["records_per_second"]
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    java = cmd("java", "-version").splitlines()[0]
    import pyspark
    dirty = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", "src"]).returncode != 0
    versions = (f"lakestream {cmd('git', 'rev-parse', '--short', 'HEAD')}"
                f"{' + uncommitted changes in src/' if dirty else ''}"
                f" (RelWithDebInfo; {cmd('build/release/src/app/lakestream', '--version')}),"
                f" Kafka {os.environ.get('LAKESTREAM_KAFKA_VERSION', '?')} (local, 1 node, KRaft),"
                f" pyspark {pyspark.__version__} (local[2]) on {java}, Python {platform.python_version()}")
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"# lakestream vs the seed's Spark consumer, {now}",
        "",
        f"Machine: {os.cpu_count()} cores ({platform.processor() or platform.machine()}), "
        f"{mem_gib:.1f} GiB RAM, shared with other work. {versions}.",
        "",
        f"Data: {meta['messages']:,} messages = the real week data/mta/turnstile_230603.csv.gz "
        f"({meta['first_week_rows']:,} messages) replayed {meta['copies']} times with dates shifted "
        f"a week per copy and new IDs, plus one end-of-stream marker per partition "
        f"({records:,} records in topic `{topic}`, 4 partitions, lz4, published with kcat). "
        "Query: 5-minute tumbling windows per device (CA, UNIT, SCP, STATION, LINENAME, DIVISION, "
        "DESC), sums of ENTRIES and EXITS, dedup on (ID, STATION, TIMESTAMP), watermark = window "
        "size, CSV.gz lake. Every job reads the topic from offset zero to its end and exits.",
        "",
        "| reader | wall s | records/s | CPU s (user+sys) | peak RSS MB | job's own seconds |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, label, m, job_seconds, read in rows:
        lines.append(f"| {label} | {m['wall_seconds']:.1f} | {m['records_per_second']:,.0f} | "
                     f"{m['cpu_seconds']:.1f} | {m['peak_rss_mb']:,.0f} | {job_seconds:.1f} |")
    lines += [
        "",
        f"Ratios of records/s: lakestream / Spark = **{r_spark:.1f}x**, "
        f"lakestream / limit = **{r_limit:.2f}**.",
        "",
        "Outputs: " + ("**agree exactly**" if agreement["agree"] else "**DIFFER**") +
        f" — {agreement['lakestream']['groups']:,} (window, group) totals in lakestream's lake, "
        f"{agreement['spark']['groups']:,} in Spark's; {agreement['only_lakestream']} only in "
        f"lakestream, {agreement['only_spark']} only in Spark, {agreement['different']} with "
        f"different sums; ENTRIES {agreement['lakestream']['entries']:,} / "
        f"{agreement['spark']['entries']:,}, EXITS {agreement['lakestream']['exits']:,} / "
        f"{agreement['spark']['exits']:,} (the messages hold ENTRIES {meta['entries']:,}, "
        f"EXITS {meta['exits']:,}).",
        "",
        "How it was measured (`bench/compare.sh`, whole run "
        f"{int(total) // 60} min {int(total) % 60} s including the build): wall s is the "
        "command's wall time including start-up (JVM and SparkSession for Spark), and "
        "records/s = records in the topic / wall s; CPU s and peak RSS cover the whole process "
        "tree (bench/measure.py: getrusage of the reaped children, RSS of the tree sampled "
        "every 100 ms). \"Job's own seconds\" is the time each job reports for its own work "
        "(Spark: from query start to termination). The bare reader only touches each "
        "message's bytes: it is the read-rate limit on this machine.",
        "",
        "Spark settings: the seed's query as it was (bench/spark/seed_consumer.py), with the "
        "dedup applied and spark.sql.session.timeZone=UTC; Spark's defaults otherwise "
        "(spark.sql.shuffle.partitions 200, HDFS-backed state store); "
        "spark.sql.execution.arrow.pyspark.enabled=true for the seed's toPandas() per "
        "micro-batch; driver memory sized to the backlog (Trigger.AvailableNow without "
        "maxOffsetsPerTrigger runs the whole backlog as one micro-batch, then one no-data "
        "batch emits the closed windows). lakestream: `process --trigger available-now "
        "--duration 5 --slide 5 --lake-format csv`, per-partition watermark.",
        "",
        f"![records/s and peak RSS]({os.path.basename(out_png)})",
        "",
    ]
    with open(out_md, "w") as f:
        f.write("\n".join(lines))
    chart.draw([out_png, f"{records:,} MTA turnstile records, 4 partitions, "
                     f"{os.cpu_count()} cores: read rate and memory"] +
                    [f"{n}={work}/{k}.measure.json" for k, n in
                     (("bare", "limit (bare reader)"), ("lakestream", "lakestream"),
                      ("spark", "Spark (seed)"))])
    print("\n".join(lines[:-3]))
    print(f"\nlakestream/Spark records/s = {r_spark:.2f}   lakestream/limit = {r_limit:.2f}")
    print(f"written to {out_md} and {out_png}")


if __name__ == "__main__":
    main()
