"""Read and check a batch parameters file (YAML) into a :class:`BatchParameters`.

A parameters file says which templates to run, on which data, for which teams
and periods, with which KPIs and targets, and where to write the reports::

    templates: [team_report, portfolio_report]   # names in templates/, or paths
    data:
      source: demo            # or dataset:NAME, a CSV/Parquet/Excel path, a DuckDB file, a SQLAlchemy URL
      kind: interactions      # or aggregates
      table: tickets          # DuckDB/SQL: a table ...
      query: null             # ... or a query
      mapping: {}             # user's columns -> canonical ones (dict or YAML path)
    teams: all                # or a list of team names
    periods: {last: 3, grain: month}   # or a list, or {start: .., end: .., grain: ..}
    kpis: [volume, sla_response, first_response_median, csat]
    targets: {sla_response: 0.9}
    sla: {first_response: 60, resolution: {P1: 240, P2: 480}}   # SLA targets in minutes
    output: ../reports/demo
    preload: [pandas, matplotlib.pyplot]   # imported once per worker, before the jobs arrive

Relative paths (data, mapping, templates given as paths, output) are read from
the folder of the parameters file, so a batch runs the same from anywhere.
Every mistake is a :class:`~qoswb.errors.ParameterError` naming the key and
what was expected. Names are strict at every level: an unknown key (top level,
``data``, ``data.surveys``, ``periods``, a template entry), KPI name, target,
SLA clock or template is refused with a did-you-mean, never ignored. For
interactions, KPI names are those of :mod:`qoswb.metrics.registry`; for
aggregates they name the data's own measure. Targets are for the KPIs the
batch reports, and a proportion's target is a share between 0 and 1.

``sla`` sets the SLA targets of the two clocks (minutes; see
:func:`qoswb.metrics.inputs.sla_targets`): one number for both, or per clock
``{first_response: .., resolution: ..}``, each a number or per priority
``{P1: 240, ...}``.
Without it, each interaction's own ``sla_minutes`` is the target of both.

>>> p = parse({"templates": ["team_report"], "teams": ["North"],
...            "periods": ["2025-03"], "output": "/tmp/out"}, origin="example")
>>> p.teams, p.periods[0].label, p.grain
(['North'], '2025-03', 'month')
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

from qoswb import grains
from qoswb.errors import ParameterError, did_you_mean

# the grains a report batch runs by (qoswb.grains: name -> code)
GRAINS = {g.name: g.freq for g in grains.GRAINS.values() if g.reports}
KEYS = {"templates", "template", "data", "teams", "periods", "grain", "kpis", "targets", "sla",
        "output", "timeout", "workers", "retries", "title", "preload"}
# modules nearly every report imports: loaded in each kernel while it waits for its job
DEFAULT_PRELOAD = ["pandas", "pyarrow.parquet", "matplotlib.pyplot", "qoswb.reports.views"]  # the templates' stack
DATA_KEYS = {"source", "kind", "table", "query", "mapping", "surveys", "timezone"}
DATA_KINDS = {"interactions", "aggregates"}
PERIOD_KEYS = {"grain", "last", "start", "end"}
TEMPLATE_KEYS = {"notebook", "per"}


@dataclasses.dataclass(frozen=True)
class Period:
    """One reporting period: a label for humans and file names, and its bounds.

    ``start`` is inclusive and ``end`` exclusive, both ISO dates.

    >>> period("2025-03", "month")
    Period(label='2025-03', start='2025-03-01', end='2025-04-01')
    """

    label: str
    start: str
    end: str


@dataclasses.dataclass(frozen=True)
class Template:
    """A template notebook and what one job of it covers: one ``team`` or the whole portfolio."""

    name: str
    path: Path
    per: str  # "team" or "portfolio"


@dataclasses.dataclass
class BatchParameters:
    """A checked parameters file. ``periods`` is None while it depends on the data (``last:``)."""

    origin: str
    templates: list[Template]
    data: dict | None
    teams: list[str] | str  # "all" until the data says which teams exist
    periods: list[Period] | None
    grain: str
    last: int | None
    kpis: list[str] | None
    targets: dict[str, float]
    output: Path
    sla: Any = None  # SLA targets as kpis(sla=...) takes them; None: the rows' sla_minutes
    timeout: float | None = None
    workers: int | None = None
    retries: int = 2
    title: str = "Service reports"
    preload: list[str] = dataclasses.field(default_factory=lambda: list(DEFAULT_PRELOAD))


def _fail(origin: str, key: str, expected: str, got: Any = dataclasses.MISSING) -> ParameterError:
    shown = "" if got is dataclasses.MISSING else f", got {got!r}"
    return ParameterError(f"{origin}: '{key}' must be {expected}{shown}")


def _only_known(origin: str, raw: dict, known, where: str = "") -> None:
    """Refuse the first key of ``raw`` not in ``known``, with a did-you-mean."""
    for key in raw:
        if key not in known:
            raise ParameterError(f"{origin}: '{where}{key}' is not a known key"
                                 f"{did_you_mean(str(key), sorted(known))}")


def period(value: Any, grain: str, origin: str = "parameters", key: str = "periods") -> Period:
    """Turn a period written by a user ('2025-03', '2025Q1', '2025-W10', a date) into a Period.

    >>> period("2025-Q1", "quarter").end
    '2025-04-01'
    >>> period("2025-03-12", "week").label
    '2025-W11'
    """
    import pandas as pd

    text = str(value).strip()
    try:
        if grain == "week" and "-W" in text.upper():
            year, week = text.upper().split("-W")
            start = pd.Timestamp.fromisocalendar(int(year), int(week), 1)
        else:
            start = pd.Period(text.replace("-Q", "Q"), freq=GRAINS[grain]).start_time
    except (ValueError, TypeError, KeyError) as exc:
        raise _fail(origin, key, f"periods written for the grain {grain!r} "
                    "(e.g. 2025-03, 2025-Q1, 2025-W10 or a date)", value) from exc
    if grain == "week":
        start = (start - pd.Timedelta(days=start.weekday())).normalize()
        iso = start.isocalendar()
        label, end = f"{iso[0]}-W{iso[1]:02d}", start + pd.Timedelta(days=7)
    else:
        p = pd.Period(start, freq=GRAINS[grain])
        label = str(p) if grain == "month" else f"{p.year}-Q{p.quarter}"
        end = (p + 1).start_time
    return Period(label, start.date().isoformat(), end.date().isoformat())


def period_range(start: Any, end: Any, grain: str, origin: str = "parameters") -> list[Period]:
    """Every period from the one holding ``start`` to the one holding ``end``, inclusive.

    >>> [p.label for p in period_range("2025-01", "2025-03", "month")]
    ['2025-01', '2025-02', '2025-03']
    """
    first, last = period(start, grain, origin, "periods.start"), period(end, grain, origin, "periods.end")
    if first.start > last.start:
        raise _fail(origin, "periods", "a range whose start comes before its end",
                    {"start": start, "end": end})
    out = [first]
    while out[-1].start < last.start:
        out.append(period(out[-1].end, grain, origin))
    return out


def _templates(raw: Any, origin: str, base: Path) -> list[Template]:
    items = raw if isinstance(raw, list) else [raw]
    if not items or raw is None:
        raise _fail(origin, "templates", "a template name or a list of them", raw)
    out = []
    for item in items:
        entry = item if isinstance(item, dict) else {"notebook": item}
        _only_known(origin, entry, TEMPLATE_KEYS, "templates.")
        if not isinstance(entry.get("notebook"), str) or not entry["notebook"]:
            raise _fail(origin, "templates", "names such as 'team_report', paths to .ipynb "
                        "files, or {notebook: NAME, per: team|portfolio}", item)
        path = find_template(entry["notebook"], base, origin)
        per = entry.get("per") or template_scope(path)
        if per not in {"team", "portfolio"}:
            raise _fail(origin, "templates.per", "'team' or 'portfolio'", per)
        out.append(Template(path.stem, path, per))
    names = [t.name for t in out]
    if len(set(names)) != len(names):
        raise _fail(origin, "templates", "templates with distinct names", names)
    return out


def find_template(name: str, base: Path, origin: str = "parameters") -> Path:
    """A template path: a path relative to the parameters file, or a name looked up in
    ``templates/`` beside the parameters file, then among the templates that come with qoswb
    (an installed wheel's ``qoswb/reports/templates/``, else the checkout's ``templates/``).

    >>> find_template("team_report", Path("/nowhere")).parent.name
    'templates'
    """
    from qoswb.reports.bundled import places

    file = f"{name}.ipynb"
    candidates = [base / name] if name.endswith(".ipynb") else [
        base / "templates" / file, *(place / file for place in places("templates"))]
    for path in candidates:
        if path.is_file():
            return path.resolve()
    folders = {c.parent for c in candidates if c.parent.is_dir()}
    found = sorted({f.stem if not name.endswith(".ipynb") else f.name for d in folders for f in d.glob("*.ipynb")})
    near = did_you_mean(name, found) if found else ""
    raise ParameterError(f"{origin}: 'templates' must be a notebook that exists: no {name!r}{near} "
                         f"(looked in {', '.join(str(c.parent) for c in candidates)})")


def template_scope(path: Path) -> str:
    """'team' when the template's parameters cell sets ``team``, else 'portfolio'."""
    import json
    import re

    cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    for cell in cells:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            source = "".join(cell.get("source", ""))
            return "team" if re.search(r"^team\s*[:=]", source, re.M) else "portfolio"
    raise ParameterError(f"template {path}: no cell tagged 'parameters'")


