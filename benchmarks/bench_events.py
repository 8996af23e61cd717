"""Loading an event log (one row per update of an incident, collapsed to one row per case) vs a plain read.

Prints events/s for ``pandas.read_csv(engine="pyarrow")`` of the file, for qoswb's
load of it as rows (no ``events:``, every update a row: the ids repeat, so most
are rejected as duplicates) and for qoswb's load as an event log (``events:
{case: number, order: [sys_updated_at, sys_mod_count]}``), side by side in one
run, each the median of ``--repeats``. The file is a ServiceNow-style log with
dd/mm/yyyy HH:MM timestamps and '?' for no value, ~5 events per case, written
once to a temporary folder.

    python benchmarks/bench_events.py [--events 1000000] [--repeats 3]
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

MAPPING = {"columns": {"id": "number", "team": "assignment_group",
                       "opened_at": {"column": "opened_at", "take": "first"}, "resolved_at": "resolved_at",
                       "priority": "priority", "category": "category", "channel": "contact_type",
                       "contacts": {"expr": "reassignment_count + 1"}},
           "missing": ["?"], "events": {"case": "number", "order": ["sys_updated_at", "sys_mod_count"]}}


def make_log(path: Path, events: int, seed: int = 7) -> int:
    """A ServiceNow-style event log of about ``events`` rows; returns the number of cases."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    rng = np.random.default_rng(seed)
    per_case = rng.integers(2, 9, size=events // 5 + 1)
    per_case = per_case[: np.searchsorted(np.cumsum(per_case), events) + 1]
    case = np.repeat(np.arange(len(per_case)), per_case)[:events]
    first = np.r_[0, np.flatnonzero(np.diff(case)) + 1]
    step = np.arange(len(case)) - first[case]  # the update's number within its case
    opened = np.datetime64("2016-02-29T01:16") + rng.integers(0, 60 * 24 * 365, len(per_case)).astype("m8[m]")
    gaps = rng.integers(0, 600, len(case))
    gaps[first] = 0
    minutes = np.cumsum(gaps)
    updated = opened[case] + (minutes - minutes[first][case]).astype("m8[m]")  # minutes since opening
    last = np.r_[first[1:] - 1, len(case) - 1]
    is_last = np.zeros(len(case), bool)
    is_last[last] = True

    def day_first(stamps):
        arr = pa.array(stamps.astype("M8[s]"))
        return pc.strftime(arr, format="%d/%m/%Y %H:%M")

    resolved = pc.if_else(pa.array(is_last), day_first(updated), pa.scalar("?"))
    groups = np.array(["Group 24", "Group 70", "Group 25", "Group 56"])[rng.integers(0, 4, len(per_case))]
    table = pa.table({
        "number": pc.binary_join_element_wise("INC", pc.cast(pa.array(case + 1), pa.string()), ""),
        "incident_state": pc.if_else(pa.array(is_last), pa.scalar("Resolved"), pa.scalar("Active")),
        "reassignment_count": pa.array(np.minimum(step, 2)),
        "sys_mod_count": pa.array(step),
        "opened_at": day_first(opened[case]),
        "sys_updated_at": day_first(updated),
        "contact_type": pa.array(np.array(["Phone", "Email", "Self service"])[rng.integers(0, 3, len(case))]),
        "category": pa.array(np.char.add("Category ", rng.integers(1, 40, len(case)).astype(str))),
        "priority": pa.array(np.array(["1 - Critical", "2 - High", "3 - Moderate", "4 - Low"])[
            rng.integers(0, 4, len(per_case))][case]),
        "assignment_group": pa.array(np.where(step == 0, "?", groups[case])),
        "resolved_at": resolved,
    })
    pcsv.write_csv(table, path, pcsv.WriteOptions(quoting_style="none"))
    return len(per_case)


def timed(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import pandas as pd

    from qoswb.data import load_interactions

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "incident_event_log.csv"
        cases = make_log(path, args.events)
        size = path.stat().st_size
        rows = {k: v for k, v in MAPPING.items() if k != "events"}
        rows["columns"] = {**rows["columns"], "opened_at": "opened_at"}
        plain, frame = timed(lambda: pd.read_csv(path, engine="pyarrow"), args.repeats)
        as_rows, _ = timed(lambda: load_interactions(path, rows), args.repeats)
        as_log, result = timed(lambda: load_interactions(path, MAPPING), args.repeats)
    n = len(frame)
    s = result.summary
    print(f"{n:,} events, {cases:,} cases ({size / 2**20:.0f} MiB)")
    print(f"pandas.read_csv(pyarrow):  {plain:6.2f} s  {n / plain:12,.0f} events/s")
    print(f"qoswb load, as rows:       {as_rows:6.2f} s  {n / as_rows:12,.0f} events/s  ({as_rows / plain:.1f}x pandas)")
    print(f"qoswb load, as event log:  {as_log:6.2f} s  {n / as_log:12,.0f} events/s  ({as_log / plain:.1f}x pandas, "
          f"{as_log / as_rows:.2f}x as rows)")
    print(f"  {s['cases']['accepted']:,} cases accepted ({s['events']['in_accepted_cases']:,} events), "
          f"{s['cases']['rejected']:,} rejected; {s['rejected']:,} events rejected")


if __name__ == "__main__":
    main()
