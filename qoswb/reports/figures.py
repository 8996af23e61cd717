"""The figures of a report's period: each KPI's value this month (or quarter), its target, the change.

A manager's first question is "how are we doing?": the SLA attainment of the
month against its target, not the last week's point. The charts are weekly,
so the period's figure is computed here once, by the same KPI computation
(:func:`qoswb.metrics.kpis`) over the period's cases, at the report's grain;
the previous period's too, for the change. Aggregate data (counts per period)
has no cases: its period's figure is the period's row of the KPI table (or
the pooled numerator over denominator of its rows).

The matrix's verdict (variation, assurance) stands beside each figure, so the
table is the headline: figure, target, change, verdict, one row per KPI.

>>> period_figures(cache, "Returns", "2025-05-01", "2025-06-01", "month", view.matrix)  # doctest: +SKIP
"""

from __future__ import annotations

import math

import pandas as pd

from qoswb.grains import GRAINS
from qoswb.reports import asof
from qoswb.reports import cache as rc
from qoswb.reports import narrative as nv
from qoswb.reports.views import _local, cases_of

FIGURE_COLUMNS = ("kpi", "value", "previous", "target", "unit", "variation", "assurance")


# KPIs counted at a period's end over every case still open then, not over the period's own cases
STOCKS = ("backlog",)


def _previous_start(period_start, grain: str) -> pd.Timestamp:
    return pd.Timestamp(period_start) - pd.DateOffset(**GRAINS[grain].step)


def _from_cases(cache, teams, since, period_end, grain, kpis, sla) -> pd.DataFrame:
    """The KPI table of ``teams`` (one team's name, a list, or None: all) at the report's grain, from
    their cases opened since ``since``; the backlog (a stock, not a flow) from every case opened
    before the period's end, however old, as the charts count it."""
    import warnings

    from qoswb.metrics import kpis as compute
    from qoswb.metrics.priorities import present_in

    tickets, answers = cases_of(cache, teams, since, period_end)
    if tickets.empty:
        return pd.DataFrame(columns=["team", "period", "kpi", "value"])
    sla = present_in(sla, tickets)  # the cache build checked every priority against the whole data
    flows, stocks = [k for k in kpis if k not in STOCKS], [k for k in kpis if k in STOCKS]
    as_of, freq = _local(period_end, tickets["opened_at"]), GRAINS[grain].freq
    with warnings.catch_warnings():  # notes on rows not counted reach the report from the cache
        warnings.simplefilter("ignore")
        tables = [compute(tickets, answers, freq=freq, kpis=flows, sla=sla, as_of=as_of)] if flows else []
        if stocks:
            everything, _ = cases_of(cache, teams, None, period_end)
            table = compute(everything, None, freq=freq, kpis=stocks, as_of=as_of)
            tables.append(table[table["period"] >= _local(since, table["period"])])
    return pd.concat(tables, ignore_index=True)


def case_figures(cache, teams, period_start, period_end, grain: str, kpis=None, sla=None) -> pd.DataFrame:
    """The KPI table that :func:`period_figures` reads its figures from, for ``teams`` at once
    (``team``, ``period``, ``kpi``, ``value``: the period and the one before, at ``grain``; ``kpis``
    None: every KPI the cases give): one KPI computation for a batch's period
    (:mod:`qoswb.reports.asof`) instead of one per report.

    >>> case_figures(cache, ["Billing", "Returns"], "2025-05-01", "2025-06-01", "month")  # doctest: +SKIP
    """
    from qoswb.metrics import KPIS

    asked = [k for k in (kpis or KPIS.index) if k in KPIS.index]
    table = _from_cases(cache, list(teams), _previous_start(period_start, grain), period_end, grain, asked, sla)
    return table[["team", "period", "kpi", "value"]].reset_index(drop=True)


def _pooled(rows: pd.DataFrame) -> pd.Series:
    """One value per KPI from its rows in a period: the row's own, or numerators over denominators."""
    def one(group):
        if len(group) == 1:
            return group["value"].iloc[0]
        if "denominator" in group and group["denominator"].notna().all() and group["denominator"].sum() > 0:
            return group["numerator"].sum() / group["denominator"].sum()
        return math.nan  # several periods' medians or means: no figure for the whole period
    return rows.groupby("kpi", sort=False)[["value", *[c for c in ("numerator", "denominator") if c in rows]]] \
        .apply(one) if len(rows) else pd.Series(dtype=float)


