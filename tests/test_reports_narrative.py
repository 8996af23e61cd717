"""Plain-language readings of charts and what lies behind a KPI, on hand-made series."""

import pandas as pd
import pytest

from qoswb.reports.narrative import behind, earlier, episodes, fmt, label, reading, worst
from qoswb.verdicts import Assurance, Variation

NONE = Assurance.NO_TARGET

WEEKS = pd.date_range("2025-01-06", periods=12, freq="7D")


def series(y, signal=None, polarity=-1, cl=5.0, lcl=2.0, ucl=8.5, complete=None):
    n = len(y)
    return pd.DataFrame({"period": WEEKS[:n], "y": y, "cl": cl, "lcl": lcl, "ucl": ucl,
                         "signal": signal or [False] * n, "rules": ["x" if s else "" for s in (signal or [False] * n)],
                         "complete": complete or [True] * n, "polarity": polarity})


def test_a_sustained_shift_reads_as_a_run_from_its_first_week():
    rows = series([5, 4, 5, 6, 5, 4, 7, 7, 8, 7, 8, 7.0], [False] * 9 + [True] * 3)
    assert reading(rows, "first_response_median", "minutes") == (
        "First response median rose from the week of 17 February: 6 weeks above the centre line "
        "(5.0 min) — special cause deteriorating.")


def test_a_point_beyond_a_limit_reads_with_the_limit_and_direction():
    rows = series([0.9, 0.91, 0.9, 0.95, 0.9, 0.8], [False] * 5 + [True], polarity=1, cl=0.9, lcl=0.85, ucl=0.95)
    assert reading(rows, "sla_response", "proportion") == (
        "SLA attainment (first response) fell to 80.0% in the week of 10 February, beyond the lower "
        "limit (85.0%) — special cause deteriorating.")
    better = series([5, 4, 6, 5, 1.0], [False] * 4 + [True])
    assert reading(better, "first_response_median", "minutes").endswith("special cause improving.")


def test_common_cause_reads_with_the_range_to_expect():
    rows = series([5, 4, 6, 5, 5.5])
    assert reading(rows, "volume", "interactions") == (
        "Volume shows common-cause variation only: 6 in the week of 3 February, within the limits "
        "2 – 9 around a centre of 5.")  # counts, their limits and centres as whole numbers


def test_incomplete_periods_and_old_signals_are_not_read_as_news():
    rows = series([9.0, 5, 4, 6, 5, 9.5], [True, False, False, False, False, True],
                  complete=[True, True, True, True, True, False])
    text = reading(rows, "first_response_median", "minutes", recent=3)
    assert text.startswith("First response median shows common-cause variation only: 5.0 min in the week of 3 February")
    assert reading(rows.iloc[0:0], "fcr", grain="month") == "First-contact resolution: no complete months to read yet."


def test_no_direction_kpis_say_special_cause_only():
    rows = series([5, 5, 5, 12.0], [False, False, False, True], polarity=0)
    assert reading(rows, "volume", "interactions").endswith("beyond the upper limit (9) — special cause higher.")


def test_worst_prefers_deterioration_then_missed_targets_then_distance():
    m = pd.DataFrame({"kpi": ["volume", "fcr", "csat", "reopen_rate"],
                      "variation": [Variation.HIGHER] + [Variation.COMMON_CAUSE] * 3,
                      "assurance": [NONE, NONE, Assurance.FAIL, NONE],
                      "latest_value": [900, 0.60, 0.70, 0.09], "cl": [800, 0.70, 0.72, 0.05],
                      "ucl": [1000, 0.73, 0.80, 0.08], "polarity": [0, 1, 1, -1]})
    assert worst(m) == "csat"
    # no missed target: the furthest on the bad side, in sigmas: fcr 10, reopen rate 4, csat 0.75
    assert worst(m.assign(assurance=NONE)) == "fcr"
    assert worst(m.assign(assurance=NONE).iloc[[0, 2, 3]]) == "reopen_rate"
    assert worst(m.iloc[[0]]) is None


