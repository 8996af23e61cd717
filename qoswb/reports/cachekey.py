"""What the batch's data cache was made from, part by part, so it is never reused stale.

The key covers the parameters' data section, the mapping's *content* (a YAML file
edited in place counts), the source's fingerprint and qoswb's version. A file's
fingerprint is its size, modification time and a hash of its first and last
64 KiB: cheap for any size, and it sees an edit that keeps size and time. A
database server cannot be fingerprinted cheaply, so its data is read again each
run (and the key then covers what was read). An SQLite file is a file.

>>> old = parts({"source": "demo", "kind": "interactions"}, "month")
>>> new = dict(old, qoswb="0.0.1")
>>> why_rebuild(old, new)
"qoswb's version changed"
>>> why_rebuild(old, old) is None
True
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from qoswb.redact import safe_url

BLOCK = 1 << 16  # bytes hashed at each end of a file
REASONS = {
    "qoswb": "qoswb's version changed",
    "specification": "the data section of the parameters changed",
    "mapping": "the mapping changed",
    "source": "the source changed (its size, time or content)",
    "sla": "the SLA targets changed",
}
UNCHECKABLE = "a database source cannot be checked for changes cheaply, so it is read again"


def _digest(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]


def file_fingerprint(path: str | Path) -> dict:
    """Size, modification time (ns) and a hash of the first and last 64 KiB of a file.

    >>> sorted(file_fingerprint(__file__))
    ['head_tail', 'mtime_ns', 'size']
    """
    path = Path(path)
    stat = path.stat()
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        digest.update(fh.read(BLOCK))
        if stat.st_size > BLOCK:
            fh.seek(max(BLOCK, stat.st_size - BLOCK))
            digest.update(fh.read(BLOCK))
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "head_tail": digest.hexdigest()[:16]}


def _source_file(source: str) -> Path | None:
    """The file a source reads, or None for a database server."""
    if source == "demo":  # the demo store is remade (and its meta.json rewritten) when its generator changes
        from qoswb.data.demo import demo_path

        return demo_path() / "meta.json"
    if source.startswith("dataset:"):
        from qoswb.data import datasets

        return datasets.path(source.split(":", 1)[1])
    if "://" in source:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            url = make_url(source)
        except (ArgumentError, ValueError):
            return None
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            return Path(url.database)
        return None
    return Path(source)


def source_fingerprint(source: str) -> dict | None:
    """The fingerprint of the source's file; None when it is a database server.

    >>> source_fingerprint("postgresql://qos:pw@db/qos") is None
    True
    >>> source_fingerprint("/no/such/file.csv")
    {'missing': '/no/such/file.csv'}
    """
    path = _source_file(str(source))
    if path is None:
        return None
    if not path.is_file():
        return {"missing": str(path)}
    return file_fingerprint(path)


def mapping_fingerprint(mapping, source: str = ""):
    """The mapping as it will be read: a YAML file by its content, a dict or name as given."""
    if not mapping and str(source).startswith("dataset:"):  # the data set's own mapping file
        from qoswb.data import datasets

        mapping = str(datasets.mapping_path(str(source).split(":", 1)[1]))
    if isinstance(mapping, (str, Path)) and Path(mapping).is_file():
        return {"file": str(mapping), "sha256": hashlib.sha256(Path(mapping).read_bytes()).hexdigest()}
    return mapping


def parts(data: dict, grain: str, kpis: list | None = None) -> dict:
    """Each thing the cache depends on, as a comparable value (``None`` for a source that
    cannot be fingerprinted); the surveys' parts are prefixed ``surveys ``."""
    from qoswb import __version__

    def of(spec: dict, prefix: str = "") -> dict:
        source = str(spec.get("source", ""))
        rest = {k: v for k, v in spec.items() if k not in ("mapping", "surveys", "source")}
        return {f"{prefix}specification": _digest(dict(rest, source=safe_url(source))),
                f"{prefix}mapping": _digest(mapping_fingerprint(spec.get("mapping"), source)),
                f"{prefix}source": source_fingerprint(source)}

    out = {"qoswb": __version__, **of(dict(data, grain=grain, kpis=kpis or []))}
    if data.get("surveys"):
        out.update(of(data["surveys"], "surveys "))
    return out


def key(parts: dict) -> str:
    """A short hash of ``parts``: the cache's key, recorded with each report made from it."""
    return _digest(parts)


def why_rebuild(old: dict | None, new: dict) -> str | None:
    """Why a cache made from ``old`` parts cannot serve ``new`` ones; None when it can.

    >>> p = {"qoswb": "1", "specification": "a", "mapping": "m", "source": {"size": 1}}
    >>> why_rebuild(p, dict(p, mapping="m2", source={"size": 2}))
    'the mapping changed; the source changed (its size, time or content)'
    >>> why_rebuild(None, p)
    'the cache records no key this version understands'
    """
    if any(name.endswith("source") and value is None for name, value in new.items()):
        return UNCHECKABLE
    if not isinstance(old, dict):
        return "the cache records no key this version understands"
    changed = [name for name in new if old.get(name) != new[name]]
    changed += [name for name in old if name not in new]
    reasons = []
    for name in changed:
        prefix, _, base = name.rpartition(" ")
        reason = REASONS.get(base, f"{base} changed")
        reasons.append(reason.replace("the ", f"the {prefix}' ", 1) if prefix else reason)
    return "; ".join(dict.fromkeys(reasons)) or None


def content_digest(frames: dict) -> str:
    """A hash of the loaded rows, standing for a database source's fingerprint once read."""
    import pandas as pd

    digest = hashlib.sha256()
    for name in sorted(frames):
        digest.update(name.encode())
        frame = frames[name]
        try:
            hashed = pd.util.hash_pandas_object(frame, index=False)
        except TypeError:  # cells holding lists or dicts: hash their text
            hashed = pd.util.hash_pandas_object(frame.astype(str), index=False)
        digest.update(hashed.to_numpy().tobytes())
    return digest.hexdigest()[:16]
