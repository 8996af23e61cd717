"""Before against after on raw observations: a test, an effect and a verdict.

:func:`evaluate` compares the periods before a change with those after it and
answers in the room's words: *improved*, *worse* or *no evidence yet* — and, when
there are too few data, how many more periods are needed to tell (a power
analysis with statsmodels). Proportions (SLA attainment, FCR, reopen rate) get the
two-proportion z-test and a confidence interval of the difference (Newcombe's
hybrid score interval by default); times get the Mann–Whitney test with the
Hodges–Lehmann shift and its (Moses) confidence interval, because waiting times
are skewed; scores get Welch's t-test with the mean difference and Cohen's d.

The same on the KPI table, with the run-rule view (limits recomputed before and
after the change), is in :mod:`qoswb.pdca.phases`; the Check of a change on a KPI
series (a baseline, the run rules, a test for autocorrelated periods) is
:func:`qoswb.pdca.check.check_change`.

>>> import numpy as np
>>> rng = np.random.default_rng(1)
>>> before, after = rng.normal(10, 2, 40), rng.normal(7, 2, 40)   # minutes: lower is better
>>> evaluate(before, after, kind="score", polarity=-1).verdict
'improved'
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from qoswb.errors import DataError, ParameterError

VERDICTS = ("improved", "no evidence yet", "worse")
KINDS = {"proportion": "z", "time": "mannwhitney", "score": "welch"}
TESTS = {"z": "two-proportion z-test", "mannwhitney": "Mann-Whitney U",
         "welch": "Welch t-test"}
# Above this many before×after pairs the Hodges–Lehmann shift is taken from a seeded
# subsample (the full set of pairwise differences would not fit in memory).
MAX_PAIRS = 4_000_000


@dataclass
class CheckResult:
    """What the Check step found; ``effect`` is after minus before, in the KPI's unit.

    ``more_periods_needed`` (and ``more_observations_needed``) say how much more
    after-data a test with the asked power needs to detect the effect planned for
    (``min_effect``, else the effect seen so far); 0 when there is enough; None when
    it cannot be said (no effect to plan for, or out of reach with this baseline).
    """

    kind: str
    test: str
    verdict: str
    effect: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    statistic: float | None
    effect_size: float | None
    effect_size_name: str
    before: dict
    after: dict
    alpha: float
    polarity: int
    more_observations_needed: int | None = None
    more_periods_needed: int | None = None
    reading: str = ""
    notes: list = field(default_factory=list)

    def to_dict(self) -> dict:
        """A plain dict (for the store and JSON)."""
        return asdict(self)


def _polarity(polarity) -> int:
    words = {"higher": 1, "up": 1, "lower": -1, "down": -1}
    if isinstance(polarity, str) and polarity.lower() in words:
        return words[polarity.lower()]
    if polarity in (1, -1):
        return int(polarity)
    raise ParameterError(
        f"polarity={polarity!r}: expected +1 / 'higher' (higher is better) or -1 / 'lower'")


def _sample(data, where: str, proportion: bool) -> tuple[np.ndarray, int | None, float | None]:
    """Return (values or (successes, trials)), number of periods, observations per period."""
    if isinstance(data, tuple) and proportion:
        if len(data) != 2:
            raise ParameterError(f"{where}: a tuple means (successes, trials)")
        successes, trials = (float(v) for v in data)
        if not 0 <= successes <= trials:
            raise DataError(f"{where}={data!r}: successes must lie between 0 and trials")
        return np.array([successes, trials]), None, None
    if isinstance(data, pd.DataFrame):
        if proportion and {"numerator", "denominator"} <= set(data.columns):
            num = pd.to_numeric(data["numerator"], errors="coerce").to_numpy(float)
            den = pd.to_numeric(data["denominator"], errors="coerce").to_numpy(float)
            bad = np.isnan(num) | np.isnan(den) | (num < 0) | (num > den)
            if bad.any():
                row = data.index[np.flatnonzero(bad)[0]]
                raise DataError(f"{where}: row {row!r} has numerator/denominator "
                                f"{data.loc[row, 'numerator']}/{data.loc[row, 'denominator']}")
            periods = len(data)
            return np.array([num.sum(), den.sum()]), periods, den.sum() / max(periods, 1)
        if "value" not in data.columns:
            need = "numerator and denominator (or value)" if proportion else "value"
            raise DataError(f"{where}: the frame needs the column(s) {need}; "
                            f"it has {', '.join(map(str, data.columns))}")
        data = data["value"]
        periods = True
    else:
        periods = False
    try:
        series = data if isinstance(data, pd.Series) else pd.Series(np.asarray(data).ravel())
        values = pd.to_numeric(series, errors="raise").to_numpy(dtype=float, na_value=np.nan)
    except (ValueError, TypeError) as exc:
        raise DataError(f"{where}: expected numbers ({exc})") from None
    values = values[~np.isnan(values)]  # a missing period is no observation (noted below)
    if proportion:
        if not np.isin(values, (0.0, 1.0)).all():
            raise DataError(f"{where}: for kind='proportion' give 0/1 or True/False per case, "
                            "a (successes, trials) tuple, or a frame with numerator/denominator")
        return np.array([values.sum(), values.size]), None, None
    return values, (values.size if periods else None), (1.0 if periods else None)


def _verdict(significant: bool, direction: float, polarity: int) -> str:
    if not significant or direction == 0 or np.isnan(direction):
        return "no evidence yet"
    return "improved" if np.sign(direction) == polarity else "worse"


def _needed(effect_size: float | None, n_before: int, n_after: int, alpha: float,
            power: float, normal: bool) -> int | None:
    """After-observations a test of the given power needs, the baseline size being fixed."""
    from statsmodels.stats.power import NormalIndPower, TTestIndPower

    if effect_size is None or not np.isfinite(effect_size) or abs(effect_size) < 1e-9:
        return None
    analysis = NormalIndPower() if normal else TTestIndPower()
    reachable = analysis.power(effect_size=abs(effect_size), nobs1=n_before, alpha=alpha,
                               ratio=1e6)
    if reachable < power:  # even a huge after-sample would not do: the baseline is too small
        return None
    if analysis.power(abs(effect_size), nobs1=n_before, alpha=alpha,
                      ratio=max(n_after, 1) / n_before) >= power:
        return n_after
    try:
        ratio = analysis.solve_power(effect_size=abs(effect_size), nobs1=n_before, alpha=alpha,
                                     power=power, ratio=None)
    except Exception:  # statsmodels' root finder gives up on extreme inputs
        return None
    ratio = float(np.squeeze(ratio))
    return math.ceil(ratio * n_before) if np.isfinite(ratio) and ratio > 0 else None


def _proportions(before, after, alpha, ci_method, min_effect):
    from statsmodels.stats.proportion import (
        confint_proportions_2indep,
        proportion_effectsize,
        proportions_ztest,
    )

    (x1, n1), (x2, n2) = before, after
    if n1 == 0 or n2 == 0:
        return None
    p1, p2 = x1 / n1, x2 / n2
    out = {"effect": p2 - p1, "effect_size": float(proportion_effectsize(p2, p1)),
           "effect_size_name": "Cohen's h", "n": (int(n1), int(n2)),
           "estimates": (p1, p2), "estimate_name": "proportion"}
    if x1 + x2 in (0, n1 + n2):  # all failures or all successes: no variation to test
        out.update(statistic=None, p_value=None, ci=(None, None))
    else:
        stat, p = proportions_ztest([x2, x1], [n2, n1])
        low, high = confint_proportions_2indep(x2, n2, x1, n1, method=ci_method,
                                               compare="diff", alpha=alpha)
        out.update(statistic=float(stat), p_value=float(p), ci=(float(low), float(high)))
    planned = out["effect"] if min_effect is None else min_effect
    target = min(max(p1 + planned, 0.0), 1.0)
    out["planned_size"] = float(proportion_effectsize(target, p1)) if 0 < p1 < 1 else None
    return out


def _hodges_lehmann(before, after, alpha):
    """Hodges–Lehmann shift (median of after−before differences) with Moses' interval."""
    from scipy.stats import norm

    notes = []
    n1, n2 = before.size, after.size
    if n1 * n2 > MAX_PAIRS:
        rng = np.random.default_rng(0)
        keep = int(math.sqrt(MAX_PAIRS))
        before = rng.choice(before, min(n1, keep), replace=False)
        after = rng.choice(after, min(n2, keep), replace=False)
        notes.append(f"Hodges-Lehmann shift from a seeded subsample of {before.size}×{after.size}")
        n1, n2 = before.size, after.size
    diffs = np.sort(np.subtract.outer(after, before).ravel())
    shift = float(np.median(diffs))
    # Moses (1965): the k-th smallest and k-th largest differences, normal approximation.
    k = int(np.floor(n1 * n2 / 2 - norm.ppf(1 - alpha / 2) * math.sqrt(n1 * n2 * (n1 + n2 + 1) / 12)))
    if k < 1:
        return shift, (None, None), notes
    return shift, (float(diffs[k - 1]), float(diffs[-k])), notes


