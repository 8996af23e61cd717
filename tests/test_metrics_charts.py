"""charts() and matrix(): the kind each series gets and why, incomplete periods, the NHS A&E data,
the synthetic data's injected special causes, variation and assurance."""

import warnings

import numpy as np
import pandas as pd
import pytest

from qoswb.errors import DataError
from qoswb.metrics import charts, kpis, matrix, matrix_style
from qoswb.verdicts import Variation

pytestmark = pytest.mark.filterwarnings("ignore::qoswb.spc.SPCWarning")  # advice, checked in qoswb.spc

WEEKS = pd.date_range("2024-01-01", periods=30, freq="7D")


def table(kpi, teams: dict, chart, polarity=1, denominator=None, complete=None):
    """A KPI table by hand: teams -> values (or numerators, with ``denominator``)."""
    rows = []
    for team, values in teams.items():
        for i, value in enumerate(values):
            num = value if denominator is not None else np.nan
            den = denominator if denominator is not None else np.nan
            rows.append((team, WEEKS[i], kpi, num, den, value / den if denominator else value, np.nan,
                         "u", polarity, chart, True if complete is None else complete[i]))
    return pd.DataFrame(rows, columns=["team", "period", "kpi", "numerator", "denominator", "value", "se", "unit",
                                       "polarity", "chart", "complete"])


def test_proportions_move_to_laney_p_prime_only_when_over_dispersed():
    rng = np.random.default_rng(3)
    binomial = rng.binomial(1000, 0.8, 30)  # no extra variation: stays a p chart
    drifting = rng.binomial(1000, np.clip(0.8 + rng.normal(0, 0.05, 30), 0, 1))  # 5-point wobble: p'
    result = charts(table("sla_response", {"calm": binomial, "wobbly": drifting}, "p", denominator=1000))
    summary = result.summary.set_index("team")
    assert summary.loc["calm", "chart"] == "p" and summary.loc["wobbly", "chart"] == "pp"
    assert summary.loc["wobbly", "reason"].startswith("p′: over-dispersion ratio")
    # the ratio is the Pearson statistic sum(z^2) / (m - 1), written out here
    p = drifting / 1000
    centre = drifting.sum() / 30000
    z2 = (p - centre) ** 2 / (centre * (1 - centre) / 1000)
    assert summary.loc["wobbly", "dispersion"] == pytest.approx(z2.sum() / 29)
    assert set(result.frame["chart"]) == {"p", "pp"}


def test_over_dispersed_counts_get_an_individuals_chart():
    rng = np.random.default_rng(4)
    result = charts(table("volume", {"poisson": rng.poisson(400, 30),
                                     "seasonal": rng.poisson(400 * (1 + 0.3 * np.sin(np.arange(30) / 3)))},
                          "c", polarity=0))
    kinds = result.summary.set_index("team")["chart"].to_dict()
    assert kinds == {"poisson": "c", "seasonal": "i"}


def test_incomplete_periods_are_drawn_but_not_used():
    values = [10.0, 12, 11, 9, 10, 11, 12, 10, 9, 11, 500.0]  # the last, partial week is far out
    complete = [True] * 10 + [False]
    result = charts(table("csat_mean", {"a": values}, "i", complete=complete))
    frame = result.frame
    assert len(frame) == 11 and not frame["complete"].iloc[-1]
    assert frame["cl"].iloc[0] == pytest.approx(np.mean(values[:10]))  # limits from complete weeks only
    assert not frame["signal"].iloc[-1] and frame["rules"].iloc[-1] == ""


def test_a_team_with_one_period_gets_no_chart_but_a_reason():
    result = charts(table("csat_mean", {"long": [3.0, 4, 3, 4, 3, 4], "new": [4.0]}, "i"))
    summary = result.summary.set_index("team")
    assert summary.loc["new", "chart"] == "none" and "1 complete point" in summary.loc["new", "reason"]
    assert set(result.frame["team"]) == {"long"}
    alone = charts(table("csat_mean", {"new": [4.0]}, "i"))  # a documented result, not an error
    assert alone.frame.empty and alone.charts == {} and alone.summary["chart"].tolist() == ["none"]
    assert matrix(alone).empty
    with pytest.raises(DataError, match="no values"):
        charts(table("csat_mean", {"new": [np.nan]}, "i"))
    with pytest.raises(DataError, match="empty"):
        charts(table("csat_mean", {"new": [4.0]}, "i").iloc[:0])


