"""Load the batch's data once into a cache of Parquet files that every notebook reads its slice of.

The batch driver reads the raw source (demo store, file, DuckDB, SQL) once,
computes the KPI table once (weekly, the grain the control charts use), and
writes ``<output>/_cache/``:

- ``interactions.parquet``, ``surveys.parquet`` (the answers that rate an interaction
  of the data, with its ``team``, so a team's slice is one filter; the others are
  counted as ``summaries["surveys"]["rate_rejected"]`` when they rate an interaction
  rejected at load, else ``["unmatched"]``) — or ``aggregates.parquet``;
- ``kpis.parquet``: the KPI table of :func:`qoswb.metrics.kpis` (each report charts
  it as of its own period's end: :func:`qoswb.reports.views.charts_as_of`);
- ``rejected.parquet``: rows rejected at load (``table``, ``team``, ``source_row``, ``reason``): the team
  as mapped (:data:`qoswb.data.loaders.MAPPED`), a survey answer's its interaction's, null when unreadable;
- ``meta.json``: the load summaries, teams, first and last timestamps, and the
  key of what the cache was made from (:mod:`qoswb.reports.cachekey`: so
  ``--resume`` reuses a cache of the same data, never a stale one); database
  URLs in it have their passwords hidden.

A notebook then reads only its team's rows::

    from qoswb.reports import cache as rc
    tickets = rc.read(cache, "interactions", team=team)

>>> read("/no/such/cache", "interactions")
Traceback (most recent call last):
...
qoswb.errors.DataError: the batch cache /no/such/cache has no interactions table ...
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from qoswb.data.linking import link_surveys, rating_rejected
from qoswb.errors import DataError, ParameterError
from qoswb.redact import hide_passwords, safe_url
from qoswb.reports import cachekey

CACHE = "_cache"
TEMP_PREFIX = ".cache-"  # a build writes here first, then renames it to CACHE
KPI_FREQ = "W"  # control charts in the reports are weekly, whatever the report period


def meta(cache: str | Path) -> dict:
    """The cache's ``meta.json`` (summaries, teams, data range, key)."""
    path = Path(cache) / "meta.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"the batch cache {cache} has no readable meta.json ({exc})") from exc


def read(cache: str | Path, table: str, team: str | list | None = None, columns=None, between=None):
    """One cached table: only ``team``'s rows when given (a name, or a list of names); only the rows
    whose ``between[0]`` column is from ``between[1]`` (None: the first) to before ``between[2]``
    (None: the last) when given.

    The tables are sorted by team and time in row groups of 20,000 rows, so a team's month is read
    from a row group or two, not from the team's whole history, found from the file's statistics in
    a few milliseconds however many teams it holds (:mod:`qoswb.reports.slices`). Dates are taken in
    the column's own timezone.

    >>> read(cache, "kpis", team="Billing")   # doctest: +SKIP
    >>> read(cache, "interactions", team="Billing", between=("opened_at", "2025-05-01", "2025-06-01"))  # doctest: +SKIP
    """
    from qoswb.reports.slices import read_slice

    path = Path(cache) / f"{table}.parquet"
    if not path.exists():
        raise DataError(f"the batch cache {cache} has no {table} table ({path} is missing)")
    return read_slice(path, team=team, columns=columns, between=between)


def has(cache: str | Path | None, table: str) -> bool:
    """Whether the cache holds ``table`` (e.g. surveys or kpis may be absent)."""
    return cache is not None and (Path(cache) / f"{table}.parquet").exists()