def _continuous(before, after, alpha, test, min_effect):
    from scipy import stats
    from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

    n1, n2 = before.size, after.size
    if n1 < 2 or n2 < 2:
        return None
    sd_pooled = math.sqrt(((n1 - 1) * before.var(ddof=1) + (n2 - 1) * after.var(ddof=1))
                          / (n1 + n2 - 2))
    out = {"n": (n1, n2), "notes": []}
    if test == "welch":
        res = stats.ttest_ind(after, before, equal_var=False)
        low, high = CompareMeans(DescrStatsW(after), DescrStatsW(before)).tconfint_diff(
            alpha=alpha, usevar="unequal")
        effect = float(after.mean() - before.mean())
        size = effect / sd_pooled if sd_pooled > 0 else None
        out.update(effect=effect, effect_size=size, effect_size_name="Cohen's d",
                   statistic=float(res.statistic), p_value=float(res.pvalue),
                   ci=(float(low), float(high)), estimates=(before.mean(), after.mean()),
                   estimate_name="mean")
    else:
        res = stats.mannwhitneyu(after, before, alternative="two-sided")
        shift, ci, notes = _hodges_lehmann(before, after, alpha)
        out["notes"] += notes
        rank_biserial = 2 * float(res.statistic) / (n1 * n2) - 1
        # The sign of the shift, or of the rank-biserial r when the median difference is 0.
        out.update(effect=shift if shift != 0 else 0.0, effect_size=rank_biserial,
                   effect_size_name="rank-biserial r", statistic=float(res.statistic),
                   p_value=float(res.pvalue), ci=ci, direction=shift or rank_biserial,
                   estimates=(float(np.median(before)), float(np.median(after))),
                   estimate_name="median")
    if np.isnan(out["p_value"]):  # e.g. every value identical
        out["p_value"] = None
    planned = out["effect"] if min_effect is None else min_effect
    out["planned_size"] = planned / sd_pooled if sd_pooled > 0 else None
    return out


