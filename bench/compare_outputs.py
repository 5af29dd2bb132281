"""Checks that lakestream's lake and the Spark job's lake hold the same aggregates.

Both are CSV.gz with the header `,CA,UNIT,SCP,STATION,LINENAME,DIVISION,DATE,TIME,DESC,
ENTRIES,EXITS`. lakestream's DATE is the window end's date; the seed's DATE is the
message's own date, so its window end is DATE + TIME, plus one day when TIME is 00:00:00
(the window that ends at midnight). Rows are compared as totals of ENTRIES and EXITS per
window end and CA, UNIT, SCP, STATION, LINENAME, DIVISION, DESC. The benchmark's
end-of-stream markers (STATION END-OF-STREAM) are left out.

  $LAKESTREAM_VENV/bin/python bench/compare_outputs.py LAKESTREAM_LAKE SPARK_LAKE [--json OUT]

Prints a JSON summary; exits 1 if the two differ.
"""
import argparse
import json
import sys

import duckdb

COLS = ["idx", "CA", "UNIT", "SCP", "STATION", "LINENAME", "DIVISION", "DATE", "TIME", "DESC",
        "ENTRIES", "EXITS"]
KEYS = ["window_end", "CA", "UNIT", "SCP", "STATION", "LINENAME", "DIVISION", "DESC"]


def read(con, glob, name, end_expr):
    con.execute(f"""
      CREATE TABLE {name} AS
      SELECT {end_expr} AS window_end, CA, UNIT, SCP, STATION, LINENAME, DIVISION, "DESC",
             sum(ENTRIES::BIGINT) AS ENTRIES, sum(EXITS::BIGINT) AS EXITS, count(*) AS n_rows
      FROM read_csv('{glob}', header = true, names = {COLS}, all_varchar = true, hive_partitioning = false)
      WHERE STATION <> 'END-OF-STREAM'
      GROUP BY ALL""")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lakestream_lake")
    ap.add_argument("spark_lake")
    ap.add_argument("--json")
    a = ap.parse_args()
    con = duckdb.connect()
    read(con, f"{a.lakestream_lake}/turnstile/*/*.csv.gz", "ls",
         "strptime(DATE || ' ' || TIME, '%m/%d/%Y %H:%M:%S')")
    read(con, f"{a.spark_lake}/turnstile/*.csv.gz", "spark",
         "strptime(DATE || ' ' || TIME, '%m/%d/%Y %H:%M:%S')"
         " + CASE WHEN TIME = '00:00:00' THEN INTERVAL 1 DAY ELSE INTERVAL 0 DAY END")
    on = " AND ".join(f'l."{k}" = s."{k}"' for k in KEYS)
    row = con.execute(f"""
      SELECT count(*) FILTER (WHERE s.CA IS NULL) AS only_lakestream,
             count(*) FILTER (WHERE l.CA IS NULL) AS only_spark,
             count(*) FILTER (WHERE l.CA IS NOT NULL AND s.CA IS NOT NULL
                              AND (l.ENTRIES <> s.ENTRIES OR l.EXITS <> s.EXITS)) AS different
      FROM ls l FULL OUTER JOIN spark s ON {on}""").fetchone()
    totals = {}
    for name in ("ls", "spark"):
        g, e, x, w, r = con.execute(
            f"SELECT count(*), sum(ENTRIES), sum(EXITS), count(DISTINCT window_end), sum(n_rows) FROM {name}"
        ).fetchone()
        totals["lakestream" if name == "ls" else "spark"] = {
            "groups": g, "rows": int(r or 0), "windows": w, "entries": int(e or 0), "exits": int(x or 0)}
    result = {"agree": row == (0, 0, 0) and totals["lakestream"]["groups"] > 0,
              "only_lakestream": row[0], "only_spark": row[1], "different": row[2], **totals}
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f)
            f.write("\n")
    print(json.dumps(result))
    sys.exit(0 if result["agree"] else 1)


if __name__ == "__main__":
    main()
