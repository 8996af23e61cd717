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
from typing import NamedTuple

from qoswb.grains import GRAINS
from qoswb.pareto import count, pareto_table
from qoswb.reports import cache as rc
from qoswb.reports import narrative as nv
from qoswb.reports.quality import columns, data_quality  # noqa: F401 - views.data_quality: its old home
from qoswb.verdicts import Assurance, Variation


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
    left_out: list = dataclasses.field(default_factory=list)  # what the data's columns cannot show
    readings: object = None  # DataFrame: the reading of each KPI (see reading_table)
    caveats: list = dataclasses.field(default_factory=list)  # rows the figures do not count, and why


def _local(ts, like):
    """``ts`` (a date) as a timestamp in the timezone of the datetime column ``like``."""
    import pandas as pd

    ts = pd.Timestamp(ts)
    tz = getattr(like.dtype, "tz", None)
    return ts.tz_localize(tz) if tz is not None else ts


def _empty(columns):
    import pandas as pd

    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


_CHART_COLUMNS = ("kpi", "chart", "period", "y", "cl", "lcl", "ucl", "signal", "rules", "complete", "polarity")
_MATRIX_COLUMNS = ("kpi", "chart", "latest_period", "latest_value", "cl", "lcl", "ucl", "polarity",
                   "variation", "direction", "signal_rules", "target", "assurance")


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

    if table.empty:  # no KPI asked for that the data can give: nothing to chart, the report says why
        return _empty(_CHART_COLUMNS), _empty(_MATRIX_COLUMNS)
    end = _local(period_end, table["period"])
    rows = table[table["period"] < end]
    if rows.empty:
        raise DataError(f"no KPI data before {period_end} to chart (the data starts "
                        f"{table['period'].min() if len(table) else 'nowhere'})")
    # how far a chart period runs: a week for case data, the batch's grain for aggregates
    closes = rows["period"] + pd.DateOffset(**GRAINS[grain].step)
    rows = rows.assign(complete=rows["complete"].astype(bool) & (closes <= end).to_numpy())
    with warnings.catch_warnings():  # checks (autocorrelation...) are kept in the summary's flags
        warnings.simplefilter("ignore")
        result = charts(rows)
    return result.frame, too_few_data(result.frame, matrix(result, targets=targets or None), units(), grain)


def too_few_data(points, m, units: dict, grain: str = "week"):
    """The matrix ``m`` with the verdicts of charts whose data are too few for limits to mean anything
    (:func:`qoswb.reports.narrative.too_few`: a team with 1 case in a month) set to "too few points
    to judge", and no assurance: no signal, no "consistently missed", read from such limits."""
    if m.empty:
        return m
    by = list(m.columns[: list(m.columns).index("kpi")])
    series = dict(iter(points.groupby([*by, "kpi"], sort=False)))
    few = [nv.too_few(series[key], units.get(key[-1], ""), grain) is not None if key in series else False
           for key in m[[*by, "kpi"]].itertuples(index=False, name=None)]
    m = m.copy()
    m.loc[few, "variation"] = Variation.TOO_FEW_POINTS
    m.loc[few, "assurance"] = Assurance.NO_TARGET
    return m


def units(cache=None) -> dict:
    """KPI name -> unit, from the KPI registry and, for KPIs it does not know, the cached table."""
    from qoswb.metrics import KPIS

    known = KPIS["unit"].to_dict()
    if cache is not None and rc.has(cache, "kpis"):
        known = {**cached_units(cache), **known}
    return known


def cached_units(cache) -> dict:
    """KPI name -> unit of every KPI in the cache's KPI table: from its meta.json (a cache built
    before it said so: from the table, whose ``kpi`` column holds every team's rows)."""
    said = rc.meta(cache).get("kpi_units")
    if said is None:
        table = rc.read(cache, "kpis", columns=["kpi", "unit"]).drop_duplicates("kpi")
        said = dict(zip(table["kpi"], table["unit"]))
    return said


LOAD_SURVEYS = "Load survey answers ('surveys:' under 'data:' in the parameters file) to see {}."


