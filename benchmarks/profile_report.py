"""Where a team report's time goes: the data cache build, and each report's steps and cells.

1. ``cache``: the data cache build (:func:`qoswb.reports.cache.build` on the demo data),
   split into its steps: loading the data, linking the survey answers, the rejected rows,
   the KPI table (:func:`qoswb.metrics.kpis`), sorting and writing the Parquet files.
2. ``kernel``: ``--reports`` team reports run one after the other by one worker's
   machinery (:func:`qoswb.reports.execute.run_job` on a pre-warming
   :class:`~qoswb.reports.kernels.Kernels`, forked or not as ``--fork`` says), each step
   timed: waiting for a started kernel, papermill (and within it every template cell,
   from the ``papermill.duration`` papermill records in the executed notebook), the HTML
   export, writing the files.
3. ``inside``: the template's code cells replayed in this process on the same cache (no
   kernel, ``display`` a no-op), with the pieces a cell is made of timed apart: reading the
   team's view from the cache, drawing the charts, rendering the figures (SVG).

Medians over the reports (the first, which pays for first imports, is shown apart).

    .venv/bin/python benchmarks/profile_report.py --reports 6
    .venv/bin/python benchmarks/profile_report.py --only inside --reports 10
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import functools
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_batch import KPIS, PRELOAD, TARGETS, TEMPLATE, load  # noqa: E402


class Clock:
    """Seconds spent in named steps, summed per round (a report, a build)."""

    def __init__(self):
        self.rounds: list[dict] = []
        self.now = collections.Counter()

    def wrap(self, owner, name: str, step: str | None = None):
        """Replace ``owner.name`` by a timed call of it (undone by :meth:`restore`)."""
        real = getattr(owner, name)

        @functools.wraps(real)
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return real(*args, **kwargs)
            finally:
                self.now[step or name] += time.perf_counter() - start

        setattr(owner, name, timed)
        undo = contextlib.ExitStack()
        undo.callback(setattr, owner, name, real)
        return undo

    def next_round(self) -> None:
        self.rounds.append(dict(self.now))
        self.now.clear()

    def table(self, title: str, total: str | None = None) -> None:
        """Print the median of each step over the rounds after the first (the first apart)."""
        steps = list(dict.fromkeys(k for r in self.rounds for k in r))
        later = self.rounds[1:] or self.rounds
        print(f"{title} ({len(self.rounds)} round(s); median of rounds 2+, round 1 apart) (load {load()})")
        whole = statistics.median(r.get(total, 0) for r in later) if total else None
        for step in steps:
            median = statistics.median(r.get(step, 0.0) for r in later)
            share = f"{median / whole:6.1%}" if whole else "      "
            print(f"  {step:<44} {median:7.3f} s {share}   (first {self.rounds[0].get(step, 0.0):.3f} s)")


def profile_cache(folder: Path) -> None:
    """The demo data's cache build, step by step."""
    import pandas as pd

    from qoswb.reports import cache as rc

    clock = Clock()
    undo = contextlib.ExitStack()
    for name, step in (("_load", "load the data (demo_data)"), ("link_surveys", "link survey answers"),
                       ("_whose", "rejected rows"), ("derived", "KPI table (metrics.kpis, weekly)")):
        undo.enter_context(clock.wrap(rc, name, step))
    undo.enter_context(clock.wrap(pd.DataFrame, "sort_values", "sort by team (sort_values)"))
    undo.enter_context(clock.wrap(pd.DataFrame, "to_parquet", "write Parquet files"))
    with undo:
        for i in range(2):
            start = time.perf_counter()
            rc.build({"source": "demo", "kind": "interactions"}, "month", folder / f"cache{i}", kpis=KPIS)
            clock.now["whole build"] = time.perf_counter() - start
            clock.next_round()
    clock.table("data cache build (demo data)", total="whole build")


