"""The batch cache: loaded once from a real file through qoswb.data, then read by slices."""

import json
import os

import pandas as pd
import pytest

from qoswb.data.synthetic import generate
from qoswb.errors import DataError
from qoswb.reports import cache as rc
from qoswb.reports import views

pytestmark = pytest.mark.slow  # builds caches (the KPI tables of 3 teams × 16 weeks)


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """16 weeks of three teams as Parquet files, plus two rows that the loader must reject."""
    folder = tmp_path_factory.mktemp("source")
    demo = generate(seed=11, weeks=16, teams=["Billing", "Returns", "Orders"])
    tickets = demo.interactions
    bad = tickets.head(2).assign(id=["BAD1", "BAD2"], team="Returns")
    bad["resolved_at"] = bad["opened_at"] - pd.Timedelta(hours=1)  # resolved before opened
    pd.concat([tickets, bad]).to_parquet(folder / "tickets.parquet", index=False)
    ghosts = demo.surveys.head(3).assign(id=["GHOST1", "GHOST2", "GHOST3"])  # rate no interaction
    pd.concat([demo.surveys, ghosts]).to_parquet(folder / "answers.parquet", index=False)
    return folder, demo


@pytest.fixture(scope="module")
def cache(source, tmp_path_factory):
    folder, _ = source
    data = {"source": str(folder / "tickets.parquet"), "kind": "interactions",
            "surveys": {"source": str(folder / "answers.parquet")}}
    return rc.build(data, "month", tmp_path_factory.mktemp("out"))


def test_the_cache_holds_every_table_and_the_load_summary(cache, source):
    _, demo = source
    info = rc.meta(cache)
    assert info["teams"] == ["Billing", "Orders", "Returns"]
    assert set(info["tables"]) == {"interactions", "surveys", "kpis", "rejected"}
    s = info["summaries"]["interactions"]
    assert s["rows_read"] == len(demo.interactions) + 2 and s["rejected"] == 2
    assert s["accepted"] == len(demo.interactions)


def test_answers_that_rate_no_interaction_are_counted_not_cached(cache, source):
    _, demo = source
    surveys = rc.meta(cache)["summaries"]["surveys"]
    assert surveys["rows_read"] == len(demo.surveys) + 3 and surveys["unmatched"] == 3
    cached = rc.read(cache, "surveys")
    assert len(cached) == len(demo.surveys) and not cached["id"].str.startswith("GHOST").any()
    assert cached["team"].notna().all()


def test_a_slice_is_exactly_that_teams_rows(cache, source):
    _, demo = source
    mine = rc.read(cache, "interactions", team="Orders")
    expected = demo.interactions[demo.interactions["team"] == "Orders"]
    assert sorted(mine["id"]) == sorted(expected["id"])
    answers = rc.read(cache, "surveys", team="Orders")
    assert set(answers["id"]) <= set(expected["id"]) and len(answers) == demo.surveys["id"].isin(expected["id"]).sum()
    assert set(rc.read(cache, "kpis", team="Orders")["team"]) == {"Orders"}


def test_team_view_keeps_to_the_period(cache):
    view = views.team_view(cache, "Returns", "2024-03-01", "2024-04-01", kpis=["sla_response", "csat"],
                           targets={"sla_response": 0.9})
    opened = view.tickets["opened_at"].dt.tz_localize(None)
    assert opened.min() >= pd.Timestamp("2024-03-01") and opened.max() < pd.Timestamp("2024-04-01")
    assert len(view.tickets) > 0 and set(view.answers["id"]) <= set(view.tickets["id"])
    assert view.charts["period"].max() < pd.Timestamp("2024-04-01")
    assert set(view.matrix["kpi"]) == {"sla_response", "csat"}
    assert view.matrix.set_index("kpi").loc["sla_response", "target"] == 0.9
    assert isinstance(views.headline(view.matrix), str)
    sample = views.comments(view, n=6)
    assert len(sample) <= 6 and sample["comment"].notna().all()