def left_out(cache, kpis=None) -> list[str]:
    """Sentences naming what to map for each KPI asked for (all when ``kpis`` is None) that the data
    cannot give, grouped by the missing columns, e.g. "Map a resolved_at column to see Backlog."

    The registry (``qoswb.metrics.KPIS``: ``needs``, ``survey_column``) says which columns each KPI
    needs; a KPI whose columns are there but which is still absent (e.g. no SLA target) is named with
    the KPI computation's own note.
    """
    from qoswb.metrics import KPIS

    if rc.meta(cache).get("kind") == "aggregates":  # counts carry their own KPI: no columns to map
        return []
    present, notes = set(cached_units(cache)), rc.meta(cache).get("kpi_notes") or []
    have, survey = set(columns(cache, "interactions")), columns(cache, "surveys")
    by_need: dict[tuple, list[str]] = {}
    out = []
    for kpi in (k for k in (kpis or KPIS.index) if k in KPIS.index and k not in present):
        info = KPIS.loc[kpi]
        needs = tuple(c for c in info["needs"] if c not in have)
        column = info["survey_column"]
        if isinstance(column, str) and column not in survey:
            needs += ("surveys" if not survey else f"surveys.{column}",)
        if needs:
            by_need.setdefault(needs, []).append(nv.label(kpi))
        else:
            said = next((n.split(" left out", 1)[-1].lstrip(": ") for n in notes if n.startswith(f"{kpi} ")),
                        "the data gives no values for it")
            out.append(f"{nv.label(kpi)} is left out: {said}.")
    for needs, labels in by_need.items():
        shown = ", ".join(labels)
        if "surveys" in needs:
            out.append(LOAD_SURVEYS.format(shown))
            continue
        if needs[0].startswith("surveys."):  # survey KPIs need one column of the answers
            what = f"a {needs[0][8:]} column of the survey answers"
        else:
            what = f"a {needs[0]} column" if len(needs) == 1 else \
                f"{', '.join(needs[:-1])} and {needs[-1]} columns"
        out.append(f"Map {what} to see {shown}.")
    return out


def caveats(cache) -> list[str]:
    """Sentences on rows the cached KPIs do not count, from their computation's notes (e.g.
    interactions whose priority has no SLA target), as sentences for a report; the whole data's.

    >>> caveats(cache)   # doctest: +SKIP
    ["In the whole data, sla (resolution): 1 interaction(s) have no target for their priority ('Critical') ..."]
    """
    return [f"In the whole data, {note}." for note in rc.meta(cache).get("kpi_caveats", [])]


def _answered_by(answers, period_end):
    """Answers given before the period's end: a May report never shows June's answers."""
    if "answered_at" not in answers:
        return answers
    return answers[answers["answered_at"] < _local(period_end, answers["answered_at"])]


def cases_of(cache, team, start, end):
    """The team's cases (``team``: a name, a list of names, or None: every team's) opened from ``start``
    (None: the first) to before ``end``, and the survey answers rating them given before ``end`` (None
    without surveys): a May report never counts June's.

    >>> tickets, answers = cases_of(cache, "Returns", "2025-05-01", "2025-06-01")   # doctest: +SKIP
    """
    from qoswb.data.linking import positions

    tickets = rc.read(cache, "interactions", team=team, between=("opened_at", start, end))
    answers = None
    if rc.has(cache, "surveys"):
        answers = rc.read(cache, "surveys", team=team)
        rated = positions(answers["id"], tickets["id"]) >= 0  # pandas' isin on text is slow per report
        answers = _answered_by(answers[rated], end)
    return tickets, answers