def jobs_for(cache: Path, count: int) -> list[dict]:
    """``count`` team-report jobs on ``cache`` (teams of the latest months)."""
    from qoswb.reports import cache as rc
    from qoswb.reports.params import period

    teams = rc.meta(cache)["teams"]
    out = []
    for i in range(count):
        team, label = teams[i % len(teams)], ["2025-05", "2025-04", "2025-03"][(i // len(teams)) % 3]
        p = period(label, "month")
        name = f"{team.replace(' ', '_')}-{label}"
        out.append({"template_path": str(TEMPLATE), "notebook": f"{name}.ipynb", "html": f"{name}.html",
                    "parameters": {"team": team, "period": label, "period_start": p.start,
                                   "period_end": p.end, "grain": "month", "kpis": KPIS,
                                   "targets": TARGETS, "sla": None, "cache": str(cache)}})
    return out


def profile_kernel(folder: Path, cache: Path, count: int, fork: bool) -> None:
    """``count`` reports through one worker's machinery, each step and each cell timed."""
    import papermill

    from qoswb.reports import execute
    from qoswb.reports.kernels import Kernels

    clock = Clock()
    executed = []

    def keep(notebook):
        executed.append(notebook)
        return notebook

    out = folder / ("kernel-fork" if fork else "kernel-launch")
    out.mkdir()
    kernels = Kernels(prewarm=True, cwd=str(out), preload=PRELOAD, fork=fork)
    kernels.warm()
    execute.exporter()
    undo = contextlib.ExitStack()
    undo.enter_context(clock.wrap(kernels, "take", "wait for a started kernel (take)"))
    undo.enter_context(clock.wrap(papermill, "execute_notebook", "papermill (parameterise, run, write .ipynb)"))
    undo.enter_context(clock.wrap(execute, "to_html", "HTML export (nbconvert, offline_html)"))
    undo.enter_context(clock.wrap(execute, "write_synced", "write the HTML (fsync)"))
    real = papermill.execute_notebook
    papermill.execute_notebook = lambda *a, **k: keep(real(*a, **k))
    undo.callback(setattr, papermill, "execute_notebook", real)
    with undo:
        for job in jobs_for(cache, count):
            start = time.perf_counter()
            result = execute.run_job(job, str(out), 600, kernels)
            assert result["status"] == "ok", result["error"]
            clock.now["whole report (run_job)"] = time.perf_counter() - start
            cells = executed[-1].cells
            for i, cell in enumerate(cells):
                if cell.cell_type == "code":
                    first = cell.source.splitlines()[0][:30] if cell.source else ""
                    clock.now[f"  cell {i:2d} {first}"] = cell.metadata["papermill"]["duration"] or 0.0
            clock.next_round()
    kernels.close()
    clock.table(f"team reports, one worker, kernels {'forked' if fork else 'launched'}",
                total="whole report (run_job)")


def profile_inside(cache: Path, count: int) -> None:
    """The template's code cells replayed in this process, with cache reads, drawing and rendering apart."""
    import IPython.display as ipd
    import matplotlib

    matplotlib.use("agg")
    import matplotlib.figure
    import nbformat

    from qoswb.reports import cache as rc
    from qoswb.reports import views

    nb = nbformat.read(TEMPLATE, as_version=4)
    code = [(i, c.source) for i, c in enumerate(nb.cells) if c.cell_type == "code" and "parameters" not in
            c.metadata.get("tags", [])]
    clock = Clock()
    undo = contextlib.ExitStack()
    real_display = ipd.display
    ipd.display = lambda *a, **k: None
    undo.callback(setattr, ipd, "display", real_display)
    undo.enter_context(clock.wrap(rc, "read", "read the cache (Parquet, per call)"))
    undo.enter_context(clock.wrap(rc, "meta", "read meta.json"))
    undo.enter_context(clock.wrap(views, "charts_as_of", "charts and matrix as of the period end"))
    undo.enter_context(clock.wrap(views, "reading_table", "readings (narrative)"))
    undo.enter_context(clock.wrap(views, "answered_by", "survey KPIs without late answers"))
    undo.enter_context(clock.wrap(views, "cases_of", "the team's cases and answers"))
    undo.enter_context(clock.wrap(matplotlib.figure.Figure, "savefig", "render the figures (savefig, SVG)"))
    with undo:
        for job in jobs_for(cache, count):
            space = dict(job["parameters"])
            for i, source in code:
                start = time.perf_counter()
                exec(compile(source, f"cell {i}", "exec"), space)  # the template's own code, no kernel
                clock.now[f"cell {i:2d} {source.splitlines()[0][:30]}"] = time.perf_counter() - start
            clock.next_round()
    clock.table("template cells replayed in-process (no kernel)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", type=lambda v: v.split(","), default=["cache", "kernel", "inside"])
    parser.add_argument("--reports", type=int, default=6)
    parser.add_argument("--fork", choices=["on", "off"], default="on")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="profile-report-") as tmp:
        folder = Path(tmp)
        os.environ.setdefault("QOSWB_DATA_DIR", str(folder / "data"))
        print(f"machine: {os.cpu_count()} cores, load average at start {load()}")
        from qoswb.reports import cache as rc

        cache = rc.build({"source": "demo", "kind": "interactions"}, "month", folder / "batch", kpis=KPIS)
        if "cache" in args.only:
            profile_cache(folder)
        if "kernel" in args.only:
            profile_kernel(folder, cache, args.reports, args.fork == "on")
        if "inside" in args.only:
            profile_inside(cache, args.reports)
        print(json.dumps({"reports": args.reports, "fork": args.fork}))


if __name__ == "__main__":
    main()
