"""The seed's PySpark Structured Streaming consumer (docs: seed-system.md §2), for the
side-by-side benchmarks, with its query kept as it was and two of its bugs fixed the way
lakestream fixes them:
  - the dedup is applied: dropDuplicates(ID, STATION, TIMESTAMP) under the watermark
    (the seed discarded its result);
  - event times are UTC (spark.sql.session.timeZone=UTC), as in lakestream.

The query, as in the seed: Kafka source from the earliest offsets; the value split on ','
and the 13 fields assigned by position (ENTRIES, EXITS integers; '"' stripped from the
first and last fields, the seed producer's JSON-string quirk); TIMESTAMP parsed
yyyy-MM-dd HH:mm:ss; watermark delay = window duration; groupBy(window(TS, duration,
slide), CA, UNIT, SCP, STATION, LINENAME, DIVISION, DATE, DESC) with sum(ENTRIES),
sum(EXITS); TIME = window end HH:mm:ss; append mode; each micro-batch is converted with
toPandas(), DATE rewritten to %m/%d/%Y, and written as
<lake>/turnstile/batch_<id>_<YYYYmmdd_HHMMSS>.csv.gz with pandas' index as the leading
unnamed column. A file is written under a temporary name and renamed, so its mtime is
its commit time; empty batches write no file.

Run with the venv of bench/spark/setup.sh (bench/spark/run.sh sets it up):
  bench/spark/run.sh --bootstrap 127.0.0.1:29092 --topic T --lake DIR \
      [--trigger available-now|<N>s|<N>min] [--duration 5m] [--slide 5m] [--stats-json F]

--trigger available-now processes what the topic holds when the query starts and stops
(Trigger.AvailableNow); any other value is a processing-time trigger, and the query runs
until --run-seconds have passed or SIGTERM / SIGINT arrives (then it stops between
micro-batches and writes its stats).
"""
import argparse
import glob
import json
import os
import re
import signal
import sys
import time
from datetime import datetime

SCHEMA = [("CA", "string"), ("UNIT", "string"), ("SCP", "string"), ("STATION", "string"),
          ("LINENAME", "string"), ("DIVISION", "string"), ("DATE", "string"), ("TIME", "string"),
          ("DESC", "string"), ("ENTRIES", "int"), ("EXITS", "int"), ("ID", "string"),
          ("TIMESTAMP", "string")]
OUTPUT = ["CA", "UNIT", "SCP", "STATION", "LINENAME", "DIVISION", "DATE", "TIME", "DESC",
          "ENTRIES", "EXITS"]


def spark_interval(text):
    """'5' (minutes, the seed's unit), '5m', '5min', '10s' -> '5 minutes', '10 seconds'."""
    m = re.fullmatch(r"(\d+)\s*(s|sec|seconds?|m|min|minutes?|h|hours?)?", text.strip())
    if not m:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r}")
    unit = (m.group(2) or "m")[0]
    return m.group(1) + {"s": " seconds", "m": " minutes", "h": " hours"}[unit]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bootstrap", required=True)
    p.add_argument("--topic", required=True)
    p.add_argument("--lake", required=True, help="lake folder; files go to <lake>/turnstile/")
    p.add_argument("--checkpoint", help="default: <lake>/_checkpoint")
    p.add_argument("--duration", type=spark_interval, default="5 minutes")
    p.add_argument("--slide", type=spark_interval, default="5 minutes")
    p.add_argument("--trigger", default="available-now")
    p.add_argument("--run-seconds", type=float, default=0)
    p.add_argument("--max-offsets-per-trigger", type=int, default=0, help="0: Spark's default (no limit)")
    p.add_argument("--shuffle-partitions", type=int, default=0, help="0: Spark's default (200)")
    p.add_argument("--driver-memory", default="4g")
    p.add_argument("--stats-json")
    return p.parse_args()