def answered_by(cache, table, period_end, teams):
    """``table`` (KPI rows of ``teams``) with its survey KPIs counted from the answers given before
    ``period_end`` only: a May report's CSAT never counts an answer given in June.

    The cache's KPI table counts every answer in the week of the case it rates;
    when some of these teams' answers came after the period's end, their survey
    KPIs are computed again (:func:`qoswb.metrics.kpis`) without them.
    """
    import pandas as pd

    from qoswb.data.linking import positions
    from qoswb.metrics import KPIS
    from qoswb.metrics import kpis as compute

    asked = [k for k in pd.unique(table["kpi"]) if k in KPIS.index
             and isinstance(KPIS.loc[k, "survey_column"], str)]
    if not asked or not rc.has(cache, "surveys") or not rc.has(cache, "interactions"):
        return table
    answers = rc.read(cache, "surveys", team=list(teams))  # their rows only, read with Parquet filters
    late = answers["answered_at"] >= _local(period_end, answers["answered_at"])
    tickets = rc.read(cache, "interactions", team=list(teams), columns=["id", "team", "opened_at"],
                      between=("opened_at", None, period_end))
    touched = tickets[positions(tickets["id"], answers.loc[late, "id"]) >= 0]  # Arrow hash lookups, not joins
    if touched.empty:
        return table
    # recount only the chart periods from the first one holding a case answered late (cut where
    # the cache's own periods start, so each recounted period holds all its cases); an answer
    # is never given before its case was opened
    first = touched["opened_at"].min().tz_localize(None)
    cut = table.loc[table["period"] <= first, "period"].max()
    if pd.isna(cut):  # a case before the first chart period: recount them all
        cut = table["period"].min()
    since = _local(cut, tickets["opened_at"])
    tickets = tickets[tickets["opened_at"] >= since]
    kept = answers[~late & (answers["answered_at"] >= since)]
    kept = kept[positions(kept["id"], tickets["id"]) >= 0]  # ids are unique in the cache: a filter, as a join
    fresh = compute(tickets, kept, freq=rc.KPI_FREQ, kpis=asked)
    # the counts change; the chart grid and its complete periods stay the cache's
    keys = ["team", "period", "kpi"]
    counts = [c for c in ("numerator", "denominator", "value", "se") if c in table and c in fresh]
    redo = table["kpi"].isin(asked) & (table["period"] >= cut)
    recounted = table[redo].drop(columns=counts).merge(fresh[keys + counts], on=keys, how="left")
    out = pd.concat([table[~redo], recounted.reindex(columns=table.columns)], ignore_index=True)
    order = {k: i for i, k in enumerate(pd.unique(table["kpi"]))}  # KPIs in the cache's order
    out = out.assign(_order=out["kpi"].map(order)).sort_values(["_order", "team", "period"], kind="stable")
    return out.drop(columns="_order").reset_index(drop=True)


def charts_of(cache, teams, period_end, kpis=None, targets=None):
    """The chart points and matrix of ``teams`` as of ``period_end``, from the cached KPI table:
    :func:`charts_as_of` on their KPIs, survey KPIs without the answers given after it
    (:func:`answered_by`). Each team's rows are the same whichever teams are charted with it.

    >>> points, m = charts_of(cache, ["Returns"], "2025-06-01", kpis=None, targets={"fcr": 0.7})  # doctest: +SKIP
    """
    grain = rc.meta(cache).get("chart_grain") or "week"
    return charts_as_of(kpi_rows(cache, teams, period_end, kpis), period_end, grain, targets)


def kpi_rows(cache, teams, period_end, kpis=None):
    """The cached KPI table's rows of ``teams`` (and ``kpis``), survey KPIs counted without the
    answers given after ``period_end`` (:func:`answered_by`): what the charts of a period are drawn from."""
    teams = list(teams)
    table = rc.read(cache, "kpis", team=teams)  # their rows only, read with a Parquet filter
    table = table[table["kpi"].isin(kpis)] if kpis else table
    return answered_by(cache, table, period_end, teams)


def team_view(cache, team, period_start, period_end, kpis=None, targets=None) -> TeamView:
    """Everything a team report needs for one period, read from the cache (the team's rows only;
    its charts as the batch prepared them for the period, :mod:`qoswb.reports.asof`, if it did)."""
    from qoswb.reports import asof

    info = rc.meta(cache)
    grain = info.get("chart_grain") or "week"
    shown, m = asof.stored(cache, team, period_end, kpis, targets) or \
        charts_of(cache, [team], period_end, kpis=kpis, targets=targets)
    tickets = answers = None
    if rc.has(cache, "interactions"):
        tickets, answers = cases_of(cache, team, period_start, period_end)
    known = units(cache)
    return TeamView(team, shown, m, tickets, answers, known, grain, period_end,
                    left_out(cache, kpis),
                    reading_table(shown, m, known, grain, period_start), caveats(cache))


