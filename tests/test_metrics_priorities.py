"""Per-priority SLA targets against priorities written as text: ServiceNow's "1 - Critical", Zendesk's "High"."""

import numpy as np
import pandas as pd
import pytest

from qoswb.errors import ParameterError
from qoswb.metrics import kpis
from qoswb.metrics.priorities import minutes_by_priority, names_of

SERVICENOW = pd.Series(["1 - Critical", "2 - High", "3 - Moderate", "4 - Low", "5 - Planning", " 2 - High ", None])


@pytest.mark.parametrize("targets", [
    {"Critical": 240, "High": 480},            # by label
    {1: 240, 2: 480},                          # by code (YAML reads `1: 240` as a number)
    {"1 - Critical": 240, "2 - high": 480},    # by the whole text, case aside
    {"critical ": 240, "2 - High": 480, "High": 480},  # two names of one priority, same minutes
])
def test_a_priority_is_named_by_its_text_code_or_label(targets):
    minutes = minutes_by_priority(SERVICENOW, targets, "sla (resolution)")
    np.testing.assert_array_equal(minutes, [240, 480, np.nan, np.nan, np.nan, 480, np.nan])


def test_plain_priorities_match_their_whole_text_only():
    assert names_of("P1") == ["P1"] and names_of("High") == ["High"]
    assert names_of("1 - Critical") == ["1 - Critical", "1", "Critical"]
    np.testing.assert_array_equal(minutes_by_priority(pd.Series(["P1", "P2"]), {"p1": 60}, "sla"), [60, np.nan])


@pytest.mark.parametrize("targets, message", [
    ({"Critical": 240, "Hihg": 480},
     "sla (resolution): no interaction has priority 'Hihg' (did you mean 'High' or '2 - High'?); "
     "the data's priorities: '1 - Critical', '2 - High', '3 - Moderate', '4 - Low', '5 - Planning'"),
    ({"Urgent": 60}, "no interaction has priority 'Urgent'"),
    ({"High": 480, "2": 300}, "priority '2 - High' is given two targets (480 and 300 minutes)"),
])
def test_an_unknown_or_doubly_given_priority_is_an_error(targets, message):
    with pytest.raises(ParameterError) as err:
        minutes_by_priority(SERVICENOW, targets, "sla (resolution)")
    assert message in str(err.value)


def _incidents():
    opened = pd.Timestamp("2016-03-14 09:00", tz="UTC")
    return pd.DataFrame({
        "id": ["INC1", "INC2", "INC3", "INC4"], "team": "Group 24",
        "opened_at": [opened] * 4,
        # resolved after 200, 300, 500 and 100 minutes
        "resolved_at": [opened + pd.Timedelta(minutes=m) for m in (200, 300, 500, 100)],
        "priority": ["1 - Critical", "1 - Critical", "2 - High", "3 - Moderate"]})


def test_kpis_with_servicenow_priorities_by_label():
    table = kpis(_incidents(), kpis=["sla_resolution"], freq="W", sla={"resolution": {"Critical": 240, "High": 480}})
    row = table[table["kpi"] == "sla_resolution"].iloc[0]
    # INC1 200 <= 240 met, INC2 300 > 240 breach, INC3 500 > 480 breach; INC4 (Moderate) has no target
    assert (row["numerator"], row["denominator"]) == (1, 3)
    assert table.attrs["sla"] == "first response: no target; resolution: Critical 240 min, High 480 min"
    assert any("1 interaction(s) have no target for their priority ('3 - Moderate')" in n
               for n in table.attrs["notes"])


def test_kpis_name_the_parameter_and_the_data_priorities_for_an_unknown_one():
    with pytest.raises(ParameterError, match=r"sla \(resolution\): no interaction has priority 'Hgh' "
                                             r"\(did you mean 'High'"):
        kpis(_incidents(), kpis=["sla_resolution"], sla={"resolution": {"Critical": 240, "Hgh": 480}})