def _is_preset(mapping: str, base: Path) -> bool:
    """A bare name (``mapping: zendesk``) that is no file beside the parameters: a shipped preset."""
    from qoswb.data import presets

    return presets.is_preset_name(mapping) and not (base / mapping).exists()


def _data(raw: Any, origin: str, base: Path, where: str = "data") -> dict | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        raw = {"source": raw}
    if isinstance(raw, dict):
        _only_known(origin, raw, DATA_KEYS - ({"surveys", "kind"} if where != "data" else set()), f"{where}.")
    if not isinstance(raw, dict) or not raw.get("source"):
        raise _fail(origin, where, "a source ('demo', a path, a DuckDB file or a SQLAlchemy "
                    "URL) or a mapping with 'source'", raw)
    data = dict(raw)
    data.setdefault("kind", "interactions")
    if data["kind"] not in DATA_KINDS:
        raise _fail(origin, "data.kind", " or ".join(sorted(DATA_KINDS)), data["kind"])
    if data.get("table") and data.get("query"):
        raise _fail(origin, "data", "either 'table' or 'query', not both")
    for key in ("mapping",):
        if data.get(key) is not None and not isinstance(data[key], (dict, str)):
            raise _fail(origin, f"data.{key}", "a dict of column names or a path to a YAML file",
                        data[key])
    data["source"] = resolve_source(data["source"], base)
    if isinstance(data.get("mapping"), str) and not _is_preset(data["mapping"], base):
        data["mapping"] = str((base / data["mapping"]).resolve())
    if data.get("surveys") is not None:
        surveys = _data(data["surveys"], origin, base, where="data.surveys")
        surveys.pop("kind", None)
        data["surveys"] = surveys
    return data


