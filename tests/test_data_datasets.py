"""Packaged real data sets: loaded through their mappings, checked against the facts in their READMEs."""

import gzip

import pytest

from qoswb.data import datasets
from qoswb.errors import ParameterError

SHARED_FILES = {
    "nhs_ae_attendances": "nhs_ae_attendances/ae_attendances.csv",
    "nhs_accidents": "nhs_ae_4hour_weekly_spc_example/nhs_accidents.csv",
    "nyc_council_constituent_services": "nyc_council_constituent_services/nyc_council_constituent_services_2019_2023.csv",
}


@pytest.mark.parametrize("name", sorted(SHARED_FILES))
def test_packaged_file_is_the_published_file_with_its_licence_note(name, shared_data):
    packaged = datasets.path(name)
    content = packaged.read_bytes()
    if packaged.suffix == ".gz":
        content = gzip.decompress(content)
    assert content == (shared_data / SHARED_FILES[name]).read_bytes()
    readme = datasets.describe(name)
    assert "## Licence" in readme and "## Source" in readme


def test_nhs_ae_attendances_facts():
    # README facts: 12,765 rows, 36 months 2016-04..2019-03, 274 organisations, about 88.5 % within 4 hours
    r = datasets.load("nhs_ae_attendances")
    d = r.data
    assert r.summary["rows_read"] == 12765 and r.ok
    assert d["period"].min().strftime("%Y-%m-%d") == "2016-04-01" and d["period"].nunique() == 36
    assert d["team"].str.split(" type ").str[0].nunique() == 274
    assert d["team"].str.endswith(" type 1").sum() == 4932
    assert d["numerator"].sum() / d["denominator"].sum() == pytest.approx(0.885, abs=0.0005)


def test_nhs_accidents_facts():
    # README facts: 20 weeks; weekly share 94.59 % to 96.21 %; overall 95.29 %
    d = datasets.load("nhs_accidents").data
    share = d["numerator"] / d["denominator"]
    assert d["period"].tolist() == list(range(1, 21))
    # (the README rounds 96.2050 up to 96.21: compare to within a hundredth of a point)
    assert share.min() * 100 == pytest.approx(94.59, abs=0.01) and share.max() * 100 == pytest.approx(96.21, abs=0.01)
    assert d["numerator"].sum() / d["denominator"].sum() * 100 == pytest.approx(95.29, abs=0.01)


def test_nyc_casework_duplicates_and_open_cases_match_the_readme():
    # README facts: 146,843 rows; 28 unique_key values occur twice; closedate empty for 12,879 rows;
    # 51 offices; no negative days to close
    r = datasets.load("nyc_council_constituent_services")
    s = r.summary
    assert s["rows_read"] == 146843 and s["rejected_by_reason"] == {"duplicate id": 28}
    assert s["accepted"] == 146843 - 28
    assert r.rejected["unique_key"].nunique() == 28
    open_cases = r.data["resolved_at"].isna().sum() + (r.rejected["closedate"] == "").sum()
    assert open_cases == 12879
    assert r.data["team"].nunique() == 51
    assert str(r.data["opened_at"].dt.tz) == "America/New_York"
    days = (r.data["resolved_at"] - r.data["opened_at"]).dt.days.dropna()
    assert days.median() == 5 and days.max() == 1589
    assert "borough" in r.data.columns  # the finer fields stay for drill-down


def test_unknown_data_set_lists_the_names():
    with pytest.raises(ParameterError, match="nhs_accidents"):
        datasets.load("nope")
