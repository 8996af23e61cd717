"""Tiny report templates and parameter files, for testing batches (qoswb's and users' own).

>>> from qoswb.reports.testing import make_template, make_parameters
>>> template = make_template(tmp_path, body="x = 1")                      # doctest: +SKIP
>>> make_parameters(tmp_path, templates=["tiny.ipynb"], teams=["A"], periods=["2025-03"])  # doctest: +SKIP
"""

from pathlib import Path


PARAMETERS_CELL = """team = "nobody"
period = "2025-01"
period_start = "2025-01-01"
period_end = "2025-02-01"
grain = "month"
kpis = None
targets = {}
cache = None
"""


def make_template(folder: Path, name: str = "tiny", body: str = "", headline: str | None = None,
                  per_team: bool = True) -> Path:
    """A template: a parameters cell, a headline cell, then ``body`` (code)."""
    import nbformat

    params = PARAMETERS_CELL if per_team else PARAMETERS_CELL.replace('team = "nobody"\n', "teams = []\n")
    cells = [nbformat.v4.new_markdown_cell("# Tiny report"), nbformat.v4.new_code_cell(params)]
    cells[1].metadata["tags"] = ["parameters"]
    head = nbformat.v4.new_code_cell(headline or 'print(f"{period}: all fine")')
    head.metadata["tags"] = ["headline"]
    cells.append(head)
    if body:
        cells.append(nbformat.v4.new_code_cell(body))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = Path(folder) / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def make_parameters(folder: Path, **keys) -> Path:
    """A parameters YAML file in ``folder`` (keys as given; output defaults to folder/out)."""
    import yaml

    keys.setdefault("output", "out")
    keys.setdefault("preload", [])  # tiny templates import nothing: keep test kernels lean
    path = Path(folder) / "batch.yaml"
    path.write_text(yaml.safe_dump(keys, allow_unicode=True), encoding="utf-8")
    return path
