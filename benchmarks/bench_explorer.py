"""Benchmark: how fast the Explorer redraws when the room changes team or KPI.

Run: ``.venv/bin/python benchmarks/bench_explorer.py`` (prints figures; not a test).

Target (issue 6): changing team or KPI redraws in at most 300 ms for two years
of daily data for one team, median over 20 changes. The data: the synthetic
generator, two teams (so that the team can change), 104 weeks, KPIs per day.
Every change is timed from setting the widget value until the chart image,
reading, signal list and drill-down text are updated, with the chart cache
emptied first. Two runs: "cold" also forgets the chart kinds (decided per KPI
for all teams on its first use by ``qoswb.metrics.chart_kinds``, see
``Explorer.chart_plan``), the slowest case;
"typical" keeps them, as a session does once each KPI has been looked at.

Side by side in the same run, the baseline: what the redraw cannot avoid —
``qoswb.spc.chart`` of the same series plus a bare matplotlib line of it saved
as PNG — so the ratio shows what the app adds on top. And what the cold redraw
pays for the kind of chart: ``qoswb.metrics.chart_kinds`` (what the Explorer
calls) beside ``qoswb.metrics.charts`` (which decides the same kinds while
drawing every team's chart, what the Explorer called before).
"""

import io
import statistics
import sys
import time
import warnings

from qoswb.data.synthetic import generate
from qoswb.metrics import chart_kinds, charts
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


def kind_decision(table, kpis) -> tuple[float, float]:
    """Median ms of chart_kinds and of charts on the rows of each KPI (all teams), interleaved."""
    kinds_ms, charts_ms = [], []
    for _ in range(3):
        for kpi in kpis:
            rows = table[(table["kpi"] == kpi).to_numpy()]
            for call, times in ((chart_kinds, kinds_ms), (charts, charts_ms)):
                start = time.perf_counter()
                call(rows)
                times.append(1000 * (time.perf_counter() - start))
    return statistics.median(kinds_ms), statistics.median(charts_ms)


def main() -> int:
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    data = generate(seed=3, weeks=104, teams=["Returns", "Accounts"])
    app = Explorer(data, freq="D", team="Returns", kpi="first_response_median")
    print(f"setup: {len(data.interactions):,} cases, {len(app.series())} days per series, "
          f"{time.perf_counter() - t0:.1f} s")
    steps = [("kpi", "sla_response"), ("team", "Accounts"), ("kpi", "first_response_median"),
             ("team", "Returns"), ("kpi", "csat_mean")]
    results = {}
    for label, forget_plans in (("cold", True), ("typical", False)):
        app_ms, base_ms = [], []
        for i in range(CHANGES):
            name, value = steps[i % len(steps)]
            app._cache.clear()
            if forget_plans:
                app._plans.clear()
            start = time.perf_counter()
            getattr(app, name).value = value
            app_ms.append(1000 * (time.perf_counter() - start))
            series = app.series()
            start = time.perf_counter()
            baseline(series)
            base_ms.append(1000 * (time.perf_counter() - start))
        results[label] = (statistics.median(app_ms), max(app_ms), statistics.median(base_ms))
    print(f"{'':46}{'median ms':>10}{'max ms':>9}")
    for label, (median, worst, _) in results.items():
        what = {"cold": "Explorer redraw, cold (no cache at all)",
                "typical": "Explorer redraw, typical (kinds planned)"}[label]
        print(f"{what:46}{median:10.0f}{worst:9.0f}")
    base = statistics.median([r[2] for r in results.values()])
    print(f"{'baseline: chart + plain PNG':46}{base:10.0f}")
    kinds_ms, charts_ms = kind_decision(app.source.table, sorted({v for n, v in steps if n == "kpi"}))
    print(f"{'kinds of one KPI (all teams): chart_kinds':46}{kinds_ms:10.0f}")
    print(f"{'  the same kinds by metrics.charts':46}{charts_ms:10.0f}")
    for label, (median, _, _) in results.items():
        met = "met" if median <= TARGET_MS else "NOT met"
        print(f"{label}: ratio to baseline {median / base:.2f}; target median <= "
              f"{TARGET_MS:.0f} ms over {CHANGES} changes: {met}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