def test_behind_counts_the_bad_cases_of_each_kpi():
    t0 = pd.Timestamp("2025-03-03 09:00", tz="Europe/London")
    minutes = pd.to_timedelta([10, 50, 200, 30], unit="min")
    tickets = pd.DataFrame({
        "id": ["1", "2", "3", "4"], "category": ["Billing", "Billing", "Delivery", "Returns"],
        "opened_at": t0, "first_response_at": t0 + minutes,
        "resolved_at": [t0 + pd.Timedelta(hours=1), pd.NaT, t0 + pd.Timedelta(days=9), t0 + pd.Timedelta(hours=2)],
        "sla_minutes": [60.0, 60.0, 60.0, 20.0], "contacts": pd.array([1, 2, 3, 1], dtype="Int64"),
        "reopened": pd.array([False, True, False, None], dtype="boolean")})
    what, late = behind("sla_response", tickets)
    assert what == "cases that missed their first response SLA" and late["id"].tolist() == ["3", "4"]
    assert behind("first_response_median", tickets, centre=40.0)[1]["id"].tolist() == ["2", "3"]
    assert behind("fcr", tickets)[1]["id"].tolist() == ["2", "3"]
    assert behind("reopen_rate", tickets)[1]["id"].tolist() == ["2"]
    assert behind("backlog", tickets, period_end="2025-03-10")[1]["id"].tolist() == ["2", "3"]
    answers = pd.DataFrame({"id": ["1", "2", "3"], "csat": pd.array([5, 2, 3], dtype="Int64"),
                            "comment": ["great", "slow", None]})
    what, low = behind("csat", tickets, answers)
    assert what == "comments of low CSAT answers" and low["id"].tolist() == ["2", "3"]


@pytest.mark.parametrize("value, unit, text", [(0.95, "proportion", "95.0%"), (4.26, "minutes", "4.3 min"),
                                               (1234.4, "minutes", "1,234 min"), (float("nan"), "", "–"),
                                               (12.0, "interactions", "12"), (3.14159, "rating 1-5", "3.14")])
def test_values_are_written_for_readers(value, unit, text):
    assert fmt(value, unit) == text


def test_labels():
    assert label("sla_resolution") == "SLA attainment (resolution)"
    assert label("seen_within_4_hours") == "Seen within 4 hours"


def test_signals_are_told_as_episodes_the_latest_now_the_others_earlier_with_dates():
    # a 2-week shift above (we2) in January, then 8 weeks below from 3 March (we4 from the 8th):
    # two episodes, not ten per-week entries
    weeks = pd.date_range("2025-01-06", periods=20, freq="7D")
    y = [5, 5, 7.5, 7.6, 5, 5, 5, 5] + [4.0] * 12
    signal = [False, False, True, True] + [False] * 11 + [True] * 5
    rows = pd.DataFrame({"period": weeks, "y": y, "cl": 5.0, "lcl": 2.0, "ucl": 8.0, "complete": True,
                         "signal": signal, "rules": ["we2" if s else "" for s in signal[:8]] +
                         ["we4" if s else "" for s in signal[8:]], "polarity": 1})
    found = episodes(rows)
    assert [(e.first, e.last, e.signals, e.side) for e in found] == [
        (weeks[2], weeks[3], 2, 1), (weeks[15], weeks[19], 5, -1)]
    assert found[1].start == pd.Timestamp("2025-03-03") and found[1].run == 12
    assert reading(rows, "fcr") == (
        "First-contact resolution fell from the week of 3 March: 12 weeks below the centre line (5) "
        "— special cause deteriorating.")
    assert earlier(rows, "fcr") == [
        "Earlier, first-contact resolution: an unusual pattern above the centre line in the week of "
        "27 January (2 of 3 points beyond 2 sigma on one side) — special cause improving."]
    assert earlier(rows, "fcr", "proportion", since="2025-02-01") == []


def test_the_reading_says_the_verdict_it_is_given_and_reads_only_the_latest_point():
    rows = series([5, 4, 5, 6, 5, 4, 7, 7, 8, 7, 8, 5.0], [False] * 9 + [True] * 2 + [False])
    assert reading(rows, "first_response_median", "minutes").startswith(
        "First response median shows common-cause variation only")  # the latest point is no signal
    assert reading(rows, "first_response_median", "minutes", recent=2).endswith("special cause deteriorating.")
    assert reading(rows.iloc[:11], "first_response_median", "minutes",
                   verdict=Variation.SPECIAL_CAUSE).endswith("— special cause.")
