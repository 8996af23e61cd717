"""Expand a batch into jobs (templates × teams × periods) with safe output names.

A team name comes from the data and may hold anything: ``../../evil``, ``a/b``,
an absolute path, odd unicode. File names are made by :func:`qoswb.filenames.slug`:
a readable ASCII part plus a short hash of the exact name, so no name can leave
the output folder and two teams whose readable parts agree (``a/b`` and ``a b``)
never overwrite each other.

>>> slug("../../evil")
'evil-1361ca8c'
>>> slug("a/b") != slug("a b")
True
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from qoswb.filenames import slug
from qoswb.reports.params import BatchParameters, Period

__all__ = ["Job", "PORTFOLIO", "expand", "inside", "slug"]

PORTFOLIO = "_portfolio"  # team slugs never start with "_", so this folder is never a team's


@dataclasses.dataclass(frozen=True)
class Job:
    """One notebook run: a template for one team (or the portfolio) and one period."""

    template: str
    template_path: str
    team: str | None
    period: Period
    parameters: dict
    notebook: str  # output paths, relative to the output folder
    html: str

    @property
    def id(self) -> str:
        """A stable name for the job, the same across runs (used by --resume and the manifest)."""
        return f"{self.template}/{Path(self.html).parent.name}/{self.period.label}"

    @property
    def outputs(self) -> list[str]:
        return [self.notebook, self.html]


def inside(folder: Path, relative: str) -> Path:
    """``folder / relative``, refusing anything that would land outside ``folder``.

    >>> inside(Path("/out"), "../etc/passwd")
    Traceback (most recent call last):
    ...
    ValueError: refusing to write outside /out: ../etc/passwd
    """
    root = Path(folder).resolve()
    path = (root / relative).resolve()
    if path == root or root not in path.parents:
        raise ValueError(f"refusing to write outside {root}: {relative}")
    return path


def expand(params: BatchParameters, teams: list[str], periods: list[Period],
           cache: str | None = None) -> list[Job]:
    """Every job of the batch: team templates for each team × period, portfolio ones per period.

    Parameters given to each notebook: ``team`` (team templates), ``teams`` (the full
    list, portfolio templates), ``period``, ``period_start``, ``period_end`` (exclusive),
    ``grain``, ``kpis``, ``targets``, ``sla`` (the SLA targets the cached KPIs were computed
    with, so ``--resume`` re-runs reports whose targets changed) and ``cache`` (the folder of
    the batch's data cache, or None when the batch has no data).
    """
    jobs = []
    for template in params.templates:
        for per in periods:
            common = {"period": per.label, "period_start": per.start, "period_end": per.end,
                      "grain": params.grain, "kpis": params.kpis, "targets": params.targets,
                      "sla": params.sla, "cache": cache}
            if template.per == "portfolio":
                jobs.append(_job(template, None, per, {**common, "teams": list(teams)}, PORTFOLIO))
            else:
                for team in teams:
                    jobs.append(_job(template, team, per, {"team": team, **common}, slug(team)))
    return jobs


def _job(template, team, per, parameters, folder) -> Job:
    stem = f"{folder}/{template.name}-{per.label}"
    return Job(template.name, str(template.path), team, per, parameters,
               f"{stem}.ipynb", f"{stem}.html")
