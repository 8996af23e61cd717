"""kpis() on aggregates, groups of two columns through charts(), and the drawings (Axes out)."""

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest

from qoswb.errors import DataError, ParameterError
from qoswb.metrics import charts, funnel, kpis, matrix, matrix_plot
from qoswb.verdicts import Assurance

matplotlib.use("Agg")


def aggregates(**extra):
    frame = pd.DataFrame({"team": ["a", "a", "a", "b"],
                          "period": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-02-01", "2024-01-01"]),
                          "numerator": [9, 18, 8, 5], "denominator": [10, 20, 10, 10]})
    return frame.assign(**extra)


def test_aggregates_pool_rows_of_the_same_team_and_month():
    table = kpis(aggregates(), kpis="within_4h")
    assert table[["team", "numerator", "denominator", "value"]].values.tolist() == [
        ["a", 27, 30, 0.9], ["a", 8, 10, 0.8], ["b", 5, 10, 0.5]]
    assert set(table["chart"]) == {"p"} and table["complete"].all() and (table["polarity"] == 1).all()
    partial = kpis(aggregates(), kpis="within_4h", as_of="2024-02-15")
    assert partial["complete"].tolist() == [True, False, True]  # February is not over by 15 February


def test_aggregates_with_values_and_known_kpi_names():
    values = aggregates(kpi="ces_mean").drop(columns=["numerator", "denominator"]).assign(value=[1.0, 2, 3, 4])
    with pytest.raises(DataError, match="several rows"):
        kpis(values)
    table = kpis(values.drop_duplicates(["team", "period"]))
    assert table["chart"].tolist() == ["i"] * 3 and table["polarity"].tolist() == [-1] * 3  # from the registry


@pytest.mark.parametrize("frame, error, message", [
    (aggregates(numerator=[11, 18, 8, 5]), DataError, "numerator is larger"),
    (aggregates().drop(columns="denominator"), DataError, "'numerator' and 'denominator'"),
    (aggregates(period=["2024-01-01", "soon", "2024-02-01", "2024-01-01"]), DataError, "period"),
])
def test_bad_aggregates(frame, error, message):
    with pytest.raises(error, match=message):
        kpis(frame, kpis="within_4h")
    with pytest.raises(ParameterError):
        kpis(aggregates(), kpis=["x", "y"])


def _interactions():
    rng = np.random.default_rng(5)
    n = 3000
    opened = pd.Timestamp("2024-01-01", tz="Europe/London") + pd.to_timedelta(rng.integers(0, 12 * 7 * 1440, n), "min")
    wait = pd.to_timedelta(rng.lognormal(3, 1, n), "min").round("s")
    return pd.DataFrame({"id": np.arange(n).astype(str), "team": rng.choice(["x", "y"], n),
                         "channel": rng.choice(["phone", "email"], n), "opened_at": opened,
                         "first_response_at": opened + wait, "sla_minutes": 30.0})


def test_groups_of_two_columns_are_charted_and_compared():
    table = kpis(_interactions(), by=["team", "channel"], kpis=["volume", "sla_response"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = charts(table)
    assert set(map(tuple, result.summary[["team", "channel"]].values)) == {
        ("x", "phone"), ("x", "email"), ("y", "phone"), ("y", "email")}
    series = result.series("sla_response", team="x", channel="email")
    expect = table[(table["team"] == "x") & (table["channel"] == "email") & (table["kpi"] == "sla_response")]
    np.testing.assert_allclose(series["y"].to_numpy(), expect["value"].to_numpy())
    f = funnel(table, "sla_response")
    assert f.points[["team", "channel"]].shape == (4, 2)
    m = matrix(result, targets={"sla_response": 0.5})
    assert len(m) == 8 and set(m.loc[m["kpi"] == "volume", "assurance"]) == {Assurance.NO_TARGET}


def test_drawings_return_axes():
    table = kpis(_interactions(), kpis=["volume", "sla_response"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = charts(table)
    ax = result.plot("sla_response", team="x")
    # titled and labelled in words (the KPI registry's label and unit), never the KPI's code
    assert any(line.get_marker() == "o" for line in ax.lines) and ax.get_title() == "SLA attainment (first response) — x (P chart)"
    assert ax.yaxis.get_major_formatter()(0.9, 0) == "90%"
    drawn = funnel(table, "sla_response").plot()
    assert drawn.get_xlabel() == "cases in the period (denominator)"
    assert drawn.get_ylabel() == "SLA attainment (first response)"
    assert len(matrix_plot(matrix(result)).patches) == 4  # 2 teams x 2 KPIs
    import matplotlib.pyplot as plt

    plt.close("all")