def reading_table(points, m, units: dict, grain: str = "week", since=None):
    """The one reading of each group × KPI of the matrix ``m``, from its chart ``points``: the
    matrix's ``variation`` and ``assurance``, ``now`` (the sentence on the latest complete point,
    with that same verdict) and ``earlier`` (sentences on the episodes that ended before it, on or
    after ``since``, newest first). Reports, lists and the index all read these rows, so they
    cannot disagree.

    >>> table = reading_table(points, m, {"fcr": "proportion"}, "week", "2025-05-01")  # doctest: +SKIP
    """
    import pandas as pd

    by = list(m.columns[: list(m.columns).index("kpi")])
    out = m[[*by, "kpi", "variation", "assurance"]].reset_index(drop=True)
    if out.empty:
        return out.assign(now=pd.Series(dtype=object), earlier=pd.Series(dtype=object))
    series = dict(iter(points.groupby([*by, "kpi"], sort=False)))
    now, before = [], []
    for key, verdict in zip(out[[*by, "kpi"]].itertuples(index=False, name=None), out["variation"]):
        kpi, rows = key[-1], series[key]
        now.append(nv.reading(rows, kpi, units.get(kpi, ""), grain, verdict=verdict))
        before.append([] if verdict is Variation.TOO_FEW_POINTS else
                      nv.earlier(rows, kpi, units.get(kpi, ""), grain, since=since))
    return out.assign(now=now, earlier=before)


def readings(view: TeamView) -> list[tuple[str, str]]:
    """(kpi, sentence now) for each KPI of the team, in the matrix's order."""
    return list(zip(view.readings["kpi"], view.readings["now"]))


def earlier_signals(view):
    """One row per earlier episode of the period (team × KPI, newest first per KPI): ``team``,
    ``kpi``, ``reading`` — the signals that came and went before the latest complete period."""
    import pandas as pd

    r = view.readings
    if r.empty:  # no KPI the data can give: nothing to tell
        return pd.DataFrame(columns=["team", "kpi", "reading"])
    rows = [(t, k, text) for t, k, texts in zip(r["team"], r["kpi"], r["earlier"]) for text in texts]
    return pd.DataFrame(rows, columns=["team", "kpi", "reading"])


def headline_words(verdict) -> str:
    """How the headline says a special cause of KPIs: "deteriorating", "higher than usual" (a KPI
    with no better direction, such as volume: "1 higher" would leave the reader guessing)."""
    return {Variation.HIGHER: "higher than usual", Variation.LOWER: "lower than usual",
            Variation.SPECIAL_CAUSE: "with a special cause"}.get(verdict, verdict.short)


def headline(matrix_rows) -> str:
    """A one-line status for the index page, e.g. "2 KPIs deteriorating, 1 KPI improving · 1 target missed".

    >>> import pandas as pd
    >>> from qoswb.verdicts import Assurance, Variation
    >>> headline(pd.DataFrame({"variation": [Variation.DETERIORATING, Variation.HIGHER],
    ...                        "assurance": [Assurance.FAIL, Assurance.NO_TARGET]}))
    '1 KPI deteriorating, 1 KPI higher than usual · 1 target consistently missed'
    """
    v, a = matrix_rows["variation"], matrix_rows["assurance"]
    parts = []
    for verdict in (Variation.DETERIORATING, Variation.IMPROVING, Variation.HIGHER, Variation.LOWER,
                    Variation.SPECIAL_CAUSE):
        count = int(v.eq(verdict).sum())
        if count:
            parts.append(f"{count} KPI{'s' if count > 1 else ''} {headline_words(verdict)}")
    few = int(v.eq(Variation.TOO_FEW_POINTS).sum())
    status = ", ".join(parts) or ("common cause only" if few < len(v) else "too few data to judge")
    missed = int(a.eq(Assurance.FAIL).sum())
    status += f" · {missed} target{'s' if missed > 1 else ''} {Assurance.FAIL}" if missed else ""
    return status + (f" · {few} KPI{'s' if few > 1 else ''} with too few data" if few and few < len(v) else "")


