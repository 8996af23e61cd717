"""The baseline of a Check: the stable stretch before the change, since the last confirmed shift.

Comparing the periods after a change with the whole history mixes the change up
with any earlier shift (a drop in September makes an October change look bad).
:func:`stable_start` looks at the periods before the change on a control chart
(:func:`qoswb.spc.chart`, the run of 7 points on one side of the mean that NHS
"Making Data Count" calls a shift) and takes the start of the last such run as the
start of a new level when a step test at a strict level (:func:`~qoswb.pdca.steptest.step_test`,
α = 0.01, allowing for autocorrelation) confirms it; then looks again within the
new stretch. A run that the test does not confirm is the wandering of an
autocorrelated series, not a shift, and the baseline goes on back past it.

>>> import numpy as np
>>> values = np.r_[np.full(20, 0.83), np.full(16, 0.77)] + np.tile([0.005, -0.005], 18)
>>> stable_start(values).start
20
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from qoswb.pdca.steptest import step_test

SHIFT_RULE = "mdc_shift"
CONFIRM_ALPHA = 0.01
MIN_STRETCH = 8  # a new level needs this many periods before it can be a baseline


@dataclass
class Baseline:
    """Where the stable stretch starts (a position in the periods before the change) and why."""

    start: int
    shifts: list  # positions where confirmed shifts began, oldest first
    reason: str


def _last_run_start(values: np.ndarray) -> int | None:
    """Start of the last run the spc shift rule flags on these values (I chart), or None."""
    from qoswb import spc

    with warnings.catch_warnings():  # "fewer than 15 points" and the like: we only want runs
        warnings.simplefilter("ignore")
        flagged = spc.chart("i", values, rules=[SHIFT_RULE]).frame["signal"].to_numpy()
    if not flagged.any():
        return None
    last = np.flatnonzero(flagged)[-1]
    start = last
    while start > 0 and flagged[start - 1]:
        start -= 1
    # The flagged run of the earlier level ends where the later one begins; the later run
    # (the new level) is the one that ends last. Its points share a side of the mean.
    side = np.sign(values[last] - values.mean())
    while start < last and np.sign(values[start] - values.mean()) != side:
        start += 1
    return int(start)


def stable_start(values, *, min_stretch: int = MIN_STRETCH) -> Baseline:
    """The start of the stable stretch of ``values`` (period values before the change, in order).

    See the module docstring. ``min_stretch``: a shift closer than this to the
    change is not taken (too few periods after it to be a baseline); the reason says so.
    """
    values = np.asarray(values, dtype=float)
    start, shifts, notes = 0, [], []
    while values.size - start >= 2 * min_stretch:
        stretch = values[start:]
        run = _last_run_start(stretch)
        if run is None or run < min_stretch // 2:
            break
        if stretch.size - run < min_stretch:
            notes.append(f"a possible shift {stretch.size - run} periods before the change is "
                         "too recent to be a baseline")
            break
        if step_test(stretch, run, alpha=CONFIRM_ALPHA).p_value >= CONFIRM_ALPHA:
            break  # a run, but within the wandering of an autocorrelated series
        start += run
        shifts.append(start)
    if shifts:
        reason = (f"the periods since the last confirmed shift, of {len(shifts)} "
                  "before the change")
    else:
        reason = "all the periods before the change: no confirmed shift among them"
    return Baseline(start, shifts, "; ".join([reason, *notes]))
