"""The two records every chart kind shares: the options of a call and the limits it computes.

>>> Options().sigma
3.0
"""

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Options:
    """Resolved options of one chart call (what ``chart(**params)`` asked for)."""

    sigma: float = 3.0
    confidence: float | None = None
    screen_mr: bool = False
    sigma_method: str | None = None
    y_neg: bool = True  # False: no negative lower limit for a group that never goes below 0
    params: dict = field(default_factory=dict)


@dataclass
class Limits:
    """What a kind computes: per point the plotted statistic and its limits.

    ``zstat``/``zcentre``/``zsigma`` place points in sigma zones for the zone
    rules (they differ from ``stat``/``cl`` only where the chart is drawn on
    another scale: t charts, the g chart's median centre). ``beyond`` replaces
    "outside the limits" where the signal is not stat vs limits (CUSUM).
    ``seg_zsigma`` stands for ``zsigma`` where it is constant in each segment: the
    rules expand it block by block instead of keeping a full-size copy.
    ``seg_centre``/``seg_sigma`` are the per-segment estimates for the summary.
    ``residuals``: where the limits are drawn around a model's expectation, the values
    less it, which the checks (autocorrelation) look at instead of the values.
    """

    stat: np.ndarray
    cl: np.ndarray
    lcl: np.ndarray
    ucl: np.ndarray
    seg_centre: np.ndarray
    seg_sigma: np.ndarray
    zstat: np.ndarray | None = None
    zcentre: np.ndarray | None = None
    zsigma: np.ndarray | None = None
    seg_zsigma: np.ndarray | None = None  # per segment, in place of a constant zsigma
    beyond: np.ndarray | None = None
    direction: np.ndarray | None = None  # which way a signal points, where not stat vs cl
    residuals: np.ndarray | None = None  # what the checks read where limits follow a model: y - expected
    extra: dict = field(default_factory=dict)
