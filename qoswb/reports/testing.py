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


# Text that must reach a report as typed: markup, script, a link, Markdown and mathtext control.
PAYLOADS = ('<img src=x onerror=alert(1)>', '<script>alert(2)</script>', '"><svg onload=alert(3)>',
            '[click](javascript:alert(4))', '*Charged* $10 not $20, fee $x_$ | # `5` & _u_',
            '<iframe src="javascript:alert(5)"></iframe>')
OPTIONAL = ("first_response_at", "resolved_at", "channel", "category", "priority", "contacts",
            "reopened", "sla_minutes")


def write_exports(folder: Path, *, drop=(), hostile: bool = False, surveys: bool = True,
                  seed: int = 3, weeks: int = 10, share: float = 0.1) -> dict:
    """A small synthetic help desk's export as ``interactions.csv`` (and ``surveys.csv``) in ``folder``.

    ``drop``: interactions columns left out (``OPTIONAL`` names them); ``hostile``:
    team, channel, category, priority and comments (and a rejected row's team)
    replaced by :data:`PAYLOADS`. Returns the batch's ``data`` specification.

    >>> data = write_exports(tmp_path, drop=OPTIONAL, hostile=True)   # doctest: +SKIP
    """
    import numpy as np
    import pandas as pd

    from qoswb.data.synthetic import generate

    demo = generate(seed=seed, weeks=weeks, teams=3)
    tickets = demo.interactions.sample(frac=share, random_state=seed).sort_values("opened_at")
    answers = demo.surveys[demo.surveys["id"].isin(tickets["id"])]
    if hostile:
        teams = {name: PAYLOADS[i] for i, name in enumerate(sorted(tickets["team"].unique()))}
        tickets["team"] = tickets["team"].map(teams)
        for column in ("channel", "category", "priority"):
            tickets[column] = np.asarray(PAYLOADS, dtype=object)[np.arange(len(tickets)) % len(PAYLOADS)]
        answers = answers.assign(comment=np.asarray(PAYLOADS, dtype=object)[np.arange(len(answers)) % len(PAYLOADS)])
        bad = tickets.iloc[:1].astype(object).assign(id="BAD-1", opened_at="not a date",
                                                     team='<b onmouseover=alert(6)>Ghost</b>')
        tickets = pd.concat([tickets, bad], ignore_index=True)
    folder = Path(folder)
    tickets.drop(columns=list(drop)).to_csv(folder / "interactions.csv", index=False)
    data = {"source": str(folder / "interactions.csv"), "kind": "interactions"}
    if surveys:
        answers.to_csv(folder / "surveys.csv", index=False)
        data["surveys"] = {"source": str(folder / "surveys.csv")}
    return data

