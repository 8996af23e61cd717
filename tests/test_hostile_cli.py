"""Hostile command lines and files no one meant as input: each is one line on stderr and exit 2."""

import pytest

from qoswb.cli import main

# bytes that are not UTF-8: a PDF header, UTF-16 text with its byte-order mark
NOT_UTF8 = [b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "kind: interactions\n".encode("utf-16")]


def one_line_error(capsys, argv) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("name", ["", ".", "/"])
def test_validate_a_name_that_is_no_file(capsys, name):
    assert "not a data file" in one_line_error(capsys, ["validate", name])


@pytest.mark.parametrize("raw", NOT_UTF8)
def test_a_mapping_that_is_not_text_is_named(tmp_path, capsys, raw):
    data, mapping = tmp_path / "t.csv", tmp_path / "m.yaml"
    data.write_text("id,team,opened_at\n1,A,2024-01-01\n")
    mapping.write_bytes(raw)
    err = one_line_error(capsys, ["validate", str(data), "--mapping", str(mapping)])
    assert f"mapping file {mapping} is not UTF-8 text" in err


@pytest.mark.parametrize("raw", NOT_UTF8)
def test_a_parameters_file_that_is_not_text_is_named(tmp_path, capsys, raw):
    params = tmp_path / "p.yaml"
    params.write_bytes(raw)
    assert f"{params}: the parameters file is not UTF-8 text" in one_line_error(capsys, ["batch", str(params)])
