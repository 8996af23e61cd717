"""Mappings: dict or YAML, their forms, and errors that name the key at fault."""

import pandas as pd
import pytest

from qoswb.data import load_interactions
from qoswb.data.mapping import read_mapping
from qoswb.errors import ParameterError


def test_yaml_file_with_all_parts(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("kind: interactions\n"
                    "columns:\n  id: Ref\n  team: [Dept, Unit]\n  sla_minutes: {value: 60}\n"
                    "  opened_at: {column: Opened, format: '%d.%m.%Y %H:%M'}\n"
                    "formats: {resolved_at: '%d.%m.%Y'}\n"
                    "timestamp_format: '%Y%m%d'\n"
                    "timezone: Europe/Berlin\ndelimiter: ';'\nencoding: cp1252\n")
    m = read_mapping(path)
    assert m.kind == "interactions" and m.timezone == "Europe/Berlin" and m.origin == str(path)
    assert m.columns["team"] == {"columns": ["Dept", "Unit"], "sep": " "}
    assert m.options == {"delimiter": ";", "encoding": "cp1252"}
    # a column's own format, then formats:, then the default timestamp_format
    assert m.format_for("opened_at") == "%d.%m.%Y %H:%M"
    assert m.format_for("resolved_at") == "%d.%m.%Y"
    assert m.format_for("first_response_at") == "%Y%m%d"


def test_yaml_mapping_drives_a_load(tmp_path):
    data = tmp_path / "x.csv"
    data.write_bytes("Ref;Dept;Unit;Opened\nR1;Küche;Nord;05.01.2025 08:30\n".encode("cp1252"))
    path = tmp_path / "m.yaml"
    path.write_text("columns: {id: Ref, team: [Dept, Unit], opened_at: Opened}\n"
                    "timestamp_format: '%d.%m.%Y %H:%M'\ntimezone: Europe/Berlin\nencoding: cp1252\n")
    d = load_interactions(data, path).data
    assert d["team"].tolist() == ["Küche Nord"]
    assert d["opened_at"].iloc[0].isoformat() == "2025-01-05T08:30:00+01:00"


@pytest.mark.parametrize("mapping, message", [
    ({"columns": {"id": "A"}, "timezon": "UTC"}, "unknown key.*timezon"),
    ({"id": {"column": "A", "value": 1}}, "exactly one of column, columns, expr, value"),
    ({"id": {"colum": "A"}}, "unknown keys: colum"),
    ({"id": 5}, "should be a column name"),
    ({"columns": ["id"]}, "'columns' should be a mapping"),
    (["id"], "a mapping is a dict"),
])
def test_bad_mappings_name_the_key(mapping, message):
    with pytest.raises(ParameterError, match=message):
        read_mapping(mapping)


def test_bad_yaml_and_missing_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("columns: [unclosed\n")
    with pytest.raises(ParameterError, match="bad.yaml is not valid YAML"):
        read_mapping(path)
    with pytest.raises(ParameterError, match=r"^mapping: no mapping file .*nope.yaml \(did you mean .*bad.yaml"):
        read_mapping(tmp_path / "nope.yaml")


def test_bad_expression_is_a_parameter_error(tmp_path):
    data = tmp_path / "a.csv"
    data.write_text("team,period,a,b\nT,2024-01-01,1,2\n")
    from qoswb.data import load_aggregates

    with pytest.raises(ParameterError, match="numerator"):
        load_aggregates(data, {"numerator": {"expr": "a +* b"}, "denominator": "b"})


@pytest.mark.parametrize("mapping, options, message", [
    ({"timestamp_rang": {"from": "2020-01-01"}}, {}, r"unknown key timestamp_rang \(did you mean 'timestamp_range'"),
    ({"columns": {"id": "id"}, "timezon": "UTC"}, {}, r"unknown key\(s\) timezon \(did you mean 'timezone'\?\)"),
    ({"id": {"colum": "id"}}, {}, r"unknown keys: colum\) \(did you mean 'column' or 'columns'\?\)"),
    ({"opend_at": "Created"}, {}, r"opend_at \(did you mean 'opened_at'.*not canonical interactions"),
    (None, {"multilin": True}, r"unknown option\(s\) multilin \(did you mean 'multiline'\?\)"),
])
def test_misspelt_keys_and_options_say_did_you_mean(mapping, options, message):
    frame = pd.DataFrame({"id": ["a"], "team": ["b"], "opened_at": ["2024-01-01"]})
    with pytest.raises(ParameterError, match=message):
        load_interactions(frame, mapping, **options)
