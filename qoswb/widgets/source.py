"""What the apps look at: the KPI table and, when there are cases, what lies behind a period.

:class:`Source` turns whatever the user hands the Explorer (the demo data, canonical
interactions and surveys, or a ready KPI table) into the KPI table the charts
read and, when cases are there, the drill-down: the cases of one period counted
by category, channel, priority or comment theme against the baseline periods.

>>> import pandas as pd
>>> table = pd.DataFrame({"team": ["A"] * 3, "kpi": ["volume"] * 3,
...                       "period": pd.date_range("2026-01-05", periods=3, freq="7D"),
...                       "value": [5.0, 6, 4], "chart": ["c"] * 3, "polarity": [0] * 3})
>>> Source(table).teams()
['A']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from qoswb.errors import DataError, ParameterError

DRILL_BY = ("category", "channel", "priority", "theme")


class Source:
    """The KPI table (``.table``) and, when given, the cases behind it.

    ``source``: ``None`` (the demo data), an object with ``.interactions`` and
    ``.surveys`` (:class:`qoswb.data.SyntheticData`, a LoadResult's frames), a
    frame of canonical interactions, or a KPI table from :func:`qoswb.metrics.kpis`
    (columns ``team``, ``kpi``, ``period``, ``value``…; no drill-down then).
    """

    def __init__(self, source=None, surveys=None, *, freq: str = "W"):
        if source is None:
            from qoswb.data import demo_data

            source = demo_data()
        if hasattr(source, "interactions"):
            surveys = getattr(source, "surveys", None) if surveys is None else surveys
            source = source.interactions
        if not isinstance(source, pd.DataFrame):
            raise ParameterError(f"source={type(source).__name__}: expected demo data, "
                                 "interactions or a KPI table (a DataFrame)")
        self.freq = freq
        self.interactions, self.surveys = None, surveys
        self.grain: str | None = None  # counted here at this period length; None: a table given
        if {"kpi", "period"} <= set(source.columns):
            self.table = source
        elif "opened_at" in source.columns:
            from qoswb.metrics import kpis

            from qoswb.metrics.periods import normalise_freq

            self.interactions, self.grain = source, normalise_freq(freq)
            self.table = kpis(source, surveys, freq=self.grain)
        else:
            raise DataError("source: a KPI table needs the columns kpi and period; interactions "
                            f"need opened_at; this frame has {', '.join(map(str, source.columns))}")
        if "team" not in self.table.columns:
            raise DataError("source: the KPI table needs a team column (kpis(..., by='team'))")
        self._series = dict(tuple(self.table.groupby(["team", "kpi"], sort=True, observed=True)))
        self._periods = None  # period start of each interaction, made on the first drill-down
        self._themes = None

    def at_grain(self, grain: str) -> "Source":
        """The same cases counted by another period length ("D", "W", "M", "Q"); itself
        when already at it. A KPI table handed in has its own periods: refused.

        >>> cases = pd.DataFrame({"team": ["A"] * 2, "opened_at": pd.to_datetime(
        ...     ["2026-01-05 09:00", "2026-02-09 10:00"]).tz_localize("UTC")})
        >>> Source(cases).at_grain("M").periods()[1]
        Timestamp('2026-02-01 00:00:00')
        """
        from qoswb.metrics.periods import normalise_freq

        grain = normalise_freq(grain)
        if self.interactions is None:
            raise ParameterError(f"grain={grain!r}: this KPI table has its own periods; "
                                 "give the Explorer the cases to count them by another grain")
        if grain == self.grain:
            return self
        return Source(self.interactions, self.surveys, freq=grain)

    def teams(self) -> list[str]:
        """The teams in the KPI table, sorted."""
        return sorted({team for team, _ in self._series})

    def kpis(self, team: str | None = None) -> list[str]:
        """The KPIs of a team (or of all), in the table's order."""
        order = list(dict.fromkeys(self.table["kpi"]))
        have = {k for t, k in self._series if team is None or t == team}
        return [k for k in order if k in have]

    def periods(self) -> list[pd.Timestamp]:
        """Every period start in the table, sorted."""
        return sorted(pd.to_datetime(self.table["period"]).unique())

    def series(self, team: str, kpi: str, start=None, end=None) -> pd.DataFrame:
        """One team × KPI series, by period, optionally cut to [start, end]."""
        try:
            frame = self._series[(team, kpi)]
        except KeyError:
            raise ParameterError(f"team={team!r}, kpi={kpi!r}: not in the KPI table") from None
        frame = frame.sort_values("period")
        if start is not None or end is not None:
            period = pd.to_datetime(frame["period"])
            keep = np.ones(len(frame), bool)
            if start is not None:
                keep &= (period >= pd.Timestamp(start)).to_numpy()
            if end is not None:
                keep &= (period <= pd.Timestamp(end)).to_numpy()
            frame = frame.loc[keep]
        return frame

    # ---- drill-down ------------------------------------------------------------
    def _period_of_cases(self) -> pd.Series:
        if self._periods is None:
            from qoswb.metrics import periods

            wall = periods.wall_clock(self.interactions["opened_at"], "opened_at")
            starts = periods.starts(periods.codes(wall, self.freq), self.freq)
            self._periods = pd.Series(starts, index=self.interactions.index)
        return self._periods

    def _labels(self, by: str) -> pd.Series:
        """The label of each case for ``by`` (for "theme": one row per tagged comment)."""
        if by != "theme":
            if by not in self.interactions.columns:
                raise DataError(f"drill-down by {by!r}: the interactions have no such column")
            return self.interactions[by].astype("string").fillna("(none)")
        if self._themes is None:
            if self.surveys is None or "comment" not in self.surveys.columns:
                raise DataError("drill-down by theme: there are no survey comments")
            from qoswb.metrics import tag_themes

            tags = tag_themes(self.surveys)
            where = pd.Series(self.interactions.index, index=self.interactions["id"].astype(str))
            rows = where.reindex(tags["id"].astype(str)).to_numpy()
            found = ~pd.isna(rows)
            self._themes = pd.Series(tags["theme"].to_numpy()[found],
                                     index=rows[found].astype(np.int64))
        return self._themes

    def drilldown(self, team: str, period, by: str = "category", baseline=None) -> pd.DataFrame:
        """What lies behind one period: its cases counted by ``by`` against the baseline.

        ``baseline`` the baseline periods (default every other period of the team).
        Returns one row per label, largest count first: ``count`` in the period,
        ``baseline_share``, ``expected`` (the period's total at the baseline shares)
        and ``excess`` (count − expected).
        """
        if self.interactions is None:
            raise DataError("drill-down needs the cases (interactions), not only a KPI table")
        if by not in DRILL_BY:
            raise ParameterError(f"by={by!r}: expected one of {', '.join(DRILL_BY)}")
        labels = self._labels(by)
        mine = (self.interactions["team"] == team).to_numpy()
        case_period = self._period_of_cases().to_numpy()
        period = pd.Timestamp(period)
        in_period = mine & (case_period == period)
        if baseline is None:
            in_base = mine & (case_period != period)
        else:
            in_base = mine & np.isin(case_period, pd.to_datetime(list(baseline)).to_numpy())
        index = labels.index.to_numpy()
        position = self.interactions.index.get_indexer(index)
        now = labels[in_period[position]].value_counts()
        base = labels[in_base[position]].value_counts()
        out = pd.DataFrame({"count": now, "baseline_count": base}).fillna(0.0)
        share = out["baseline_count"] / max(out["baseline_count"].sum(), 1)
        out["baseline_share"] = share
        out["expected"] = share * out["count"].sum()
        out["excess"] = out["count"] - out["expected"]
        out = out.sort_values(["count", "excess"], ascending=False, kind="stable")
        return out.rename_axis(by).reset_index()[[by, "count", "baseline_share", "expected",
                                                  "excess"]]