def show_headline(matrix_rows) -> None:
    """Display :func:`headline` as a bold Markdown line; its plain text is what the index shows."""
    from IPython.display import display

    text = headline(matrix_rows)
    display({"text/markdown": f"**{text}**", "text/plain": text}, raw=True)


class Behind(NamedTuple):
    """What lies behind the KPI most in need of attention: ``table`` is a Pareto table or None,
    ``missing`` the sentence naming the column to map when the data cannot say (or None)."""

    kpi: str
    what: str
    table: object
    missing: str | None = None


def behind_worst(view: TeamView, top: int = 8, sla=None) -> Behind | None:
    """The KPI most in need of attention and the Pareto table of its bad cases (None: no case data).

    Cases are counted by category; survey answers by the theme of their comment. With no KPI
    that has a better direction, the period's cases are counted (where the volume comes from).
    Without the column to count by, ``missing`` says which column to map. ``sla``: the batch's
    SLA targets, so that an SLA KPI counts the cases that missed them.
    """
    if view.tickets is None:
        return None
    kpi = nv.worst(view.matrix)
    if kpi is None:  # no KPI with a better direction (only volume, say): where the cases come from
        kpi, what, cases = "volume", "cases opened", view.tickets
    else:
        row = view.matrix[view.matrix["kpi"] == kpi].iloc[0]
        what, cases = nv.behind(kpi, view.tickets, view.answers, centre=row["cl"],
                                period_end=view.period_end, sla=sla)
    if cases is None or not len(cases):
        return Behind(kpi, what, None)
    if kpi in nv.SURVEY_KPIS:
        if "comment" not in cases.columns:
            return Behind(kpi, what, None, "Map a comment column of the survey answers to see what "
                                           "lies behind it.")
        from qoswb.metrics import tag_themes

        themes = tag_themes(cases[cases["comment"].notna()])
        return Behind(kpi, what + " (by theme)", pareto_table(count(themes["theme"]), top=top) if len(themes) else None)
    if "category" not in cases.columns:
        where = "the volume comes" if kpi == "volume" else "these cases come"
        return Behind(kpi, what, None, f"Map a category column to see where {where} from.")
    return Behind(kpi, what + " (by category)", pareto_table(count(cases["category"]), top=top))


def comments_missing(view: TeamView) -> str | None:
    """The sentence naming what to load or map before a report can show comments (None: nothing)."""
    if view.tickets is None:
        return "Comments come with case data and survey answers; this batch's data has neither."
    if view.answers is None:
        return LOAD_SURVEYS.format("what customers said")
    if "comment" not in view.answers:
        return "Map a comment column of the survey answers to see what customers said."
    return None


def comments(view: TeamView, n: int = 8, seed: int = 0):
    """A sample of the period's comments: the lowest-rated half, the rest at random (None: no comments
    in the data, see :func:`comments_missing`)."""
    import pandas as pd

    if comments_missing(view):
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


# the survey answers' columns as a report's comments table heads them (the canonical columns of DESIGN.md)
COMMENT_HEADERS = {"answered_at": "Answered on", "csat": "CSAT (1–5)", "nps": "Would recommend (0–10)",
                   "ces": "Effort (1–7)", "comment": "Comment"}


