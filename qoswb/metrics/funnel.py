"""Funnel plots: compare teams of different sizes on one proportion, with 95% and 99.8% limits.

A small team's 70% and a large team's 70% are not equally surprising; a funnel
plot draws each team's proportion against its volume with control limits around
the overall proportion that narrow as volume grows (Spiegelhalter, D.J.,
"Funnel plots for comparing institutional performance", Statistics in Medicine
24, 1185-1202, 2005).

Limits (``method``): ``"exact"`` (default) are the binomial limits of
Spiegelhalter (2005, appendix A.1.1) with his interpolation between the
discrete quantiles: for probability p, r_p = the p-quantile of Binomial(n, θ)
(``scipy.stats.binom.ppf``), α = (F(r_p) - p) / (F(r_p) - F(r_p - 1)) and the
limit is (r_p - α) / n. ``"normal"`` is θ ± z_p sqrt(θ(1-θ)/n). The 95% limits
use p = 0.025 / 0.975, the 99.8% limits p = 0.001 / 0.999; θ is the pooled
proportion Σ numerator / Σ denominator.

>>> import pandas as pd
>>> table = pd.DataFrame({"team": list("abc"), "period": pd.Timestamp("2024-01-01"), "kpi": "fcr",
...                       "numerator": [80, 450, 30], "denominator": [100, 500, 50], "polarity": 1,
...                       "complete": True})
>>> f = funnel(table, "fcr")
>>> round(f.centre, 4), f.points.set_index("team")["band"].to_dict()["c"]
(0.8615, 'below 99.8%')
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from qoswb.errors import DataError, ParameterError
from qoswb.escape import PLAIN

_LEVELS = {"95": (0.025, 0.975), "998": (0.001, 0.999)}


def limits(centre: float, n, method: str = "exact") -> pd.DataFrame:
    """95% and 99.8% funnel limits around ``centre`` for each denominator in ``n``.

    >>> limits(0.5, [100], "normal").round(4).values.tolist()
    [[100.0, 0.402, 0.598, 0.3455, 0.6545]]
    """
    from scipy import stats

    n = np.asarray(n, dtype=np.float64)
    out = {"denominator": n}
    for level, probs in _LEVELS.items():
        for side, p in zip(("lower", "upper"), probs):
            if method == "normal":
                value = centre + stats.norm.ppf(p) * np.sqrt(centre * (1 - centre) / n)
            elif method == "exact":
                r = stats.binom.ppf(p, n, centre)
                f_r, f_below = stats.binom.cdf(r, n, centre), stats.binom.cdf(r - 1, n, centre)
                with np.errstate(invalid="ignore", divide="ignore"):
                    alpha = np.where(f_r > f_below, (f_r - p) / (f_r - f_below), 0.0)
                value = (r - alpha) / n
            else:
                raise ParameterError(f"method={method!r}: use 'exact' (binomial) or 'normal'")
            out[f"{side}_{level}"] = np.clip(value, 0.0, 1.0)
    return pd.DataFrame(out)


@dataclass
class Funnel:
    """A funnel plot's data: ``points`` (one row per group), ``limits`` (the curves), ``centre``."""

    kpi: str
    centre: float
    points: pd.DataFrame
    limits: pd.DataFrame
    method: str

    def plot(self, ax=None, label: str | None = None):
        """Draw the funnel (points, centre, 95% dashed and 99.8% solid limits) on ``ax``; return the Axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4.5))
        curve = self.limits
        ax.axhline(self.centre, color="0.3", lw=1)
        for level, style in (("95", "--"), ("998", "-")):
            for side in ("lower", "upper"):
                ax.plot(curve["denominator"], curve[f"{side}_{level}"], style, color="0.5", lw=1,
                        label=f"{'95%' if level == '95' else '99.8%'} limits" if side == "lower" else None)
        colours = {"better": "tab:blue", "worse": "tab:orange", "within": "0.2"}
        for verdict, rows in self.points.groupby("verdict"):
            ax.scatter(rows["denominator"], rows["value"], color=colours.get(verdict, "0.2"), zorder=3,
                       label=verdict)
        for _, row in self.points[self.points["verdict"] != "within"].iterrows():
            ax.annotate(str(row["label"]), (row["denominator"], row["value"]), fontsize=8,
                        xytext=(3, 3), textcoords="offset points", **PLAIN)
        ax.set_xlabel("volume (denominator)")
        ax.set_ylabel(label or self.kpi, **PLAIN)
        ax.set_title(f"{self.kpi}: funnel plot ({self.method} binomial limits)" if self.method == "exact"
                     else f"{self.kpi}: funnel plot (normal approximation)", **PLAIN)
        ax.legend(fontsize=8, frameon=False)
        return ax


def _select(table: pd.DataFrame, kpi: str, period) -> pd.DataFrame:
    if "kpi" not in table.columns:
        raise DataError("funnel() takes a KPI table from qoswb.metrics.kpis (no 'kpi' column)")
    rows = table[table["kpi"] == kpi]
    if rows.empty:
        raise ParameterError(f"kpi={kpi!r} is not in the table; it has {sorted(table['kpi'].unique())}")
    if rows["denominator"].isna().all():
        raise ParameterError(f"kpi={kpi!r} is not a proportion (no denominator); a funnel compares proportions")
    if period is None:
        return rows[rows["complete"]] if "complete" in rows.columns else rows
    if isinstance(period, tuple):
        start, end = (pd.Timestamp(p) for p in period)
        return rows[(rows["period"] >= start) & (rows["period"] <= end)]
    return rows[rows["period"] == pd.Timestamp(period)]


def funnel(kpi_table: pd.DataFrame, kpi: str, period=None, *, by=None, method: str = "exact") -> Funnel:
    """Funnel plot data for one proportion KPI: each group's pooled proportion against its volume.

    ``period``: one period start, a (first, last) pair pooled inclusive, or None
    for all complete periods pooled. ``by``: the group column(s) (default: every
    column before ``period``). ``points`` has the group columns, ``numerator``,
    ``denominator``, ``value``, ``z`` (standardised difference from the centre),
    ``band`` (within 95% / beyond 95% / beyond 99.8%, above or below) and
    ``verdict`` (better / worse / within, from the KPI's polarity, beyond 99.8%
    counting as better or worse and 95%-99.8% as "within" but flagged in ``band``).

    >>> funnel(kpi_table, "sla_response", period="2024-06-03").plot()   # doctest: +SKIP
    """
    rows = _select(kpi_table, kpi, period)
    if by is None:
        by = list(kpi_table.columns[: list(kpi_table.columns).index("period")])
    by = [by] if isinstance(by, str) else list(by)
    if rows.empty:
        raise DataError(f"no {'complete ' if period is None else ''}rows of {kpi!r} for period={period!r}")
    pooled = rows.groupby(by, observed=True, sort=True)[["numerator", "denominator"]].sum().reset_index()
    pooled = pooled[pooled["denominator"] > 0].reset_index(drop=True)
    if pooled.empty:
        raise DataError(f"every group has denominator 0 for {kpi!r} in the chosen period(s)")
    centre = float(pooled["numerator"].sum() / pooled["denominator"].sum())
    pooled["value"] = pooled["numerator"] / pooled["denominator"]
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled["z"] = (pooled["value"] - centre) / np.sqrt(centre * (1 - centre) / pooled["denominator"])
    at_n = limits(centre, pooled["denominator"], method)
    band = np.select(
        [pooled["value"] > at_n["upper_998"], pooled["value"] > at_n["upper_95"],
         pooled["value"] < at_n["lower_998"], pooled["value"] < at_n["lower_95"]],
        ["above 99.8%", "above 95%", "below 99.8%", "below 95%"], default="within 95%")
    pooled["band"] = band
    polarity = int(rows["polarity"].iloc[0]) if "polarity" in rows.columns else 1
    high, low = ("better", "worse") if polarity >= 0 else ("worse", "better")
    pooled["verdict"] = np.select([band == "above 99.8%", band == "below 99.8%"], [high, low], default="within")
    if polarity == 0:
        pooled["verdict"] = np.where(pooled["verdict"] != "within", "outside", "within")
    pooled["label"] = pooled[by].astype(str).agg(" / ".join, axis=1)
    grid_n = np.unique(np.round(np.geomspace(max(pooled["denominator"].min() * 0.8, 1),
                                             pooled["denominator"].max() * 1.1, 200)))
    return Funnel(kpi=kpi, centre=centre, points=pooled, limits=limits(centre, grid_n, method), method=method)
