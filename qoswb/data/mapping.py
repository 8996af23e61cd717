"""Mappings: how a user's export maps onto qoswb's canonical columns.

A mapping is a dict or a YAML file. It goes *canonical name: your column*::

    kind: interactions            # optional: which loader it is meant for
    columns:
      id: Case Number
      team: Assigned Group
      opened_at: Opened Date
      resolved_at: Closed Date
      category: {columns: [Type, Subtype], sep: " / "}   # several columns joined
      sla_minutes: {value: 480}                          # a constant
    formats:                      # strptime formats; without one, ISO 8601, dd/mm/yyyy or mm/dd/yyyy
                                  #   (24-hour or AM/PM) is recognised per column (qoswb.data.timeformats)
      opened_at: "%d/%m/%Y %H:%M"
      resolved_at: ["%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M"]   # several: each value takes the first that reads it
    timestamp_format: "%d/%m/%Y %H:%M"   # the default format for every timestamp
    timezone: Europe/London       # of naive timestamps (UTC when not given)
    timestamp_range: {from: 2015-01-01, until: 2030-12-31}   # plausible timestamps and periods;
                                  #   default: from 1990-01-01 until a year after today
    delimiter: ";"                # reading options: delimiter, encoding, decimal,
    encoding: latin-1             #   sheet (Excel), table or query (DuckDB, SQL), multiline
    multiline: true               # quoted CSV values hold line breaks, even lines that look like records
    events: {case: number, order: sys_updated_at}   # an event log: one row per change of a case,
                                  #   collapsed to one row per case (see qoswb.data.events)

In an event log a column takes its case's last event's value (by ``order``)
unless it says otherwise: ``opened_at: {column: opened_at, take: first}``
(``take``: last, first, min or max).

A column may also be ``{expr: "attendances - breaches"}``: arithmetic and
comparisons on numeric columns of the source and literals, nothing else (see
:mod:`qoswb.data.expressions`). A flat dict without ``columns`` (``{"id": "Case Number"}``)
is read as the column part alone. Canonical columns the mapping does not name are
found in the header by name, ignoring case, spaces and punctuation.

>>> from qoswb.data.mapping import read_mapping
>>> m = read_mapping({"id": "Case Number", "timezone": "Europe/London"})
>>> m.columns["id"], m.timezone
({'column': 'Case Number'}, 'Europe/London')
"""

from dataclasses import dataclass, field
from pathlib import Path

from qoswb.errors import ParameterError

READ_OPTIONS = ("delimiter", "encoding", "decimal", "sheet", "table", "query", "multiline")
TOP_KEYS = ("kind", "columns", "formats", "timestamp_format", "timezone", "timestamp_range", "description",
            "preset", "missing", "events", *READ_OPTIONS)
EARLIEST = "1990-01-01"  # default start of the plausible timestamps; the end is a year after today
DURATION_UNITS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}  # seconds in each
SPEC_KEYS = ("column", "columns", "sep", "expr", "value", "format", "values", "after", "take", *DURATION_UNITS)


@dataclass
class Mapping:
    """A parsed mapping: ``columns`` {canonical: spec dict}, ``formats``, ``timezone``, ``options``."""

    columns: dict = field(default_factory=dict)
    formats: dict = field(default_factory=dict)
    timestamp_format: str | None = None
    timezone: str | None = None
    options: dict = field(default_factory=dict)
    kind: str | None = None
    origin: str = "mapping"
    timestamp_range: dict = field(default_factory=dict)  # {"from": ..., "until": ...} as given
    missing: tuple = ()  # cell values that mean no value ("N/A", "-")
    events: object = None  # an event log's case and order (qoswb.data.events.EventLog), or None
    # canonical names whose spec is a shipped preset's, not the user's: an optional one whose
    # column is not in the header is left out (an account's export may lack it), not an error
    from_preset: frozenset = frozenset()

    def plausible(self):
        """(earliest, latest) plausible timestamp as naive UTC ``datetime`` objects.

        >>> Mapping(timestamp_range={"from": "2001-02-03"}).plausible()[0]
        datetime.datetime(2001, 2, 3, 0, 0)
        """
        import datetime as dt

        import pandas as pd

        defaults = {"from": pd.Timestamp(EARLIEST),
                    "until": pd.Timestamp.now("UTC").tz_localize(None) + pd.DateOffset(years=1)}
        bounds = []
        for key, default in defaults.items():
            value = self.timestamp_range.get(key)
            try:
                if value is not None and not isinstance(value, (str, dt.date)):  # 2015 is not a date
                    raise TypeError(value)
                stamp = default if value is None else pd.Timestamp(value)
            except (ValueError, TypeError, OverflowError) as exc:
                raise ParameterError(f"{self.origin}: timestamp_range {key} should be a date like "
                                     f"2024-01-31, not {value!r}") from exc
            if stamp.tzinfo is not None:
                stamp = stamp.tz_convert("UTC").tz_localize(None)
            bounds.append(stamp.to_pydatetime())
        if bounds[0] > bounds[1]:
            raise ParameterError(f"{self.origin}: timestamp_range from ({bounds[0]:%Y-%m-%d}) is after "
                                 f"until ({bounds[1]:%Y-%m-%d})")
        return tuple(bounds)

    def format_for(self, canonical: str):
        """The timestamp format of one canonical column (its own, else the default): a strptime
        format, a tuple of them tried in turn, or None (recognised from the values)."""
        spec = self.columns.get(canonical, {})
        return spec.get("format") or self.formats.get(canonical) or self.timestamp_format


