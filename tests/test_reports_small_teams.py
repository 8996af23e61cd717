"""A team with very few cases gets "too few data", not signals; an SLA's Pareto counts its breaches."""

import pandas as pd

from qoswb.reports import narrative as nv
from qoswb.reports import views
from qoswb.verdicts import Assurance, Variation


def _one_case_volume(weeks=26):
    periods = pd.date_range("2026-05-04", periods=weeks, freq="7D")
    y = [0.0] * weeks
    y[-3] = 1.0
    return pd.DataFrame({"team": "Tiny", "kpi": "volume", "period": periods, "y": y, "cl": 1 / weeks,
                         "lcl": 0.0, "ucl": 0.6, "signal": [True] * (weeks - 3) + [False, True, True],
                         "rules": "we4", "complete": True, "polarity": 0})


def test_a_one_case_team_is_too_few_data_and_says_why():
    points = _one_case_volume()
    m = pd.DataFrame({"team": ["Tiny"], "kpi": ["volume"], "variation": [Variation.LOWER],
                      "assurance": [Assurance.NO_TARGET], "polarity": [0]})
    judged = views.too_few_data(points, m, {"volume": "interactions"})
    assert judged["variation"].iloc[0] is Variation.TOO_FEW_POINTS
    text = nv.reading(points, "volume", "interactions", "week", verdict=judged["variation"].iloc[0])
    assert text == ("Volume: too few data to judge (1 in 26 weeks, fewer than one a week); "
                    "no limits or signals are read from it.")
    assert "too few data" in views.headline(judged)


def test_enough_cases_keep_their_verdict():
    points = _one_case_volume().assign(y=30.0)
    m = pd.DataFrame({"team": ["Tiny"], "kpi": ["volume"], "variation": [Variation.LOWER],
                      "assurance": [Assurance.NO_TARGET], "polarity": [0]})
    assert views.too_few_data(points, m, {"volume": "interactions"})["variation"].iloc[0] is Variation.LOWER


def test_the_sla_pareto_counts_the_cases_that_missed_the_batch_targets():
    opened = pd.Timestamp("2026-10-05 09:00", tz="America/New_York")
    tickets = pd.DataFrame({"opened_at": [opened] * 4, "priority": ["High", "High", "Low", "Critical"],
                            "first_response_at": opened + pd.to_timedelta([10, 45, 100, 999], unit="min"),
                            "category": ["Billing", "Login", "Billing", "Login"]})
    what, late = nv.behind("sla_response", tickets, sla={"first_response": {"High": 30, "Low": 240}})
    # the 45-minute High case only: Low met its 240, Critical has no target (counted in no SLA)
    assert what == "cases that missed their first response SLA"
    assert late["category"].tolist() == ["Login"]
