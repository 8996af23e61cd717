"""Every team's charts as of a period's end, computed once for a batch and read by each report.

A team report shows its team's control charts as they stood at the end of its
period (:func:`qoswb.reports.views.charts_of`). Charting one team costs about as
much as charting them all, since the charts are a handful of vectorised calls
whatever the number of teams. So a batch with several team reports in a period
charts that period once, for all of those teams, before the reports run
(:func:`prepare`, one task on the batch's cluster per period). The same task
computes the period's figures (the first screen's "May in figures") for all of
them in one KPI computation. Each report then reads its own team's rows
(:func:`stored`, :func:`stored_figures`). A report with nothing prepared for it
computes its own, and gets the same rows (tested).

What is prepared lives in the batch's data cache, under ``asof/``: for each key
(a hash of the period's end, the KPIs and the targets), ``<key>.points.parquet``,
``<key>.matrix.parquet`` and ``<key>.json``; for each key of the figures (the
period, grain and SLA targets), ``<key>.figures.parquet`` and ``<key>.json``. The
JSON is written last, so its presence means the rest is complete; it names the
teams (and KPIs) covered. A rebuilt cache is a new folder, so nothing prepared
from older data is ever read.

>>> key("2025-06-01", ["fcr", "csat"], {"fcr": 0.7}) == key("2025-06-01", ["fcr", "csat"], {"fcr": 0.7})
True
>>> key("2025-06-01", ["fcr"], {"fcr": 0.7}) == key("2025-06-01", ["fcr"], {"fcr": 0.8})
False
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from qoswb.files import partial_name, write_atomically
from qoswb.reports.slices import read_slice
from qoswb.verdicts import Assurance, Variation

FOLDER = "asof"
# Reports of one period from which charting them all at once is the cheaper way (one team's
# charts cost about 0.4 s, all of a period's about 1 s on the demo data).
WORTH_FROM = 3
ROW_GROUP = 2_000  # rows per row group of a store: a team's charts are one or two of them
_VERDICTS = {"variation": Variation, "assurance": Assurance}  # matrix columns stored as their codes
# Columns a chart has only where a series is charted around a model (qoswb.spc.expectation):
# a team charted alone has them only when one of its own series has one.
_MODEL_COLUMNS = ("expected", "ar1_phi")


def key(period_end, kpis=None, targets=None) -> str:
    """What a stored view depends on besides the cache itself: the period's end, KPIs, targets."""
    said = json.dumps({"end": str(period_end), "kpis": list(kpis) if kpis else None, "targets": targets or None},
                      sort_keys=True, default=str)
    return hashlib.sha256(said.encode()).hexdigest()[:16]


def _paths(cache, period_end, kpis, targets) -> dict[str, Path]:
    base = Path(cache) / FOLDER / key(period_end, kpis, targets)
    return {part: base.with_suffix(suffix) for part, suffix in
            (("points", ".points.parquet"), ("matrix", ".matrix.parquet"), ("about", ".json"))}


def _figure_paths(cache, period_start, period_end, grain, sla) -> dict[str, Path]:
    # the KPIs computed are in the JSON, not the key: a store of more KPIs serves fewer
    base = Path(cache) / FOLDER / key(period_end, None, {"start": str(period_start), "grain": grain, "sla": sla})
    return {"figures": base.with_suffix(".figures.parquet"), "about": base.with_suffix(".json")}


def prepare(cache, period_end, teams, kpis=None, targets=None, period_start=None, grain=None, sla=None) -> list[str]:
    """Chart ``teams`` as of ``period_end`` at once and store the result; with ``period_start`` and
    ``grain``, their period figures too (:func:`qoswb.reports.figures.case_figures`, case data
    only, with the SLA targets ``sla``); returns the teams stored (nothing is done for what is
    stored already).

    >>> prepare(cache, "2025-06-01", ["Billing", "Returns"], kpis=None, targets={})   # doctest: +SKIP
    ['Billing', 'Returns']
    """
    from qoswb.reports import cache as rc
    from qoswb.reports.views import charts_of

    paths = _paths(cache, period_end, kpis, targets)
    teams = sorted(dict.fromkeys(teams))
    if not set(teams) <= set(_about(paths)["teams"]):
        points, matrix = charts_of(cache, teams, period_end, kpis=kpis, targets=targets)
        matrix = matrix.assign(**{c: matrix[c].map(lambda v: v.value) for c in _VERDICTS if c in matrix})
        _store(paths, {"points": points, "matrix": matrix},
               {"period_end": str(period_end), "kpis": kpis, "targets": targets, "teams": teams})
    if period_start is not None and grain and rc.has(cache, "interactions"):
        from qoswb.reports.figures import case_figures

        paths = _figure_paths(cache, period_start, period_end, grain, sla)
        if not _covers(paths, teams, kpis):
            _store(paths, {"figures": case_figures(cache, teams, period_start, period_end, grain, kpis, sla)},
                   {"period_start": str(period_start), "period_end": str(period_end), "grain": grain,
                    "kpis": kpis, "teams": teams})
    return teams


