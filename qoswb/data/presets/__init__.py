"""Mappings shipped with qoswb for help desks' standard exports, one YAML file per export.

A preset is named wherever a mapping is taken (``mapping="zendesk"``,
``--mapping zendesk``, ``mapping: zendesk`` in a parameters file), or started
from with ``preset: zendesk`` and keys that override it. Each file's column
names are the vendor's documented export header.

>>> names()
['freshdesk', 'servicenow', 'zendesk']
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


def matching(header) -> list[str]:
    """The presets whose required columns are all in ``header`` (exact names)."""
    present = set(header)
    return [name for name in names() if set(required_columns(name)) <= present]
