"""YAML read by qoswb (parameters files, mappings): aliases cannot expand without bound."""

import time
import tracemalloc

import pytest

from qoswb.data.mapping import read_mapping
from qoswb.errors import ParameterError
from qoswb.yamlsafe import MAX_ALIAS_NODES, safe_load
from tests.test_reports_params import billion_laughs


def bounded(function, *args):
    """Run ``function``, returning (exception or result, seconds, peak traced bytes)."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        outcome = function(*args)
    except ParameterError as exc:
        outcome = exc
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return outcome, elapsed, peak


def test_a_billion_laughs_mapping_file_is_refused_fast(tmp_path):
    path = tmp_path / "mapping.yaml"
    path.write_text("kind: interactions\ncolumns: {id: Ticket}\n" + billion_laughs(12))  # 9 ** 12 strings
    outcome, elapsed, peak = bounded(read_mapping, str(path))
    assert isinstance(outcome, ParameterError) and "alias bomb" in str(outcome) and str(path) in str(outcome)
    assert elapsed < 2.0 and peak < 5_000_000


@pytest.mark.parametrize("text", [
    # merge keys copy pairs: each level merges the previous one twice
    "a0: &a0 {k0: 1, k1: 2, k2: 3}\n" + "".join(f"a{i}: &a{i} {{<<: [*a{i - 1}, *a{i - 1}], x{i}: 1}}\n"
                                                 for i in range(1, 25)),
    # a long flat list of aliases to one big node
    "big: &big [" + ", ".join(str(i) for i in range(200)) + "]\nmany: [" + ", ".join(["*big"] * 100) + "]\n",
])
def test_other_expansions_beyond_the_bound_are_refused(text):
    outcome, elapsed, _ = bounded(safe_load, text, "t.yaml")
    assert isinstance(outcome, ParameterError) and f"more than {MAX_ALIAS_NODES:,} nodes" in str(outcome)
    assert elapsed < 2.0


def test_a_large_file_without_aliases_and_modest_reuse_are_read():
    teams = [f"team {i}" for i in range(12_000)]
    assert safe_load("teams: [" + ", ".join(f'"{t}"' for t in teams) + "]\n")["teams"] == teams
    reused = safe_load("base: &b {timezone: Europe/London, delimiter: ';'}\n"
                       + "".join(f"m{i}: {{<<: *b, kind: interactions}}\n" for i in range(100)))
    assert reused["m99"] == {"timezone": "Europe/London", "delimiter": ";", "kind": "interactions"}


def test_recursion_and_syntax_errors():
    import yaml

    with pytest.raises(ParameterError, match="recursive alias"):
        safe_load("a: &a {b: *a}")
    with pytest.raises(yaml.YAMLError):
        safe_load("a: [1, 2")
    assert safe_load("") is None and safe_load("# only a comment\n") is None
    with pytest.raises(ParameterError, match="nested too deeply"):
        safe_load("[" * 600 + "]" * 600)


@pytest.mark.parametrize("text, line, value, why", [
    ("kind: interactions\ntimestamp_range: {from: 2024-13-45}\n", 2, "2024-13-45", "month must be in 1..12"),
    ("periods: [2025-01, 2025-02-30]\n", 1, "2025-02-30", "day is out of range for month"),
    ("workers: 1" + "0" * 5000 + "\n", 1, "1" + "0" * 39, "Exceeds the limit"),
])
def test_a_value_yaml_cannot_build_is_a_parameter_error_naming_its_line(text, line, value, why):
    # PyYAML raises a bare ValueError for these (not a YAMLError): once a traceback from the CLI
    with pytest.raises(ParameterError, match=rf"^t.yaml: line {line}: value '{value}' cannot be read: {why}"):
        safe_load(text, origin="t.yaml")


def test_cli_reports_an_impossible_date_in_a_parameters_file_as_one_line(tmp_path, capsys):
    from qoswb.cli import main

    params = tmp_path / "p.yaml"
    params.write_text("title: x\ntemplates: [team_report]\ndata: demo\nperiods: [2025-02-30]\noutput: out\n")
    assert main(["batch", str(params)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"qoswb batch: error: {params}: line 4: value '2025-02-30' cannot be read: day is out of range for month"
