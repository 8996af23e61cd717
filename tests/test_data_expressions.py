"""Mapping expressions: arithmetic and comparisons on columns and literals, evaluated by qoswb; nothing
else runs (a canary proves that an expression which would write a file or call a function does not)."""

import pandas as pd
import pytest

from qoswb.data import load_aggregates, load_interactions
from qoswb.data.expressions import parse
from qoswb.errors import DataError, ParameterError

AE = "org,period,Total Attendances,breaches,waited\nA,2024-01-01,100,5,200\nB,2024-01-01,80,0,300\n"


@pytest.fixture
def ae_csv(tmp_path):
    path = tmp_path / "ae.csv"
    path.write_text(AE)
    return path


def test_arithmetic_on_columns_with_backticked_names(ae_csv):
    r = load_aggregates(ae_csv, {"team": "org", "period": "period",
                                 "numerator": {"expr": "`Total Attendances` - breaches"},
                                 "denominator": {"expr": "`Total Attendances` * 1.0"}})
    assert r.data["numerator"].tolist() == [95.0, 80.0] and r.data["denominator"].tolist() == [100.0, 80.0]


@pytest.mark.parametrize("expr, expected", [
    ("2 ** 3 - breaches % 3", [6.0, 8.0]),           # 8 - 5 % 3 = 6; 8 - 0 = 8
    ("-breaches + +breaches + 7 // 2", [3.0, 3.0]),
    ("waited <= 240", [1.0, 0.0]),                    # a condition counts as 1 or 0
    ("100 < waited < 250 and breaches > 1", [1.0, 0.0]),
    ("(waited > 250) | ~(breaches == 5)", [0.0, 1.0]),
    ("not waited != 200", [1.0, 0.0]),
])
def test_grammar_values(ae_csv, expr, expected):
    r = load_aggregates(ae_csv, {"team": "org", "period": "period", "value": {"expr": expr}})
    assert r.data["value"].tolist() == expected


def test_division_by_zero_and_overflow_are_rejected_rows(ae_csv):
    r = load_aggregates(ae_csv, {"team": "org", "period": "period", "value": {"expr": "waited / breaches"}})
    assert r.data["value"].tolist() == [40.0]
    assert r.rejected["reason"].tolist() == ["value (waited / breaches) infinite or too large"]
    r = load_aggregates(ae_csv, {"team": "org", "period": "period", "value": {"expr": "waited ** 10 ** 10"}})
    assert r.summary["accepted"] == 0 and r.summary["rejected_by_reason"] == {
        "value (waited ** 10 ** 10) infinite or too large": 2}


HOSTILE = [
    ("__import__('os').system('touch {canary}')", "a function call"),
    ("open('{canary}', 'w').write('x')", "a function call"),
    ("@pd.io.common.os.system('touch {canary}')", "not a valid expression"),
    ("breaches.__class__.__mro__[1].__subclasses__()", "a function call"),
    ("breaches.__class__", "an attribute"),
    ("breaches[0]", "a subscript"),
    ("(lambda: open('{canary}', 'w'))()", "a function call"),
    ("[open('{canary}', 'w') for x in (1,)]", "ListComp"),
    ("(x := 1)", "an assignment"),
    ("breaches if waited else 1", "a conditional"),
    ("'{canary}'", "the literal"),
    ("f'{{breaches}}'", "an f-string"),
    ("breaches @ waited", "the @ operator"),
    ("breaches << 2", "LShift"),
    ("None", "the literal None"),
    ("breaches; import os", "not a valid expression"),
    ("", "is empty"),
]


@pytest.mark.parametrize("expr, why", HOSTILE)
def test_canary_anything_else_is_a_parameter_error_and_runs_nothing(tmp_path, ae_csv, expr, why):
    canary = tmp_path / "canary"
    expr = expr.format(canary=canary)
    mapping = tmp_path / "m.yaml"
    mapping.write_text("team: org\nperiod: period\nvalue: {expr: " + repr(expr).replace("\\\\", "\\") + "}\n")
    with pytest.raises(ParameterError) as caught:
        load_aggregates(ae_csv, mapping)
    message = str(caught.value)
    assert message.startswith(f"{mapping}: column 'value': expression {expr!r}") and why in message
    assert not canary.exists()


