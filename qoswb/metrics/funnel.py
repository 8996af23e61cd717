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
limit is (r_p - α) / n. ``"normal"`` is θ ± z_p sqrt(θ(1-θ)/n).
``"arcsine"`` works on the arcsine-square-root scale, where a proportion's
variance is 1/(4n) whatever θ: sin²(asin(√θ) ± z_p / (2√n)), the angle kept
inside [0, π/2] (FunnelPlotR's ``data_type = "PR"``). The 95% limits use
p = 0.025 / 0.975, the 99.8% limits p = 0.001 / 0.999; θ is the pooled
proportion Σ numerator / Σ denominator.

Over-dispersion (Spiegelhalter 2005, section 4; as FunnelPlotR 0.6.0 does it):
with large volumes, real differences between units make most of them fall
outside the limits. Each unit's z-score on the limits' scale (the arcsine
scale for ``"exact"``) is winsorised at 10% at each end (R's type-7
quantiles); φ is the mean of their squares over the k units, and k·φ is
compared with χ²(k - 1). ``overdispersion="additive"`` adds a between-unit
variance τ² (DerSimonian–Laird: τ² = max(0, (kφ - (k - 1)) / (Σw - Σw²/Σw)),
w = 1/s², and 0 when kφ < k - 1) to each unit's s²: limits
θ ± z·√(s² + τ²) on that scale. ``"multiplicative"`` inflates the variance by
φ (when φ > 1): θ ± z·√φ·s. ``"auto"`` uses the additive adjustment when
the over-dispersion is significant (χ² p < ``alpha``) and says why.

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

from qoswb import palette
from qoswb.errors import DataError, ParameterError
from qoswb.escape import PLAIN
from qoswb.metrics.charting import free_names

_LEVELS = {"95": (0.025, 0.975), "998": (0.001, 0.999)}
METHODS = ("exact", "normal", "arcsine")
ADJUSTMENTS = (None, "additive", "multiplicative", "auto")
# a point's verdict (the ``verdict`` column) drawn in Making Data Count's colours, named in a key
VERDICT_COLOURS = {"within": palette.COMMON_CAUSE, "better": palette.IMPROVEMENT, "worse": palette.CONCERN,
                   "outside": palette.NEITHER}
VERDICT_WORDS = {"within": "within the limits", "better": "better than expected",
                 "worse": "worse than expected", "outside": "outside the limits"}
TRIM = 0.1  # winsorised at 10% at each end (Spiegelhalter 2005; FunnelPlotR's trim_by)


@dataclass(frozen=True)
class Scale:
    """Where the normal approximation is made: the value, its standard error and the way back."""

    name: str

    def to(self, p):
        return np.arcsin(np.sqrt(p)) if self.name == "arcsine" else np.asarray(p, dtype=np.float64)

    def back(self, v):
        if self.name == "arcsine":  # an angle below 0 is a proportion 0, one past π/2 is 1
            return np.sin(np.clip(v, 0.0, np.pi / 2)) ** 2
        return np.clip(v, 0.0, 1.0)

    def se(self, centre, n):
        n = np.asarray(n, dtype=np.float64)
        if self.name == "arcsine":
            return 1 / (2 * np.sqrt(n))
        return np.sqrt(centre * (1 - centre) / n)


def scale_of(method: str) -> Scale:
    """The scale of a method's normal approximation (the arcsine scale for ``"exact"``,
    whose adjusted limits need one).

    >>> scale_of("exact").name, scale_of("normal").name
    ('arcsine', 'normal')
    """
    if method not in METHODS:
        raise ParameterError(f"method={method!r}: use one of {', '.join(METHODS)}")
    return Scale("normal" if method == "normal" else "arcsine")


def limits(centre: float, n, method: str = "exact", *, tau2: float = 0.0, phi: float = 1.0) -> pd.DataFrame:
    """95% and 99.8% funnel limits around ``centre`` for each denominator in ``n``.

    ``tau2`` (additive) or ``phi`` (multiplicative) widen them for over-dispersion,
    on the scale of ``method`` (the arcsine scale for ``"exact"``).

    >>> limits(0.5, [100], "normal").round(4).values.tolist()
    [[100.0, 0.402, 0.598, 0.3455, 0.6545]]
    >>> limits(0.5, [100], "arcsine").round(4).values.tolist()
    [[100.0, 0.4026, 0.5974, 0.3479, 0.6521]]
    """
    from scipy import stats

    scale = scale_of(method)
    n = np.asarray(n, dtype=np.float64)
    out = {"denominator": n}
    binomial = method == "exact" and tau2 == 0 and phi == 1
    if not binomial:
        width = np.sqrt(phi * scale.se(centre, n) ** 2 + tau2)
    for level, probs in _LEVELS.items():
        for side, p in zip(("lower", "upper"), probs):
            if binomial:
                r = stats.binom.ppf(p, n, centre)
                f_r, f_below = stats.binom.cdf(r, n, centre), stats.binom.cdf(r - 1, n, centre)
                with np.errstate(invalid="ignore", divide="ignore"):
                    alpha = np.where(f_r > f_below, (f_r - p) / (f_r - f_below), 0.0)
                value = np.clip((r - alpha) / n, 0.0, 1.0)
            else:
                value = scale.back(scale.to(centre) + stats.norm.ppf(p) * width)
            out[f"{side}_{level}"] = value
    return pd.DataFrame(out)


@dataclass(frozen=True)
class Dispersion:
    """Over-dispersion of units around a funnel's centre: φ, τ², and the χ² test of k·φ."""

    phi: float
    tau2: float
    units: int
    p_value: float


def dispersion(numerator, denominator, centre: float, method: str = "exact", trim: float = TRIM) -> Dispersion:
    """φ (mean squared winsorised z-score) and DerSimonian–Laird τ² of the units (Spiegelhalter 2005).

    >>> d = dispersion([10, 50, 90], [100, 100, 100], 0.5, "arcsine")
    >>> round(d.phi, 2), d.units, d.p_value < 0.001
    (36.69, 3, True)
    """
    from scipy import stats

    scale = scale_of(method)
    num = np.asarray(numerator, dtype=np.float64)
    n = np.asarray(denominator, dtype=np.float64)
    s = scale.se(centre, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (scale.to(num / n) - scale.to(centre)) / s
    z = z[np.isfinite(z)]
    k = len(z)
    if k == 0:
        return Dispersion(np.nan, 0.0, 0, np.nan)
    low, high = np.quantile(z, [trim, 1 - trim])  # numpy's "linear" is R's default type 7
    phi = float(np.mean(np.clip(z, low, high) ** 2))
    w = 1 / s[np.isfinite(s)] ** 2
    tau2 = 0.0 if k * phi < k - 1 else max(0.0, (k * phi - (k - 1)) / (w.sum() - (w ** 2).sum() / w.sum()))
    p_value = float(stats.chi2.sf(k * phi, k - 1)) if k > 1 else np.nan
    return Dispersion(phi, float(tau2), k, p_value)


def _adjustment(asked, d: Dispersion, alpha: float, method: str) -> tuple[str | None, str]:
    """The adjustment used, and a sentence saying why (for reports)."""
    test = (f"φ = {d.phi:.3g} over {d.units} units, χ² p {'< 0.001' if d.p_value < 0.001 else f'= {d.p_value:.3f}'}"
            if d.units > 1 else f"{d.units} unit: no over-dispersion test")
    if asked == "auto":
        significant = d.units > 1 and d.p_value < alpha and d.tau2 > 0
        if not significant:
            return None, f"no significant over-dispersion ({test}): {method} limits"
        return "additive", (f"over-dispersed ({test}): limits widened by a between-unit variance "
                            f"τ² = {d.tau2:.3g} (additive random effects, Spiegelhalter 2005)")
    if asked == "additive":
        return asked, f"additive over-dispersion adjustment, τ² = {d.tau2:.3g} ({test})"
    if asked == "multiplicative":
        return asked, f"multiplicative over-dispersion adjustment, φ = {max(d.phi, 1.0):.3g} ({test})"
    return None, f"no over-dispersion adjustment ({test}): {method} limits"


@dataclass
class Funnel:
    """A funnel plot's data: ``points`` (one row per group), ``limits`` (the curves), ``centre``.

    ``phi`` and ``tau2`` measure the over-dispersion (always computed); ``adjusted``
    is the adjustment the limits carry (None, "additive" or "multiplicative") and
    ``why`` one sentence a report can print about that choice.
    """

    kpi: str
    centre: float
    points: pd.DataFrame
    limits: pd.DataFrame
    method: str
    phi: float = np.nan
    tau2: float = 0.0
    adjusted: str | None = None
    why: str = ""
    p_value: float = np.nan
    by: tuple = ()

    def own(self) -> pd.DataFrame:
        """``points`` with the funnel's columns under their own names (no group columns)."""
        own = [c for c in self.points.columns if c not in self.by]
        names = []
        for name in own:  # funnel_value -> value where a group column is called value
            while name.startswith("funnel_") and name[len("funnel_"):] in self.by:
                name = name[len("funnel_"):]
            names.append(name)
        return self.points[own].set_axis(names, axis=1)

    @property
    def description(self) -> str:
        """The limits in words, e.g. "arcsine limits, additive over-dispersion"."""
        words = {"exact": "exact binomial limits", "normal": "normal approximation",
                 "arcsine": "arcsine-square-root limits"}[self.method]
        if self.adjusted:
            scale = "arcsine " if self.method == "exact" else ""
            words = f"{scale}limits with {self.adjusted} over-dispersion" if scale else \
                f"{words}, {self.adjusted} over-dispersion"
        return words

    def plot(self, ax=None, label: str | None = None):
        """Draw the funnel (points, centre, 95% dashed and 99.8% solid limits) on ``ax``; return the Axes.

        Points in Making Data Count's colours (:mod:`qoswb.palette`: better blue, worse
        orange, within grey, outside with no better direction purple), the KPI named in
        words (``label``, default the registry's) and the proportion in %.
        """
        import matplotlib.pyplot as plt

        from qoswb.metrics.registry import kpi_label
        from qoswb.spc.plot import percent_axis

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4.5))
        curve = self.limits
        ax.axhline(self.centre, color=palette.LINE, lw=1, label="all teams' average")
        for level, style in (("95", "--"), ("998", "-")):
            for side in ("lower", "upper"):
                ax.plot(curve["denominator"], curve[f"{side}_{level}"], style, color=palette.LIMIT, lw=1,
                        label=f"{'95%' if level == '95' else '99.8%'} limits" if side == "lower" else None)
        points = self.own()
        for verdict in [v for v in VERDICT_COLOURS if v in set(points["verdict"])]:
            rows = points[points["verdict"] == verdict]
            ax.scatter(rows["denominator"], rows["value"], color=VERDICT_COLOURS[verdict], zorder=3,
                       edgecolor="white", lw=0.4, label=VERDICT_WORDS[verdict])
        for _, row in points[points["verdict"] != "within"].iterrows():
            ax.annotate(str(row["label"]), (row["denominator"], row["value"]), fontsize=8,
                        xytext=(3, 3), textcoords="offset points", **PLAIN)
        name = label or kpi_label(self.kpi)
        percent_axis(ax.yaxis)
        ax.set_xlabel("cases in the period (denominator)")
        ax.set_ylabel(name, **PLAIN)
        ax.set_title(f"{name}: teams against their volume", fontsize=10, **PLAIN)
        ax.legend(fontsize=7, frameon=False)
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