def _did_you_mean(name: str, choices) -> str:
    from qoswb.data.columns import did_you_mean

    return did_you_mean(name, choices)


def _spec(name: str, value, origin: str) -> dict:
    """One column's spec as a dict with exactly one of column/columns/expr/value."""
    if isinstance(value, str):
        return {"column": value}
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return {"columns": value, "sep": " "}
    if isinstance(value, dict):
        unknown = sorted(set(value) - set(SPEC_KEYS))
        ways = [k for k in ("column", "columns", "expr", "value", *DURATION_UNITS) if k in value]
        if unknown or len(ways) != 1:
            raise ParameterError(
                f"{origin}: column '{name}' must give exactly one of column, columns, expr, value, "
                f"or a duration ({', '.join(DURATION_UNITS)}) with after"
                + (f" (unknown keys: {', '.join(unknown)}){_did_you_mean(unknown[0], SPEC_KEYS)}" if unknown
                   else f" (got {ways or 'none'})"))
        spec = dict(value)
        if (ways[0] in DURATION_UNITS) != ("after" in spec):
            raise ParameterError(f"{origin}: column '{name}': a duration ({ways[0]}) needs after, the "
                                 f"timestamp it counts from, e.g. {{after: opened_at, minutes: \"Reply time\"}}"
                                 if "after" not in spec else
                                 f"{origin}: column '{name}': after goes with a duration column "
                                 f"({', '.join(DURATION_UNITS)}), e.g. {{after: opened_at, minutes: \"Reply time\"}}")
        if "values" in spec:
            from qoswb.data.recode import check_values

            if ways[0] != "column":
                raise ParameterError(f"{origin}: column '{name}': values (a recode) goes with column")
            spec["values"] = check_values(spec["values"], f"{origin}: column '{name}'")
        if "take" in spec:
            from qoswb.data.events import check_take

            check_take(spec["take"], f"{origin}: column '{name}'")
        if "columns" in spec:
            spec.setdefault("sep", " ")
        if "expr" in spec:  # checked now, so a bad one stops before any data is read
            from qoswb.data.expressions import parse

            try:
                parse(spec["expr"], name)
            except ParameterError as exc:
                raise ParameterError(f"{origin}: {exc}") from None
        return spec
    raise ParameterError(f"{origin}: column '{name}' should be a column name, a list of names "
                         f"or a dict, not {value!r}")


