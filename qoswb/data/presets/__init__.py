"""Mappings shipped with qoswb for help desks' standard exports, one YAML file per export.

A preset is named wherever a mapping is taken (``mapping="zendesk"``,
``--mapping zendesk``, ``mapping: zendesk`` in a parameters file), or started
from with ``preset: zendesk`` and keys that override it. Each file's column
names are the vendor's documented export header. ``servicenow_events`` reads an
event log (one row per update of an incident, see :mod:`qoswb.data.events`).

>>> names()
['freshdesk', 'servicenow', 'servicenow_events', 'zendesk']
>>> load("zendesk")["columns"]["team"]
'Group'
>>> matching(["Id", "Subject", "Group", "Created at", "Solved at"])
['zendesk']
"""

import functools
from importlib import resources

from qoswb.errors import ParameterError


@functools.cache
def names() -> list[str]:
    """The shipped presets, by name."""
    return sorted(f.name.removesuffix(".yaml") for f in resources.files(__package__).iterdir()
                  if f.name.endswith(".yaml"))


def is_preset_name(text) -> bool:
    """Whether ``text`` is written like a preset's name (a bare word, not a file path)."""
    return isinstance(text, str) and text.isidentifier()


def load(name: str) -> dict:
    """The preset's mapping as a dict (a fresh copy: callers may change it)."""
    import copy

    from qoswb.data.columns import did_you_mean

    if name not in names():
        raise ParameterError(f"unknown mapping preset {name!r}{did_you_mean(name, names())}; "
                             f"presets: {', '.join(names())} (or give a YAML file's path)")
    return copy.deepcopy(_read(name))


@functools.cache
def _read(name: str) -> dict:
    from qoswb.yamlsafe import safe_load

    text = resources.files(__package__).joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    return safe_load(text, origin=f"preset {name}")


def required_columns(name: str) -> list[str]:
    """The header names a file needs for the preset to load it (those of id, team, opened_at)."""
    from qoswb.data.schema import required

    columns = _read(name)["columns"]
    return [columns[c] for c in required("interactions") if isinstance(columns.get(c), str)]


@functools.cache
def _columns_read(name: str) -> frozenset:
    """Every header name the preset reads: its columns' and its event log's."""
    from qoswb.data.columns import references
    from qoswb.data.mapping import read_mapping

    m = read_mapping(name)
    read = {ref for canonical, spec in m.columns.items() for ref in references(spec, [], canonical)}
    return frozenset(read | (events_columns(name)))


def events_columns(name: str) -> set:
    """The header names an event-log preset needs to order its events (case and order columns)."""
    log = _read(name).get("events")
    if not log:
        return set()
    order = log.get("order")
    return {c for c in (log.get("case"), *([order] if isinstance(order, str) else order)) if c}


def matching(header) -> list[str]:
    """The presets whose required columns (and, for an event log, its case and order columns) are
    all in ``header`` (exact names), the one that reads most of the header first."""
    present = set(header)
    fits = [name for name in names() if set(required_columns(name)) | events_columns(name) <= present]
    return sorted(fits, key=lambda name: -len(_columns_read(name) & present))
