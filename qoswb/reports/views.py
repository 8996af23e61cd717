"""What a report shows, read from the batch cache: one team's period, or the whole portfolio's.

Templates call these and only lay out the result, so the logic is tested here,
once, and a template stays a handful of short cells.

Charts, limits and signals are computed as they stood at the end of the
report's period, from the cached KPI table: nothing after the period can move
a report's limits or raise a signal in it, so a March report made in December
reads as one made in April. A chart period running past the report's end (the
week of 31 March in a March report) is shown as incomplete, never in limits or
signals; the matrix reads the latest complete point.

>>> view = team_view(cache, "Returns", "2025-05-01", "2025-06-01", kpis=None, targets={})  # doctest: +SKIP
>>> view.matrix[["kpi", "variation"]]                                                     # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses

from qoswb.reports import cache as rc
from qoswb.reports import narrative as nv


@dataclasses.dataclass
class TeamView:
    """One team's period: chart points (up to the period end), matrix rows, tickets and answers."""

    team: str
    charts: object   # DataFrame: the team's chart points up to the period's end
    matrix: object   # DataFrame: variation and assurance per KPI (metrics.matrix)
    tickets: object  # DataFrame: the team's interactions opened in the period (or None)
    answers: object  # DataFrame: survey answers rating those interactions (or None)
    units: dict
    grain: str
    period_end: str


def _local(ts, like):
    """``ts`` (a date) as a timestamp in the timezone of the datetime column ``like``."""
    import pandas as pd

    ts = pd.Timestamp(ts)
    tz = getattr(like.dtype, "tz", None)
    return ts.tz_localize(tz) if tz is not None else ts


# How far a chart period runs from its start, by the grain of the cached KPI table: weeks for
# case data, the batch's grain for aggregates (the grains of qoswb.reports.params.GRAINS).
STEP = {"week": {"days": 7}, "month": {"months": 1}, "quarter": {"months": 3}}


def charts_as_of(table, period_end, grain="week", targets=None):
    """Every chart in a KPI table (qoswb.metrics.charts) and its matrix, as of ``period_end``.

    Only periods starting before ``period_end`` are charted; one running past it
    is marked incomplete. Returns (chart points, matrix).

    >>> points, m = charts_as_of(kpi_table, "2025-04-01", "week", {"fcr": 0.7})  # doctest: +SKIP
    """
    import warnings

    import pandas as pd

    from qoswb.errors import DataError
    from qoswb.metrics import charts, matrix

    end = _local(period_end, table["period"])
    rows = table[table["period"] < end]
    if rows.empty:
        raise DataError(f"no KPI data before {period_end} to chart (the data starts "
                        f"{table['period'].min() if len(table) else 'nowhere'})")
    closes = rows["period"] + pd.DateOffset(**STEP[grain])
    rows = rows.assign(complete=rows["complete"].astype(bool) & (closes <= end).to_numpy())
    with warnings.catch_warnings():  # checks (autocorrelation...) are kept in the summary's flags
        warnings.simplefilter("ignore")
        result = charts(rows)
    return result.frame, matrix(result, targets=targets or None)


def units(cache=None) -> dict:
    """KPI name -> unit, from the KPI registry and, for KPIs it does not know, the cached table."""
    from qoswb.metrics import KPIS

    known = KPIS["unit"].to_dict()
    if cache is not None and rc.has(cache, "kpis"):
        table = rc.read(cache, "kpis", columns=["kpi", "unit"]).drop_duplicates("kpi")
        known = {**dict(zip(table["kpi"], table["unit"])), **known}
    return known


def team_view(cache, team, period_start, period_end, kpis=None, targets=None) -> TeamView:
    """Everything a team report needs for one period, read from the cache (the team's rows only)."""
    info = rc.meta(cache)
    grain = info.get("chart_grain") or "week"
    table = rc.read(cache, "kpis", team=team)
    if kpis:
        table = table[table["kpi"].isin(kpis)]
    shown, m = charts_as_of(table, period_end, grain, targets)
    tickets = answers = None
    if rc.has(cache, "interactions"):
        tickets = rc.read(cache, "interactions", team=team)
        opened = tickets["opened_at"]
        tickets = tickets[(opened >= _local(period_start, opened)) & (opened < _local(period_end, opened))]
        if rc.has(cache, "surveys"):
            answers = rc.read(cache, "surveys", team=team)
            answers = answers[answers["id"].isin(tickets["id"])]
    return TeamView(team, shown, m, tickets, answers, units(cache), grain, period_end)


def readings(view: TeamView) -> list[tuple[str, str]]:
    """(kpi, sentence) for each KPI of the team, in the matrix's order."""
    out = []
    for kpi, rows in view.charts.groupby("kpi", sort=False):
        out.append((kpi, nv.reading(rows, kpi, unit=view.units.get(kpi, ""), grain=view.grain)))
    return out


def headline(matrix_rows) -> str:
    """A one-line status for the index page, e.g. "2 deteriorating, 1 improving · 1 target missed".

    >>> import pandas as pd
    >>> headline(pd.DataFrame({"variation": ["special cause deteriorating", "common cause"],
    ...                        "assurance": ["consistently missed", ""]}))
    '1 deteriorating · 1 target consistently missed'
    """
    v, a = matrix_rows["variation"], matrix_rows["assurance"]
    parts = []
    for word in ("deteriorating", "improving"):
        count = int(v.str.endswith(word).sum())
        if count:
            parts.append(f"{count} {word}")
    status = ", ".join(parts) or "common cause only"
    missed = int(a.eq("consistently missed").sum())
    return status + (f" · {missed} target{'s' if missed > 1 else ''} consistently missed" if missed else "")


