"""Parameters files: good ones parse to the expected periods and templates; bad ones name the key."""

from pathlib import Path

import pytest

from qoswb.errors import ParameterError
from qoswb.reports.params import load, parse, period, period_range
from qoswb.reports.testing import make_template

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def base(tmp_path):
    make_template(tmp_path, "tiny")
    make_template(tmp_path, "overview", per_team=False)
    return tmp_path


def good(**changes):
    raw = {"templates": ["tiny.ipynb"], "teams": ["North", "South"], "periods": ["2025-03"],
           "output": "out"}
    raw.update(changes)
    return {k: v for k, v in raw.items() if v is not None}


@pytest.mark.parametrize("text, grain, label, start, end", [
    ("2025-03", "month", "2025-03", "2025-03-01", "2025-04-01"),
    ("2025-12-31", "month", "2025-12", "2025-12-01", "2026-01-01"),
    ("2025-Q4", "quarter", "2025-Q4", "2025-10-01", "2026-01-01"),
    ("2025Q1", "quarter", "2025-Q1", "2025-01-01", "2025-04-01"),
    ("2025-W01", "week", "2025-W01", "2024-12-30", "2025-01-06"),  # ISO week 1 starts in 2024
    ("2025-03-16", "week", "2025-W11", "2025-03-10", "2025-03-17"),  # a Sunday: its Monday's week
])
def test_periods_are_read_for_their_grain(text, grain, label, start, end):
    p = period(text, grain)
    assert (p.label, p.start, p.end) == (label, start, end)


def test_period_range_spans_year_ends_inclusively():
    labels = [p.label for p in period_range("2024-Q3", "2025-Q2", "quarter")]
    assert labels == ["2024-Q3", "2024-Q4", "2025-Q1", "2025-Q2"]


def test_a_good_file_parses(base):
    p = parse(good(templates=["tiny.ipynb", "overview.ipynb"], targets={"sla_response": 0.9},
                   kpis=["volume"], periods={"start": "2025-01", "end": "2025-03", "grain": "month"}),
              origin="x.yaml", base=base)
    assert [(t.name, t.per) for t in p.templates] == [("tiny", "team"), ("overview", "portfolio")]
    assert [x.label for x in p.periods] == ["2025-01", "2025-02", "2025-03"]
    assert p.output == (base / "out").resolve()
    assert p.targets == {"sla_response": 0.9} and p.kpis == ["volume"]


def test_paths_are_read_from_the_parameters_folder(base):
    p = parse(good(data={"source": "tickets.csv", "mapping": "map.yaml"}), base=base)
    assert p.data["source"] == str((base / "tickets.csv").resolve())
    assert p.data["mapping"] == str((base / "map.yaml").resolve())
    assert p.data["kind"] == "interactions"
    url = parse(good(data={"source": "postgresql://u@127.0.0.1/test", "table": "t"}), base=base)
    assert url.data["source"] == "postgresql://u@127.0.0.1/test"


def test_template_names_resolve_to_the_repository_templates(tmp_path):
    p = parse(good(templates="team_report"), base=tmp_path)
    assert p.templates[0].path == REPO / "templates" / "team_report.ipynb"
    assert p.templates[0].per == "team"


def test_last_periods_wait_for_the_data(base):
    p = parse(good(data="demo", teams="all", periods={"last": 2, "grain": "quarter"}), base=base)
    assert p.periods is None and p.last == 2 and p.grain == "quarter" and p.teams == "all"


@pytest.mark.parametrize("changes, key, expected", [
    ({"teams": "some"}, "'teams'", "'all' or a non-empty list"),
    ({"teams": []}, "'teams'", "'all' or a non-empty list"),
    ({"teams": "all"}, "'teams'", "a list of teams when no 'data'"),
    ({"periods": None}, "'periods'", "a list of periods"),
    ({"periods": ["2025-13"]}, "'periods'", "for the grain 'month'"),
    ({"periods": ["2025-03", "2025-03-15"]}, "'periods'", "distinct periods"),
    ({"periods": {"start": "2025-05", "end": "2025-01"}}, "'periods'", "start comes before its end"),
    ({"periods": {"last": 0, "grain": "month"}}, "'periods.last'", "1 or more"),
    ({"periods": {"start": "2025-01", "end": "2025-02", "grain": "fortnight"}}, "'periods.grain'", "month"),
    ({"output": None}, "'output'", "a folder path"),
    ({"templates": ["missing.ipynb"]}, "'templates'", "a notebook that exists"),
    ({"templates": [{"notebook": "tiny.ipynb", "per": "region"}]}, "'templates.per'", "'team' or 'portfolio'"),
    ({"targets": {"sla": "high"}}, "'targets'", "KPI name to a number"),
    ({"kpis": "volume"}, "'kpis'", "a list of KPI names"),
    ({"data": {"path": "x.csv"}}, "'data'", "a source"),
    ({"data": {"source": "x.csv", "kind": "events"}}, "'data.kind'", "aggregates or interactions"),
    ({"data": {"source": "x.csv", "sheet": 1}}, "'data.sheet'", "one of"),
    ({"data": {"source": "x.duckdb", "table": "a", "query": "select 1"}}, "'data'", "either 'table' or 'query'"),
    ({"timeout": -5}, "'timeout'", "a number above 0"),
    ({"retries": 1.5}, "'retries'", "a whole number"),
    ({"colour": "blue"}, "'colour'", "not a known key"),
])
def test_bad_files_name_the_key_and_what_was_expected(base, changes, key, expected):
    with pytest.raises(ParameterError) as err:
        parse(good(**changes), origin="batch.yaml", base=base)
    message = str(err.value)
    assert message.startswith("batch.yaml: ") and key in message and expected in message


def test_bad_yaml_says_where(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("teams: [a, b\nperiods: 2025-03\n")
    with pytest.raises(ParameterError, match=r"bad.yaml: not valid YAML at line \d+, column \d+"):
        load(path)
    path.write_text("- just\n- a list\n")
    with pytest.raises(ParameterError, match="expected a mapping of keys"):
        load(path)


def test_a_template_without_parameters_cell_is_refused(tmp_path):
    import nbformat

    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")]), tmp_path / "t.ipynb")
    with pytest.raises(ParameterError, match="no cell tagged 'parameters'"):
        parse(good(templates=["t.ipynb"]), base=tmp_path)
