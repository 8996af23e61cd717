"""Report batch speed, scale and driver memory, with the baselines run side by side in the same run.

1. ``qoswb batch`` (Dask LocalCluster, 2 worker processes): N team reports (demo data, HTML
   included) with kernels forked from each worker's fork server (the standard library's
   forkserver context, ``on``) and with forking off (``off``: kernels launched afresh, the
   preload imported in the background while the previous job runs), so forking's share is
   isolated. The LocalCluster's own start and stop are timed alone beside them.
2. ``serial``: the loop a user would otherwise write: for each report, ``papermill`` then
   ``jupyter nbconvert --to html --no-input``, one after the other (the same template,
   parameters and data cache); measured on ``--serial-reports`` reports and scaled to N.
3. ``floor``: N x the time papermill's API takes to execute a minimal one-cell
   parameterised notebook, divided by the number of workers.
4. ``scale``: a batch of ``--teams`` teams x 1 month beside one of ``--scale-base`` teams x
   1 month, on synthetic data made for it (the 12 synthetic teams, copied under new names
   and seeds until there are enough): reports per minute (over the Dask run, and in the steady
   state from the first report finished to the last; the data cache is built beforehand in a
   process of its own) and the driver's peak RSS (it holds the scheduler of the LocalCluster
   and the manifest). With ``--rounds K`` the small batch runs K times around the large one.

Targets (issue 15): batch <= 2x the floor and >= 8x faster than the serial loop; the
large batch's reports per minute and driver RSS within 10% of the small one's. The load
average is printed with each figure: on a shared machine a figure taken under load says less.

    .venv/bin/python benchmarks/bench_batch.py                          # everything, 50 reports
    .venv/bin/python benchmarks/bench_batch.py --only floor,on,off --reports 50
    .venv/bin/python benchmarks/bench_batch.py --only floor,on --rounds 3      # median of 3 rounds
    .venv/bin/python benchmarks/bench_batch.py --only scale --teams 500 --scale-base 50 --rounds 3
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
PRELOAD = ["pandas", "pyarrow.parquet", "matplotlib.pyplot", "qoswb.reports.views", "qoswb.spc.plot", "qoswb.pdca.export",
           "qoswb.reports.figures"]


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
    returns (total s, the data cache built alone s, reports)."""
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