def evaluate(before, after, kind: str = "proportion", polarity=1, *, test: str | None = None,
             alpha: float = 0.05, power: float = 0.8, min_effect: float | None = None,
             per_period: float | None = None, ci_method: str = "newcomb") -> CheckResult:
    """Judge the after-period against the before-period: improved, worse or no evidence yet.

    Parameters
    ----------
    before, after
        The data on each side of the change. For ``kind="proportion"``: a KPI table
        slice with ``numerator`` and ``denominator`` (one row per period), a
        ``(successes, trials)`` tuple, or 0/1 per case. For ``"time"`` and
        ``"score"``: a KPI table slice with ``value`` (one row per period) or the
        values themselves (per case or per period).
    kind : {"proportion", "time", "score"}
        Chooses the test: two-proportion z-test, Mann–Whitney U, Welch t-test.
    polarity : +1 / "higher" or -1 / "lower"
        Whether higher is better for this KPI (as in the KPI table).
    test : {"z", "mannwhitney", "welch"}, optional
        Overrides the test the kind chooses (not across proportion and continuous).
    alpha, power
        Significance level (the CI is 1 − alpha) and the power for "how many more".
    min_effect : float, optional
        The smallest change worth detecting, in the KPI's unit (e.g. 0.05 for five
        points of SLA attainment); default the effect seen so far.
    per_period : float, optional
        Observations per period, to turn observations needed into periods needed;
        known by itself when a KPI table is given.
    ci_method : str
        statsmodels' method for the CI of a difference of proportions.

    >>> evaluate((160, 200), (185, 200), kind="proportion", polarity=1).verdict
    'improved'
    """
    if kind not in KINDS:
        raise ParameterError(f"kind={kind!r}: expected one of {', '.join(KINDS)}")
    test = test or KINDS[kind]
    if test not in TESTS:
        raise ParameterError(f"test={test!r}: expected one of {', '.join(TESTS)}")
    if (test == "z") != (kind == "proportion"):
        raise ParameterError(f"test={test!r} does not fit kind={kind!r}")
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise ParameterError(f"alpha={alpha!r}, power={power!r}: both must lie between 0 and 1")
    sign = _polarity(polarity)
    proportion = kind == "proportion"
    b, periods_b, _ = _sample(before, "before", proportion)
    a, periods_a, per_a = _sample(after, "after", proportion)
    per_period = per_period or per_a
    result = (_proportions(b, a, alpha, ci_method, min_effect) if proportion
              else _continuous(b, a, alpha, test, min_effect))
    n_before = int(b[1]) if proportion else b.size
    n_after = int(a[1]) if proportion else a.size
    base = dict(kind=kind, test=TESTS[test], alpha=alpha, polarity=sign,
                before={"n": n_before, "periods": periods_b},
                after={"n": n_after, "periods": periods_a})
    if result is None:
        few = "a case" if proportion else "two values"
        return CheckResult(**base, verdict="no evidence yet", effect=None, ci_low=None,
                           ci_high=None, p_value=None, statistic=None, effect_size=None,
                           effect_size_name="", reading=f"Too few data: each side needs at "
                           f"least {few}.", notes=[])
    p = result["p_value"]
    significant = p is not None and p < alpha
    verdict = _verdict(significant, result.get("direction", result["effect"]), sign)
    name = result["estimate_name"]
    base["before"][name], base["after"][name] = (float(v) for v in result["estimates"])
    more_obs = more_periods = None
    if verdict == "no evidence yet":
        needed = _needed(result["planned_size"], n_before, n_after, alpha, power, proportion)
        if needed is not None:
            more_obs = max(needed - n_after, 0)
            more_periods = math.ceil(more_obs / per_period) if per_period else None
        elif result["planned_size"]:
            result.setdefault("notes", []).append(
                "Out of reach: with this baseline even many more after-periods would not tell "
                "an effect of this size from noise; a longer baseline or a larger change is "
                "needed.")
    num = (lambda v: None if v is None else float(v))  # numpy scalars out: JSON and the store
    out = CheckResult(**base, verdict=verdict, effect=num(result["effect"]),
                      ci_low=num(result["ci"][0]), ci_high=num(result["ci"][1]), p_value=num(p),
                      statistic=num(result["statistic"]), effect_size=num(result["effect_size"]),
                      effect_size_name=result["effect_size_name"],
                      more_observations_needed=more_obs, more_periods_needed=more_periods,
                      notes=result.get("notes", []))
    out.reading = reading(out)
    return out


