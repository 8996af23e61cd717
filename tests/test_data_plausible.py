"""Implausible timestamps, timestamps out of order, infinite and overflowing numbers: rejected rows
with a reason naming the column, from every source type (never a pandas bounds traceback)."""

import datetime as dt
import uuid

import pandas as pd
import pyarrow as pa
import pytest

from qoswb.data import load_aggregates, load_interactions
from qoswb.errors import ParameterError

NOW = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
SOON, TOO_LATE = NOW + dt.timedelta(days=200), NOW + dt.timedelta(days=400)
# id -> (opened_at, first_response_at, resolved_at, sla_minutes, contacts, expected first reason)
CASES = {
    "ok": (dt.datetime(2024, 3, 1, 9), dt.datetime(2024, 3, 1, 10), dt.datetime(2024, 3, 1, 11), 60.0, 1, None),
    "soon": (SOON, None, None, 60.0, 1, None),
    "y2204": (dt.datetime(2204, 1, 1), None, None, 60.0, 1, "opened_at outside"),
    "y9999": (dt.datetime(9999, 12, 31, 23, 59), None, None, 60.0, 1, "opened_at outside"),
    "y1850": (dt.datetime(1850, 6, 1), None, None, 60.0, 1, "opened_at outside"),
    "late": (TOO_LATE, None, None, 60.0, 1, "opened_at outside"),
    "resolved_9999": (dt.datetime(2024, 3, 1), None, dt.datetime(9999, 1, 1), 60.0, 1, "resolved_at outside"),
    "order": (dt.datetime(2024, 3, 1, 9), dt.datetime(2024, 3, 1, 12), dt.datetime(2024, 3, 1, 10), 60.0, 1,
              "resolved_at before first_response_at"),
    "inf": (dt.datetime(2024, 3, 1), None, None, float("inf"), 1, "sla_minutes infinite or too large"),
    "minus_inf": (dt.datetime(2024, 3, 1), None, None, float("-inf"), 1, "sla_minutes infinite or too large"),
    "overflow": (dt.datetime(2024, 3, 1), None, None, 60.0, 1e30, "contacts infinite or too large"),
}
COLUMNS = ["opened_at", "first_response_at", "resolved_at", "sla_minutes", "contacts"]


def typed_table() -> pa.Table:
    """The cases with their own types (microsecond timestamps hold year 9999; pandas' ns do not)."""
    values = {c: [case[i] for case in CASES.values()] for i, c in enumerate(COLUMNS)}
    ts = pa.timestamp("us")
    return pa.table({"id": list(CASES), "team": ["North"] * len(CASES),
                     **{c: pa.array(values[c], ts) for c in COLUMNS[:3]},
                     "sla_minutes": pa.array(values["sla_minutes"], pa.float64()),
                     "contacts": pa.array(values["contacts"], pa.float64())})


def text_frame() -> pd.DataFrame:
    def text(v):
        if v is None:
            return ""
        if isinstance(v, dt.datetime):
            return v.isoformat(sep=" ")
        return "1e30" if v == 1e30 else repr(v)

    return pd.DataFrame({"id": list(CASES), "team": "North",
                         **{c: [text(case[i]) for case in CASES.values()] for i, c in enumerate(COLUMNS)}})


def as_csv(tmp_path):
    path = tmp_path / "cases.csv"
    text_frame().to_csv(path, index=False)
    return path, {}


def as_parquet(tmp_path):
    import pyarrow.parquet as pq

    path = tmp_path / "cases.parquet"
    pq.write_table(typed_table(), path)
    return path, {}


def as_excel(tmp_path):
    path = tmp_path / "cases.xlsx"
    text_frame().to_excel(path, index=False)
    return path, {}


def as_duckdb(tmp_path):
    duckdb = pytest.importorskip("duckdb")
    path = tmp_path / "cases.duckdb"
    cases = typed_table()  # noqa: F841  (read by name in the SQL below)
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE cases AS SELECT * FROM cases")
    return path, {"table": "cases"}


def as_sqlite(tmp_path):
    import sqlite3

    path = tmp_path / "cases.sqlite"
    with sqlite3.connect(path) as con:
        text_frame().to_sql("cases", con, index=False)
    return f"sqlite:///{path}", {"table": "cases"}


def as_frame(tmp_path):
    return typed_table().to_pandas(), {}


def as_object_frame(tmp_path):  # datetime objects, as pandas keeps dates it cannot hold in ns
    frame = pd.DataFrame({"id": list(CASES), "team": "North"})
    for i, c in enumerate(COLUMNS):
        frame[c] = pd.Series([case[i] for case in CASES.values()], dtype=object)
    return frame, {}


def check(result):
    s = result.summary
    assert s["rows_read"] == len(CASES) == s["accepted"] + s["rejected"]
    assert sorted(result.data["id"]) == sorted(k for k, v in CASES.items() if v[-1] is None)
    firsts = dict(zip(result.rejected["id"], result.rejected["reason"].str.split("; ").str[0]))
    for key, case in CASES.items():
        if case[-1] is not None:
            assert firsts[key].startswith(case[-1]), (key, firsts[key])
    assert result.data["opened_at"].dt.year.between(1990, NOW.year + 1).all()


