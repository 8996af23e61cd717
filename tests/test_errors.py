"""qoswb.errors: warnings point at the user's own line."""

import sys


def test_a_warning_points_at_the_users_line_however_deep_qoswb_raised_it():
    import warnings

    from qoswb import data, metrics

    demo = data.demo_data()
    surveys = demo.surveys.copy()
    surveys.loc[surveys.index[0], "id"] = "nobody"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        metrics.kpis(demo.interactions, surveys, freq="W"); line = sys._getframe().f_lineno  # noqa: E702
    [warning] = [w for w in caught if "rate no interaction" in str(w.message)]
    assert (warning.filename, warning.lineno) == (__file__, line)