def _load(data: dict):
    """(frames by name, load summaries, rejected rows) from the data specification."""
    import pandas as pd

    if data["source"] == "demo":
        from qoswb.data import demo_data

        demo = demo_data()
        frames = {"interactions": demo.interactions, "surveys": demo.surveys}
        summaries = {name: {"source": "demo", "rows_read": len(frame), "accepted": len(frame),
                            "rejected": 0, "rejected_by_reason": {}} for name, frame in frames.items()}
        return frames, summaries, {}
    import qoswb.data as qd

    source, mapping = data["source"], data.get("mapping")
    if source.startswith("dataset:"):  # a data set packaged with qoswb, with its own mapping
        name = source.split(":", 1)[1]
        source = qd.datasets.path(name)
        mapping = mapping or qd.datasets.mapping_path(name)
    options = {k: data[k] for k in ("table", "query", "timezone") if data.get(k)}
    loader = qd.load_aggregates if data["kind"] == "aggregates" else qd.load_interactions
    result = loader(source, mapping=mapping, **options)
    frames = {data["kind"]: result.data}
    summaries = {data["kind"]: result.summary}
    rejected = {data["kind"]: result.rejected}
    if data.get("surveys"):
        spec = data["surveys"]
        options = {k: spec[k] for k in ("table", "query", "timezone") if spec.get(k)}
        surveys = qd.load_surveys(spec["source"], mapping=spec.get("mapping"), **options)
        frames["surveys"] = surveys.data
        summaries["surveys"] = surveys.summary
        rejected["surveys"] = surveys.rejected
    return frames, summaries, rejected


def _whose(rejected: dict, frames: dict):
    """The rejected rows of every table in one frame (table, team, source_row, reason), each with
    its canonical team: an interaction's or aggregate's as mapped (whatever the source calls the
    column), a survey answer's its interaction's, accepted or rejected; None when nothing was rejected."""
    import pandas as pd

    from qoswb.data.linking import team_by_id

    parts = []
    for table, frame in rejected.items():
        if not len(frame):
            continue
        if table == "surveys":
            ids = frame["mapped_id"] if "mapped_id" in frame else pd.Series(index=frame.index, dtype="string")
            teams = team_by_id(frames.get("interactions", pd.DataFrame()), rejected.get("interactions"))
            team = teams.reindex(ids.astype("string").to_numpy()).to_numpy()
        else:
            team = frame["mapped_team"].to_numpy() if "mapped_team" in frame else None
        parts.append(pd.DataFrame({"table": table, "team": team, "source_row": frame["source_row"].to_numpy(),
                                   "reason": frame["reason"].to_numpy()}))
    if not parts:
        return None
    out = pd.concat(parts, ignore_index=True)
    out["team"] = out["team"].astype("str")  # one type, null where unreadable, for the Parquet file
    return out


def derived(frames: dict, kind: str, kpis: list | None = None, sla=None, origin: str | None = None) -> dict:
    """The KPI table of every team, computed once: ``{"kpis": ...}``, or ``{}`` when
    :mod:`qoswb.metrics` is not installed (templates then say so). ``sla``: the SLA targets;
    ``origin``: the parameters file that gave them, named in an error about them (a priority in
    ``sla:`` that the data does not have is only known once the data is read)."""
    try:
        from qoswb.metrics import kpis as compute
    except ImportError:
        return {}
    try:
        if kind == "aggregates":  # one KPI per file: the parameters' KPI name, when it gives one
            return {"kpis": compute(frames["aggregates"], kpis=kpis[0] if kpis and len(kpis) == 1 else None)}
        return {"kpis": compute(frames["interactions"], frames.get("surveys"), freq=KPI_FREQ, sla=sla)}
    except ParameterError as exc:
        if origin is None:
            raise
        raise ParameterError(f"{origin}: {exc}") from None