def check_files(params: "BatchParameters") -> None:
    """Refuse a data source or mapping file that is not there, or a mapping that cannot be read,
    before a batch writes anything: the message names the key and the nearest file name in its
    folder (``csat.cvs`` for ``csat.csv``). Parsing stays free of the file system; running checks it."""
    data = params.data or {}
    for where, spec in (("data", data), ("data.surveys", data.get("surveys") or {})):
        for key in ("source", "mapping"):
            value = spec.get(key)
            # a mapping file's path was made absolute when parsed; a preset's name was not
            if isinstance(value, str) and (key == "source" or Path(value).is_absolute()):
                _must_exist(params.origin, f"{where}.{key}", value)
        if spec.get("mapping") is not None:  # a mapping's own mistakes (a bad format) before anything is written
            from qoswb.data.mapping import read_mapping

            read_mapping(spec["mapping"], setting=f"{params.origin}: '{where}.mapping'")


def _must_exist(origin: str, key: str, resolved: str) -> None:
    path = Path(resolved)
    if not is_path(resolved) or path.exists():
        return
    from qoswb.data.columns import did_you_mean as close_to  # only a close name, never the listing

    nearby = sorted(p.name for p in path.parent.iterdir()) if path.parent.is_dir() else []
    raise ParameterError(f"{origin}: '{key}': no file {path.name!r} in {path.parent}"
                         f"{close_to(path.name, nearby)}")


def is_path(source: str) -> bool:
    """Whether a source names a file: not 'demo', 'dataset:NAME' nor a URL (has '://')."""
    return not (source == "demo" or "://" in source or source.startswith("dataset:"))


