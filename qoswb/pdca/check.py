"""The Check step on a KPI series: did the change work?

:func:`check_change` takes the periods of a team × KPI series and the date of the
change, and reads it as an improvement team would: a baseline (the stable stretch
since the last confirmed shift, or the periods the room chose), the run rules on the
after-periods against the baseline's limits, and a level-shift test that allows for
autocorrelated periods (:mod:`qoswb.pdca.steptest`). It waits, and says how long, until
there are enough periods on both sides. Raw observations before and after are compared
by :func:`qoswb.pdca.compare.evaluate`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from qoswb.errors import DataError, ParameterError
<<<<<<< HEAD
from qoswb.spc.kinds import get as chart_kind

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


# ---- the Check of a change on a KPI series: baseline, run rules, a test for autocorrelated data
=======
from qoswb.pdca.compare import _fmt, _polarity, _verdict
>>>>>>> main

MIN_AFTER = 6      # periods after the change before a verdict (and the run rules) can be read
MIN_BASELINE = 12  # periods in the stable stretch before the change (fewer: the test gets liberal)
CHART_RULES = "mdc"  # NHS Making Data Count: beyond limits, shift of 7, trend of 7, 2 of 3
POWER_Z = 0.8416   # the normal quantile for 80 % power, for "about N more periods"


@dataclass
class ChangeCheck:
    """What the Check of a change found on one team × KPI series (see :func:`check_change`).

    ``baseline`` and ``after`` say which periods were compared (``first``, ``last``,
    ``periods``) and, for the baseline, why (``reason``). ``effect`` is the level
    after minus before in the KPI's unit, with its CI and p-value from
    :func:`qoswb.pdca.steptest.step_test`; ``run_rules`` is the chart's reading.
    """

    verdict: str
    reading: str
    kind: str
    test: str
    polarity: int
    alpha: float
    baseline: dict
    after: dict
    centre_before: float | None = None
    centre_after: float | None = None
    effect: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    evidence: str = ""
    rho: float | None = None
    run_rules: str = ""
    more_periods_needed: int | None = None
    notes: list = field(default_factory=list)

    def to_dict(self) -> dict:
        """A plain dict (for the store and JSON)."""
        return asdict(self)


def evidence_words(p_value: float | None, alpha: float = 0.05) -> str:
    """A p-value in words, the number beside it.

    >>> evidence_words(0.004)
    'strong evidence of a change (p = 0.004)'
    >>> evidence_words(0.3)
    'no sign of a change beyond noise (p = 0.3)'
    """
    if p_value is None:
        return "no test possible"
    # 0.001 is the smallest p a test of 999 simulated draws can give: none came as far
    number = "p = 0.001 or less" if p_value <= 0.001 else f"p = {p_value:.2g}"
    if p_value <= 0.001:
        words = "very strong evidence of a change"
    elif p_value < min(0.01, alpha):
        words = "strong evidence of a change"
    elif p_value < alpha:
        words = "evidence of a change"
    elif p_value < 2 * alpha:
        words = "a hint of a change, too weak to tell from noise"
    else:
        words = "no sign of a change beyond noise"
    return f"{words} ({number})"


def _period_word(periods: pd.Series) -> str:
    days = periods.sort_values().diff().dt.days.median() if len(periods) > 1 else None
    return {1: "days", 7: "weeks"}.get(days, "months" if days and 28 <= days <= 31 else "periods")


def _span(frame: pd.DataFrame, x: str) -> dict:
    stamps = pd.to_datetime(frame[x])
    first, last = (None, None) if frame.empty else (stamps.iloc[0], stamps.iloc[-1])
    return {"first": None if first is None else first.date().isoformat(),
            "last": None if last is None else last.date().isoformat(), "periods": len(frame)}


def _show(value, proportion: bool) -> str:
    return "n/a" if value is None else _fmt(value, proportion)


def _run_rule_view(frame, kind, n_baseline, x, polarity) -> tuple[str, float | None]:
    """The chart's reading of the after-periods against the baseline's limits, and the
    centre recomputed on the after-periods alone."""
    from qoswb.pdca.phases import kpi_chart
    from qoswb.spc import RULES

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "fewer than 15 points": said below in words
        frozen = kpi_chart(frame, kind, x=x, freeze=n_baseline, rules=CHART_RULES,
                           polarity=polarity).frame
        recomputed = kpi_chart(frame.iloc[n_baseline:], kind, x=x, polarity=polarity).frame
    after = frozen.iloc[n_baseline:]
    signals = after[after["signal"]]
    centre_after = float(recomputed["cl"].iloc[0]) if len(recomputed) else None
    if signals.empty:
        return ("no signal after the change: the after-periods stay within the baseline's "
                "common-cause variation"), centre_after
    found = sorted({rule for labels in signals["rules"] for rule in str(labels).split(",")
                    if rule in RULES})
    how = "; ".join(RULES[rule].description for rule in found)
    direction = int(np.sign(signals["direction"].iloc[-1])) * (polarity or 0)
    word = {1: " (improving)", -1: " (deteriorating)"}.get(direction, "")
    return (f"{len(signals)} of the {len(after)} periods after the change signal against the "
            f"baseline's limits{word}: {how}"), centre_after


def _more_periods(test, planned: float, alpha: float) -> int | None:
    """About how many more after-periods a test of 80 % power needs for an effect ``planned``."""
    if test.se <= 0 or not planned:
        return None
    critical = (test.effect - test.ci_low) / test.se
    budget = (abs(planned) / ((critical + POWER_Z) * test.se)) ** 2 \
        * (1 / test.n_before + 1 / test.n_after)
    if budget <= 1 / test.n_before:
        return None  # out of reach with this baseline
    return max(math.ceil(1 / (budget - 1 / test.n_before)) - test.n_after, 1)


def check_change(kpi: pd.DataFrame, changed_on, *, baseline_from=None, polarity=None,
                 kind: str | None = None, x: str = "period", alpha: float = 0.05,
                 min_after: int = MIN_AFTER, min_baseline: int = MIN_BASELINE,
                 min_effect: float | None = None) -> ChangeCheck:
    """The Check of a change on one team × KPI series: did the level move, beyond noise?

    The baseline is the stable stretch before the change: by default the periods
    since the last confirmed shift (:func:`qoswb.pdca.baseline.stable_start`), or
    from ``baseline_from`` when the room moves it. A verdict needs at least
    ``min_after`` periods after the change and ``min_baseline`` in the baseline;
    until then it is "no evidence yet" with about how many more periods are needed.
    The run-rule view comes first: the after-periods against the baseline's
    limits, with the NHS shift and trend rules, and the centre recomputed after
    the change. The verdict rests on a step test that allows for autocorrelation
    (:func:`qoswb.pdca.steptest.step_test`) on the period values: *improved* or
    *worse* when it finds a change at level ``alpha``, else *no evidence yet*.

    ``kpi``: a KPI table slice (``period``, ``value``, and ``numerator`` /
    ``denominator`` for proportions; ``chart``, ``polarity`` and ``complete`` are
    used when present). ``kind``: the chart kind (default the table's ``chart``,
    else "i"). ``min_effect``: the smallest change worth detecting, for "how
    many more periods" (default the effect seen).

    >>> periods = pd.date_range("2026-01-05", periods=40, freq="7D")
    >>> rng = np.random.default_rng(0)
    >>> table = pd.DataFrame({"period": periods, "value": np.r_[rng.normal(80, 2, 28),
    ...                       rng.normal(86, 2, 12)], "chart": "i", "polarity": 1})
    >>> check_change(table, periods[28]).verdict
    'improved'
    >>> check_change(table.iloc[:31], periods[28]).verdict     # 3 weeks after: too early
    'no evidence yet'
    """
    from qoswb.pdca.baseline import stable_start
    from qoswb.pdca.phases import _after, _table_polarity, one_series, split_at
    from qoswb.pdca.steptest import step_test

    one_series(kpi, "check_change")
    if not 0 < alpha < 1:
        raise ParameterError(f"alpha={alpha!r}: must lie between 0 and 1")
    sign = _polarity(polarity if polarity is not None else (_table_polarity(kpi) or None))
    if kind is None:
        kind = str(kpi["chart"].iloc[0]) if "chart" in kpi.columns and len(kpi) else "i"
    proportion = chart_kind(kind).family == "binomial"
    notes = []
    frame = kpi.sort_values(x)
    if "value" not in frame.columns:
        if not {"numerator", "denominator"} <= set(frame.columns):
            raise DataError("check_change: the KPI table needs a value column (or numerator "
                            f"and denominator); it has {', '.join(map(str, frame.columns))}")
        frame = frame.assign(value=frame["numerator"] / frame["denominator"])
    frame = frame.assign(value=pd.to_numeric(frame["value"], errors="coerce"))
    if "complete" in frame.columns and not frame["complete"].all():
        notes.append(f"{int((~frame['complete'].astype(bool)).sum())} incomplete period(s) "
                     "(not fully covered by the data) left out")
        frame = frame.loc[frame["complete"].astype(bool).to_numpy()]
    if frame["value"].isna().any():
        notes.append(f"{int(frame['value'].isna().sum())} period(s) without a value left out")
        frame = frame.loc[frame["value"].notna().to_numpy()]
    before, after = split_at(frame, changed_on, x)
    if baseline_from is not None:
        before = before.loc[_after(before, baseline_from, x, where="baseline_from")]
        reason = f"the periods from {pd.Timestamp(baseline_from).date()}, as chosen"
    else:
        found = stable_start(before["value"].to_numpy())
        before, reason = before.iloc[found.start:], found.reason
    unit = _period_word(pd.to_datetime(frame[x]))
    base = dict(kind=kind, test="level shift with AR(1) errors (simulated null)", polarity=sign,
                alpha=alpha, baseline={**_span(before, x), "reason": reason},
                after=_span(after, x), notes=notes)
    compared = (f"Compared: the {len(before)} {unit} of the baseline, "
                f"{base['baseline']['first']} to {base['baseline']['last']} ({reason}), with "
                f"the {len(after)} {unit} from the change")
    short = []
    if len(before) < min_baseline:
        earlier = len(before) < int((~_after(frame, changed_on, x)).sum())
        short.append(f"the baseline has {len(before)} {unit}, the check needs {min_baseline}"
                     + (" (the room may move its start back)" if earlier else
                        " (there is no earlier data)"))
    if len(after) < min_after:
        short.append(f"about {min_after - len(after)} more {unit} after the change are needed "
                     f"(at least {min_after})")
    if short:
        result = ChangeCheck(**base, verdict="no evidence yet", reading="",
                             more_periods_needed=max(min_after - len(after), 0) or None)
        if len(before) >= 2:
            result.centre_before = float(before["value"].mean())
        result.reading = (f"No evidence yet — {'; '.join(short)}. {compared}.")
        return result
    joined = pd.concat([before, after])
    test = step_test(joined["value"].to_numpy(), len(before), alpha=alpha)
    run_rules, centre_after = _run_rule_view(joined, kind, len(before), x, sign)
    significant = test.p_value < alpha
    verdict = _verdict(significant, test.effect, sign)
    result = ChangeCheck(**base, verdict=verdict, reading="",
                         centre_before=float(before["value"].mean()), centre_after=centre_after,
                         effect=test.effect, ci_low=test.ci_low, ci_high=test.ci_high,
                         p_value=test.p_value, evidence=evidence_words(test.p_value, alpha),
                         rho=test.rho, run_rules=run_rules)
    if verdict == "no evidence yet":
        result.more_periods_needed = _more_periods(
            test, test.effect if min_effect is None else min_effect, alpha)
    level = round((1 - alpha) * 100)
    text = (f"{verdict.capitalize()}: the level went from {_show(result.centre_before, proportion)}"
            f" to {_show(float(after['value'].mean()), proportion)} "
            f"(change {_fmt(test.effect, proportion, True)}, {level} % CI "
            f"{_fmt(test.ci_low, proportion, True)} to {_fmt(test.ci_high, proportion, True)}); "
            f"{result.evidence}, allowing for the correlation between neighbouring {unit}. "
            f"{compared} ({base['after']['first']} to {base['after']['last']}). "
            f"On the chart: {run_rules}.")
    if verdict == "no evidence yet":
        if result.more_periods_needed:
            text += (f" About {result.more_periods_needed} more {unit} would be needed to tell "
                     "a change of this size from noise.")
        else:
            text += " A change of this size is out of reach of this baseline."
    if significant and run_rules.startswith("no signal"):
        text += " The chart has not shown it yet: watch the next periods."
    result.reading = text
    return result