def behind_worst(view: TeamView, top: int = 8):
    """(kpi, what was counted, Pareto table) for the KPI most in need of attention, or None."""
    kpi = nv.worst(view.matrix)
    if kpi is None or view.tickets is None:
        return None
    row = view.matrix[view.matrix["kpi"] == kpi].iloc[0]
    what, cases = nv.behind(kpi, view.tickets, view.answers, centre=row["cl"], period_end=view.period_end)
    if cases is None or not len(cases):
        return kpi, what, None
    if "comment" in cases.columns and "category" not in cases.columns:
        from qoswb.metrics import tag_themes

        themes = tag_themes(cases[cases["comment"].notna()])
        return kpi, what + " (by theme)", nv.pareto(themes["theme"], top) if len(themes) else None
    return kpi, what + " (by category)", nv.pareto(cases["category"], top)


def comments(view: TeamView, n: int = 8, seed: int = 0):
    """A sample of the period's comments: the lowest-rated half, the rest at random."""
    import pandas as pd

    if view.answers is None or "comment" not in view.answers:
        return None
    said = view.answers[view.answers["comment"].notna()]
    if said.empty:
        return said
    score = "csat" if "csat" in said else None
    low = said.sort_values(score).head(n // 2) if score else said.head(0)
    rest = said.drop(low.index)
    rest = rest.sample(min(len(rest), n - len(low)), random_state=seed)
    cols = [c for c in ("answered_at", "csat", "nps", "ces", "comment") if c in said]
    return pd.concat([low, rest])[cols].reset_index(drop=True)


def data_quality(cache, team=None):
    """(load summaries, rejected rows by reason — the team's when rows carry a team)."""
    import pandas as pd

    info = rc.meta(cache)
    if not rc.has(cache, "rejected"):
        return info["summaries"], pd.DataFrame({"reason": [], "rows": []})
    rejected = rc.read(cache, "rejected")
    if team is not None and "team" in rejected:
        rejected = rejected[rejected["team"] == team]
    counts = rejected.groupby(["table", "reason"] if "table" in rejected else ["reason"]).size()
    return info["summaries"], counts.rename("rows").reset_index().sort_values("rows", ascending=False)


@dataclasses.dataclass
class PortfolioView:
    """Every team's period: chart points up to the period's end, matrix, KPI table of the period."""

    teams: list
    charts: object
    matrix: object
    kpis: object     # DataFrame: the KPI table rows of the period's weeks (all teams)
    units: dict
    grain: str
    period_start: str
    period_end: str


def portfolio_view(cache, period_start, period_end, teams=None, kpis=None, targets=None) -> PortfolioView:
    """Everything a portfolio report needs for one period, read from the cache."""
    info = rc.meta(cache)
    grain = info.get("chart_grain") or "week"
    teams = list(teams or info["teams"])
    table = rc.read(cache, "kpis")
    keep = table["team"].isin(teams)
    table = table[keep & table["kpi"].isin(kpis)] if kpis else table[keep]
    shown, m = charts_as_of(table, period_end, grain, targets)
    start, end = _local(period_start, table["period"]), _local(period_end, table["period"])
    table = table[(table["period"] >= start) & (table["period"] < end)]
    return PortfolioView(teams, shown, m, table, units(cache), grain, period_start, period_end)


def funnels(view: PortfolioView, limit: int = 3) -> list:
    """Funnel plots (qoswb.metrics.funnel) of the period's proportion KPIs, pooled over its weeks,
    adjusted for over-dispersion where it is significant (each funnel's ``why`` says so)."""
    from qoswb.metrics import funnel

    table = view.kpis[view.kpis["complete"].astype(bool)]
    wanted = [k for k in dict.fromkeys(view.matrix["kpi"]) if view.units.get(k) == "proportion"]
    out = []
    for kpi in wanted[:limit]:
        rows = table[table["kpi"] == kpi]
        if rows["denominator"].fillna(0).sum() > 0 and rows["team"].nunique() > 1:
            out.append(funnel(rows, kpi, overdispersion="auto"))
    return out


def signals(view: PortfolioView):
    """One row per team × KPI with a special cause in the period's complete points, with a reading."""
    import pandas as pd

    rows = view.charts
    inside = (rows["period"] >= _local(view.period_start, rows["period"])) & rows["complete"].astype(bool)
    flagged = rows[inside & rows["signal"].astype(bool)][["team", "kpi"]].drop_duplicates()
    out = []
    for team, kpi in flagged.itertuples(index=False):
        series = rows[(rows["team"] == team) & (rows["kpi"] == kpi)]
        out.append({"team": team, "kpi": kpi, "reading": nv.reading(
            series, kpi, unit=view.units.get(kpi, ""), grain=view.grain,
            recent=int(inside[series.index].sum()) or 1)})
    return pd.DataFrame(out, columns=["team", "kpi", "reading"])


def show(fig, dpi: int = 80, tight: bool = False) -> None:
    """Display a figure as an embedded PNG in one draw, and close it.

    The inline backend draws a figure twice (``bbox_inches="tight"``) and
    constrained layout adds more passes: for a page of small multiples that is
    most of a report's run time. Lay figures out with ``subplots_adjust`` and
    show them with this instead.
    """
    import io

    import matplotlib.pyplot as plt
    from IPython.display import Image, display

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight" if tight else None)
    plt.close(fig)
    display(Image(buffer.getvalue()))