def read_mapping(mapping=None, setting: str = "mapping") -> Mapping:
    """Read a mapping from None, a dict, a YAML file path, a preset's name or a :class:`Mapping`.

    Raises :class:`~qoswb.errors.ParameterError` naming the key that is wrong; ``setting``
    names where the mapping was given (``--mapping`` on the command line), for a file that is not there.

    >>> read_mapping(None).columns
    {}
    >>> read_mapping({"columns": {"team": ["org", "type"]}}).columns["team"]
    {'columns': ['org', 'type'], 'sep': ' '}
    """
    if mapping is None:
        return Mapping()
    if isinstance(mapping, Mapping):
        return mapping
    origin = "mapping"
    from qoswb.data import presets

    from_preset: frozenset = frozenset()
    if presets.is_preset_name(mapping) and not Path(mapping).exists():  # a bare name: a shipped preset
        origin, mapping = f"preset {mapping}", presets.load(mapping)
        from_preset = frozenset(mapping.get("columns") or {})
    elif isinstance(mapping, (str, Path)):
        origin = str(mapping)
        mapping = _read_yaml(Path(mapping), setting)
    if not isinstance(mapping, dict):
        raise ParameterError(f"{origin}: a mapping is a dict (or YAML mapping), not {type(mapping).__name__}")
    raw = dict(mapping)
    if "columns" not in raw:  # flat form: everything but the known top-level keys is a column
        from qoswb.data.schema import SCHEMAS

        canonical = {name for schema in SCHEMAS.values() for name in schema}
        for key in raw:
            hint = _did_you_mean(str(key), TOP_KEYS) if key not in TOP_KEYS and key not in canonical else ""
            if hint:  # a misspelt setting, not a column
                raise ParameterError(f"{origin}: unknown key {key}{hint}")
        raw = {"columns": {k: v for k, v in raw.items() if k not in TOP_KEYS},
               **{k: v for k, v in raw.items() if k in TOP_KEYS}}
    if "preset" in raw:  # start from a shipped preset; the keys given override it
        raw, from_preset = _over_preset(raw, origin)
    unknown = sorted(set(raw) - set(TOP_KEYS))
    if unknown:
        raise ParameterError(f"{origin}: unknown key(s) {', '.join(unknown)}{_did_you_mean(unknown[0], TOP_KEYS)}; "
                             f"expected some of {', '.join(TOP_KEYS)}")
    columns = raw.get("columns") or {}
    formats = raw.get("formats") or {}
    for key, value in (("columns", columns), ("formats", formats)):
        if not isinstance(value, dict):
            raise ParameterError(f"{origin}: '{key}' should be a mapping of canonical names")
    timestamp_range = raw.get("timestamp_range") or {}
    if not isinstance(timestamp_range, dict) or set(timestamp_range) - {"from", "until"}:
        raise ParameterError(f"{origin}: 'timestamp_range' should be a mapping with from and/or until, "
                             f"e.g. {{from: 2015-01-01, until: 2030-12-31}}, not {timestamp_range!r}")
    specs = {name: _spec(name, value, origin) for name, value in columns.items()}
    from qoswb.data.timeformats import check_format

    formats = {name: check_format(fmt, f"{origin}: formats: {name}") for name, fmt in formats.items()}
    for name, spec in specs.items():
        if "format" in spec:
            spec["format"] = check_format(spec["format"], f"{origin}: column '{name}': format")
    timestamp_format = raw.get("timestamp_format")
    if timestamp_format is not None:
        timestamp_format = check_format(timestamp_format, f"{origin}: timestamp_format")
    events = None
    if raw.get("events") is not None:
        from qoswb.data.events import read_events

        events = read_events(raw["events"], origin)
    taking = [name for name, spec in specs.items() if "take" in spec]
    if taking and events is None:
        raise ParameterError(f"{origin}: column '{taking[0]}': take goes with an event log "
                             f"(events: {{case: ..., order: ...}})")
    return Mapping(
        columns=specs,
        formats=formats,
        timestamp_format=timestamp_format,
        timezone=raw.get("timezone"),
        options={k: raw[k] for k in READ_OPTIONS if k in raw},
        kind=raw.get("kind"),
        origin=origin,
        timestamp_range=dict(timestamp_range),
        missing=_missing(raw.get("missing"), origin),
        events=events,
        from_preset=from_preset,
    )


def _over_preset(raw: dict, origin: str) -> tuple[dict, frozenset]:
    """``raw`` laid over the preset it names: its columns replace the preset's one by one,
    its other keys replace the preset's; and the canonical names still the preset's."""
    from qoswb.data import presets

    name = raw["preset"]
    if not presets.is_preset_name(name):
        raise ParameterError(f"{origin}: preset should be the name of a shipped preset "
                             f"({', '.join(presets.names())}), not {name!r}")
    base = presets.load(name)
    own = {k: v for k, v in raw.items() if k != "preset"}
    columns = own.pop("columns", {}) or {}
    if not isinstance(columns, dict):
        raise ParameterError(f"{origin}: 'columns' should be a mapping of canonical names")
    kept = frozenset(base.get("columns", {})) - set(columns)
    return {**base, **own, "columns": {**base.get("columns", {}), **columns}}, kept


def _missing(values, origin: str) -> tuple:
    """The ``missing`` list: cell values (compared without surrounding spaces) that mean no value."""
    if values is None:
        return ()
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list) or not all(isinstance(v, (str, int, float)) for v in values):
        raise ParameterError(f"{origin}: missing should be a list of cell values, e.g. [\"?\", \"N/A\", \"-\"], "
                             f"not {values!r}")
    return tuple(str(v).strip() for v in values)


def _read_yaml(path: Path, setting: str = "mapping") -> dict:
    import yaml

    from qoswb.yamlsafe import safe_load

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        from qoswb.data import presets

        here = path.parent if path.parent.is_dir() else None
        near = [str(path.parent / p.name) if str(path.parent) != "." else p.name
                for p in (here.iterdir() if here else []) if p.suffix in (".yaml", ".yml")]
        raise ParameterError(f"{setting}: no mapping file {path}{_did_you_mean(str(path), [*near, *presets.names()])}; "
                             f"a mapping is a YAML file or a preset's name ({', '.join(presets.names())})") from exc
    except OSError as exc:
        raise ParameterError(f"cannot read mapping file {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ParameterError(f"mapping file {path} is not UTF-8 text (byte {exc.start:,}); "
                             "is it the mapping (YAML)?") from exc
    try:
        return safe_load(text, origin=f"mapping file {path}") or {}  # aliases bounded
    except yaml.YAMLError as exc:
        raise ParameterError(f"mapping file {path} is not valid YAML: {exc}") from exc
