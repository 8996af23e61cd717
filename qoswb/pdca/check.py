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
from qoswb.pdca.compare import _fmt, _polarity, _verdict

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
    proportion = kind in ("p", "np", "pp")
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