def build(data: dict, grain: str, output: str | Path, reuse: bool = False,
          kpis: list | None = None, notes: list | None = None, sla=None, origin: str | None = None) -> Path:
    """Load the data once and write the cache into ``output/_cache``; returns its path.

    With ``reuse``, a cache made from the same data (see :mod:`qoswb.reports.cachekey`)
    is kept as it is; when one is there but cannot be reused, why is added to ``notes``.
    ``origin``: the parameters file, named in an error about its ``kpis`` or ``sla``.
    """
    folder = Path(output) / CACHE
    # the SLA targets shape the cached KPIs; as JSON reads them back, so {1: 30} compares equal next run
    parts = dict(cachekey.parts(data, grain, kpis), sla=json.loads(json.dumps(sla, default=str)))
    if reuse and folder.exists():
        try:
            earlier = meta(folder)
        except DataError:
            earlier = {}
        reason = cachekey.why_rebuild(earlier.get("key_parts"), parts)
        if reason is None and earlier.get("key") == cachekey.key(parts):
            return folder
        if notes is not None:
            notes.append(f"data cache rebuilt: {reason or 'its key did not match'}")
    frames, summaries, rejected = _load(data)
    if any(value is None for name, value in parts.items() if name.endswith("source")):
        parts["read"] = cachekey.content_digest(frames)  # a database's data: the key covers what was read
    main = frames[data["kind"]]
    if "team" not in main.columns:
        raise DataError(f"{data['source']}: the data has no 'team' column after mapping")
    if main.empty:
        summary = summaries.get(data["kind"], {})
        raise DataError(f"{data['source']}: no {data['kind']} to report on ({summary.get('rows_read', 0)} "
                        f"row(s) read, {summary.get('rejected', 0)} rejected: see 'qoswb validate')")
    if "surveys" in frames and "interactions" in frames:  # answers rating no interaction: counted
        frames["surveys"], unmatched = link_surveys(frames["surveys"], frames["interactions"])
        of_rejected = int(rating_rejected(unmatched, rejected.get("interactions")).sum())
        summaries["surveys"]["unmatched"] = len(unmatched) - of_rejected  # rate no interaction at all
        summaries["surveys"]["rate_rejected"] = of_rejected  # rate an interaction rejected at load
    refused = _whose(rejected, frames)
    frames.update(derived(frames, data["kind"], kpis, sla, origin))
    kpis = frames.get("kpis")
    if refused is not None:
        frames["rejected"] = refused
    time_column = "period" if data["kind"] == "aggregates" else "opened_at"
    info = {"key": cachekey.key(parts), "key_parts": parts, "kind": data["kind"],
            "source": safe_url(data["source"]), "grain": grain,
            "chart_grain": None if kpis is None else ("week" if data["kind"] != "aggregates" else grain),
            "summaries": summaries,
            "teams": sorted(str(t) for t in main["team"].dropna().unique()),
            "first": str(main[time_column].min()), "last": str(main[time_column].max()),
            "tables": sorted(frames),
            # what each report states about the KPIs: the SLA targets used, and the KPIs left out and why
            "sla": None if kpis is None else kpis.attrs.get("sla"),
            "kpi_notes": [] if kpis is None else list(kpis.attrs.get("notes", [])),
            # the KPIs the table holds and their units, so a report need not read every team's rows
            "kpi_units": None if kpis is None else {str(k): u for k, u in
                                                    kpis.drop_duplicates("kpi")[["kpi", "unit"]].itertuples(index=False)},
            # what each report says about the figures it shows (rows they do not count)
            "kpi_caveats": [] if kpis is None else list(kpis.attrs.get("caveats", []))}
    folder.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(folder.parent)
    tmp = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=folder.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; the cache is as visible as the reports
    for name in ("interactions", "aggregates"):
        if name in frames:  # sorted by team: a team's slice is a few row groups, found by statistics
            frames[name] = frames[name].sort_values(["team", time_column], kind="stable")
    try:
        for name, frame in frames.items():
            frame.to_parquet(tmp / f"{name}.parquet", index=False, row_group_size=20_000)
        (tmp / "meta.json").write_text(hide_passwords(json.dumps(info, indent=1, default=str)), encoding="utf-8")
        if folder.exists():
            _remove_cache(folder)
        os.replace(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


def _own_files(folder: Path) -> bool:
    """Whether ``folder`` holds only files a cache build writes (Parquet tables, meta.json), and
    the charts a batch stored in it (:mod:`qoswb.reports.asof`)."""
    from qoswb.reports import asof

    entries = list(folder.iterdir())
    return all((p.is_file() and not p.is_symlink() and (p.suffix == ".parquet" or p.name == "meta.json"))
               or (p.name == asof.FOLDER and asof.owns(p)) for p in entries)


def _remove_cache(folder: Path) -> None:
    """Delete a cache qoswb wrote; anything else under the name is refused, untouched."""
    try:
        info = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        ours = folder.is_dir() and not folder.is_symlink() and isinstance(info, dict) and {"key", "tables"} <= set(info)
    except (OSError, ValueError):
        ours = False
    if not ours or not _own_files(folder):
        raise DataError(f"{folder}: not a data cache qoswb wrote (or it holds other files); "
                        "refusing to replace it: move it away or choose another output folder")
    shutil.rmtree(folder)


def remove_leftovers(output: Path) -> int:
    """Remove the temporary cache folders a killed build left in ``output``; returns how many.

    >>> remove_leftovers(Path("/no/such/folder"))
    0
    """
    count = 0
    for tmp in Path(output).glob(f"{TEMP_PREFIX}*"):
        if tmp.is_dir() and not tmp.is_symlink() and _own_files(tmp):
            shutil.rmtree(tmp)
            count += 1
    return count


def check_periods(info: dict, periods, origin: str = "parameters") -> None:
    """A ParameterError naming the periods in which the data has no day at all (before its first
    timestamp or after its last): their reports would only repeat older charts as if current.

    >>> from qoswb.reports.params import period
    >>> check_periods({"first": "2025-01-03 10:00", "last": "2025-03-31 23:00"}, [period("2025-04", "month")])
    Traceback (most recent call last):
    ...
    qoswb.errors.ParameterError: parameters: 'periods' has 2025-04, which the data does not reach (it runs from 2025-01-03 to 2025-03-31)
    """
    import pandas as pd

    if info.get("first") in (None, "NaT", "nan") or info.get("last") in (None, "NaT", "nan"):
        return
    first, last = (pd.Timestamp(info[k]) for k in ("first", "last"))
    first, last = ((t.tz_localize(None) if t.tzinfo else t).date().isoformat() for t in (first, last))
    outside = [p.label for p in periods if p.start > last or p.end <= first]
    if outside:
        raise ParameterError(f"{origin}: 'periods' has {', '.join(outside)}, which the data does not reach "
                             f"(it runs from {first} to {last})")


def last_periods(info: dict, grain: str, count: int, origin: str = "parameters"):
    """The ``count`` latest periods the data covers completely (the latest one first dropped
    when the data stops before its end).

    >>> [p.label for p in last_periods({"last": "2025-03-31 23:00"}, "month", 2)]
    ['2025-02', '2025-03']
    """
    import pandas as pd

    from qoswb.reports.params import period

    if info.get("last") in (None, "NaT", "nan"):
        raise ParameterError(f"{origin}: 'periods.last' needs data with dates, and the data has none")
    last = pd.Timestamp(info["last"])
    last_day = (last.tz_localize(None) if last.tzinfo else last).normalize()
    current = period(last_day.date().isoformat(), grain, origin)
    aggregates = info.get("kind") == "aggregates"  # a monthly row covers its whole month
    if not aggregates and (last_day + pd.Timedelta(days=1)).date().isoformat() < current.end:
        current = period((pd.Timestamp(current.start) - pd.Timedelta(days=1)).date().isoformat(),
                         grain, origin)
    out = [current]
    while len(out) < count:
        out.insert(0, period((pd.Timestamp(out[0].start) - pd.Timedelta(days=1)).date().isoformat(),
                             grain, origin))
    return out


def demo_cache() -> Path:
    """The cache of the demo data (made on first use, reused after), for templates' defaults.

    >>> cache = demo_cache()   # doctest: +SKIP
    """
    from qoswb.config import data_dir

    return build({"source": "demo", "kind": "interactions"}, "month", data_dir() / "demo-reports",
                 reuse=True)