def run_serial(folder: Path, teams, periods, limit: int) -> tuple[float, int]:
    """The user's loop: papermill CLI, then nbconvert CLI, report after report, for the first
    ``limit`` reports; returns (seconds, reports)."""
    from qoswb.reports import cache as rc
    from qoswb.reports.params import period

    cache = str(rc.demo_cache())
    out = folder / "serial"
    out.mkdir()
    start = time.perf_counter()
    pairs = [(team, label) for team in teams for label in periods][:limit]
    for team, label in pairs:
        p = period(label, "month")
        nb = out / f"{team.replace(' ', '_')}-{label}.ipynb"
        args = ["-p", "team", team, "-p", "period", label, "-p", "period_start", p.start,
                "-p", "period_end", p.end, "-p", "cache", cache]
        subprocess.run([str(BIN / "papermill"), str(TEMPLATE), str(nb), *args, "--no-progress-bar"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(nb)],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start, len(pairs)


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


CLUSTER = """
import logging, time
from dask.distributed import LocalCluster
if __name__ == "__main__":
    start = time.perf_counter()
    cluster = LocalCluster(n_workers={workers}, threads_per_worker=1, processes=True, dashboard_address=":0",
                           silence_logs=logging.ERROR)
    up = time.perf_counter()
    cluster.close()
    print(up - start, time.perf_counter() - up)
"""


def cluster_startup(workers: int) -> tuple[float, float]:
    """Seconds a LocalCluster of ``workers`` processes takes to start, and to stop (distributed imported)."""
    said = subprocess.run([sys.executable, "-c", CLUSTER.format(workers=workers)], check=True,
                          capture_output=True, text=True).stdout.split()
    return float(said[0]), float(said[1])


# VmHWM, not ru_maxrss: Linux carries ru_maxrss over fork and exec, so a child started by a
# large parent would report the parent's size; VmHWM belongs to the driver's own memory map.
# The data cache is built beforehand (PREPARE) and reused (resume), so the driver's memory is the
# batch's, not the data's; the Dask run is timed by wrapping the runner (here only).
PREPARE = """
import sys
from qoswb.reports import cache
from qoswb.reports.folder import claim
from qoswb.reports.params import load
if __name__ == "__main__":
    p = load(sys.argv[1])
    cache.build(p.data, p.grain, claim(p.output), kpis=p.kpis, sla=p.sla, notes=[])
"""
DRIVER = """
import re, sys, time
from qoswb.reports import run_batch, runner
timed, finished = [], []
real_run = runner.run
def run(*args, **kwargs):
    start = time.perf_counter()
    told = kwargs.get("on_result")
    def on_result(job, result):
        finished.append(time.perf_counter())
        return told(job, result) if told else None
    kwargs["on_result"] = on_result
    try:
        return real_run(*args, **kwargs)
    finally:
        timed.append(time.perf_counter() - start)
runner.run = run
if __name__ == "__main__":
    outcome = run_batch(sys.argv[1], workers=int(sys.argv[2]), progress=False, resume=True)
    assert outcome.failed == 0 and not any("rebuilt" in n for n in outcome.notes), (outcome.failures, outcome.notes)
    status = open("/proc/self/status").read()
    print(outcome.ok, timed[0], int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1)), finished[-1] - finished[0])
"""


def many_teams(path: Path, teams: int, weeks: int = 26) -> None:
    """Synthetic interactions of ``teams`` teams: the 12 synthetic teams, copied under new names
    (and new seeds) until there are enough, so every team is as large as a real one."""
    import pandas as pd

    from qoswb.data.synthetic import generate

    frames, made = [], 0
    for copy in range(-(-teams // 12)):
        data = generate(seed=100 + copy, weeks=weeks, teams=min(12, teams - made)).interactions
        frames.append(data.assign(team=data["team"] + f" {copy:02d}", id=f"c{copy:02d}-" + data["id"].astype(str)))
        made += data["team"].nunique()
    pd.concat(frames, ignore_index=True).to_parquet(path, index=False)


def scale_batch(folder: Path, teams: int, workers: int, run: int = 1) -> tuple[int, float, float, float]:
    """A batch of ``teams`` synthetic teams x 1 month; returns (reports, Dask run s, driver peak MiB,
    s from the first report finished to the last)."""
    sub = folder / f"scale{teams}-{run}"
    sub.mkdir()
    many_teams(sub / "tickets.parquet", teams)
    params = sub / "batch.yaml"
    params.write_text(json.dumps({
        "templates": ["team_report"], "data": {"source": str(sub / "tickets.parquet"), "kind": "interactions"},
        "teams": "all", "periods": ["2024-06"], "kpis": KPIS, "targets": TARGETS, "output": "out",
        "preload": PRELOAD}))
    (sub / "prepare.py").write_text(PREPARE)
    subprocess.run([sys.executable, str(sub / "prepare.py"), str(params)], check=True, capture_output=True)
    (sub / "driver.py").write_text(DRIVER)  # a file: LocalCluster's workers import the main module
    said = subprocess.run([sys.executable, str(sub / "driver.py"), str(params), str(workers)], check=True,
                          capture_output=True, text=True).stdout.split()
    return int(said[0]), float(said[1]), int(said[2]) / 1024, float(said[3])


def speed(folder: Path, args) -> None:
    """The batch against the floor and against the serial loop, printed side by side.

    With ``--rounds K``, the floor and the batches are measured K times in turn (the floor
    before and after each round's batches, its mean for that round): on a shared machine whose
    speed drifts, each ratio compares runs minutes apart, and the median ratio is the figure.
    """
    teams, periods = team_periods(args.reports)
    n = len(teams) * len(periods)
    print(f"{n} team reports: {len(teams)} teams x {len(periods)} months, demo data, HTML included")
    if {"on", "off"} & set(args.only):
        up, down = cluster_startup(args.workers)
        print(f"Dask LocalCluster of {args.workers} processes alone: {up:.1f} s to start, {down:.1f} s to stop, "
              f"in every batch below (load {load()})")
    preload = [] if args.no_preload else PRELOAD

    def floor_now() -> float | None:
        if "floor" not in args.only:
            return None
        floor = floor_per_notebook(folder)
        total = n * floor / args.workers
        print(f"floor: papermill API, minimal notebook {floor:.2f} s each -> {n} x {floor:.2f} / "
              f"{args.workers} = {total:.1f} s (load {load()})")
        return total

    rounds = []
    after = floor_now()
    for _ in range(args.rounds):
        before, runs = after, {}
        for label, fork in (("forked kernels", "on"), ("forking off", "off")):
            if fork not in args.only:
                continue
            runs[label], cache_s, ok = run_batch(folder, teams, periods, args.workers, preload, fork)
            print(f"qoswb batch, {args.workers} workers, {label}{' (no preload)' if args.no_preload else ''}: "
                  f"{runs[label]:.1f} s for {ok}/{n} reports (of which the data cache, built once: about "
                  f"{cache_s:.1f} s) (load {load()})")
        after = floor_now() if args.rounds > 1 else before
        rounds.append((runs, (before + after) / 2 if before and after else None))
    serial = None
    if "serial" in args.only:
        measured, done = run_serial(folder, teams, periods, args.serial_reports)
        serial = measured * n / done
        print(f"serial loop (papermill CLI then nbconvert CLI): {measured:.1f} s for {done} reports -> "
              f"{serial:.1f} s for {n} (load {load()})")
    print("side by side:")
    for i, (runs, floor_total) in enumerate(rounds, 1):
        for label, seconds in runs.items():
            line = f"  {'round ' + str(i) + ': ' if len(rounds) > 1 else ''}{label:<15} {seconds:6.1f} s"
            if floor_total:
                line += f"  {seconds / floor_total:.2f}x the floor (target <= 2x)"
            if serial:
                line += f", {serial / seconds:.2f}x faster than the serial loop (target >= 8x)"
            print(line)
        if len(runs) == 2:
            print(f"  forking off / forked kernels: {runs['forking off'] / runs['forked kernels']:.2f}x")
    if len(rounds) > 1 and rounds[0][1]:
        for label in rounds[0][0]:
            ratios = [runs[label] / floor_total for runs, floor_total in rounds]
            print(f"  {label}: median of {len(rounds)} rounds {statistics.median(ratios):.2f}x the floor "
                  f"(rounds: {', '.join(f'{r:.2f}' for r in ratios)}; target <= 2x)")


def scale(folder: Path, args) -> None:
    """The large batch beside the small one: reports per minute and the driver's peak RSS.

    Reports per minute two ways: over the whole Dask run (cluster start-up and the period's
    preparation included, a larger share of a small batch), and in the steady state, from the
    first report finished to the last. The small batch, whose figure a hiccup of the machine
    moves most, is run ``--rounds`` times around the large one (the median is compared).
    """
    def one(teams: int, run: int):
        ok, seconds, rss, span = scale_batch(folder, teams, args.workers, run)
        steady = (ok - 1) / span * 60
        print(f"scale: {ok} reports ({teams} teams x 1 month, synthetic): {seconds:.1f} s on Dask -> "
              f"{ok / seconds * 60:.1f} reports/minute ({steady:.1f} from the first report to the last); "
              f"driver peak RSS {rss:.0f} MiB (load {load()})")
        return ok / seconds * 60, steady, rss

    rounds = max(1, args.rounds)
    small = [one(args.scale_base, i) for i in range(1, rounds // 2 + 2)]
    large = one(args.teams, 1)
    small += [one(args.scale_base, i) for i in range(rounds // 2 + 2, rounds + 1)]
    rate, steady, rss = (statistics.median(f[i] for f in small) for i in range(3))
    print(f"  {args.teams} vs {args.scale_base} teams{f' (median of {rounds} small batches)' if rounds > 1 else ''}: "
          f"reports/minute {large[0] / rate:.2f}x over the whole run, {large[1] / steady:.2f}x in the steady "
          f"state; driver RSS {large[2] / rss:.2f}x (targets: within 10%, 0.90-1.10)")


STEPS = ("floor", "on", "off", "serial", "scale")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", type=lambda v: [x.strip() for x in v.split(",")], default=list(STEPS),
                        help=f"comma-separated steps to run, of {','.join(STEPS)} (default: all)")
    parser.add_argument("--reports", type=int, default=50, help="team reports of the speed figures (demo data)")
    parser.add_argument("--serial-reports", type=int, default=10,
                        help="reports the serial loop is measured on (scaled to --reports)")
    parser.add_argument("--teams", type=int, default=500, help="teams of the large scale batch (x 1 month)")
    parser.add_argument("--scale-base", type=int, default=50, help="teams of the small scale batch")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-preload", action="store_true", help="kernels import nothing ahead of their job")
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure the floor and the batches this many times in turn (median ratio); "
                             "with scale, run the small batch this many times around the large one")
    args = parser.parse_args()
    unknown = sorted(set(args.only) - set(STEPS))
    if unknown:
        parser.error(f"--only: unknown step(s) {', '.join(unknown)}; known: {', '.join(STEPS)}")
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        folder = Path(tmp)
        os.environ.setdefault("QOSWB_DATA_DIR", str(folder / "data"))
        print(f"machine: {os.cpu_count()} cores, load average at start {load()}")
        if set(args.only) - {"scale"}:
            speed(folder, args)
        if "scale" in args.only:
            scale(folder, args)


if __name__ == "__main__":
    main()
