"""Report batch speed and driver memory, with the baselines run side by side in the same run.

1. ``qoswb batch``: N team reports (demo data, HTML included) on 2 worker processes,
   with kernels forked from qoswb's warm server, with the fork server off
   (``QOSWB_FORK_SERVER=off``: kernels launched afresh, the preload imported in the
   background while the previous job runs), so the fork server's share is isolated,
   and forked by the standard library's forkserver context (``QOSWB_FORK_SERVER=stdlib``).
2. The loop a user would otherwise write: for each report, ``papermill`` then
   ``jupyter nbconvert --to html --no-input``, one after the other (the same
   template, parameters and data cache).
3. The floor: N × the time papermill's API takes to execute a minimal one-cell
   parameterised notebook, divided by the number of workers.
4. Peak memory of the batch driver (its own RSS, not the workers') for a tiny
   template at 50 and at 200 jobs.

Targets (issue 15): batch ≥ 8× faster than the serial loop, and ≤ 2× the floor;
driver memory flat from 50 to 200 jobs. The load average is printed with each
figure: on a shared machine a figure taken under load says less.

    .venv/bin/python benchmarks/bench_batch.py              # 50 reports, 2 workers
    .venv/bin/python benchmarks/bench_batch.py --reports 20 --skip-memory
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TEMPLATE = REPO / "templates" / "team_report.ipynb"
KPIS = ["sla_response", "first_response_median", "resolution_median", "fcr", "reopen_rate", "csat", "volume"]
TARGETS = {"sla_response": 0.9, "fcr": 0.7}
PRELOAD = ["pandas", "pyarrow.parquet", "matplotlib.pyplot", "qoswb.reports.views", "qoswb.spc.plot"]


def load() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


def team_periods(n: int) -> tuple[list[str], list[str]]:
    """Teams × months giving n reports (or the nearest product above)."""
    from qoswb.reports import cache as rc

    teams = rc.meta(rc.demo_cache())["teams"]
    months = ["2025-05", "2025-04", "2025-03", "2025-02", "2025-01", "2024-12", "2024-11", "2024-10"]
    per = max(1, min(len(teams), n // 5 or 1))
    count = -(-n // per)
    return teams[:per], sorted(months[:count])


def run_batch(folder: Path, teams, periods, workers: int, preload=PRELOAD,
              fork: str = "on") -> tuple[float, float, int]:
    """Time ``qoswb batch`` as a user runs it, kernels started as ``fork`` says (QOSWB_FORK_SERVER);
    returns (total s, of which cache s, reports)."""
    name = f"batch-{fork}"
    params = folder / f"{name}.yaml"
    params.write_text(json.dumps({
        "templates": ["team_report"], "data": "demo", "teams": teams, "periods": periods,
        "kpis": KPIS, "targets": TARGETS, "output": name, "preload": preload}))
    env = {**os.environ, "QOSWB_FORK_SERVER": fork}
    start = time.perf_counter()
    subprocess.run([str(BIN / "qoswb"), "batch", str(params), "--workers", str(workers), "--no-progress"],
                   check=True, stdout=subprocess.DEVNULL, env=env)
    total = time.perf_counter() - start
    manifest = json.loads((folder / name / "manifest.json").read_text())
    ok = sum(j["status"] == "ok" for j in manifest["jobs"])
    cache = time.perf_counter()
    from qoswb.reports import cache as rc  # the cache build alone, timed again for the record

    rc.build({"source": "demo", "kind": "interactions"}, "month", folder / "cache-only", kpis=KPIS)
    return total, time.perf_counter() - cache, ok


def run_serial(folder: Path, teams, periods) -> float:
    """The user's loop: papermill CLI, then nbconvert CLI, report after report."""
    from qoswb.reports import cache as rc
    from qoswb.reports.params import period

    cache = str(rc.demo_cache())
    out = folder / "serial"
    out.mkdir()
    start = time.perf_counter()
    for team in teams:
        for label in periods:
            p = period(label, "month")
            nb = out / f"{team.replace(' ', '_')}-{label}.ipynb"
            args = ["-p", "team", team, "-p", "period", label, "-p", "period_start", p.start,
                    "-p", "period_end", p.end, "-p", "cache", cache]
            subprocess.run([str(BIN / "papermill"), str(TEMPLATE), str(nb), *args, "--no-progress-bar"],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(nb)],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def floor_per_notebook(folder: Path, repeats: int = 5) -> float:
    """Median time of papermill's API on a minimal one-cell parameterised notebook."""
    import nbformat
    import papermill

    cell = nbformat.v4.new_code_cell("x = 1")
    cell.metadata["tags"] = ["parameters"]
    nb = nbformat.v4.new_notebook(cells=[cell])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / "minimal.ipynb"
    nbformat.write(nb, path)
    papermill.execute_notebook(str(path), str(folder / "warm.ipynb"), parameters={"x": 0}, progress_bar=False)
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        papermill.execute_notebook(str(path), str(folder / f"m{i}.ipynb"), parameters={"x": i},
                                   progress_bar=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# VmHWM, not ru_maxrss: Linux carries ru_maxrss over fork and exec, so a child started by a
# large parent would report the parent's size; VmHWM belongs to the driver's own memory map.
DRIVER = """
import re, sys
from qoswb.reports import run_batch
outcome = run_batch(sys.argv[1], workers=2, progress=False)
assert outcome.failed == 0, outcome.failures
status = open("/proc/self/status").read()
print(int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1)))
"""


def driver_peak_mib(folder: Path, jobs: int) -> float:
    """Peak RSS of the driver process alone for ``jobs`` runs of a tiny template."""
    from qoswb.reports.testing import make_parameters, make_template

    sub = folder / f"mem{jobs}"
    sub.mkdir()
    make_template(sub, "tiny")
    params = make_parameters(sub, templates=["tiny.ipynb"], teams=[f"team {i:03d}" for i in range(jobs // 2)],
                             periods=["2025-04", "2025-05"])
    out = subprocess.run([sys.executable, "-c", DRIVER, str(params)], check=True, capture_output=True, text=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def speed(folder: Path, args) -> None:
    """The batch against the floor and against the serial loop, printed side by side."""
    teams, periods = team_periods(args.reports)
    n = len(teams) * len(periods)
    print(f"{n} team reports: {len(teams)} teams x {len(periods)} months, demo data, HTML included")
    floor = floor_per_notebook(folder)
    floor_total = n * floor / args.workers
    print(f"floor: papermill API, minimal notebook {floor:.2f} s each -> {n} x {floor:.2f} / "
          f"{args.workers} = {floor_total:.1f} s (load {load()})")
    preload = [] if args.no_preload else PRELOAD
    runs = {}
    for label, fork in (("fork server", "on"), ("fork server off", "off"), ("stdlib forkserver", "stdlib")):
        if fork in args.skip:
            continue
        runs[label], cache_s, ok = run_batch(folder, teams, periods, args.workers, preload, fork)
        print(f"qoswb batch, {args.workers} workers, {label}{' (no preload)' if args.no_preload else ''}: "
              f"{runs[label]:.1f} s for {ok}/{n} reports (of which the data cache, built once: about "
              f"{cache_s:.1f} s) (load {load()})")
    serial = None
    if not args.skip_serial:
        serial = run_serial(folder, teams, periods)
        print(f"serial loop (papermill CLI then nbconvert CLI): {serial:.1f} s (load {load()})")
    print("side by side:")
    for label, seconds in runs.items():
        line = f"  {label:<16} {seconds:6.1f} s  {seconds / floor_total:.2f}x the floor (target <= 2x)"
        if serial:
            line += f", {serial / seconds:.2f}x faster than the serial loop (target >= 8x)"
        print(line)
    for other in ("fork server off", "stdlib forkserver"):
        if other in runs and "fork server" in runs:
            print(f"  {other} / fork server: {runs[other] / runs['fork server']:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-serial", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip", nargs="*", default=[], choices=["on", "off", "stdlib"],
                        help="batch runs to leave out (QOSWB_FORK_SERVER settings)")
    parser.add_argument("--memory-only", action="store_true", help="only the driver memory figures")
    parser.add_argument("--no-preload", action="store_true", help="kernels import nothing ahead of their job")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        folder = Path(tmp)
        os.environ.setdefault("QOSWB_DATA_DIR", str(folder / "data"))
        print(f"machine: {os.cpu_count()} cores, load average at start {load()}")
        if not args.memory_only:
            speed(folder, args)
        if not args.skip_memory:
            small, large = driver_peak_mib(folder, 50), driver_peak_mib(folder, 200)
            print(f"driver peak RSS: {small:.0f} MiB for 50 jobs, {large:.0f} MiB for 200 jobs "
                  f"(ratio {large / small:.2f}; target: flat) (load {load()})")


if __name__ == "__main__":
    main()