def comments_table(said):
    """:func:`comments` for people: columns headed in words, the answer's date as a date.

    >>> import pandas as pd
    >>> said = pd.DataFrame({"answered_at": pd.to_datetime(["2025-05-06 10:30"]), "csat": [2.0], "comment": ["Slow"]})
    >>> comments_table(said).to_dict("records")
    [{'Answered on': '6 May 2025', 'CSAT (1–5)': 2.0, 'Comment': 'Slow'}]
    """
    out = said.rename(columns=COMMENT_HEADERS)
    if "answered_at" in said:
        out[COMMENT_HEADERS["answered_at"]] = [f"{t.day} {t:%b %Y}" if t == t else "" for t in said["answered_at"]]
    return out


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
    left_out: list = dataclasses.field(default_factory=list)  # what the data's columns cannot show
    readings: object = None  # DataFrame: the reading of each team × KPI (see reading_table)
    caveats: list = dataclasses.field(default_factory=list)  # rows the figures do not count, and why


def portfolio_view(cache, period_start, period_end, teams=None, kpis=None, targets=None) -> PortfolioView:
    """Everything a portfolio report needs for one period, read from the cache."""
    info = rc.meta(cache)
    grain = info.get("chart_grain") or "week"
    teams = list(teams or info["teams"])
    table = kpi_rows(cache, teams, period_end, kpis)
    shown, m = charts_as_of(table, period_end, grain, targets)
    start, end = _local(period_start, table["period"]), _local(period_end, table["period"])
    table = table[(table["period"] >= start) & (table["period"] < end)]
    known = units(cache)
    return PortfolioView(teams, shown, m, table, known, grain, period_start, period_end,
                         left_out(cache, kpis),
                         reading_table(shown, m, known, grain, period_start), caveats(cache))


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


def signals(view):
    """One row per team × KPI whose latest complete period is a special cause (the matrix's
    variation): ``team``, ``kpi``, ``variation``, ``reading``."""
    import pandas as pd

    r = view.readings
    if r.empty:  # no KPI the data can give: nothing to tell
        return pd.DataFrame(columns=["team", "kpi", "variation", "reading"])
    now = r[[v.is_special for v in r["variation"]]]
    return now[["team", "kpi", "variation", "now"]].rename(columns={"now": "reading"}).reset_index(drop=True)


def funnel_note(f) -> str:
    """What a funnel's limits are and why, in words: the over-dispersion test's p-value as evidence.

    >>> from types import SimpleNamespace as F
    >>> funnel_note(F(kpi="fcr", adjusted="additive", p_value=1e-9, units=12))
    'First-contact resolution: the teams differ more than chance explains (very strong evidence, p-value < 0.001), so the limits are widened by the spread between teams (Spiegelhalter 2005).'
    """
    name = nv.label(f.kpi)
    if f.adjusted:
        return (f"{name}: the teams differ more than chance explains ({nv.evidence(f.p_value)}), so the "
                "limits are widened by the spread between teams (Spiegelhalter 2005).")
    return (f"{name}: no sign that the teams differ more than chance explains ({nv.evidence(f.p_value)}): "
            "plain binomial limits.")


def glossary(view) -> list[str]:
    """The glossary lines of a report: its terms and every rule its readings name (in words)."""
    texts = [*view.readings["now"], *(t for ts in view.readings["earlier"] for t in ts)]
    return nv.glossary(texts)


def show(fig, tight: bool = False) -> None:
    """Display a figure as SVG (:func:`qoswb.svg.svg_bytes`: sharp at any size, text escaped) and close it.

    The inline backend would draw a figure twice (``bbox_inches="tight"``) as a
    PNG, and constrained layout adds more passes: for a page of small multiples
    that is most of a report's run time. Lay figures out with ``subplots_adjust``
    and show them with this (a Pareto from :func:`qoswb.pareto.draw_pareto` fits its own margins to
    its labels); ``tight`` crops to what is drawn, one more layout pass, for a figure laid out by no one.
    """
    import matplotlib.pyplot as plt
    from IPython.display import display

    from qoswb.svg import svg_bytes

    svg = svg_bytes(fig, tight=tight).decode("utf-8")
    plt.close(fig)
    # raw: IPython's SVG() would parse the document again only to hand it on unchanged
    display({"image/svg+xml": svg, "text/plain": f"<Figure {fig.get_figwidth():g} x {fig.get_figheight():g} in>"},
            raw=True)
