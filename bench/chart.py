"""Draws the comparison chart: records/s and peak RSS of the bare consumer (the limit),
lakestream and the seed's Spark job, from the measurement JSON files of bench/compare.sh.

  $LAKESTREAM_SPARK_VENV/bin/python bench/chart.py OUT.png TITLE NAME=MEASURE.json...
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    draw(sys.argv[1:])


def draw(argv):
    out, title, runs = argv[0], argv[1], argv[2:]
    names, rates, rss = [], [], []
    for arg in runs:
        name, path = arg.split("=", 1)
        with open(path) as f:
            m = json.load(f)
        names.append(name)
        rates.append(m["records_per_second"])
        rss.append(m["peak_rss_mb"])
    colors = ["#999999", "#2b7bba", "#e8702a"][: len(names)]
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4.2))
    for ax, values, label, fmt in ((a, rates, "records/s (higher is better)", "{:,.0f}"),
                                   (b, rss, "peak RSS, MB (lower is better)", "{:,.0f}")):
        bars = ax.bar(names, values, color=colors)
        ax.set_title(label)
        ax.set_yscale("log")
        ax.bar_label(bars, labels=[fmt.format(v) for v in values])
        ax.margins(y=0.2)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=110)


if __name__ == "__main__":
    main()
