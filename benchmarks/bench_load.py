"""Loading + validating a 1,000,000-row interactions CSV vs pandas.read_csv(engine="pyarrow").

Targets (issue 2): qoswb time <= 2x pandas-pyarrow on the same file; peak memory
<= 3x the accepted frame's in-memory size. Each measurement runs in a fresh
subprocess (peak RSS above the process's RSS after imports), several repeats,
median. The CSV is the synthetic demo data written as a plain export (naive
local timestamps, mapping gives Europe/London), cached in a temporary folder.

    python benchmarks/bench_load.py [--rows 1000000] [--repeats 3]
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
import pandas as pd
import qoswb.data.loaders, qoswb.data.sources, qoswb.data.validate  # imports outside the measurement
import pyarrow.csv
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096
path, which = sys.argv[1], sys.argv[2]
base = rss()
t = time.perf_counter()
if which == "pandas":
    frame = pd.read_csv(path, engine="pyarrow")
    rows = len(frame)
else:
    result = qoswb.data.loaders.load_interactions(path, {"timezone": "Europe/London"})
    frame = result.data
    rows = result.summary["accepted"]
elapsed = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - base
print(json.dumps({"seconds": elapsed, "peak_bytes": peak, "frame_bytes": int(frame.memory_usage(deep=True).sum()),
                  "rows": rows}))
"""


def make_csv(path: Path, rows: int) -> None:
    """The demo interactions as a typical export: naive local times, empty cells when missing."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    from qoswb.data.synthetic import generate

    weeks = max(2, int(rows / 737_894 * 78 * 1.1) + 2)
    it = generate(seed=99, weeks=weeks).interactions.head(rows).copy()
    for col in ("opened_at", "first_response_at", "resolved_at"):
        it[col] = it[col].dt.tz_localize(None).dt.floor("s")
    table = pa.Table.from_pandas(it, preserve_index=False)
    table = table.set_column(table.schema.get_field_index("reopened"), "reopened",
                             table["reopened"].cast(pa.string()))
    for col in ("opened_at", "first_response_at", "resolved_at"):
        i = table.schema.get_field_index(col)
        table = table.set_column(i, col, table[col].cast(pa.timestamp("s")))
    pcsv.write_csv(table, path)


def measure(path: Path, which: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(path), which], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    path = Path(tempfile.gettempdir()) / "qoswb-bench" / f"interactions_{args.rows}.csv"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        print(f"writing {path} ...", flush=True)
        make_csv(path, args.rows)
    print(f"file: {path} ({path.stat().st_size / 1e6:.0f} MB, {args.rows:,} rows)")
    runs = {"pandas": [], "qoswb": []}
    for _ in range(args.repeats):  # interleaved, so both see the same machine load
        for which in runs:
            runs[which].append(measure(path, which))
    med = {w: statistics.median(r["seconds"] for r in rs) for w, rs in runs.items()}
    q = runs["qoswb"][0]
    peak = statistics.median(r["peak_bytes"] for r in runs["qoswb"])
    print(f"pandas.read_csv(engine='pyarrow'): {med['pandas']:.2f} s  (median of {args.repeats})")
    print(f"qoswb load_interactions:           {med['qoswb']:.2f} s  ({q['rows']:,} rows accepted)")
    print(f"time ratio qoswb / pandas:         {med['qoswb'] / med['pandas']:.2f}  (target <= 2.0)")
    print(f"peak memory above start:           {peak / 1e6:.0f} MB; accepted frame {q['frame_bytes'] / 1e6:.0f} MB")
    print(f"peak memory ratio:                 {peak / q['frame_bytes']:.2f}  (target <= 3.0)")


if __name__ == "__main__":
    main()