def resolve_source(source: Any, base: Path) -> str:
    """'demo', 'dataset:NAME' (a data set packaged with qoswb), a URL (has '://') as given,
    or a path made absolute from the parameters folder."""
    text = str(source)
    if not is_path(text):
        return text
    return str((base / text).resolve())


def _periods(raw: Any, grain: str, origin: str) -> tuple[list[Period] | None, str, int | None]:
    if isinstance(raw, dict):
        _only_known(origin, raw, PERIOD_KEYS, "periods.")
        if "last" in raw and ("start" in raw or "end" in raw):
            raise _fail(origin, "periods", "either {last: N} or {start: .., end: ..}, not both", raw)
        grain = raw.get("grain", grain)
        if grain not in GRAINS:
            raise _fail(origin, "periods.grain", " or ".join(GRAINS), grain)
        if "last" in raw:
            last = raw["last"]
            if not isinstance(last, int) or isinstance(last, bool) or last < 1:
                raise _fail(origin, "periods.last", "a whole number of periods, 1 or more", last)
            return None, grain, last
        if "start" not in raw or "end" not in raw:
            raise _fail(origin, "periods", "a list, {start: .., end: .., grain: ..} "
                        "or {last: N, grain: ..}", raw)
        return period_range(raw["start"], raw["end"], grain, origin), grain, None
    if grain not in GRAINS:
        raise _fail(origin, "grain", " or ".join(GRAINS), grain)
    if isinstance(raw, (str, int)) and not isinstance(raw, bool):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        raise _fail(origin, "periods", "a list of periods, {start: .., end: .., grain: ..} "
                    "or {last: N, grain: ..}", raw)
    periods = [period(p, grain, origin) for p in raw]
    labels = [p.label for p in periods]
    if len(set(labels)) != len(labels):
        raise _fail(origin, "periods", "distinct periods", labels)
    return periods, grain, None


def _number(raw: dict, key: str, origin: str, kind=float, minimum=0):
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= minimum:
        raise _fail(origin, key, f"a number above {minimum}", value)
    return kind(value)


def _kpis(raw: Any, kind: str, origin: str) -> list[str] | None:
    """The KPI names; for interactions each must be registered (did-you-mean otherwise)."""
    if raw is None:
        return None
    if not (isinstance(raw, list) and raw and all(isinstance(k, str) for k in raw)):
        raise _fail(origin, "kpis", "a list of KPI names", raw)
    if kind == "interactions":
        from qoswb.metrics.registry import kpi_info

        for name in raw:
            try:
                kpi_info(name)
            except ParameterError as exc:
                raise ParameterError(f"{origin}: 'kpis': {exc}") from None
    return list(dict.fromkeys(raw))


def _targets(raw: Any, kpis: list[str] | None, kind: str, origin: str) -> dict[str, float]:
    """KPI -> target, for KPIs the batch reports; proportions' targets are shares in [0, 1]."""
    from qoswb.metrics.registry import KPIS

    if raw is None:
        return {}
    if not isinstance(raw, dict) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in raw.values()):
        raise _fail(origin, "targets", "a mapping of KPI name to a number", raw)
    reported = kpis if kpis is not None else (list(KPIS.index) if kind == "interactions" else None)
    for name, value in raw.items():
        if reported is not None and name not in reported:
            raise ParameterError(f"{origin}: 'targets.{name}' is not a KPI of this batch"
                                 f"{did_you_mean(str(name), reported)}")
        proportion = KPIS.loc[name, "unit"] == "proportion" if name in KPIS.index else kind == "aggregates"
        if proportion and not 0 <= value <= 1:
            raise _fail(origin, f"targets.{name}", "a share between 0 and 1 (0.9 for 90 %)", value)
    return {k: float(v) for k, v in raw.items()}


def _sla(raw: Any, origin: str):
    """SLA targets as kpis(sla=...) takes them: minutes, or per clock, or per priority; all positive."""
    from qoswb.metrics.inputs import _CLOCK_ALIASES, SLA_CLOCKS, split_sla

    if raw is None:
        return None
    if isinstance(raw, dict):  # in a file, per-priority targets go under a clock: a misspelt clock is never a priority
        _only_known(origin, {_CLOCK_ALIASES.get(k, k): v for k, v in raw.items()}, SLA_CLOCKS, "sla.")
    try:
        clocks = split_sla(raw)
    except ParameterError as exc:
        raise ParameterError(f"{origin}: {exc}") from None
    expected = "minutes (a number above 0), {priority: minutes} or a column name (sla_minutes)"
    for clock, spec in clocks.items():
        values = list(spec.values()) if isinstance(spec, dict) else [spec]
        if spec is None or (isinstance(spec, dict) and not spec) or not (isinstance(spec, str) or all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in values)):
            key = "sla" if raw is not clocks and not isinstance(raw, dict) else f"sla.{clock}"
            raise _fail(origin, key, expected, spec)
    return raw


