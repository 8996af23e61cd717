"""Read YAML written by users (parameters files, mappings) without letting aliases expand without bound.

``yaml.safe_load`` builds no code, but an alias bomb ("billion laughs": each
anchor a list of nine aliases of the one before) composes to a few dozen nodes
that stand for billions; the first ``str()``, copy or walk of the result then
runs out of memory. Here the composed document is measured before anything is
built from it: each node counts once for every place it appears, aliases
included (one pass over the composed nodes, remembering each node's size). A
document whose aliases add more than ``MAX_ALIAS_NODES`` nodes to its own is
refused with one line, as is a recursive alias. A large file without aliases
is not limited.

>>> safe_load("teams: &t [North, South]\\nalso: *t")
{'teams': ['North', 'South'], 'also': ['North', 'South']}
>>> bomb = "a: &a [x, x]\\n" + "".join(f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}]\\n" for p, c in zip("abcdefgh", "bcdefghi"))
>>> safe_load(bomb, origin="bomb.yaml")
Traceback (most recent call last):
...
qoswb.errors.ParameterError: bomb.yaml: its YAML aliases expand to more than 10,000 nodes beyond the file's own ...
"""

from __future__ import annotations

from typing import Any

from qoswb.errors import ParameterError

#: nodes that aliases may add to a document's own (a parameters file or mapping needs a handful)
MAX_ALIAS_NODES = 10_000


def safe_load(text: str, origin: str = "YAML") -> Any:
    """``yaml.safe_load(text)``, refusing documents whose aliases expand beyond :data:`MAX_ALIAS_NODES`.

    YAML syntax errors are ``yaml.YAMLError`` as from ``yaml.safe_load``; an
    alias bomb, a recursive alias, nesting too deep to read or a value that
    cannot be built (a date like 2024-13-45) is a
    :class:`~qoswb.errors.ParameterError` naming ``origin``.

    >>> safe_load("periods: [2025-01, 2025-02-30]", origin="p.yaml")
    Traceback (most recent call last):
    ...
    qoswb.errors.ParameterError: p.yaml: line 1: value '2025-02-30' cannot be read: day is out of range for month
    """
    import yaml

    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        own, expanded = _sizes(node, origin)
        if expanded - own > MAX_ALIAS_NODES:
            raise ParameterError(f"{origin}: its YAML aliases expand to more than {MAX_ALIAS_NODES:,} nodes "
                                 f"beyond the file's own {own:,} (an alias bomb?); refused")
        try:
            return loader.construct_document(node)
        except (ValueError, OverflowError) as exc:  # a date like 2024-13-45, an int of 100,000 digits
            raise ParameterError(f"{origin}: {_unreadable_value(node)}: {exc}") from None
    except RecursionError:  # PyYAML composes and builds recursively
        raise ParameterError(f"{origin}: YAML nested too deeply to read") from None
    finally:
        loader.dispose()


def _unreadable_value(root) -> str:
    """Where the first scalar that cannot be built is: 'line N: value 'text''."""
    import yaml

    fresh = yaml.SafeLoader("")  # the failed loader still holds the half-built node
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            try:
                fresh.construct_object(node)
            except (ValueError, OverflowError):
                return f"line {node.start_mark.line + 1}: value {node.value[:40]!r} cannot be read"
        stack.extend(reversed(_children(node)))
    return "a value cannot be read"


def _children(node) -> list:
    import yaml

    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _sizes(root, origin: str) -> tuple[int, int]:
    """(distinct nodes, nodes counted once per appearance) of a composed document, iteratively."""
    size: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            open_nodes.discard(key)
            # saturate: the exact figure of a bomb is astronomically large and not needed
            size[key] = min(1 + sum(size[id(c)] for c in _children(node)), 1 << 62)
            continue
        if key in size:
            continue
        if key in open_nodes:  # open nodes are the ancestors of the one at hand
            raise ParameterError(f"{origin}: a YAML alias refers to the node that contains it (recursive alias); "
                                 "refused")
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in size)
    return len(size), size[id(root)]
