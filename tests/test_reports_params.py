"""Parameters files: good ones parse to the expected periods and templates; bad ones name the key."""

from pathlib import Path

import pytest
import yaml

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
                   kpis=["volume", "sla_response"], periods={"start": "2025-01", "end": "2025-03", "grain": "month"}),
              origin="x.yaml", base=base)
    assert [(t.name, t.per) for t in p.templates] == [("tiny", "team"), ("overview", "portfolio")]
    assert [x.label for x in p.periods] == ["2025-01", "2025-02", "2025-03"]
    assert p.output == (base / "out").resolve()
    assert p.targets == {"sla_response": 0.9} and p.kpis == ["volume", "sla_response"] and p.sla is None


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
    ({"templates": ["missing.ipynb"]}, "'templates'", "a notebook that exists: no 'missing.ipynb'"),
    ({"templates": [{"notebook": "tiny.ipynb", "per": "region"}]}, "'templates.per'", "'team' or 'portfolio'"),
    ({"targets": {"sla": "high"}}, "'targets'", "KPI name to a number"),
    ({"kpis": "volume"}, "'kpis'", "a list of KPI names"),
    ({"data": {"path": "x.csv"}}, "'data.path'", "not a known key; known: kind"),
    ({"data": {"table": "t"}}, "'data'", "a source"),
    ({"data": {"source": "x.csv", "kind": "events"}}, "'data.kind'", "aggregates or interactions"),
    ({"data": {"source": "x.csv", "sheet": 1}}, "'data.sheet'", "not a known key; known: kind, mapping"),
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


@pytest.mark.parametrize("changes, message", [
    ({"kpi": ["volume"]}, "'kpi' is not a known key (did you mean 'kpis'?)"),
    ({"data": {"source": "x.csv", "mapings": "m.yaml"}}, "'data.mapings' is not a known key (did you mean 'mapping'?)"),
    ({"data": {"source": "x.csv", "surveys": {"sorce": "s.csv"}}},
     "'data.surveys.sorce' is not a known key (did you mean 'source'?)"),
    ({"data": {"source": "x.csv", "surveys": {"source": "s.csv", "kind": "surveys"}}},
     "'data.surveys.kind' is not a known key"),
    ({"periods": {"strat": "2025-01", "end": "2025-03"}}, "'periods.strat' is not a known key (did you mean 'start'?)"),
    ({"periods": {"last": 2, "start": "2025-01"}}, "either {last: N} or {start: .., end: ..}"),
    ({"templates": [{"notebok": "tiny.ipynb"}]}, "'templates.notebok' is not a known key (did you mean 'notebook'?)"),
    ({"templates": ["team_reprt"]}, "no 'team_reprt' (did you mean 'team_report'"),
    ({"templates": ["tiyn.ipynb"]}, "no 'tiyn.ipynb' (did you mean 'tiny.ipynb'"),
    ({"kpis": ["volume", "csat_score"]}, "'kpis': unknown KPI 'csat_score' (did you mean 'csat'"),
    ({"kpis": []}, "'kpis' must be a list of KPI names"),
    ({"targets": {"sla_respone": 0.9}},
     "'targets.sla_respone' is not a KPI of this batch (did you mean 'sla_response'"),
    ({"kpis": ["volume", "fcr"], "targets": {"csat": 0.8}},
     "'targets.csat' is not a KPI of this batch; known: volume, fcr"),
    ({"targets": {"sla_response": 90}},
     "'targets.sla_response' must be a share between 0 and 1 (0.9 for 90 %), got 90"),
    ({"sla": {"first_response": 60, "resolutoin": 240}},
     "'sla.resolutoin' is not a known key (did you mean 'resolution'?)"),
    ({"sla": {"first_responce": 30}}, "'sla.first_responce' is not a known key (did you mean 'first_response'?)"),
    ({"sla": {"P1": 30, "P2": 120}}, "'sla.P1' is not a known key; known: first_response, resolution"),
    ({"sla": {"resolution": {"P1": 240, "P2": "fast"}}}, "'sla.resolution' must be minutes (a number above 0)"),
    ({"sla": -5}, "'sla' must be minutes"),
    ({"sla": {"first_response": None}}, "'sla.first_response' must be minutes"),
    # preload: module names that can be imported (checked without importing them)
    ({"preload": ["pandas", "matplotlib.pyplt"]},
     "'preload' names 'matplotlib.pyplt', but no module 'matplotlib.pyplt' can be imported "
     "(did you mean 'matplotlib.pyplot'"),
    ({"preload": ["pands"]}, "'preload' names 'pands', but no module 'pands' can be imported (did you mean 'pandas'"),
    ({"preload": ["qoswb.reports.veiws"]}, "no module 'qoswb.reports.veiws' can be imported (did you mean "
                                           "'qoswb.reports.views'"),
    ({"preload": ["json.decoder.deeper"]}, "no module 'json.decoder.deeper' can be imported"),
    ({"preload": ["os; rm -rf /"]}, "'preload' must be a list of module names"),
    ({"preload": ["pandas."]}, "'preload' must be a list of module names"),
    ({"preload": "pandas"}, "'preload' must be a list of module names"),
])
def test_unknown_names_at_every_level_are_refused_with_a_did_you_mean(base, changes, message):
    with pytest.raises(ParameterError) as err:
        parse(good(**changes), origin="batch.yaml", base=base)
    text = str(err.value)
    assert text.startswith("batch.yaml: ") and message in text and "\n" not in text


