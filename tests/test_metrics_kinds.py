"""chart_kinds(): the kind each series gets and why, without drawing — the very decision charts() draws with."""

import warnings

import numpy as np
import pandas as pd
import pytest

from qoswb.errors import DataError
from qoswb.metrics import chart_kinds, charts, kpis

pytestmark = pytest.mark.filterwarnings("ignore::qoswb.spc.SPCWarning")

COLUMNS = ["kpi", "chart", "reason", "dispersion", "points"]


def _agree(table: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """chart_kinds(table) row for row against charts(table).summary; returns the kinds."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        summary = charts(table).summary
    kinds = chart_kinds(table)
    assert list(kinds.columns) == [*by, *COLUMNS]
    expected = summary[[*by, *COLUMNS]].sort_values([*by, "kpi"]).reset_index(drop=True)
    got = kinds.sort_values([*by, "kpi"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    return kinds


def test_chart_kinds_agree_with_charts_on_the_demo_data():
    from qoswb.data.synthetic import generate

    demo = generate(seed=5, weeks=30, teams=4)
    kinds = _agree(kpis(demo.interactions, demo.surveys), ["team"])
    # every decision is exercised: registry kind kept, moved to the prime chart
    assert {"p", "pp", "i"} <= set(kinds["chart"])
    assert kinds.loc[kinds["chart"] == "pp", "reason"].str.startswith("p′: over-dispersion ratio").all()


def test_chart_kinds_agree_with_charts_on_the_nhs_data(shared_data):
    raw = pd.read_csv(shared_data / "nhs_ae_attendances" / "ae_attendances.csv", parse_dates=["period"])
    aggregates = raw.assign(team=raw["org_code"], numerator=raw["attendances"] - raw["breaches"],
                            denominator=raw["attendances"])[["team", "period", "numerator", "denominator"]]
    kinds = _agree(kpis(aggregates, kpis="within_4h"), ["team"])
    assert (kinds["chart"] == "pp").sum() > 100  # large denominators: most trusts over-dispersed


def test_the_dispersion_ratio_and_the_too_short_series_by_hand():
    weeks = pd.date_range("2024-01-01", periods=6, freq="7D")
    counts = {"steady": [400, 410, 395, 405, 398, 402], "jumpy": [300, 500, 280, 520, 310, 490], "new": [400]}
    rows = [(team, weeks[i], "volume", v, np.nan, float(v), np.nan, "n", 0, "c", True)
            for team, values in counts.items() for i, v in enumerate(values)]
    table = pd.DataFrame(rows, columns=["team", "period", "kpi", "numerator", "denominator", "value", "se", "unit",
                                        "polarity", "chart", "complete"])
    kinds = chart_kinds(table).set_index("team")
    # Pearson ratio for counts: sum((c - mean)^2 / mean) / (m - 1), written out
    jumpy = np.array(counts["jumpy"], float)
    ratio = ((jumpy - jumpy.mean()) ** 2 / jumpy.mean()).sum() / 5
    assert kinds.loc["jumpy", "dispersion"] == pytest.approx(ratio)
    assert kinds.loc["jumpy", "chart"] == "i" and kinds.loc["jumpy", "reason"].startswith("XmR: over-dispersion")
    assert kinds.loc["steady", "chart"] == "c"
    # the χ² p-value quoted in the reason is scipy.stats' survival function with m - 1 df
    from scipy import stats

    steady = np.array(counts["steady"], float)
    p_value = stats.chi2.sf(((steady - steady.mean()) ** 2 / steady.mean()).sum(), 5)
    assert f"p = {p_value:.3f}" in kinds.loc["steady", "reason"]
    assert kinds.loc["new", "chart"] == "none" and "1 complete point" in kinds.loc["new", "reason"]
    _agree(table, ["team"])


def test_chart_kinds_of_groups_of_two_columns_and_a_subset_of_kpis():
    weeks = pd.date_range("2024-01-01", periods=5, freq="7D")
    rows = [(team, channel, weeks[i], kpi, np.nan, np.nan, 3.0 + (i % 2), np.nan, "x", 1, "i", True)
            for team in ("A", "B") for channel in ("phone", "email") for kpi in ("csat_mean", "ces_mean")
            for i in range(5)]
    table = pd.DataFrame(rows, columns=["team", "channel", "period", "kpi", "numerator", "denominator", "value",
                                        "se", "unit", "polarity", "chart", "complete"])
    kinds = chart_kinds(table, kpis="csat_mean")
    assert len(kinds) == 4 and set(kinds["kpi"]) == {"csat_mean"} and (kinds["chart"] == "i").all()
    _agree(table, ["team", "channel"])


def test_bad_tables_say_what_is_wrong():
    with pytest.raises(DataError, match="chart_kinds"):
        chart_kinds(pd.DataFrame({"team": ["A"]}))
    with pytest.raises(DataError, match="empty"):
        chart_kinds(pd.DataFrame(columns=["team", "kpi", "period", "value", "chart", "complete"]))
    table = pd.DataFrame({"team": ["A"], "period": [pd.Timestamp("2024-01-01")], "kpi": ["csat_mean"],
                          "value": [np.nan], "chart": ["i"], "complete": [True]})
    with pytest.raises(DataError, match="no values"):
        chart_kinds(table)
