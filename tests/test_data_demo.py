"""The embedded demo store and the ``qoswb demo`` command."""

import json

import pytest

from qoswb.cli import main
from qoswb.data import demo as demo_module


@pytest.fixture
def small_demo(tmp_path, monkeypatch):
    """A private data folder and a small generator, so the store is quick to make."""
    from qoswb.data import synthetic

    monkeypatch.setenv("QOSWB_DATA_DIR", str(tmp_path))
    real = synthetic.generate
    monkeypatch.setattr(synthetic, "generate", lambda seed: real(seed=seed, weeks=4, teams=5))
    return tmp_path


def test_demo_data_makes_the_store_then_reads_it(small_demo):
    first = demo_module.demo_data()
    store = small_demo / "demo"
    assert sorted(p.name for p in store.iterdir()) == [
        "interactions.parquet", "meta.json", "special_causes.parquet", "surveys.parquet"]
    assert json.loads((store / "meta.json").read_text())["seed"] == demo_module.DEMO_SEED
    stamp = (store / "interactions.parquet").stat().st_mtime_ns
    again = demo_module.demo_data()
    assert (store / "interactions.parquet").stat().st_mtime_ns == stamp  # read, not remade
    assert again.interactions.equals(first.interactions)
    assert str(again.interactions["opened_at"].dt.tz) == "Europe/London"
    assert again.special_causes["kpi"].tolist() == ["first_response_median", "volume", "csat"]


def test_a_stale_store_is_made_again(small_demo):
    demo_module.demo_data()
    meta = small_demo / "demo" / "meta.json"
    meta.write_text(json.dumps({"store_version": -1, "seed": 0}))
    demo_module.demo_data()
    assert json.loads(meta.read_text())["store_version"] == demo_module.STORE_VERSION


def test_qoswb_demo_prints_a_summary(small_demo, capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "interactions in 5 teams" in out and "special causes" in out and "Orders" in out


def _make_store(_):
    from qoswb.data.demo import demo_data

    return len(demo_data().interactions)


def test_processes_racing_to_make_the_store_all_get_it(small_demo):
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(3) as pool:  # forked: they share the small generator
        sizes = pool.map(_make_store, range(3))
    assert len(set(sizes)) == 1 and sizes[0] > 0
    assert demo_module.demo_data().interactions.shape[0] == sizes[0]
    leftovers = [p.name for p in small_demo.iterdir() if p.name.startswith(".demo")]
    assert leftovers == []


def test_refresh_remakes_a_current_store(small_demo):
    demo_module.demo_data()
    stamp = (small_demo / "demo" / "meta.json").stat().st_mtime_ns
    demo_module.demo_data(refresh=True)
    assert (small_demo / "demo" / "meta.json").stat().st_mtime_ns != stamp