def period_figures(cache, team: str, period_start, period_end, grain: str, matrix,
                   targets=None, sla=None) -> pd.DataFrame:
    """One row per KPI of the team's ``matrix``: ``kpi``, ``value`` (this period's figure),
    ``previous`` (the period before's), ``target``, ``unit``, ``variation``, ``assurance``.

    The figures of case data are :func:`qoswb.metrics.kpis` at the report's ``grain``
    over the team's cases opened in the period (and the one before), with the batch's
    ``sla`` targets; a KPI whose chart has too few data keeps its figure, its verdict
    says so.
    """
    from qoswb.metrics import KPIS

    m = matrix.reset_index(drop=True)
    if m.empty:
        return pd.DataFrame(columns=FIGURE_COLUMNS)
    kpis = list(dict.fromkeys(m["kpi"]))
    since, start = _previous_start(period_start, grain), pd.Timestamp(period_start)
    if rc.has(cache, "interactions"):
        asked = [k for k in kpis if k in KPIS.index]
        table = asof.stored_figures(cache, team, period_start, period_end, grain, asked, sla)
        if table is None:  # nothing prepared for this team and period: its own KPI computation
            table = _from_cases(cache, team, since, period_end, grain, asked, sla)
        this = table[table["period"] == start].set_index("kpi")["value"]
        before = table[table["period"] == since].set_index("kpi")["value"]
    else:
        table = rc.read(cache, "kpis", team=team)
        table = table[table["kpi"].isin(kpis)]
        this = _pooled(table[(table["period"] >= start) & (table["period"] < pd.Timestamp(period_end))])
        before = _pooled(table[(table["period"] >= since) & (table["period"] < start)])
    units = dict(zip(KPIS.index, KPIS["unit"]))
    out = pd.DataFrame({"kpi": m["kpi"], "value": m["kpi"].map(this).astype(float),
                        "previous": m["kpi"].map(before).astype(float), "target": m["target"].astype(float),
                        "unit": m["kpi"].map(lambda k: units.get(k, "")),
                        "variation": m["variation"], "assurance": m["assurance"]})
    return out


def change_words(value: float, previous: float, unit: str, when: str) -> str:
    """The change from the period before in the KPI's unit: "−6.1 points since September".

    >>> change_words(0.78, 0.841, "proportion", "September"), change_words(12, 12, "interactions", "May")
    ('−6.1 points since September', 'no change since May')
    """
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in (value, previous)):
        return "–"
    diff = value - previous
    if unit == "proportion":
        diff *= 100
        shown = f"{abs(diff):.1f} points"
        if shown == "0.0 points":
            return f"no change since {when}"
    else:
        shown = nv.fmt(abs(diff), unit)
        if shown in ("0", "0.0 min", "0.00"):
            return f"no change since {when}"
    return f"{'+' if diff > 0 else '−'}{shown} since {when}"


def figures_table(figures: pd.DataFrame, period_words: str, previous_words: str) -> pd.DataFrame:
    """:func:`period_figures` for people: one row per KPI, headed in words, values in their unit.

    >>> from qoswb.verdicts import Assurance, Variation
    >>> f = pd.DataFrame({"kpi": ["sla_response"], "value": [0.77], "previous": [0.81], "target": [0.9],
    ...     "unit": ["proportion"], "variation": [Variation.COMMON_CAUSE], "assurance": [Assurance.FAIL]})
    >>> figures_table(f, "October 2026", "September").iloc[0].tolist()
    ['SLA attainment (first response)', '77.0%', '90.0%', '−4.0 points since September', 'common cause · consistently missed']
    """
    rows = []
    for r in figures.itertuples(index=False):
        verdict = r.variation.short if not r.assurance.label else f"{r.variation.short} · {r.assurance}"
        rows.append((nv.label(r.kpi), nv.fmt(r.value, r.unit),
                     nv.fmt(r.target, r.unit) if r.target == r.target else "no target",
                     change_words(r.value, r.previous, r.unit, previous_words), verdict))
    return pd.DataFrame(rows, columns=["KPI", period_words, "Target", "Change", "Verdict"])


def figures_style(figures: pd.DataFrame, period_words: str, previous_words: str):
    """:func:`figures_table` as an escaped pandas Styler, each verdict cell painted as in the matrix
    (:func:`qoswb.verdicts.colour_of`: a target consistently missed stands out in the concern colour).

    >>> figures_style(f, "October 2026", "September").to_html()   # doctest: +SKIP
    """
    from qoswb.escape import table
    from qoswb.palette import tint
    from qoswb.verdicts import colour_of

    shown = figures_table(figures, period_words, previous_words)
    paint = [f"background-color: {tint(c, 0.6)}" if c else ""
             for c in (colour_of(v, a) for v, a in zip(figures["variation"], figures["assurance"]))]
    return table(shown).apply(lambda _: paint, subset=["Verdict"]).set_properties(
        subset=["KPI", "Verdict"], **{"text-align": "left"})
