"""``qoswb a3``: one cycle's A3 report from the store, with clear exits for bad input."""

import pytest

from qoswb.cli import main
from qoswb.pdca.store import Store

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def store_file(tmp_path):
    """An SQLite store with one full cycle (a hostile cause among them) and a second one."""
    path = tmp_path / "pdca.sqlite"
    store = Store(path)
    cid = store.new_cycle("Slow first response", team="Desk A", problem="Replies take a day")["id"]
    root = store.add_cause(cid, "Nobody watches the queue at lunch", category="people")
    store.update_cause(root["id"], is_root=True)
    store.add_why(root["id"], "Lunch breaks overlap")
    store.add_cause(cid, SCRIPT, category="technology")
    store.add_action(cid, "Stagger lunch", owner="Ana", due="2026-03-31")
    store.new_cycle("Too many reopened tickets")
    store.close()
    return path, cid


def test_writes_html_named_after_the_title_in_the_current_folder(store_file, tmp_path,
                                                                 monkeypatch, capsys):
    path, cid = store_file
    monkeypatch.chdir(tmp_path)
    assert main(["a3", str(cid), "--store", str(path)]) == 0
    written = capsys.readouterr().out.strip()
    assert written.startswith("a3-slow-first-response-") and written.endswith(".html")
    document = (tmp_path / written).read_text(encoding="utf-8")
    assert "Slow first response" in document
    assert "Nobody watches the queue at lunch" in document and "Lunch breaks overlap" in document
    assert SCRIPT not in document and "<script" not in document
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in document


def test_markdown_by_exact_title_to_a_chosen_file(store_file, tmp_path, capsys):
    path, _ = store_file
    out = tmp_path / "reports" / "a3.md"
    out.parent.mkdir()
    url = f"sqlite:///{path}"
    assert main(["a3", "Slow first response", "--store", url, "-o", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# A3: Slow first response")
    assert "Nobody watches the queue at lunch" in text and "<script" not in text


def test_format_flag_and_file_ending_must_agree(store_file, tmp_path, capsys):
    path, cid = store_file
    out = tmp_path / "a3.html"
    assert main(["a3", str(cid), "--store", str(path), "--format", "md", "-o", str(out)]) == 2
    assert "--format md" in capsys.readouterr().err
    assert not out.exists()


def test_default_store_is_the_one_in_the_data_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("QOSWB_DATA_DIR", str(tmp_path))
    store = Store()
    cid = store.new_cycle("Long waits at the front desk")["id"]
    store.close()
    out = tmp_path / "a3.md"
    assert main(["a3", str(cid), "-o", str(out)]) == 0
    assert "Long waits at the front desk" in out.read_text(encoding="utf-8")


def test_unknown_cycle_exits_2_naming_it_and_listing_some(store_file, capsys):
    path, _ = store_file
    assert main(["a3", "999", "--store", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "'999'" in err
    assert "'Slow first response'" in err and "'Too many reopened tickets'" in err


@pytest.mark.parametrize("url", [
    "{tmp}/missing/pdca.sqlite",                   # a folder that is not there
    "sqlite:///{tmp}/absent.sqlite",               # no such file: never created by the export
    "postgresql://postgres@127.0.0.1:1/nothing",   # no server listening
])
def test_unreachable_store_exits_2_naming_the_url(url, tmp_path, capsys):
    url = url.format(tmp=tmp_path)
    assert main(["a3", "1", "--store", url]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    shown = url.replace("postgresql://", "postgresql+psycopg://")  # the driver the store uses
    assert shown in err, err
    assert not (tmp_path / "absent.sqlite").exists()


@pytest.mark.parametrize("content", [b"id,title\n1,Slow replies\n", b"", b"PK\x03\x04 a zip"])
def test_a_store_that_is_not_a_database_exits_2_in_one_line(content, tmp_path, capsys):
    store = tmp_path / "file.csv"
    store.write_bytes(content)
    assert main(["a3", "1", "--store", str(store)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not an SQLite database" in err and "file.csv" in err
    assert store.read_bytes() == content  # opened to look, never written


def test_a_folder_as_store_exits_2_saying_so(tmp_path, capsys):
    assert main(["a3", "1", "--store", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "is a folder, not an SQLite file" in err


def test_an_output_that_cannot_be_written_exits_2_in_one_line(store_file, tmp_path, capsys):
    path, cid = store_file
    (tmp_path / "a-file").write_text("x")
    assert main(["a3", str(cid), "--store", str(path), "-o", str(tmp_path / "a-file" / "a3.html")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "a-file" in err and "Traceback" not in err


def test_a_password_in_the_store_url_never_reaches_the_message(capsys):
    assert main(["a3", "1", "--store", "postgresql://postgres:Sup3rSecret@127.0.0.1:1/nothing"]) == 2
    err = capsys.readouterr().err
    assert "Sup3rSecret" not in err and "***" in err


def test_an_a3_replaces_only_an_a3_qoswb_wrote(store_file, tmp_path, capsys):
    path, cid = store_file
    out = tmp_path / "a3.html"
    assert main(["a3", str(cid), "--store", str(path), "-o", str(out)]) == 0
    assert main(["a3", str(cid), "--store", str(path), "-o", str(out)]) == 0  # its own: replaced
    capsys.readouterr()

    notes = tmp_path / "notes.md"
    notes.write_text("# my own notes\n", encoding="utf-8")
    victim = tmp_path / "victim.html"
    victim.write_text("<p>keep me</p>", encoding="utf-8")
    link = tmp_path / "link.html"
    link.symlink_to(out)  # even a link to an A3 of ours: the write would land elsewhere
    for target in (notes, victim, link):
        assert main(["a3", str(cid), "--store", str(path), "-o", str(target)]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "did not write" in err
    assert notes.read_text(encoding="utf-8") == "# my own notes\n"
    assert victim.read_text(encoding="utf-8") == "<p>keep me</p>"
    assert link.is_symlink() and not list(tmp_path.glob(".*.partial"))
