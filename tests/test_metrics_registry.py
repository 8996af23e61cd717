"""The KPI registry: a KPI is one entry, and kpis() computes exactly what is registered.

Expected values are worked out by hand from the cases of tests/test_metrics_kpis.py
(resolution minutes of team A, week 1: a1 60, a2 120, a3 180; week 2: a5 30, a6 50 and three open).
"""

import numpy as np
import pandas as pd
import pytest

from qoswb.errors import ParameterError
from qoswb import metrics
from qoswb.metrics import charts, kpis
from qoswb.metrics.registry import Kpi, kpi_info, names, register, unregister
from tests.test_metrics_kpis import W1, W2, answers, cases, cell


def _within_two_hours(g):
    resolved = g.done("resolved_at")
    return g.share(resolved & (g.durations_ns("resolved_at") <= 120 * 60_000_000_000), resolved)


@pytest.fixture
def new_kpi():
    kpi = register(Kpi("resolved_in_2h", "Resolved within 2 hours", "proportion", 1, "p", _within_two_hours,
                       needs=("resolved_at",), description="share of resolved cases resolved within 2 hours"))
    yield kpi
    unregister(kpi.name)


def test_a_registered_kpi_is_computed_described_and_charted(new_kpi):
    assert metrics.KPIS.loc["resolved_in_2h", "label"] == "Resolved within 2 hours" and names()[-1] == "resolved_in_2h"
    table = kpis(cases(), answers())
    # A week 1: 60 and 120 within 120 minutes, 180 not; week 2: 30 and 50 of the 2 resolved
    assert cell(table, "A", W1, "resolved_in_2h")[["numerator", "denominator", "value"]].tolist() == [2, 3, 2 / 3]
    assert cell(table, "A", W2, "resolved_in_2h")[["numerator", "denominator"]].tolist() == [2, 2]
    row = cell(table, "A", W1, "resolved_in_2h")
    assert (row["unit"], row["polarity"], row["chart"]) == ("proportion", 1, "p")
    # the charts read the registry's kind from the table, so the new KPI gets its p chart like any other
    drawn = charts(table, kpis="resolved_in_2h")
    assert set(drawn.summary["kpi"]) == {"resolved_in_2h"}


def test_a_rate_kpi_is_charted_from_its_numerator_and_denominator():
    # a u chart takes counts out of an exposure (KINDS["u"].input == "counts"): the charts must pass both,
    # as for a p chart, whatever kind the registry names
    register(Kpi("reopens_per_case", "Reopens per case", "reopens per case", -1, "u", _within_two_hours,
                 needs=("resolved_at",)))
    try:
        table = kpis(cases(), kpis=["reopens_per_case"])
        drawn = charts(table)
    finally:
        unregister("reopens_per_case")
    frame = drawn.frame[drawn.frame["team"] == "A"]
    week = table[(table["team"] == "A") & (table["period"] == W1)].iloc[0]
    assert frame["chart"].iloc[0] == "u"
    point = frame[frame["period"] == W1].iloc[0]
    assert point["n"] == week["denominator"] and point["y"] == pytest.approx(week["numerator"] / week["denominator"])


def test_a_registered_kpi_whose_columns_are_absent_is_left_out_with_a_note():
    register(Kpi("by_channel", "Channel share", "proportion", 0, "p", lambda g: g.share(None, None),
                 needs=("channel",)))
    try:
        table = kpis(cases(), kpis=["volume", "by_channel"])
    finally:
        unregister("by_channel")
    assert set(table["kpi"]) == {"volume"}
    assert table.attrs["left_out"] == {"by_channel": ["channel"]}
    assert "by_channel left out: column(s) channel absent or empty" in table.attrs["notes"][0]
    assert "by_channel" not in metrics.KPIS.index


def test_registry_entries_are_checked():
    with pytest.raises(ParameterError, match="already registered"):
        register(kpi_info("fcr"))
    with pytest.raises(ParameterError, match=r"unknown chart kind 'xmr' \(did you mean"):
        register(Kpi("x", "X", "minutes", -1, "xmr", _within_two_hours))
    with pytest.raises(ParameterError, match="polarity must be -1, 0 or 1"):
        Kpi("x", "X", "proportion", 2, "p", _within_two_hours)
    with pytest.raises(ParameterError, match=r"unknown KPI 'reopen' \(did you mean 'reopen_rate'\?\)"):
        kpi_info("reopen")


def test_a_computation_of_the_wrong_shape_is_an_error_naming_the_kpi():
    register(Kpi("broken", "Broken", "proportion", 1, "p", lambda g: g.share(None, None)._replace(value=[1.0])))
    try:
        with pytest.raises(Exception, match="KPI 'broken'.*not one value per group x period cell"):
            kpis(cases(), kpis=["broken"])
    finally:
        unregister("broken")


def test_every_builtin_kpi_has_a_label_and_the_table_columns_b_reads():
    assert list(metrics.KPIS.columns) == ["label", "unit", "polarity", "chart", "needs", "survey_column", "description"]
    assert metrics.KPIS["label"].str.len().gt(2).all()
    assert metrics.KPIS.loc["sla_response", "label"] == "SLA attainment (first response)"
    assert metrics.KPIS.loc["csat", "survey_column"] == "csat"
    assert metrics.KPIS.loc["fcr", "needs"] == ("resolved_at", "contacts")
    assert np.isin(metrics.KPIS["chart"], ["p", "c", "i"]).all()
    assert pd.isna(metrics.KPIS.loc["volume", "survey_column"])
