"""``import qoswb`` vs ``import pandas``, each in a fresh interpreter (target: at most 1.5x).

Also shows what touching the data layer costs (``qoswb.data.load_interactions``
brings pandas and pyarrow) and which heavy modules ``import qoswb`` pulls in
(should be none). Median of several repeats, run interleaved.

    python benchmarks/bench_import.py [--repeats 9]
"""

import argparse
import statistics
import subprocess
import sys
import time

CASES = {
    "python (empty)": "pass",
    "import pandas": "import pandas",
    "import qoswb": "import qoswb",
    "import qoswb.data": "import qoswb.data",
    "qoswb.data.load_interactions": "from qoswb.data import load_interactions",
}
HEAVY = ("pandas", "pyarrow", "matplotlib", "seaborn", "statsmodels", "papermill", "ipywidgets", "sqlalchemy")


def run(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    times = {name: [] for name in CASES}
    for _ in range(args.repeats):
        for name, code in CASES.items():
            times[name].append(run(code))
    med = {name: statistics.median(t) for name, t in times.items()}
    for name in CASES:
        print(f"{name:<30} {med[name] * 1000:7.0f} ms  (median of {args.repeats})")
    ratio = med["import qoswb"] / med["import pandas"]
    print(f"ratio import qoswb / import pandas: {ratio:.2f}  (target <= 1.5)")
    probe = f"import sys, qoswb; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    print(f"heavy modules loaded by import qoswb: {loaded or 'none'}")


if __name__ == "__main__":
    main()
