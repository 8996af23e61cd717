"""Benchmark: how fast the Explorer redraws when the room changes team or KPI.

Run: ``.venv/bin/python benchmarks/bench_explorer.py`` (prints figures; not a test).

Target (issue 6): changing team or KPI redraws in at most 300 ms for two years
of daily data for one team, median over 20 changes. The data: the synthetic
generator, two teams (so that the team can change), 104 weeks, KPIs per day.
Every change is timed from setting the widget value until the chart image,
reading, signal list and drill-down text are updated, with the Explorer's chart
and chart-kind caches emptied first (a cold redraw, the slow case).

Side by side in the same run, the baseline: what the redraw cannot avoid —
``qoswb.spc.chart`` of the same series plus a bare matplotlib line of it saved
as PNG — so the ratio shows what the app adds on top.
"""

import io
import statistics
import sys
import time
import warnings

from qoswb.data.synthetic import generate
from qoswb.spc import chart
from qoswb.widgets import Explorer

CHANGES = 20
TARGET_MS = 300.0


def baseline(series) -> None:
    """The irreducible work: the control chart's numbers and a plain PNG of the series."""
    from matplotlib.figure import Figure

    cc = chart("i", series, y="value", x="period")
    figure = Figure(figsize=(9, 3.4))
    ax = figure.subplots()
    ax.plot(cc.frame["x"], cc.frame["y"])
    figure.savefig(io.BytesIO(), format="png", dpi=72)


def main() -> int:
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    data = generate(seed=3, weeks=104, teams=["Returns", "Accounts"])
    app = Explorer(data, freq="D", team="Returns", kpi="first_response_median")
    print(f"setup: {len(data.interactions):,} cases, {len(app.series())} days per series, "
          f"{time.perf_counter() - t0:.1f} s")
    steps = [("kpi", "sla_response"), ("team", "Accounts"), ("kpi", "first_response_median"),
             ("team", "Returns"), ("kpi", "csat_mean")]
    app_ms, base_ms = [], []
    for i in range(CHANGES):
        name, value = steps[i % len(steps)]
        app._cache.clear()
        app._plans.clear()
        start = time.perf_counter()
        getattr(app, name).value = value
        app_ms.append(1000 * (time.perf_counter() - start))
        series = app.series()
        start = time.perf_counter()
        baseline(series)
        base_ms.append(1000 * (time.perf_counter() - start))
    app_median, base_median = statistics.median(app_ms), statistics.median(base_ms)
    print(f"{'':28}{'median ms':>10}{'max ms':>9}")
    print(f"{'Explorer redraw (cold)':28}{app_median:10.0f}{max(app_ms):9.0f}")
    print(f"{'baseline: chart + plain PNG':28}{base_median:10.0f}{max(base_ms):9.0f}")
    print(f"ratio Explorer / baseline: {app_median / base_median:.2f}")
    met = app_median <= TARGET_MS
    print(f"target: median <= {TARGET_MS:.0f} ms over {CHANGES} changes: "
          f"{'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