def funnel(kpi_table: pd.DataFrame, kpi: str, period=None, *, by=None, method: str = "exact",
           overdispersion: str | None = None, alpha: float = 0.05) -> Funnel:
    """Funnel plot data for one proportion KPI: each group's pooled proportion against its volume.

    ``period``: one period start, a (first, last) pair pooled inclusive, or None
    for all complete periods pooled. ``by``: the group column(s) (default: every
    column before ``period``). ``method``: ``"exact"``, ``"normal"`` or
    ``"arcsine"``; ``overdispersion``: None, ``"additive"``, ``"multiplicative"``
    or ``"auto"`` (additive when significant at ``alpha``; see the module doc).
    ``points`` has the group columns, ``numerator``, ``denominator``, ``value``,
    ``z`` (standardised difference from the centre, unadjusted), the limits at
    the group's own denominator (``lower_95``, ``upper_95``, ``lower_998``,
    ``upper_998``), ``band`` (within 95% / beyond 95% / beyond 99.8%, above or
    below; a value on a limit is within) and ``verdict`` (better / worse /
    within, from the KPI's polarity, beyond 99.8% counting as better or worse
    and 95%-99.8% as "within" but flagged in ``band``). A computed column whose
    name a group column has is called ``funnel_<name>``.

    >>> funnel(kpi_table, "sla_response", period="2024-06-03").plot()   # doctest: +SKIP
    """
    if overdispersion not in ADJUSTMENTS:
        raise ParameterError(f"overdispersion={overdispersion!r}: use one of "
                             f"{', '.join(map(repr, ADJUSTMENTS))}")
    scale_of(method)
    if not 0 < alpha < 1:
        raise ParameterError(f"alpha={alpha!r} must be a probability between 0 and 1")
    rows = _select(kpi_table, kpi, period)
    if by is None:
        by = list(kpi_table.columns[: list(kpi_table.columns).index("period")])
    by = [by] if isinstance(by, str) else list(by)
    missing = [c for c in by if c not in kpi_table.columns]
    if missing:
        raise ParameterError(f"by={by!r}: no column {', '.join(map(repr, missing))} in the KPI table")
    if rows.empty:
        raise DataError(f"no {'complete ' if period is None else ''}rows of {kpi!r} for period={period!r}")
    groups = {name: f"_group{i}" for i, name in enumerate(by)}  # any group name, even "value" or "band"
    keys = list(groups.values())
    counts = rows[by].set_axis(keys, axis=1).assign(numerator=rows["numerator"].to_numpy(),
                                                      denominator=rows["denominator"].to_numpy())
    pooled = counts.groupby(keys, observed=True, sort=True)[["numerator", "denominator"]].sum().reset_index()
    pooled = pooled[pooled["denominator"] > 0].reset_index(drop=True)
    if pooled.empty:
        raise DataError(f"every group has denominator 0 for {kpi!r} in the chosen period(s)")
    centre = float(pooled["numerator"].sum() / pooled["denominator"].sum())
    pooled["value"] = pooled["numerator"] / pooled["denominator"]
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled["z"] = (pooled["value"] - centre) / np.sqrt(centre * (1 - centre) / pooled["denominator"])
    d = dispersion(pooled["numerator"], pooled["denominator"], centre, method)
    adjusted, why = _adjustment(overdispersion, d, alpha, method)
    widen = {"additive": {"tau2": d.tau2}, "multiplicative": {"phi": max(d.phi, 1.0)}}.get(adjusted, {})
    at_n = limits(centre, pooled["denominator"], method, **widen)
    for column in ("lower_95", "upper_95", "lower_998", "upper_998"):
        pooled[column] = at_n[column].to_numpy()
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
    pooled["label"] = pooled[keys].astype(str).agg(" / ".join, axis=1)
    grid_n = np.unique(np.round(np.geomspace(max(pooled["denominator"].min() * 0.8, 1),
                                             pooled["denominator"].max() * 1.1, 200)))
    own = free_names([c for c in pooled.columns if c not in keys], by, prefix="funnel_")
    pooled = pooled.rename(columns=own).rename(columns=dict(zip(keys, by)))
    return Funnel(kpi=kpi, centre=centre, points=pooled, limits=limits(centre, grid_n, method, **widen),
                  method=method, phi=d.phi, tau2=d.tau2, adjusted=adjusted, why=why, p_value=d.p_value,
                  by=tuple(by))