def test_data_quality_lists_the_teams_rejected_rows(cache):
    summaries, rejected = views.data_quality(cache, "Returns")
    assert summaries["interactions"]["rejected"] == 2
    assert rejected["rows"].sum() == 2 and rejected["reason"].str.contains("before").all()
    assert views.data_quality(cache, "Billing")[1].empty


def test_a_cache_of_the_same_data_is_reused_and_a_changed_one_rebuilt(source, tmp_path):
    folder, _ = source
    data = {"source": str(folder / "tickets.parquet"), "kind": "interactions"}
    first = rc.build(data, "month", tmp_path)
    stamp = (first / "meta.json").stat().st_mtime_ns
    assert rc.build(data, "month", tmp_path, reuse=True) == first
    assert (first / "meta.json").stat().st_mtime_ns == stamp
    rc.build(data, "week", tmp_path, reuse=True)
    assert json.loads((first / "meta.json").read_text())["key"] != ""
    assert (first / "meta.json").stat().st_mtime_ns != stamp


def test_last_periods_skip_a_period_the_data_does_not_finish():
    info = {"last": "2025-06-29 23:42:45+01:00"}
    assert [p.label for p in rc.last_periods(info, "month", 2)] == ["2025-04", "2025-05"]
    assert [p.label for p in rc.last_periods(info, "week", 1)] == ["2025-W26"]
    assert [p.label for p in rc.last_periods({"last": "2019-03-01", "kind": "aggregates"}, "month", 1)] == ["2019-03"]


def test_a_missing_table_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="has no kpis table"):
        rc.read(tmp_path, "kpis")


def test_portfolio_view_compares_all_teams_in_the_period(cache):
    view = views.portfolio_view(cache, "2024-03-01", "2024-04-01", kpis=["sla_response", "fcr", "volume"],
                                targets={"sla_response": 0.9})
    assert set(view.matrix["team"]) == {"Billing", "Orders", "Returns"}
    assert set(view.matrix["kpi"]) == {"sla_response", "fcr", "volume"}
    weeks = view.kpis["period"]
    assert weeks.min() >= pd.Timestamp("2024-03-01") and weeks.max() < pd.Timestamp("2024-04-01")
    funnels = views.funnels(view)
    assert [f.kpi for f in funnels] == ["sla_response", "fcr"]  # proportions only, in the KPI table's order
    pooled = view.kpis[(view.kpis["kpi"] == "fcr") & view.kpis["complete"]].groupby("team")[
        ["numerator", "denominator"]].sum()
    assert funnels[1].centre == pytest.approx(pooled["numerator"].sum() / pooled["denominator"].sum())
    signals, earlier = views.signals(view), views.earlier_signals(view)
    assert list(signals.columns) == ["team", "kpi", "variation", "reading"]
    special = view.matrix[[v.is_special for v in view.matrix["variation"]]]
    assert set(zip(signals["team"], signals["kpi"])) == set(zip(special["team"], special["kpi"]))
    # every team x KPI with a signal in the period is told: now, or earlier in the period
    flagged = view.charts[(view.charts["period"] >= pd.Timestamp("2024-03-01")) & view.charts["signal"]
                          & view.charts["complete"]]
    told = set(zip(signals["team"], signals["kpi"])) | set(zip(earlier["team"], earlier["kpi"]))
    assert told == set(zip(flagged["team"], flagged["kpi"]))
    assert views.portfolio_view(cache, "2024-03-01", "2024-04-01", teams=["Orders"]).matrix["team"].unique().tolist() == ["Orders"]


def shifted_after(cache, tmp_path, when):
    """A copy of ``cache`` whose KPI values after ``when`` are all moved far up."""
    import shutil

    copy = tmp_path / "shifted"
    shutil.copytree(cache, copy)
    table = rc.read(copy, "kpis")
    later = table["period"] >= pd.Timestamp(when)
    table.loc[later, "value"] = table.loc[later, "value"] * 3 + 1
    table.loc[later, "numerator"] = table.loc[later, "numerator"] * 3 + 1
    table.to_parquet(copy / "kpis.parquet", index=False)
    return copy