def test_nhs_ae_four_hour_attainment_as_p_prime(shared_data):
    raw = pd.read_csv(shared_data / "nhs_ae_attendances" / "ae_attendances.csv", parse_dates=["period"])
    aggregates = raw.assign(team=raw["org_code"], numerator=raw["attendances"] - raw["breaches"],
                            denominator=raw["attendances"])[["team", "period", "numerator", "denominator"]]
    table = kpis(aggregates, kpis="within_4h")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = charts(table, rules="mdc")
    # a direct pandas computation: 1 - sum(breaches) / sum(attendances) per organisation and month
    direct = raw.groupby(["org_code", "period"])[["breaches", "attendances"]].sum()
    direct = 1 - direct["breaches"] / direct["attendances"]
    frame = result.frame.set_index(["team", "period"])
    np.testing.assert_allclose(frame["y"].to_numpy(), direct.loc[frame.index].to_numpy(), rtol=1e-12)
    summary = result.summary.set_index("team")
    assert (summary["chart"] == "pp").sum() > 100  # large denominators: most trusts are over-dispersed
    # Laney p' for one type-1 trust, by hand: sigma_z = mean |diff z| / 1.128 over the 36 months
    rows = frame.loc["RJ1"]
    assert summary.loc["RJ1", "chart"] == "pp"
    n = rows["n"].to_numpy()
    num = direct.loc["RJ1"].to_numpy() * n
    centre = num.sum() / n.sum()
    sd = np.sqrt(centre * (1 - centre) / n)
    sigma_z = np.abs(np.diff((num / n - centre) / sd)).mean() / 1.128
    np.testing.assert_allclose(rows["ucl"].to_numpy(), np.minimum(centre + 3 * sd * sigma_z, 1), rtol=1e-3)


