"""Weekly KPIs for 500 teams from 10,000,000 interactions: qoswb.metrics.kpis vs a hand-written DuckDB query.

Target (issue 4): ``kpis(frame, kpis=["volume", "sla_response",
"first_response_median"], freq="W")`` in at most 1.5x the time of one DuckDB SQL
query computing the same volume, SLA share and median first response per team
and local (Europe/London) week; peak memory at most 2x the input frame. Both run
in this one process on the same frame and their results are checked to agree
(volume and SLA counts exactly, medians to 1e-9 minutes).

The frame is made cheaply with NumPy here (not the demo generator): team
categorical (500 teams, Zipf-like sizes), opened_at over 52 weeks in
Europe/London (crossing both DST changes), first_response_at log-normal with
2 % missing, sla_minutes by priority. Memory: peak traced allocation
(tracemalloc: NumPy and pandas buffers) during the call, and the peak rise in
resident memory sampled every 2 ms (DuckDB's own allocator is only seen there).

    python benchmarks/bench_metrics.py [--rows 10000000] [--teams 500] [--repeats 3]
"""

import argparse
import statistics
import threading
import time
import tracemalloc

import duckdb
import numpy as np
import pandas as pd

from qoswb.metrics import kpis

TZ = "Europe/London"
QUERY = """
WITH t AS (
    SELECT team,
           date_trunc('week', opened_at)::DATE AS period,        -- local week (session TimeZone), Monday start
           epoch_us(first_response_at) - epoch_us(opened_at) AS wait_us,
           epoch_us(opened_at) AS opened_us,
           sla_minutes * 60e6 AS target_us
    FROM frame
)
SELECT team, period,
       count(*) AS volume,
       count(*) FILTER (WHERE target_us IS NOT NULL AND wait_us IS NOT NULL AND wait_us <= target_us) AS sla_met,
       count(*) FILTER (WHERE target_us IS NOT NULL
                        AND (wait_us IS NOT NULL OR $end_us - opened_us > target_us)) AS sla_known,
       quantile_cont(wait_us, 0.5) / 60e6 AS median_minutes  -- type 7, as numpy / R default
FROM t GROUP BY team, period
"""


# The same query with weeks counted in UTC by integer arithmetic: DuckDB's local-time date_trunc (ICU) is
# most of its time, so this is a lower bound for any SQL baseline (not the same answer: cases opened near
# midnight on Sunday/Monday fall in another week, which is why qoswb counts in local time).
QUERY_UTC = QUERY.replace("date_trunc('week', opened_at)::DATE AS period,        -- local week (session TimeZone), Monday start",
                          "(epoch_us(opened_at) // 86400000000 + 3) // 7 AS period,  -- UTC Monday weeks")
assert QUERY_UTC != QUERY