def test_a_report_for_an_older_period_never_sees_later_data(cache, tmp_path):
    # whatever happens after March, a March report's charts, limits, signals and matrix stay the same
    kpis = ["sla_response", "first_response_median", "csat", "volume"]
    shifted = shifted_after(cache, tmp_path, "2024-04-01")
    for read in (lambda c: views.team_view(c, "Returns", "2024-03-01", "2024-04-01", kpis=kpis),
                 lambda c: views.portfolio_view(c, "2024-03-01", "2024-04-01", kpis=kpis)):
        before, after = read(cache), read(shifted)
        pd.testing.assert_frame_equal(before.charts, after.charts)
        pd.testing.assert_frame_equal(before.matrix, after.matrix)
    # ...while a later report does see it (the test could fail)
    late = views.team_view(cache, "Returns", "2024-04-01", "2024-05-01", kpis=["volume"])
    late_shifted = views.team_view(shifted, "Returns", "2024-04-01", "2024-05-01", kpis=["volume"])
    assert not late.charts["cl"].equals(late_shifted.charts["cl"])


def test_a_week_running_past_the_period_is_shown_incomplete(cache):
    # March 2024 ends on a Sunday; the week of Monday 25 March is whole, and so is every other
    view = views.team_view(cache, "Returns", "2024-03-01", "2024-04-01", kpis=["volume"])
    assert view.charts["period"].max() == pd.Timestamp("2024-03-25") and view.charts["complete"].all()
    # February 2024 ends on a Thursday: the week of 26 February runs into March
    view = views.team_view(cache, "Returns", "2024-02-01", "2024-03-01", kpis=["volume"])
    last = view.charts[view.charts["period"] == view.charts["period"].max()]
    assert last["period"].iloc[0] == pd.Timestamp("2024-02-26") and not last["complete"].iloc[0]
    assert not last["signal"].iloc[0] and view.charts["complete"].iloc[:-1].all()
    # a complete week's limits do not depend on the incomplete one
    march = views.team_view(cache, "Returns", "2024-03-01", "2024-04-01", kpis=["volume"])
    assert view.matrix["kpi"].tolist() == ["volume"] and len(march.charts) == len(view.charts) + 4


def test_a_period_before_the_data_is_a_clear_error(cache):
    with pytest.raises(DataError, match="no KPI data before 2020-01-01"):
        views.team_view(cache, "Returns", "2019-12-01", "2020-01-01")


def test_a_source_with_no_rows_is_a_clear_error_naming_it(tmp_path):
    empty = tmp_path / "tickets.csv"
    empty.write_text("id,team,opened_at\n")
    with pytest.raises(DataError, match=r"tickets.csv: no interactions to report on \(0 row\(s\) read, 0 rejected"):
        rc.build({"source": str(empty), "kind": "interactions"}, "month", tmp_path / "out")


# --- the cache key: never a stale cache, and a rebuild says why ---------------------------------

@pytest.fixture
def export(tmp_path):
    """A small CSV export with its own column names, and a mapping YAML file for it."""
    tickets = generate(seed=4, weeks=2, teams=["Billing", "Returns"]).interactions
    tickets = tickets[["id", "team", "opened_at", "resolved_at", "channel"]]
    tickets.rename(columns={"id": "Case", "team": "Group", "channel": "Via"}).to_csv(
        tmp_path / "export.csv", index=False)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("columns:\n  id: Case\n  team: Group\n")
    return {"source": str(tmp_path / "export.csv"), "kind": "interactions", "mapping": str(mapping)}


def rebuilt(data, out, **options):
    """(whether the cache was rebuilt, the notes the build gave)."""
    stamp = (out / rc.CACHE / "meta.json").stat().st_mtime_ns
    notes = []
    rc.build(data, "month", out, reuse=True, notes=notes, **options)
    return (out / rc.CACHE / "meta.json").stat().st_mtime_ns != stamp, notes


def test_the_same_data_reuses_the_cache(export, tmp_path):
    rc.build(export, "month", tmp_path / "out")
    assert rebuilt(export, tmp_path / "out") == (False, [])