def test_deep_or_long_expressions_are_refused_not_crashing():
    with pytest.raises(ParameterError, match="nested more than 60 levels"):
        parse("-" * 500 + "a", "value")
    with pytest.raises(ParameterError, match="not a valid expression"):
        parse("(" * 300 + "a" + ")" * 300, "value")
    with pytest.raises(ParameterError, match="longer than 2,000 characters"):
        parse("+".join(["a"] * 1500), "value")


def test_operands_of_the_wrong_kind_are_a_data_error_naming_column_and_expression(ae_csv):
    with pytest.raises(DataError, match=r"^mapping: column 'value': expression '\(waited > 1\) \+ 2': "
                                        r"'\(waited > 1\) \+ 2' cannot take boolean and number \(reading .*ae.csv\)"):
        load_aggregates(ae_csv, {"team": "org", "period": "period", "value": {"expr": "(waited > 1) + 2"}})
    with pytest.raises(DataError, match=r"column 'opened_at': expression 'breaches \+ 1' gives a number, "
                                        r"but opened_at is a timestamp"):
        load_interactions(ae_csv, {"id": "org", "team": "org", "opened_at": {"expr": "breaches + 1"}})


def test_unknown_column_in_an_expression_says_did_you_mean(ae_csv):
    with pytest.raises(DataError, match=r"column 'breach' \(mapped to value\) is not in the header "
                                        r"\(did you mean 'breaches'"):
        load_aggregates(ae_csv, {"team": "org", "period": "period", "value": {"expr": "breach * 2"}})


def test_a_missing_or_unreadable_operand_is_a_missing_or_unparseable_result(tmp_path):
    path = tmp_path / "ae.csv"
    path.write_text("org,period,a,b\nA,2024-01-01,10,\nB,2024-01-01,x,2\nC,2024-01-01,4,2\n")
    r = load_aggregates(path, {"team": "org", "period": "period", "value": {"expr": "a - b"}})
    assert r.data["team"].tolist() == ["A", "C"]  # value is optional: missing is kept as missing
    assert pd.isna(r.data["value"].iloc[0]) and r.data["value"].iloc[1] == 2.0
    assert r.rejected["reason"].tolist() == ["unparseable value (a - b)"]


def test_a_new_kind_is_rows_in_the_rules_table(monkeypatch):
    # how #11 extends it: timestamp - timestamp is a duration, and nothing else changes
    import numpy as np

    from qoswb.data import expressions

    monkeypatch.setitem(expressions.RULES, ("-", "timestamp", "timestamp"), "duration")
    opened = expressions.Value("timestamp", np.array(["2024-01-01T09:00", "2024-01-02T10:00"], "datetime64[m]"))
    closed = expressions.Value("timestamp", np.array(["2024-01-01T09:30", "2024-01-02T12:00"], "datetime64[m]"))
    wait = parse("closed - opened", "wait").evaluate({"opened": opened, "closed": closed})
    assert wait.kind == "duration" and wait.data.astype("timedelta64[m]").astype(int).tolist() == [30, 120]
    with pytest.raises(DataError, match=r"column 'wait': expression 'closed \+ opened': 'closed \+ opened' "
                                        r"cannot take timestamp and timestamp"):
        parse("closed + opened", "wait").evaluate({"opened": opened, "closed": closed})


@pytest.mark.parametrize("expr", [["breaches"], {"a": 1}, 5, None])
def test_an_expr_that_is_not_text_is_a_parameter_error_even_when_unhashable(ae_csv, expr):
    # a YAML list or mapping under expr: once a bare TypeError from the parse cache
    with pytest.raises(ParameterError, match=r"column 'value': expr should be text"):
        load_aggregates(ae_csv, {"team": "org", "period": "period", "value": {"expr": expr}})