def main():
    args = parse_args()
    jars_dir = os.environ.get("LAKESTREAM_SPARK_JARS")
    if not jars_dir or not glob.glob(os.path.join(jars_dir, "spark-sql-kafka-*.jar")):
        sys.exit("LAKESTREAM_SPARK_JARS does not hold the Kafka source jars: run bench/spark/setup.sh")
    import pandas as pd
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    builder = (SparkSession.builder.appName("appTurnstile").master("local[2]")
               .config("spark.jars", ",".join(sorted(glob.glob(os.path.join(jars_dir, "*.jar")))))
               .config("spark.driver.memory", args.driver_memory)
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .config("spark.sql.streaming.numRecentProgressUpdates", "1000000")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false"))
    if args.shuffle_partitions:
        builder = builder.config("spark.sql.shuffle.partitions", str(args.shuffle_partitions))
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")

    reader = (spark.readStream.format("kafka")
              .option("kafka.bootstrap.servers", args.bootstrap)
              .option("subscribe", args.topic)
              .option("startingOffsets", "earliest")
              .option("failOnDataLoss", "false"))
    if args.max_offsets_per_trigger:
        reader = reader.option("maxOffsetsPerTrigger", str(args.max_offsets_per_trigger))
    raw = reader.load()

    # Parse: split on ',' and assign the fields by position (the seed's parse_messages).
    fields = F.split(F.col("value").cast("string"), ",")
    df = raw.select(*[fields.getItem(i).cast(t).alias(name) for i, (name, t) in enumerate(SCHEMA)])
    df = (df.withColumn("CA", F.regexp_replace("CA", '"', ""))
            .withColumn("TIMESTAMP", F.regexp_replace("TIMESTAMP", '"', "")))

    # Aggregate (the seed's agg_messages), with the dedup applied.
    df = df.withColumn("TIMESTAMP", F.to_timestamp("TIMESTAMP", "yyyy-MM-dd HH:mm:ss"))
    df = df.withWatermark("TIMESTAMP", args.duration).dropDuplicates(["ID", "STATION", "TIMESTAMP"])
    windowed = (df.groupBy(F.window("TIMESTAMP", args.duration, args.slide),
                           "CA", "UNIT", "SCP", "STATION", "LINENAME", "DIVISION", "DATE", "DESC")
                  .agg(F.sum("ENTRIES").alias("ENTRIES"), F.sum("EXITS").alias("EXITS"))
                  .withColumn("TIME", F.date_format("window.end", "HH:mm:ss"))
                  .select(*OUTPUT))

    out_dir = os.path.join(args.lake, "turnstile")
    os.makedirs(out_dir, exist_ok=True)
    written = {"files": 0, "rows": 0}

    def write_batch(batch_df, batch_id):  # the seed's foreachBatch writer
        pdf = batch_df.toPandas()
        if pdf.empty:
            return
        pdf["DATE"] = pd.to_datetime(pdf["DATE"], format="%m-%d-%y").dt.strftime("%m/%d/%Y")
        name = f"batch_{batch_id}_{datetime.now().strftime('%Y%m%d_%H%M%S')}.csv.gz"
        tmp = os.path.join(out_dir, "." + name + ".tmp")
        pdf.to_csv(tmp, compression="gzip")
        os.replace(tmp, os.path.join(out_dir, name))
        written["files"] += 1
        written["rows"] += len(pdf)

    writer = (windowed.writeStream.outputMode("append").foreachBatch(write_batch)
              .option("checkpointLocation", args.checkpoint or os.path.join(args.lake, "_checkpoint")))
    if args.trigger == "available-now":
        writer = writer.trigger(availableNow=True)
    else:
        writer = writer.trigger(processingTime=spark_interval(args.trigger))

    start = time.monotonic()
    query = writer.start()
    print(f"[seed-consumer] query started, trigger {args.trigger}", file=sys.stderr, flush=True)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    deadline = start + args.run_seconds if args.run_seconds else float("inf")
    while query.isActive and not stop and time.monotonic() < deadline:
        query.awaitTermination(1)
    if query.isActive:  # SIGTERM / SIGINT / --run-seconds: stop between micro-batches
        query.stop()
    if query.exception():
        raise query.exception()
    seconds = time.monotonic() - start
    records = sum(p.get("numInputRows", 0) for p in query.recentProgress)
    batches = len(query.recentProgress)
    if args.stats_json:
        with open(args.stats_json, "w") as f:
            json.dump({"records": records, "batches": batches, "seconds": seconds,
                       "files": written["files"], "rows": written["rows"]}, f)
            f.write("\n")
    print(f"[seed-consumer] {records} records in {batches} batches, {seconds:.1f} s; "
          f"{written['files']} files, {written['rows']} rows", file=sys.stderr)

    # Stop the JVM and wait for it, so that its CPU time and peak RSS are counted in
    # this process's children (getrusage) by whoever measures this run.
    gateway = spark.sparkContext._gateway
    spark.stop()
    gateway.shutdown()
    proc = getattr(gateway, "proc", None)
    if proc is not None:
        proc.stdin.close()
        proc.wait()


if __name__ == "__main__":
    main()
