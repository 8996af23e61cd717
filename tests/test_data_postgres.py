"""Loading interactions from the real PostgreSQL server on 127.0.0.1:5432, by table and by query."""

import uuid

import pandas as pd
import pytest

from qoswb.data import DataError, load_interactions

pytestmark = pytest.mark.postgres
URLS = ["postgresql+psycopg://postgres@127.0.0.1:5432/test", "postgresql+psycopg://root@127.0.0.1:5432/test"]


@pytest.fixture
def cases_table():
    sa = pytest.importorskip("sqlalchemy")
    pytest.importorskip("psycopg")
    for url in URLS:
        engine = sa.create_engine(url)
        try:
            with engine.connect():
                break
        except sa.exc.OperationalError:
            engine.dispose()
    else:
        pytest.skip("no PostgreSQL server on 127.0.0.1:5432")
    name = f"qoswb_cases_{uuid.uuid4().hex[:10]}"
    frame = pd.DataFrame({
        "case_ref": ["P1", "P2", "P3", "P1"],
        "grp": ["North", "North", None, "South"],
        "opened": pd.to_datetime(["2024-03-30 09:00", "2024-07-01 12:00", "2024-07-02 12:00",
                                  "2024-07-03 12:00"]).tz_localize("UTC"),
        "closed": pd.to_datetime(["2024-03-30 10:00", None, None, None]).tz_localize("UTC"),
        "contacts": [1, 2, 1, 1],
    })
    frame.to_sql(name, engine, index=False)
    try:
        yield url, name
    finally:
        with engine.begin() as con:
            con.execute(sa.text(f'DROP TABLE IF EXISTS "{name}"'))
        engine.dispose()


MAPPING = {"id": "case_ref", "team": "grp", "opened_at": "opened", "resolved_at": "closed",
           "timezone": "Europe/London"}


def test_load_by_table(cases_table):
    url, name = cases_table
    r = load_interactions(url, MAPPING, table=name)
    assert r.summary["rows_read"] == 4 and r.summary["accepted"] == 2
    assert r.summary["rejected_by_reason"] == {"missing team ('grp')": 1, "duplicate id": 1}
    assert r.rejected["source_row"].tolist() == [3, 4]
    d = r.data
    assert str(d["opened_at"].dt.tz) == "Europe/London"
    assert d["opened_at"].iloc[1] == pd.Timestamp("2024-07-01 13:00", tz="Europe/London")
    assert d["contacts"].tolist() == [1, 2] and pd.isna(d["resolved_at"].iloc[1])


def test_load_by_query(cases_table):
    url, name = cases_table
    r = load_interactions(url, MAPPING, query=f'SELECT * FROM "{name}" WHERE grp = \'North\'')
    assert r.ok and r.data["id"].tolist() == ["P1", "P2"]


def test_missing_table_is_a_data_error_naming_it(cases_table):
    url, _ = cases_table
    with pytest.raises(DataError, match="no_such_table"):
        load_interactions(url, MAPPING, table="no_such_table")