@pytest.mark.slow
def test_injected_special_causes_are_found_and_clean_teams_stay_mostly_quiet():
    from qoswb.data.synthetic import generate

    demo = generate(seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # limits from the first 30 weeks (the generator keeps its causes after 45 % of the weeks), rule 1
        result = charts(kpis(demo.interactions, demo.surveys), rules="we1", freeze=30)
    frame = result.frame
    week = pd.Timedelta(days=7)
    for cause in demo.special_causes.itertuples():
        series = frame[(frame["team"] == cause.team) & (frame["kpi"] == cause.kpi)]
        window = series[(series["period"] >= cause.start - week) & (series["period"] <= cause.end + 8 * week)]
        hits = window[window["signal"]]
        assert len(hits) > 0, f"{cause.kind} in {cause.kpi} of {cause.team} not found"
        side = np.sign(hits["y"] - hits["cl"])
        assert (side == (1 if cause.direction == "up" else -1)).all()
        if cause.kind == "spike":
            assert hits["period"].tolist() == [cause.start]
        if cause.kind == "step":  # found within 2 weeks and on most weeks after
            assert hits["period"].min() <= cause.start + 2 * week
            after = series[series["period"] >= cause.start]
            assert after["signal"].mean() > 0.5
    # teams with no injected cause: most series raise no signal at all (volume has a yearly wave
    # and backlog is a running stock, both move for real, so they are left out of this count)
    clean = result.summary[~result.summary["team"].isin(demo.special_causes["team"])
                           & ~result.summary["kpi"].isin(["volume", "backlog"])]
    assert len(clean) == 9 * 12 and (clean["signals"] > 0).mean() < 0.5


def _chart_result(values, polarity, complete=None):
    return charts(table("sla_response", {"t": values}, "i", polarity=polarity, complete=complete))


@pytest.mark.parametrize("last, polarity, variation", [
    (0.95, 1, "special cause improving"), (0.95, -1, "special cause deteriorating"),
    (0.40, 1, "special cause deteriorating"), (0.71, 1, "common cause"), (0.95, 0, "special cause higher"),
])
def test_matrix_variation(last, polarity, variation):
    values = [0.70, 0.72, 0.69, 0.71, 0.70, 0.73, 0.68, 0.70, 0.71, 0.69, last]
    m = matrix(_chart_result(values, polarity))
    assert [v.label for v in m["variation"]] == [variation]


@pytest.mark.parametrize("target, polarity, assurance", [
    (0.50, 1, "consistently met"), (0.90, 1, "consistently missed"), (0.70, 1, "hit and miss"),
    (0.50, -1, "consistently missed"), (0.90, -1, "consistently met"),
])
def test_matrix_assurance_as_making_data_count(target, polarity, assurance):
    values = [0.70, 0.72, 0.69, 0.71, 0.70, 0.73, 0.68, 0.70, 0.71, 0.69, 0.70]
    result = _chart_result(values, polarity)
    m = matrix(result, targets={"sla_response": target})
    row = m.iloc[0]
    assert row["lcl"] < 0.70 < row["ucl"]  # limits of about 0.65-0.75 around the centre 0.703
    assert row["assurance"].label == assurance
    shown = matrix_style(m).to_html()
    assert "SLA attainment (first response)" in shown and "sla_response" not in shown


def test_matrix_reads_the_latest_complete_point():
    values = [0.70, 0.72, 0.69, 0.71, 0.70, 0.73, 0.68, 0.70, 0.71, 0.99, 0.10]
    m = matrix(_chart_result(values, 1, complete=[True] * 10 + [False]))
    assert m["variation"].tolist() == [Variation.IMPROVING]  # 0.99 counts, the partial 0.10 does not
    assert m["latest_period"].tolist() == [WEEKS[9]]


def test_matrix_keeps_the_kpis_in_the_charts_order_and_sorts_the_groups():
    values = [0.70, 0.72, 0.69, 0.71, 0.70, 0.73, 0.68, 0.70, 0.71, 0.69, 0.70]
    parts = [table(kpi, {"West": values, "East": values}, "i") for kpi in ("volume", "sla_response", "csat")]
    m = matrix(charts(pd.concat(parts, ignore_index=True)))
    assert m[["team", "kpi"]].values.tolist() == [
        ["East", "volume"], ["East", "sla_response"], ["East", "csat"],
        ["West", "volume"], ["West", "sla_response"], ["West", "csat"]]


def test_xmr_charts_of_never_negative_kpis_have_no_negative_lower_limit():
    skewed = [12, 9, 60, 11, 8, 14, 10, 55, 9, 12, 10, 8]  # response minutes: a sigma bigger than the centre
    rows = pd.concat([table("first_response_median", {"t": skewed}, "i", polarity=-1),
                      table("nps", {"t": [20, -5, 35, 10, -15, 25, 5, 30, -10, 15, 0, 20]}, "i")],
                     ignore_index=True)
    floored, kept = charts(rows), charts(rows, y_neg=True)
    times = floored.frame[floored.frame["kpi"] == "first_response_median"]
    assert (kept.frame.loc[times.index, "lcl"] < 0).all() and (times["lcl"] == 0).all()
    nps = floored.frame[floored.frame["kpi"] == "nps"]  # NPS goes below 0: its limit stays
    assert (nps["lcl"] < 0).all() and np.allclose(nps["lcl"], kept.frame.loc[nps.index, "lcl"])
    assert floored.frame["signal"].tolist() == kept.frame["signal"].tolist()


@pytest.mark.parametrize("name", ["phase", "y", "n", "cl", "signal", "direction", "variation", "x"])
def test_a_group_column_may_have_any_name(name):
    """Issue 14: ``matrix(charts(table))`` raised KeyError 'phase' for a group column called phase."""
    rng = np.random.default_rng(14)
    values = {"a": rng.normal(10, 1, 20), "b": np.r_[rng.normal(10, 1, 19), 30.0]}
    plain = table("csat_mean", values, "i")
    named = plain.rename(columns={"team": name})
    result, reference = charts(named), charts(plain)
    assert result.by == [name] and sorted(result.frame[name].unique()) == ["a", "b"]
    mine = result.frame.drop(columns=name).rename(columns={v: k for k, v in result.columns.items()})
    pd.testing.assert_frame_equal(mine, reference.frame.drop(columns="team"))
    m, expected = matrix(result, {"csat_mean": 9.0}), matrix(reference, {"csat_mean": 9.0})
    assert m[name].tolist() == ["a", "b"]
    assert m["variation" if name != "variation" else "chart_variation"].tolist() == [
        Variation.COMMON_CAUSE, Variation.IMPROVING] == expected["variation"].tolist()
    assert result.plot("csat_mean", **{name: "b"}) is not None


def test_mdc_variation_and_assurance_through_the_matrix():
    """Making Data Count's icons for the 15 default providers of ../shared/reference/mdc_sample.json
    (NHSRplotthedots 0.2.2 with the November 2023 amendment): variation = the latest point's type,
    assurance from the target 0.05 against the latest limits (lower is better)."""
    import json

    from conftest import SHARED

    path = SHARED / "reference" / "mdc_sample.json"
    if not path.exists():
        pytest.skip("../shared/reference is not beside this checkout")
    reference = json.loads(path.read_text())
    providers = next(c for c in reference["configs"] if c["id"] == "default")["providers"]
    rows = [(p["org"], pd.Timestamp(day), "breach_rate", np.nan, np.nan, value, np.nan, "", -1, "i", True)
            for p in providers for day, value in zip(p["period"], p["value"])]
    kpi_table = pd.DataFrame(rows, columns=["org", "period", "kpi", "numerator", "denominator", "value", "se",
                                            "unit", "polarity", "chart", "complete"])
    m = matrix(charts(kpi_table, rules="mdc"), {"breach_rate": reference["target"]}).set_index("org")
    for p in providers:  # the verdicts' values are NHSRplotthedots' type names
        assert m.loc[p["org"], "variation"].value == p["variation_type"], p["org"]
        assert m.loc[p["org"], "assurance"].value == p["assurance_type"], p["org"]
        assert m.loc[p["org"], "ucl"] == pytest.approx(p["upl"][-1], rel=1e-12)


def test_weekday_seasonality_and_autocorrelation_switch_on_calendar_aware_limits():
    """Issue 14: a plain XmR chart of daily volume 'signals' by weekday; charts() draws such
    series around weekday means (and autocorrelated ones around an AR(1) forecast), and says why."""
    rng = np.random.default_rng(14)
    days = pd.date_range("2024-01-01", periods=140, freq="D")
    weekday = 100 * (1 + np.array([0.3, 0.1, 0, 0, -0.1, -0.3, 0])[days.day_of_week]) + rng.normal(0, 3, 140)
    drift = np.empty(140)
    drift[0] = 0
    for t in range(1, 140):
        drift[t] = 0.8 * drift[t - 1] + rng.normal(0, 3)
    values = {"weekly rhythm": weekday, "drifting": 100 + drift, "steady": 100 + rng.normal(0, 3, 140)}
    rows = [(team, day, "csat_mean", np.nan, np.nan, v, np.nan, "", 1, "i", True)
            for team, ys in values.items() for day, v in zip(days, ys)]
    kpi_table = pd.DataFrame(rows, columns=["team", "period", "kpi", "numerator", "denominator", "value", "se",
                                            "unit", "polarity", "chart", "complete"])
    result = charts(kpi_table)
    summary = result.summary.set_index("team")
    assert summary["model"].to_dict() == {"weekly rhythm": "weekday", "drifting": "ar1", "steady": ""}
    assert "weekday explains" in summary.loc["weekly rhythm", "model_reason"]
    assert "lag-1 autocorrelation" in summary.loc["drifting", "model_reason"]
    assert summary.loc["steady", "model_reason"] == ""
    frame = result.frame
    rhythm = frame[frame["team"] == "weekly rhythm"]
    means = rhythm.groupby(rhythm["period"].dt.day_of_week)["y"].transform("mean")
    np.testing.assert_allclose(rhythm["expected"], means, rtol=1e-12)
    assert frame.loc[frame["team"] == "steady", "expected"].isna().all()
    assert len(frame) == 3 * 140 and frame.groupby("team").size().eq(140).all()
    plain = charts(kpi_table, calendar=False)
    assert set(plain.summary["model"]) == {""} and "expected" not in plain.frame.columns
    # the plain chart's moving ranges carry the weekday swings: its limits are too wide to see a change
    wide = plain.series("csat_mean", team="weekly rhythm")
    assert (wide["ucl"] - wide["cl"]).iloc[0] > 3 * (rhythm["ucl"] - rhythm["expected"]).iloc[0]
    assert len(matrix(result)) == 3