def make_frame(rows: int, teams: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    weights = 1 / np.arange(1, teams + 1) ** 0.8
    team = rng.choice(teams, size=rows, p=weights / weights.sum()).astype(np.int16)
    start = pd.Timestamp("2024-01-01", tz=TZ).value
    opened = start + rng.integers(0, 52 * 7 * 86_400, rows) * 1_000_000_000
    priority = rng.integers(0, 4, rows)
    sla = np.array([30.0, 120.0, 480.0, 1440.0])[priority]
    wait = np.round(rng.lognormal(np.log(sla * 0.4), 1.0) * 60) * 1_000_000_000  # whole seconds
    first = (opened + wait.astype(np.int64)).astype("datetime64[ns]")
    first[rng.random(rows) < 0.02] = np.datetime64("NaT")
    categories = pd.Index([f"team {i:03d}" for i in range(teams)], dtype="str")
    return pd.DataFrame({
        "team": pd.Categorical.from_codes(team, categories),
        "opened_at": pd.DatetimeIndex(opened.astype("datetime64[ns]")).tz_localize("UTC").tz_convert(TZ),
        "first_response_at": pd.DatetimeIndex(first).tz_localize("UTC").tz_convert(TZ),
        "sla_minutes": sla,
    })


class RssPeak:
    """Peak rise of resident memory while the block runs (sampled every 2 ms)."""

    def __enter__(self):
        self.base = self.peak = self._rss()
        self.running = True
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()
        self.rise = self.peak - self.base

    def _watch(self):
        while self.running:
            self.peak = max(self.peak, self._rss())
            time.sleep(0.002)

    @staticmethod
    def _rss():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4096


def run_qoswb(frame):
    return kpis(frame, kpis=["volume", "sla_response", "first_response_median"], freq="W")


def run_duckdb(frame, end_us, query=QUERY):
    con = duckdb.connect()
    con.execute(f"SET TimeZone = '{TZ}'")
    con.register("frame", frame)
    out = con.execute(query.replace("$end_us", str(end_us))).df()
    con.close()
    return out


def check_agree(ours: pd.DataFrame, theirs: pd.DataFrame) -> None:
    wide = ours.pivot_table(index=["team", "period"], columns="kpi", values=["numerator", "denominator", "value"],
                            observed=True)
    theirs = theirs.assign(team=theirs["team"].astype(str), period=pd.to_datetime(theirs["period"]))
    theirs = theirs.set_index(["team", "period"]).sort_index()
    wide.index = wide.index.set_levels(wide.index.levels[0].astype(str), level=0)
    mine = wide.loc[theirs.index]
    assert (mine[("value", "volume")].to_numpy() == theirs["volume"].to_numpy()).all(), "volume differs"
    assert (mine[("numerator", "sla_response")].to_numpy() == theirs["sla_met"].to_numpy()).all(), "SLA met differs"
    assert (mine[("denominator", "sla_response")].to_numpy() == theirs["sla_known"].to_numpy()).all(), \
        "SLA denominators differ"
    np.testing.assert_allclose(mine[("value", "first_response_median")].to_numpy(),
                               theirs["median_minutes"].to_numpy(), atol=1e-9, rtol=0)
    empty = wide[("value", "volume")].eq(0).sum()
    assert len(wide) - empty == len(theirs), "qoswb has cells DuckDB lacks (beyond empty team-weeks)"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--teams", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    t = time.perf_counter()
    frame = make_frame(args.rows, args.teams)
    frame_bytes = int(frame.memory_usage(deep=True).sum())
    print(f"input: {args.rows:,} interactions, {args.teams} teams, {frame_bytes / 1e6:,.0f} MB "
          f"(made in {time.perf_counter() - t:.1f} s)")
    end_us = int(max(frame["opened_at"].max(), frame["first_response_at"].max()).value // 1000)

    times = {"qoswb": [], "duckdb": [], "duckdb_utc": []}
    for _ in range(args.repeats):  # alternate, so both see the same machine load
        t = time.perf_counter()
        ours = run_qoswb(frame)
        times["qoswb"].append(time.perf_counter() - t)
        t = time.perf_counter()
        theirs = run_duckdb(frame, end_us)
        times["duckdb"].append(time.perf_counter() - t)
        t = time.perf_counter()
        utc = run_duckdb(frame, end_us, QUERY_UTC)
        times["duckdb_utc"].append(time.perf_counter() - t)
    check_agree(ours, theirs)
    assert utc["volume"].sum() == theirs["volume"].sum() == len(frame)
    print(f"results agree: {len(theirs):,} team-weeks (volume, SLA met/known, median first response)")

    tracemalloc.start()
    with RssPeak() as rss_ours:
        run_qoswb(frame)
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    with RssPeak() as rss_duck:
        run_duckdb(frame, end_us)

    ours_s, duck_s = statistics.median(times["qoswb"]), statistics.median(times["duckdb"])
    utc_s = statistics.median(times["duckdb_utc"])
    print(f"{'':36}{'seconds (median)':>18}{'qoswb / it':>12}")
    print(f"{'DuckDB SQL, local weeks (same answer)':36}{duck_s:18.2f}{ours_s / duck_s:12.2f}   target <= 1.50")
    print(f"{'DuckDB SQL, UTC weeks (lower bound)':36}{utc_s:18.2f}{ours_s / utc_s:12.2f}")
    print(f"{'qoswb.metrics.kpis (local weeks)':36}{ours_s:18.2f}")
    print(f"peak memory of kpis(): traced {traced_peak / 1e6:,.0f} MB = {traced_peak / frame_bytes:.2f}x the input "
          f"frame, RSS rise {rss_ours.rise / 1e6:,.0f} MB = {rss_ours.rise / frame_bytes:.2f}x   target <= 2.00x")
    print(f"(DuckDB query RSS rise {rss_duck.rise / 1e6:,.0f} MB = {rss_duck.rise / frame_bytes:.2f}x)")


if __name__ == "__main__":
    main()
