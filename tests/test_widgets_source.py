"""The apps' data: the KPI table and the cases behind it (shared fixtures of the widget tests)."""

import pandas as pd
import pytest

pytest.importorskip("ipywidgets")


@pytest.fixture(scope="module")
def demo():
    """Twenty weeks of two teams; Returns carries the injected step in first response."""
    from qoswb.data.synthetic import generate

    return generate(seed=11, weeks=20, teams=["Returns", "Accounts"])


@pytest.fixture(scope="module")
def source(demo):
    from qoswb.widgets.source import Source

    return Source(demo)


def test_source_lists_teams_kpis_and_periods(source, demo):
    assert source.teams() == ["Accounts", "Returns"]
    assert source.kpis("Returns")[:2] == ["volume", "sla_response"]
    weeks = source.periods()
    assert len(weeks) == 20 and weeks[0] == pd.Timestamp("2024-01-01")
    part = source.series("Returns", "volume", weeks[3], weeks[6])
    assert part["period"].tolist() == weeks[3:7]
    total = source.table.query("kpi == 'volume'")["value"].sum()
    assert total == len(demo.interactions)


def test_import_qoswb_widgets_stays_light():
    import subprocess
    import sys

    code = ("import sys, qoswb.widgets; heavy = [m for m in ('ipywidgets', 'matplotlib', "
            "'sqlalchemy', 'statsmodels', 'pandas') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("name", ["qoswb.widgets", "qoswb.widgets.source", "qoswb.widgets.plan"])
def test_docstring_examples(name):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0 and result.attempted > 0
