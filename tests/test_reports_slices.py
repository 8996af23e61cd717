"""A team's slice of a Parquet table (qoswb.reports.slices) is what pyarrow's own filters give:
the same rows, in the same order, with the same dtypes, whatever the teams, times and row groups."""

from __future__ import annotations

import itertools
import os

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from qoswb.reports import slices
from qoswb.reports.slices import read_slice

TEAMS = ["Billing", "Ordérs", "a/b", "a b", "", "Zulu", "Returns <script>"]


def _frame(rng, sort: bool, unit: str, tz: str | None) -> pd.DataFrame:
    n = 600
    when = pd.Timestamp("2025-03-01") + pd.to_timedelta(rng.integers(0, 90 * 86_400, n), unit="s")
    when = pd.DatetimeIndex(when).as_unit(unit)
    frame = pd.DataFrame({"id": [f"c{i}" for i in range(n)],
                          "team": rng.choice(TEAMS, n).astype(object),
                          "opened_at": when.tz_localize("UTC").tz_convert(tz) if tz else when,
                          "minutes": rng.normal(60, 20, n)})
    frame.loc[rng.choice(n, 9, replace=False), "team"] = None  # rows of no team are never a team's
    if sort:  # as the cache writes its tables: by team and time
        frame = frame.sort_values(["team", "opened_at"], kind="stable", na_position="last")
    frame.attrs = {"sla": {"P1": 60}}
    return frame


@pytest.fixture(params=[(True, "us", "Europe/London"), (False, "us", "Europe/London"), (True, "s", None),
                        (True, "ns", "America/New_York")], ids=["sorted", "unsorted", "naive-seconds", "ns-tz"])
def table(tmp_path, request):
    sort, unit, tz = request.param
    path = tmp_path / "t.parquet"
    _frame(np.random.default_rng(7), sort, unit, tz).to_parquet(path, index=False, row_group_size=23)
    return path, tz


def _reference(path, team, columns, between):
    """pandas' read_parquet with pyarrow's filters: what the slice must equal."""
    filters = []
    if team is not None:
        names = [team] if isinstance(team, str) else list(team)
        if not names:
            return pd.read_parquet(path, columns=columns).iloc[0:0].reset_index(drop=True)
        filters.append(("team", "in", names))
    if between is not None:
        column, start, end = between
        kind = pq.read_schema(path).field(column).type

        def at(value):  # the bound in the column's own unit and timezone (pyarrow's filters need both)
            when = pd.Timestamp(value).as_unit(kind.unit)
            if kind.tz is None:
                return when
            return when.tz_convert(kind.tz) if when.tzinfo else when.tz_localize(kind.tz)
        filters += [(column, op, at(v)) for op, v in ((">=", start), ("<", end)) if v is not None]
    return pd.read_parquet(path, columns=columns, filters=filters or None)


CASES = list(itertools.product(
    [None, "Billing", "Ordérs", "", "a/b", "Nobody", ["Billing", "Zulu"], [], ["Nobody", "a b"]],
    [None, ("opened_at", "2025-04-01", "2025-05-01"), ("opened_at", None, "2025-03-15"),
     ("opened_at", "2025-05-20 13:00", None), ("opened_at", "2025-04-01 00:00:00+00:00", "2025-04-08")],
    [None, ["id"], ["minutes", "team"]]))


@pytest.mark.slow
@pytest.mark.parametrize("few", [8, 0, 10_000], ids=["as-shipped", "always-scan", "never-scan"])
def test_a_slice_is_what_pyarrow_s_filters_give(table, few, monkeypatch):
    path, tz = table
    monkeypatch.setattr(slices, "FEW", few)
    for team, between, columns in CASES:
        if tz is None and between and "+" in str(between[1]):
            continue  # a time with a timezone against naive times: an error either way
        got = read_slice(path, team=team, columns=columns, between=between)
        want = _reference(path, team, columns, between)
        pd.testing.assert_frame_equal(got, want, obj=f"team={team!r} between={between} columns={columns}")


def test_the_table_s_attrs_come_back_as_pandas_keeps_them(table):
    path, _ = table
    assert read_slice(path, team="Billing").attrs == pd.read_parquet(path).attrs == {"sla": {"P1": 60}}


def test_a_team_s_slice_reads_only_the_row_groups_that_hold_it(tmp_path, monkeypatch):
    path = tmp_path / "t.parquet"
    frame = _frame(np.random.default_rng(3), sort=True, unit="us", tz="Europe/London")
    frame.to_parquet(path, index=False, row_group_size=23)
    read = []
    real = pq.ParquetFile.read_row_groups
    monkeypatch.setattr(pq.ParquetFile, "read_row_groups",
                        lambda self, groups, **kw: read.append(list(groups)) or real(self, groups, **kw))
    rows = read_slice(path, team="Zulu", between=("opened_at", "2025-04-01", "2025-04-15"))
    total = pq.read_metadata(path).num_row_groups
    assert len(rows) > 0 and set(rows["team"]) == {"Zulu"}
    # the groups holding the team's fortnight, and at most one on either side whose times mix
    # with the neighbouring team's (their statistics cannot tell), not the file
    at = frame.reset_index(drop=True)
    holding = set(at.index[(at["team"] == "Zulu") & at["id"].isin(rows["id"])] // 23)
    assert holding <= set(read[-1]) and len(read[-1]) <= len(holding) + 2 and total > 3 * len(read[-1])
    assert read_slice(path, team="zzz").empty and len(read) == 1  # a team past every group's reads nothing


def test_a_file_rewritten_in_place_is_read_again_not_from_its_old_footer(tmp_path):
    path = tmp_path / "t.parquet"
    pd.DataFrame({"team": ["A", "B"], "v": [1, 2]}).to_parquet(path, index=False)
    assert read_slice(path, team="B")["v"].tolist() == [2]
    pd.DataFrame({"team": ["B", "B", "C"], "v": [5, 6, 7]}).to_parquet(path, index=False)
    os.utime(path, ns=(1, 1))  # even with an older time stamp: the size and inode are in the key too
    assert read_slice(path, team="B")["v"].tolist() == [5, 6]


def test_a_team_column_of_nulls_only_holds_no_team(tmp_path):
    """(pyarrow's own filter refuses such a column: "type doesn't match type of values set")"""
    path = tmp_path / "t.parquet"
    pd.DataFrame({"team": [None, None], "v": [1, 2]}).to_parquet(path, index=False)
    for team in ("x", ["x", "y"]):
        rows = read_slice(path, team=team, columns=["v"])
        assert rows.empty and list(rows.columns) == ["v"] and rows["v"].dtype == "int64"
    assert read_slice(path)["v"].tolist() == [1, 2]