def test_aggregates_name_their_own_measure_and_its_target(base):
    p = parse(good(data={"source": "x.csv", "kind": "aggregates"}, kpis=["seen_within_4_hours"],
                   targets={"seen_within_4_hours": 0.95}), base=base)
    assert p.kpis == ["seen_within_4_hours"] and p.targets == {"seen_within_4_hours": 0.95}
    with pytest.raises(ParameterError, match="'targets.seen_within_4h' is not a KPI of this batch"):
        parse(good(data={"source": "x.csv", "kind": "aggregates"}, kpis=["seen_within_4_hours"],
                   targets={"seen_within_4h": 0.95}), base=base)


@pytest.mark.parametrize("sla", [
    60, {"first_response": 60, "resolution": {"P1": 240, "P2": 480}}, {"response": {1: 30, 2: 120}},
    {"resolution": "sla_minutes", "first_response": 30},
])
def test_sla_targets_parse_as_kpis_takes_them(base, sla):
    assert parse(good(sla=sla), base=base).sla == sla


@pytest.mark.parametrize("name", ["demo.yaml", "nhs_ae.yaml"])
def test_the_shipped_parameters_files_are_strictly_valid(name):
    p = load(REPO / "parameters" / name)
    assert p.kpis and p.targets


def test_an_unknown_key_is_exit_2_with_one_line_from_the_cli(tmp_path, capsys):
    from qoswb.cli import main

    path = tmp_path / "batch.yaml"
    path.write_text("templates: [team_report]\ndata: demo\nperiods: {last: 1}\nkpis: [sla_respone]\noutput: out\n")
    assert main(["batch", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "unknown KPI 'sla_respone' (did you mean 'sla_response'" in err
    assert not (tmp_path / "out").exists()


def billion_laughs(levels: int = 9) -> str:
    """The classic alias bomb: each anchor a list of nine aliases of the one before (9 ** levels strings)."""
    lines = ['lol0: &lol0 "lol"']
    lines += [f"lol{i}: &lol{i} [{', '.join([f'*lol{i - 1}'] * 9)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + f"\ntitle: *lol{levels}\n"


def test_a_yaml_alias_bomb_is_refused_fast_with_bounded_memory(tmp_path, capsys):
    import time
    import tracemalloc

    from qoswb.cli import main

    path = tmp_path / "bomb.yaml"
    path.write_text("templates: [team_report]\nteams: [North]\nperiods: [2025-03]\noutput: out\n"
                    + billion_laughs())  # 9 ** 9 = 387 million strings when expanded
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(ParameterError, match=r"bomb.yaml: its YAML aliases expand to more than 10,000 nodes"):
        load(path)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert elapsed < 2.0 and peak < 5_000_000  # unbounded, it would not end before memory ran out
    assert main(["batch", str(path)]) == 2
    assert "alias bomb" in capsys.readouterr().err and not (tmp_path / "out").exists()


def test_a_recursive_alias_and_a_modest_reuse(tmp_path):
    path = tmp_path / "loop.yaml"
    path.write_text("teams: &t [North, *t]\n")
    with pytest.raises(ParameterError, match="recursive alias"):
        load(path)
    path.write_text("templates: [tiny.ipynb]\nteams: &t [North, South]\nperiods: [2025-03]\noutput: out\n"
                    "title: reused\n")
    make = __import__("qoswb.reports.testing", fromlist=["make_template"]).make_template
    make(tmp_path, "tiny")
    assert load(path).teams == ["North", "South"]


def test_a_preload_list_of_importable_modules_is_kept_and_nothing_imported(base):
    import subprocess
    import sys

    code = ("import sys\nfrom qoswb.reports.params import parse\n"
            "raw = {'templates': ['tiny.ipynb'], 'teams': ['A'], 'periods': ['2025-03'], 'output': 'out'}\n"
            "parse(dict(raw, preload=[]), base=%r)\n"
            "before = set(sys.modules)\n"
            "p = parse(dict(raw, preload=['pyarrow.parquet', 'matplotlib.pyplot', 'os.path', 'qoswb.reports.views']),"
            " base=%r)\n"
            "print(p.preload, sorted(m for m in set(sys.modules) - before if m.split('.')[0] != 'encodings'))"
            % (str(base), str(base)))
    said = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert said.strip() == "['pyarrow.parquet', 'matplotlib.pyplot', 'os.path', 'qoswb.reports.views'] []"


@pytest.mark.parametrize("key, data", [
    ("data.source", {"source": "tickets.cvs"}),
    ("data.surveys.source", {"source": "tickets.csv", "surveys": {"source": "csat.cvs"}}),
    ("data.mapping", {"source": "tickets.csv", "mapping": "mappng.yaml"}),
])
def test_a_file_that_is_not_there_is_named_with_its_key_before_anything_runs(tmp_path, key, data, capsys):
    from qoswb.cli import main

    for name in ("tickets.csv", "csat.csv", "mapping.yaml"):
        (tmp_path / name).write_text("id\n1\n")
    path = tmp_path / "batch.yaml"
    path.write_text(yaml.safe_dump({"title": "T", "templates": ["team_report"], "teams": ["A"],
                                    "periods": ["2025-03"], "output": "out", "data": data}))
    assert main(["batch", str(path), "--no-progress"]) == 2
    message = capsys.readouterr().err.strip()
    assert f"'{key}': no file" in message and "(did you mean" in message and "\n" not in message
    assert not (tmp_path / "out").exists()  # refused before the output folder was made