def test_a_mapping_edited_in_place_rebuilds_the_cache(export, tmp_path):
    out = tmp_path / "out"
    rc.build(export, "month", out)
    assert "channel" not in rc.read(out / rc.CACHE, "interactions").columns
    with open(export["mapping"], "a") as fh:
        fh.write("  channel: Via\n")  # same path, new content
    assert rebuilt(export, out) == (True, ["data cache rebuilt: the mapping changed"])
    assert rc.read(out / rc.CACHE, "interactions")["channel"].notna().all()


def test_a_touched_source_rebuilds_the_cache(export, tmp_path):
    out = tmp_path / "out"
    rc.build(export, "month", out)
    stat = os.stat(export["source"])
    os.utime(export["source"], ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    changed, notes = rebuilt(export, out)
    assert changed and notes == ["data cache rebuilt: the source changed (its size, time or content)"]


def test_a_source_edited_keeping_its_size_and_time_rebuilds_the_cache(export, tmp_path):
    out = tmp_path / "out"
    rc.build(export, "month", out)
    path = export["source"]
    stat = os.stat(path)
    text = open(path).read()
    last = text.rstrip("\n").rsplit("\n", 1)[1]
    edited = last.replace("Billing", "Bxlling") if "Billing" in last else last.replace("Returns", "Rxturns")
    open(path, "w").write(text.replace(last, edited))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert os.stat(path).st_size == stat.st_size
    changed, notes = rebuilt(export, out)
    assert changed and "the source changed" in notes[0]
    assert {"Bxlling", "Rxturns"} & set(rc.meta(out / rc.CACHE)["teams"])


def test_another_qoswb_version_rebuilds_the_cache(export, tmp_path, monkeypatch):
    import qoswb

    out = tmp_path / "out"
    rc.build(export, "month", out)
    monkeypatch.setattr(qoswb, "__version__", "99.0")
    assert rebuilt(export, out) == (True, ["data cache rebuilt: qoswb's version changed"])


def test_an_sqlite_source_is_fingerprinted_as_a_file(export, tmp_path):
    sa = pytest.importorskip("sqlalchemy")
    db = tmp_path / "qos.sqlite"
    engine = sa.create_engine(f"sqlite:///{db}")
    pd.read_csv(export["source"]).to_sql("tickets", engine, index=False)
    engine.dispose()
    data = dict(export, source=f"sqlite:///{db}", table="tickets")
    rc.build(data, "month", tmp_path / "out")
    assert rebuilt(data, tmp_path / "out") == (False, [])


def test_leftover_build_folders_are_removed_and_nothing_else(export, tmp_path):
    out = tmp_path / "out"
    leftover, foreign = out / ".cache-k1ll3d", out / ".cache-mine"
    leftover.mkdir(parents=True)
    (leftover / "interactions.parquet").write_bytes(b"PAR1 half written")
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    rc.build(export, "month", out)
    assert not leftover.exists() and (foreign / "notes.txt").read_text() == "mine"
    assert [p.name for p in out.iterdir() if p.name.startswith(".cache-")] == [".cache-mine"]


@pytest.mark.parametrize("meta_text", ['{"not": "qoswb"}', None])
def test_a_cache_folder_qoswb_did_not_write_is_never_replaced(export, tmp_path, meta_text):
    cache = tmp_path / "out" / rc.CACHE
    cache.mkdir(parents=True)
    (cache / "photos.parquet").write_bytes(b"mine")
    if meta_text:
        (cache / "meta.json").write_text(meta_text)
    with pytest.raises(DataError, match="not a data cache qoswb wrote"):
        rc.build(export, "month", tmp_path / "out")
    assert sorted(p.name for p in cache.iterdir()) == sorted(["photos.parquet"] + (["meta.json"] if meta_text else []))


def test_a_qoswb_cache_with_a_users_file_in_it_is_not_replaced(export, tmp_path):
    out = tmp_path / "out"
    rc.build(export, "month", out)
    (out / rc.CACHE / "notes.txt").write_text("mine")
    with pytest.raises(DataError, match="or it holds other files"):
        rc.build(export, "week", out)
    assert (out / rc.CACHE / "notes.txt").read_text() == "mine"