@pytest.mark.parametrize("make", [as_csv, as_parquet, as_excel, as_duckdb, as_sqlite, as_frame, as_object_frame])
def test_every_source_rejects_implausible_rows_with_the_column_named(tmp_path, make):
    source, options = make(tmp_path)
    check(load_interactions(source, **options))


def test_postgres_rejects_implausible_rows(tmp_path):
    sa = pytest.importorskip("sqlalchemy")
    pytest.importorskip("psycopg")
    url = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    engine = sa.create_engine(url)
    try:
        engine.connect().close()
    except sa.exc.OperationalError:
        pytest.skip("no PostgreSQL server on 127.0.0.1:5432")
    name = f"qoswb_plausible_{uuid.uuid4().hex[:10]}"
    columns = ", ".join(f"{c} timestamp" for c in COLUMNS[:3])
    try:
        with engine.begin() as con:
            con.execute(sa.text(f'CREATE TABLE "{name}" (id text, team text, {columns}, '
                                f'sla_minutes double precision, contacts double precision)'))
            con.execute(sa.text(f'INSERT INTO "{name}" VALUES (:id, :team, :o, :f, :r, :s, :c)'),
                        [{"id": k, "team": "North", "o": v[0], "f": v[1], "r": v[2], "s": v[3], "c": v[4]}
                         for k, v in CASES.items()])
        check(load_interactions(url, table=name))
    finally:
        with engine.begin() as con:
            con.execute(sa.text(f'DROP TABLE IF EXISTS "{name}"'))
        engine.dispose()


def test_the_plausible_range_is_set_in_the_mapping(tmp_path):
    path = tmp_path / "old.csv"
    path.write_text("id,team,opened_at\nA,N,1985-05-01\nB,N,2024-01-01\nC,N,2031-01-01\n")
    r = load_interactions(path, {"timestamp_range": {"from": "1980-01-01", "until": "2030-12-31"}})
    assert r.data["id"].tolist() == ["A", "B"]
    assert r.rejected["reason"].tolist() == ["opened_at outside 1980-01-01 to 2030-12-31 (timestamp_range)"]
    mapping = tmp_path / "m.yaml"
    mapping.write_text("timestamp_range: {from: 2000-01-01}\n")  # a YAML date, the end left as default
    assert load_interactions(path, mapping).data["id"].tolist() == ["B"]


@pytest.mark.parametrize("bad, message", [
    ({"from": "soon"}, "timestamp_range from should be a date like 2024-01-31, not 'soon'"),
    ({"from": "2020-01-01", "until": "2010-01-01"}, "timestamp_range from \\(2020-01-01\\) is after until"),
    ({"since": "2020-01-01"}, "'timestamp_range' should be a mapping with from and/or until"),
    ("2020", "'timestamp_range' should be a mapping with from and/or until"),
    ({"from": 2015}, "timestamp_range from should be a date like 2024-01-31, not 2015"),
])
def test_a_bad_timestamp_range_is_a_parameter_error(tmp_path, bad, message):
    path = tmp_path / "t.csv"
    path.write_text("id,team,opened_at\nA,N,2024-01-01\n")
    with pytest.raises(ParameterError, match=message):
        load_interactions(path, {"timestamp_range": bad})


def test_periods_are_checked_too(tmp_path):
    path = tmp_path / "agg.csv"
    path.write_text("team,period,value\nN,2024-01-01,3\nN,9999-01-01,4\nN,2024-02-01,inf\n")
    r = load_aggregates(path)
    assert r.data["value"].tolist() == [3.0]
    assert r.rejected["reason"].tolist() == ["period outside 1990-01-01 to "
                                             f"{(pd.Timestamp(NOW) + pd.DateOffset(years=1)):%Y-%m-%d} "
                                             "(timestamp_range)", "value infinite or too large"]


def test_seconds_beyond_what_microseconds_hold_do_not_wrap_round(tmp_path):
    import numpy as np

    frame = pd.DataFrame({"id": ["far", "ok"], "team": "N",
                          "opened_at": np.array(["300000-01-01", "2024-01-01"], dtype="datetime64[s]")})
    r = load_interactions(frame)
    assert r.data["id"].tolist() == ["ok"]
    assert r.rejected["reason"].tolist() == ["opened_at infinite or too large"]


def test_a_parquet_date_beyond_microseconds_is_a_rejected_row(tmp_path):
    import pyarrow.parquet as pq

    days = pa.array([(dt.date(2024, 1, 1) - dt.date(1970, 1, 1)).days, 120_000_000], pa.int32()).view(pa.date32())
    pq.write_table(pa.table({"team": ["N", "N"], "period": days, "value": [1.0, 2.0]}), tmp_path / "a.parquet")
    r = load_aggregates(tmp_path / "a.parquet")
    assert r.data["value"].tolist() == [1.0]
    assert r.rejected["reason"].tolist() == ["period infinite or too large"]
