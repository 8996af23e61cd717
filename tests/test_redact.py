"""Passwords in database URLs never reach what qoswb writes or prints."""

import json

import pytest

from qoswb.redact import hide_passwords, safe_url

SECRET = "S3cr:et/p@ss"  # ':' '/' and '@' inside a password (the '@' unencoded, as people type it)


@pytest.mark.parametrize("url", [
    "postgresql://qos:pw1@db.example:5432/qos",
    "postgresql+psycopg://qos:pw1@127.0.0.1/test?sslmode=require",
    "mysql+pymysql://u:p%40ss@h/d",
    "mssql+pyodbc://u:pw1@dsn",
])
def test_safe_url_hides_the_password_and_keeps_the_rest(url):
    shown = safe_url(url)
    assert "***" in shown and "pw1" not in shown and "p%40ss" not in shown
    assert shown.split("***")[0] == url.split(":", 2)[0] + ":" + url.split(":", 2)[1] + ":"


def test_text_with_urls_anywhere_has_every_password_hidden():
    text = json.dumps({"source": f"postgresql://qos:{SECRET}@db/qos",
                       "error": "cannot reach 'mysql://root:hunter2@10.0.0.1/x' (timeout)",
                       "file": "/data/tickets.csv", "web": "https://example.org/a:b@c"})
    hidden = hide_passwords(text)
    for secret in (SECRET, "hunter2", "S3cr", "p@ss"):
        assert secret not in hidden
    body = json.loads(hidden)  # still the same JSON
    assert body["source"] == "postgresql://qos:***@db/qos" and body["file"] == "/data/tickets.csv"
    assert body["error"] == "cannot reach 'mysql://root:***@10.0.0.1/x' (timeout)"


def test_urls_without_a_password_and_plain_paths_are_unchanged():
    for text in ("sqlite:///qos.db", "postgresql://qos@db/qos", "C:\\data\\x.csv", "tickets.csv"):
        assert safe_url(text) == text and hide_passwords(text) == text


def test_a_loader_error_for_an_unusable_url_hides_its_password():
    from qoswb.data import DataError, load_interactions

    with pytest.raises(DataError, match=r"nosuchdriver://u:\*\*\*@h/x: not a usable database URL") as caught:
        load_interactions("nosuchdriver://u:Secret99@h/x", table="tickets")
    assert "Secret99" not in str(caught.value)


@pytest.mark.parametrize("url", [
    "postgresql://u@db/x?password=QuerySecret1",
    "postgresql://u@db/x?sslmode=require&sslpassword=QuerySecret1",
    "postgresql+psycopg://u:QuerySecret1@db/x?api_key=QuerySecret1&application_name=qoswb",
    "mssql+pyodbc://dsn?PWD=QuerySecret1;UID=u",
])
def test_secrets_in_a_query_string_are_hidden_too(url):
    for shown in (safe_url(url), hide_passwords(f"cannot read {url} (table x)"),
                  hide_passwords(json.dumps({"source": url}))):
        assert "QuerySecret1" not in shown and "***" in shown
    assert "sslmode=require" in safe_url(url) or "sslmode" not in url


@pytest.mark.parametrize("url", [
    "postgresql://u:p@ss:Malformed9@127.0.0.1:1/x",   # ':' and '@' unencoded: the port does not parse
    "postgresql://u@127.0.0.1:1/x?password=Malformed9",  # the connection is refused
])
def test_cli_errors_for_urls_never_print_the_secret(url, capsys):
    from qoswb.cli import main

    assert main(["validate", url, "--table", "t"]) == 2
    err = capsys.readouterr().err
    assert "Malformed9" not in err and len(err.strip().splitlines()) == 1


def test_a_store_and_a_sql_source_show_their_url_without_query_string_secrets(tmp_path):
    """Python callers (a notebook, the workshop) see the same hidden URL the CLI prints."""
    import pytest

    from qoswb.data import load_interactions
    from qoswb.errors import DataError
    from qoswb.pdca.store import Store

    db = tmp_path / "pdca.sqlite"
    store = Store(f"sqlite:///{db}?token=s3cret")
    assert "s3cret" not in store.url and "s3cret" not in repr(store) and "token=***" in store.url
    store.close()
    with pytest.raises(DataError) as caught:
        load_interactions(f"sqlite:///{tmp_path / 'none.db'}?api_key=s3cret",
                          {"id": "a", "team": "b", "opened_at": "c"}, table="missing")
    assert "s3cret" not in str(caught.value)
