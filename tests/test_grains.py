"""The one period vocabulary: each grain's code, step and spellings agree with the code that counts periods."""

import numpy as np
import pandas as pd
import pytest

from qoswb.errors import ParameterError
from qoswb.grains import FREQS, GRAINS, grain
from qoswb.metrics import periods


@pytest.mark.parametrize("name", list(GRAINS))
def test_a_grains_step_is_the_distance_between_consecutive_periods(name):
    g = GRAINS[name]
    wall = pd.date_range("2023-11-20", "2025-03-10", freq="5D").to_numpy()
    codes = np.unique(periods.codes(wall, g.freq))
    start, following = periods.starts(codes, g.freq), periods.starts(codes + 1, g.freq)
    assert (start + pd.DateOffset(**g.step) == following).all()


@pytest.mark.parametrize("spelling, freq", [("week", "W"), ("weekly", "W"), ("W-MON", "W"), ("MS", "M"),
                                            ("quarterly", "Q"), ("D", "D"), ("month", "M")])
def test_every_spelling_names_one_grain_and_the_kpi_code_takes_it(spelling, freq):
    assert grain(spelling).freq == freq == periods.normalise_freq(spelling)


def test_an_unknown_grain_is_a_one_line_error_with_a_suggestion():
    with pytest.raises(ParameterError, match=r"freq='montly' is not a period length.*did you mean 'monthly'"):
        periods.normalise_freq("montly")


def test_stored_codes_stay_those_of_migration_0003_and_reports_run_by_week_month_quarter():
    from qoswb.pdca.model import GRAINS as STORED
    from qoswb.reports.params import GRAINS as REPORTS

    assert STORED == FREQS == ("D", "W", "M", "Q")  # the PDCA store keeps these values
    assert REPORTS == {"week": "W", "month": "M", "quarter": "Q"}
