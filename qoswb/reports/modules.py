"""Whether a module name (``preload:``) names a module that can be imported, without importing it.

Importing ``pyarrow.parquet`` to check it would cost the batch driver what the
fork server is there to save; instead the name is followed down the import
system's finders (a package's folder, then the submodule in it), and a name that
leads nowhere gets the closest existing names for a did-you-mean.

>>> missing_module("json.decoder") is None
True
>>> part, beside = missing_module("jsn.decoder")
>>> part, "json" in beside
('jsn', True)
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import pkgutil
import sys


def missing_module(name: str) -> tuple[str, list[str]] | None:
    """None if ``name`` can be imported; else the first part of it that cannot
    (``pandas.nope`` for ``pandas.nope.x``) and the names beside it (for a did-you-mean)."""
    if name in sys.modules:  # loaded already (os.path: a module set by its parent, not found below it)
        return None
    parts = name.split(".")
    locations = None  # the top level: sys.path
    for depth in range(1, len(parts) + 1):
        here = ".".join(parts[:depth])
        if here in sys.modules:
            spec = getattr(sys.modules[here], "__spec__", None)
        elif depth == 1 and here in sys.builtin_module_names:
            spec = importlib.machinery.BuiltinImporter.find_spec(here)
        else:
            spec = importlib.machinery.PathFinder.find_spec(here, locations)
        if spec is None and depth > 1:
            spec = _found_by_import(here)  # a package that builds its submodules when imported
        if spec is None:
            return here, _beside(parts[:depth - 1], locations)
        locations = spec.submodule_search_locations
        if locations is None and depth < len(parts):  # a module, not a package: nothing below it
            return ".".join(parts[:depth + 1]), []
    return None


def _found_by_import(name: str):
    try:
        return importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None


def _beside(parents: list[str], locations) -> list[str]:
    """The importable names at the level where a name was not found."""
    prefix = "".join(f"{p}." for p in parents)
    names = [m.name for m in pkgutil.iter_modules(None if locations is None else list(locations))]
    if not parents:
        names += list(sys.builtin_module_names)
    return sorted({f"{prefix}{n}" for n in names if not n.startswith("_")})