def _fmt(value, proportion: bool, signed: bool = False) -> str:
    if value is None:
        return "n/a"
    if proportion:
        return f"{value * 100:+.1f} points" if signed else f"{value * 100:.1f} %"
    return f"{value:+.3g}" if signed else f"{value:.3g}"


def reading(result: CheckResult) -> str:
    """One plain-language sentence (or two) saying what the check found.

    >>> reading(evaluate((160, 200), (185, 200))).split(":")[0]
    'Improved'
    """
    prop = result.kind == "proportion"
    name = "proportion" if prop else ("mean" if "mean" in result.before else "median")
    head = result.verdict.capitalize()
    if result.effect is None:
        return f"{head}: {result.reading or 'too few data to compare.'}"
    level = round((1 - result.alpha) * 100)
    ci = (f"{level} % CI {_fmt(result.ci_low, prop, True)} to {_fmt(result.ci_high, prop, True)}"
          if result.ci_low is not None else "no CI")
    p = f"p = {result.p_value:.3g}" if result.p_value is not None else "no test possible"
    text = (f"{head}: the {name} went from {_fmt(result.before.get(name), prop)} to "
            f"{_fmt(result.after.get(name), prop)} (change {_fmt(result.effect, prop, True)}, "
            f"{ci}; {result.test}, {p}).")
    if result.verdict == "no evidence yet":
        if result.more_periods_needed:
            text += (f" About {result.more_periods_needed} more period(s) are needed to "
                     "tell an effect of this size from noise.")
        elif result.more_observations_needed:
            text += (f" About {result.more_observations_needed} more observations are needed "
                     "to tell an effect of this size from noise.")
        elif result.more_observations_needed == 0:
            text += " There are enough data: the change seen is within noise."
        text += "".join(f" {note}" for note in result.notes if note.startswith("Out of reach"))
    return text
