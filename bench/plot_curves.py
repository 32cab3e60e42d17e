"""Plots bench/curves.sh's CSV: latency percentiles against offered load, one panel per request
size, one colour per path, one line style per percentile. Both axes are logarithmic because the
paths' maxima differ by an order of magnitude (the Python reference) and latency explodes at
saturation. References measured by h2load are drawn as vertical lines at their throughput.

usage: plot_curves.py CURVES.csv OUTPUT.png
"""
import csv
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the file-only backend)
from matplotlib.lines import Line2D  # noqa: E402

source, output = sys.argv[1], sys.argv[2]
rows = list(csv.DictReader(open(source)))
colours = {"worker": "tab:blue", "gateway": "tab:orange", "pipeline": "tab:green", "python-ort": "tab:red"}
# p90 stays in the CSV only: four styles per colour made the panels unreadable.
styles = {"p50_ms": ("-", "p50"), "p99_ms": ("--", "p99"), "p999_ms": (":", "p99.9")}

sizes = sorted({r["rows"] for r in rows if r["path"] in colours}, key=int)
figure, axes = plt.subplots(1, len(sizes), figsize=(6.5 * len(sizes), 5), squeeze=False, sharey=True)
for axis, size in zip(axes[0], sizes):
    curves = defaultdict(list)
    for r in rows:
        if r["rows"] == size and r["path"] in colours and r["load_pct"] != "max":
            curves[r["path"]].append(r)
    for path, points in curves.items():
        points.sort(key=lambda r: float(r["offered_rps"]))
        x = [float(r["offered_rps"]) for r in points]
        for column, (style, _) in styles.items():
            axis.plot(x, [max(float(r[column]), 1e-3) for r in points], style, color=colours[path], marker=".")
    for r in rows:  # h2load's maxima, where they apply to this panel
        if r["load_pct"] == "max" and r["path"] == "nghttpd-static":
            axis.axvline(float(r["achieved_rps"]), color="grey", linewidth=1)
            axis.annotate("nghttpd static (h2load)", (float(r["achieved_rps"]), 0.03), xycoords=axis.get_xaxis_transform(),
                          rotation=90, color="grey", fontsize=7, ha="right", va="bottom")
        if r["load_pct"] == "max" and r["path"] == "h2load-worker" and r["rows"] == size:
            axis.axvline(float(r["achieved_rps"]), color=colours["worker"], linewidth=1, alpha=0.5)
            axis.annotate("worker max (h2load)", (float(r["achieved_rps"]), 0.03), xycoords=axis.get_xaxis_transform(),
                          rotation=90, color=colours["worker"], fontsize=7, ha="right", va="bottom")
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_title(f"ModelInfer, {size} row{'s' if size != '1' else ''} per request")
    axis.set_xlabel("offered load (requests/s, open loop)")
    axis.grid(True, which="both", alpha=0.3)
axes[0][0].set_ylabel("latency from due time (ms)")
handles = [Line2D([], [], color=c, label=p) for p, c in colours.items()]
handles += [Line2D([], [], color="black", linestyle=s, label=label) for s, label in styles.values()]
figure.legend(handles=handles, loc="upper center", ncol=len(handles), fontsize=8, frameon=False)
figure.tight_layout(rect=(0, 0, 1, 0.94))
figure.savefig(output, dpi=110)
print(f"wrote {output}")