def parse(raw: Any, origin: str = "parameters", base: Path | str = ".") -> BatchParameters:
    """Check a parameters mapping (as read from YAML) and return :class:`BatchParameters`."""
    base = Path(base).resolve()
    if not isinstance(raw, dict):
        raise ParameterError(f"{origin}: expected a mapping of keys (templates, data, teams, "
                             f"periods, output, ...), got {type(raw).__name__}")
    _only_known(origin, raw, KEYS)
    if "templates" in raw and "template" in raw:
        raise _fail(origin, "templates", "given once ('template' or 'templates', not both)")
    templates = _templates(raw.get("templates", raw.get("template")), origin, base)
    data = _data(raw.get("data"), origin, base)
    teams = raw.get("teams", "all")
    if teams == "all":
        if data is None:
            raise _fail(origin, "teams", "a list of teams when no 'data' is given", teams)
    elif not (isinstance(teams, list) and teams
              and all(isinstance(t, (str, int)) and str(t).strip() for t in teams)):
        raise _fail(origin, "teams", "'all' or a non-empty list of team names", teams)
    else:
        teams = list(dict.fromkeys(str(t) for t in teams))
    periods, grain, last = _periods(raw.get("periods"), raw.get("grain", "month"), origin)
    if last is not None and data is None:
        raise _fail(origin, "periods", "a list or a range when no 'data' is given", raw["periods"])
    kind = data["kind"] if data else "interactions"
    kpis = _kpis(raw.get("kpis"), kind, origin)
    targets = _targets(raw.get("targets"), kpis, kind, origin)
    sla = _sla(raw.get("sla"), origin)
    output = raw.get("output")
    if not isinstance(output, str) or not output.strip():
        raise _fail(origin, "output", "a folder path for the reports", output)
    retries = raw.get("retries", 2)
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise _fail(origin, "retries", "a whole number, 0 or more", retries)
    preload = _preload(raw.get("preload", DEFAULT_PRELOAD), origin)
    return BatchParameters(
        origin=origin, templates=templates, data=data, teams=teams, periods=periods,
        grain=grain, last=last, kpis=kpis, targets=targets, sla=sla,
        output=(base / output).resolve(), timeout=_number(raw, "timeout", origin),
        workers=_number(raw, "workers", origin, int), retries=retries,
        title=str(raw.get("title", "Service reports")), preload=list(preload))


def _preload(preload, origin: str) -> list[str]:
    """The ``preload`` list: names of modules that can be imported here (none is imported now)."""
    from qoswb.reports.modules import missing_module

    if not isinstance(preload, list) or not all(
            isinstance(m, str) and re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*", m) for m in preload):
        raise _fail(origin, "preload", "a list of module names to import in each kernel ahead "
                    "of its job (e.g. [pandas, matplotlib.pyplot])", preload)
    for name in preload:
        missing = missing_module(name)
        if missing is not None:
            part, beside = missing
            suggestion = did_you_mean(part, beside, known=False)
            raise ParameterError(f"{origin}: 'preload' names {name!r}, but no module {part!r} can be "
                                 f"imported{suggestion}")
    return list(preload)


def load(path: str | Path) -> BatchParameters:
    """Read a parameters YAML file and check it.

    >>> load("no/such/file.yaml")
    Traceback (most recent call last):
    ...
    qoswb.errors.ParameterError: no/such/file.yaml: cannot read the parameters file (...)
    """
    import yaml

    from qoswb.yamlsafe import safe_load

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ParameterError(f"{path}: cannot read the parameters file ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise ParameterError(f"{path}: the parameters file is not UTF-8 text (byte {exc.start:,})") from exc
    try:
        raw = safe_load(text, origin=str(path))  # refuses alias bombs
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ParameterError(f"{path}: not valid YAML{where}: "
                             f"{getattr(exc, 'problem', exc)}") from exc
    return parse(raw, origin=str(path), base=path.parent)
