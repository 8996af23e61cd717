"""The team report's first screen: the period's figures equal the KPIs computed for that period.

The expected values are counted by hand from the cached cases (pandas, not qoswb.metrics), so a
figure taken from the wrong period (the last week, the month before) or the wrong cases fails.
"""

import pandas as pd
import pytest

from qoswb.reports import cache as rc
from qoswb.reports import views
from qoswb.reports.figures import figures_table, period_figures
from qoswb.verdicts import Assurance, Variation, colour_of
from qoswb import palette

TEAM, START, END = "Returns", "2025-05-01", "2025-06-01"
KPIS = ["volume", "sla_response", "first_response_median", "fcr"]


@pytest.fixture(scope="module")
def cache():
    return rc.demo_cache()


@pytest.fixture(scope="module")
def figures(cache):
    view = views.team_view(cache, TEAM, START, END, kpis=KPIS, targets={"sla_response": 0.9})
    return period_figures(cache, TEAM, START, END, "month", view.matrix, targets={"sla_response": 0.9})


def _cases(cache, start, end):
    t = rc.read(cache, "interactions", team=TEAM)
    tz = t["opened_at"].dt.tz
    return t[(t["opened_at"] >= pd.Timestamp(start, tz=tz)) & (t["opened_at"] < pd.Timestamp(end, tz=tz))]


def test_the_periods_figures_are_the_kpis_of_its_cases(cache, figures):
    may, april = _cases(cache, START, END), _cases(cache, "2025-04-01", START)
    got = figures.set_index("kpi")
    assert got.loc["volume", "value"] == len(may)
    assert got.loc["volume", "previous"] == len(april)
    wait = (may["first_response_at"] - may["opened_at"]).dt.total_seconds() / 60
    assert got.loc["first_response_median", "value"] == pytest.approx(wait.median())
    answered = may["first_response_at"].notna()
    within = answered & (wait <= may["sla_minutes"])
    # the SLA's share: cases answered within their target among cases with a target
    assert got.loc["sla_response", "value"] == pytest.approx(within.sum() / may["sla_minutes"].notna().sum(), abs=0.01)
    assert got.loc["sla_response", "target"] == 0.9


def test_the_table_shows_the_figure_in_its_unit_with_target_and_verdict(figures):
    shown = figures_table(figures, "May 2025", "April").set_index("KPI")
    sla = figures.set_index("kpi").loc["sla_response"]
    row = shown.loc["SLA attainment (first response)"]
    assert row["May 2025"] == f"{100 * sla['value']:.1f}%"
    assert row["Target"] == "90.0%"
    assert row["Change"].endswith("since April")
    assert str(sla["variation"].short) in row["Verdict"]
    assert shown.loc["Volume", "Target"] == "no target"


def test_a_target_consistently_missed_is_painted_as_a_concern():
    assert colour_of(Variation.COMMON_CAUSE, Assurance.FAIL) == palette.CONCERN
    assert colour_of(Variation.COMMON_CAUSE, Assurance.HIT_AND_MISS) == palette.COMMON_CAUSE


def test_the_backlog_counts_every_case_open_at_the_period_s_end_however_old(cache):
    # a stock: the May figure is every case opened before 1 June and not resolved by then (as the
    # chart counts it), not only those opened in April and May
    view = views.team_view(cache, TEAM, START, END, kpis=["backlog", "volume"], targets={})
    shown = period_figures(cache, TEAM, START, END, "month", view.matrix).set_index("kpi")
    cases = rc.read(cache, "interactions", team=TEAM)
    tz = cases["opened_at"].dt.tz

    def open_at(day):
        end = pd.Timestamp(day).tz_localize(tz)
        return int(((cases["opened_at"] < end) & (cases["resolved_at"].isna() | (cases["resolved_at"] >= end))).sum())

    assert (shown.loc["backlog", "value"], shown.loc["backlog", "previous"]) == (open_at(END), open_at(START))
    old = cases[cases["opened_at"] < pd.Timestamp("2025-04-01").tz_localize(tz)]
    assert (old["resolved_at"].isna() | (old["resolved_at"] >= pd.Timestamp(END).tz_localize(tz))).any()