def _store(paths, frames: dict, about: dict) -> None:
    """Each frame to its Parquet file, then the JSON that says they are complete."""
    paths["about"].parent.mkdir(exist_ok=True)
    for part, frame in frames.items():
        tmp = partial_name(paths[part])
        try:  # by team, in row groups of a few teams: a report reads its own team's few rows
            frame.sort_values("team", kind="stable").to_parquet(tmp, index=False, row_group_size=ROW_GROUP)
            os.replace(tmp, paths[part])
        finally:
            tmp.unlink(missing_ok=True)
    write_atomically(paths["about"], json.dumps(about, default=str))


def _covers(paths, teams, kpis) -> bool:
    """Whether the stored figures hold these teams and (at least) these KPIs (None: all)."""
    about = _about(paths)
    done = about.get("kpis")
    return set(teams) <= set(about["teams"]) and (done is None or (kpis is not None and set(kpis) <= set(done)))


def stored_figures(cache, team: str, period_start, period_end, grain: str, kpis, sla=None):
    """``team``'s rows of :func:`qoswb.reports.figures.case_figures` for these KPIs as
    :func:`prepare` stored them, or None when nothing covering them was prepared."""
    paths = _figure_paths(cache, period_start, period_end, grain, sla)
    if not _covers(paths, [team], list(kpis)):
        return None
    table = read_slice(paths["figures"], team=team)
    return table[table["kpi"].isin(list(kpis))].reset_index(drop=True)


def stored(cache, team: str, period_end, kpis=None, targets=None):
    """``team``'s (chart points, matrix) as of ``period_end``, as :func:`prepare` stored them,
    or None when nothing covering this team, period, KPIs and targets was prepared."""
    paths = _paths(cache, period_end, kpis, targets)
    if team not in _about(paths)["teams"]:
        return None
    points = read_slice(paths["points"], team=team)
    points = points.drop(columns=[c for c in _MODEL_COLUMNS if c in points and points[c].isna().all()])
    matrix = read_slice(paths["matrix"], team=team)
    for column, verdict in _VERDICTS.items():
        if column in matrix:
            matrix[column] = matrix[column].map(verdict).astype(object)
    return points, matrix


# What prepare writes in FOLDER, and the hidden partial files a killed one leaves (qoswb.files).
_OWN = re.compile(r"\.?[0-9a-f]{16}(\.points|\.matrix|\.figures)?(\.\d+\.partial)?\.(parquet|json)")


def owns(folder: Path) -> bool:
    """Whether ``folder`` holds only what :func:`prepare` writes (so a cache rebuild may delete it).

    >>> import tempfile; folder = Path(tempfile.mkdtemp())
    >>> (folder / "49b262a7f1b4c3cf.points.parquet").touch(); owns(folder)
    True
    >>> (folder / "notes.txt").touch(); owns(folder)
    False
    """
    return folder.is_dir() and not folder.is_symlink() and all(
        p.is_file() and not p.is_symlink() and _OWN.fullmatch(p.name) for p in folder.iterdir())


def _about(paths) -> dict:
    """What a store says of itself (its ``teams``: none when there is no complete one)."""
    try:
        about = json.loads(paths["about"].read_text(encoding="utf-8"))
        return about if isinstance(about, dict) and isinstance(about.get("teams"), list) else {"teams": []}
    except (OSError, ValueError):
        return {"teams": []}


def worth_preparing(jobs) -> list[tuple]:
    """The ``prepare`` calls that pay for a batch's ``jobs`` (dicts with ``parameters``): one
    per period, KPIs, targets, grain and SLA targets shared by at least :data:`WORTH_FROM` team reports.

    >>> job = lambda team: {"parameters": {"team": team, "cache": "c", "period_end": "2025-06-01",
    ...                                    "kpis": None, "targets": {"fcr": 0.7}}}
    >>> worth_preparing([job("A"), job("B"), job("C")])
    [('c', '2025-06-01', ['A', 'B', 'C'], None, {'fcr': 0.7}, None, None, None)]
    >>> worth_preparing([job("A"), job("B")])
    []
    """
    groups: dict[tuple, list] = {}
    for job in jobs:
        p = job["parameters"]
        if p.get("team") is None or not p.get("cache"):
            continue
        said = json.dumps([p["cache"], p["period_end"], p.get("kpis"), p.get("targets"), p.get("period_start"),
                           p.get("grain"), p.get("sla")], sort_keys=True, default=str)
        groups.setdefault(said, [p, []])[1].append(p["team"])
    return [(p["cache"], p["period_end"], sorted(dict.fromkeys(teams)), p.get("kpis"), p.get("targets"),
             p.get("period_start"), p.get("grain"), p.get("sla"))
            for p, teams in groups.values() if len(set(teams)) >= WORTH_FROM]
