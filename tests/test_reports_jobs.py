"""Job expansion and safe output names: no team name can write outside the output folder."""

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qoswb.reports.jobs import PORTFOLIO, expand, inside, slug
from qoswb.reports.params import parse
from qoswb.reports.testing import make_template

HOSTILE = ["../../evil", "a/b", "a b", "/etc/passwd", "C:\\Windows\\x", "..", ".", "",
           "Équipe Nord", "équipe nord", "ÉQUIPE NORD", "客服中心", "😀", "\x00nul", "a" * 300,
           "_portfolio", "CON", "-rf"]


@pytest.mark.parametrize("name", HOSTILE)
def test_slugs_are_plain_file_names(name):
    s = slug(name)
    assert re.fullmatch(r"[a-z0-9][a-z0-9-]*-[0-9a-f]{8}", s), s
    assert len(s) <= 49 and s != PORTFOLIO


def test_slugs_never_collide_for_different_names():
    slugs = [slug(n) for n in HOSTILE]
    assert len(set(slugs)) == len(HOSTILE)
    assert slug("a/b") != slug("a b") != slug("a-b")
    assert slug("North") == slug("North")  # stable across runs: --resume relies on it


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=0, max_size=60))
def test_any_name_stays_inside_the_output_folder(tmp_path_factory, name):
    root = Path("/srv/out")
    path = inside(root, f"{slug(name)}/report-2025-03.html")
    assert path.parent.parent == root


@pytest.mark.parametrize("relative", ["../x", "a/../../x", "/etc/passwd", ".", ""])
def test_inside_refuses_escapes(relative):
    with pytest.raises(ValueError, match="refusing to write outside"):
        inside(Path("/srv/out"), relative)


def test_expand_makes_team_and_portfolio_jobs(tmp_path):
    make_template(tmp_path, "tiny")
    make_template(tmp_path, "overview", per_team=False)
    params = parse({"templates": ["tiny.ipynb", "overview.ipynb"], "teams": ["A", "B", "C"],
                    "periods": ["2025-01", "2025-02"], "output": "out", "targets": {"fcr": 0.7}},
                   base=tmp_path)
    jobs = expand(params, params.teams, params.periods, cache="/c")
    assert len(jobs) == 3 * 2 + 2
    team_jobs = [j for j in jobs if j.template == "tiny"]
    assert {(j.team, j.period.label) for j in team_jobs} == {
        (t, p) for t in "ABC" for p in ("2025-01", "2025-02")}
    job = team_jobs[0]
    assert job.parameters == {"team": "A", "period": "2025-01", "period_start": "2025-01-01",
                              "period_end": "2025-02-01", "grain": "month", "kpis": None,
                              "targets": {"fcr": 0.7}, "sla": None, "cache": "/c"}
    portfolio = [j for j in jobs if j.template == "overview"]
    assert all(j.team is None and j.parameters["teams"] == ["A", "B", "C"] for j in portfolio)
    assert all(j.html.startswith(PORTFOLIO + "/") for j in portfolio)
    assert len({j.id for j in jobs}) == len(jobs)
    assert len({j.html for j in jobs}) == len(jobs)
