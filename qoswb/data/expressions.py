"""Mapping expressions (``{expr: "attendances - breaches"}``): a small grammar, evaluated by qoswb.

An expression is parsed with Python's :mod:`ast` and only these are accepted:
column names (bare, or in backticks when they hold spaces or punctuation, as in
pandas), number and ``True``/``False`` literals, ``+ - * / // % **``, unary
``-``/``+``, comparisons ``< <= > >= == !=`` (chained too) and ``and``/``or``/
``not`` (also spelt ``& | ~``). Anything else — a call, an attribute, a
subscript, a ``@`` local, a string — is a :class:`~qoswb.errors.ParameterError`
naming the mapping column and the expression. Nothing is ever handed to
``eval`` or ``DataFrame.eval``: the tree is walked here, on whole columns.

Each value has a kind (``number``, ``boolean``, ``timestamp``, ``duration``);
what an operator accepts and gives is the table :data:`RULES` (a timestamp minus a
timestamp is a duration, a timestamp plus a duration a timestamp, comparisons
give booleans), so a new kind is new rows there and a reader for its columns. Operands of the
wrong kinds are a :class:`~qoswb.errors.DataError` naming column and expression.

>>> import numpy as np
>>> e = parse("`Total seen` - breaches", "numerator")
>>> e.columns
['Total seen', 'breaches']
>>> e.evaluate({"Total seen": np.array([10.0, 8.0]), "breaches": np.array([1.0, 3.0])}).data.tolist()
[9.0, 5.0]
>>> parse("__import__('os').system('id')", "numerator")
Traceback (most recent call last):
...
qoswb.errors.ParameterError: column 'numerator': expression "__import__('os').system('id')" may use column names, numbers, arithmetic and comparisons only, not a function call
"""

import ast
import functools
import re
from dataclasses import dataclass

import numpy as np

from qoswb.errors import DataError, ParameterError

MAX_LENGTH = 2_000
MAX_DEPTH = 60
_BACKTICKED = re.compile(r"`([^`]+)`")
_PLACEHOLDER = "_qoswb_column_{}_"

# each operator of the grammar: its symbol and what computes it on whole columns
OPERATORS = {
    ast.Add: ("+", np.add), ast.Sub: ("-", np.subtract), ast.Mult: ("*", np.multiply),
    ast.Div: ("/", np.true_divide), ast.FloorDiv: ("//", np.floor_divide), ast.Mod: ("%", np.mod),
    ast.Pow: ("**", np.power),
    ast.Lt: ("<", np.less), ast.LtE: ("<=", np.less_equal), ast.Gt: (">", np.greater),
    ast.GtE: (">=", np.greater_equal), ast.Eq: ("==", np.equal), ast.NotEq: ("!=", np.not_equal),
    ast.And: ("and", np.logical_and), ast.BitAnd: ("and", np.logical_and),
    ast.Or: ("or", np.logical_or), ast.BitOr: ("or", np.logical_or),
    ast.Not: ("not", np.logical_not), ast.Invert: ("not", np.logical_not),
    ast.USub: ("neg", np.negative), ast.UAdd: ("pos", np.positive),
}
# (operator, kind of left operand, kind of right operand or None) -> kind of the result
RULES = {
    **{(op, "number", "number"): "number" for op in ("+", "-", "*", "/", "//", "%", "**")},
    **{(op, "number", "number"): "boolean" for op in ("<", "<=", ">", ">=", "==", "!=")},
    **{(op, "boolean", "boolean"): "boolean" for op in ("==", "!=", "and", "or")},
    ("neg", "number", None): "number", ("pos", "number", None): "number", ("not", "boolean", None): "boolean",
    # timestamps (seconds since 1970) and durations (seconds): a difference, a shift, comparisons
    ("-", "timestamp", "timestamp"): "duration",
    ("+", "timestamp", "duration"): "timestamp", ("+", "duration", "timestamp"): "timestamp",
    ("-", "timestamp", "duration"): "timestamp",
    **{(op, "duration", "duration"): "duration" for op in ("+", "-")},
    **{(op, "duration", "number"): "duration" for op in ("*", "/")}, ("*", "number", "duration"): "duration",
    ("/", "duration", "duration"): "number", ("neg", "duration", None): "duration",
    **{(op, kind, kind): "boolean" for op in ("<", "<=", ">", ">=", "==", "!=") for kind in ("timestamp", "duration")},
}
# what a node that is not in the grammar is called in the message
_NAMES = {ast.Call: "a function call", ast.Attribute: "an attribute (a.b)", ast.Subscript: "a subscript (a[b])",
          ast.Lambda: "a lambda", ast.NamedExpr: "an assignment",
          ast.MatMult: "the @ operator", ast.IfExp: "a conditional", ast.JoinedStr: "an f-string"}


@dataclass
class Value:
    """A whole column (or a literal broadcast over it) and its kind."""

    kind: str
    data: np.ndarray


@dataclass(frozen=True)
class Expression:
    """A parsed expression: ``columns`` it reads, ``evaluate(columns)`` on whole columns."""

    text: str
    column: str  # the mapping column it defines (for messages)
    tree: ast.Expression
    names: tuple  # (placeholder or name, column name)

    @property
    def columns(self) -> list:
        """The source columns the expression reads, in order of first use."""
        return list(dict.fromkeys(name for _, name in self.names))

    def evaluate(self, columns: dict) -> Value:
        """The value on whole columns: ``columns`` maps each column name to a :class:`Value`, or
        to a plain array of numbers."""
        lookup = dict(self.names)
        given = {name: v if isinstance(v, Value) else Value("number", np.asarray(v, dtype=float))
                 for name, v in columns.items()}
        size = len(next(iter(given.values())).data) if given else 1

        def walk(node):
            if isinstance(node, ast.Name):
                return given[lookup[node.id]]
            if isinstance(node, ast.Constant):
                kind = "boolean" if isinstance(node.value, bool) else "number"
                return Value(kind, np.full(size, node.value, dtype=bool if kind == "boolean" else float))
            if isinstance(node, ast.UnaryOp):
                return self._apply(node.op, walk(node.operand), None, node)
            if isinstance(node, ast.BinOp):
                return self._apply(node.op, walk(node.left), walk(node.right), node)
            if isinstance(node, ast.BoolOp):
                out = walk(node.values[0])
                for operand in node.values[1:]:
                    out = self._apply(node.op, out, walk(operand), node)
                return out
            if isinstance(node, ast.Compare):  # a < b <= c is a < b and b <= c
                left, out = walk(node.left), None
                for op, comparator in zip(node.ops, node.comparators):
                    right = walk(comparator)
                    step = self._apply(op, left, right, node)
                    out = step if out is None else Value("boolean", np.logical_and(out.data, step.data))
                    left = right
                return out
            raise AssertionError(f"unchecked node {type(node).__name__}")  # parse() admits no other

        return walk(self.tree.body)

    def _apply(self, op, left: Value, right: Value | None, node) -> Value:
        """One operator on whole columns, if :data:`RULES` has a row for its operands' kinds."""
        symbol, compute = OPERATORS[type(op)]
        kind = RULES.get((symbol, left.kind, right.kind if right else None))
        if kind is None:
            operands = f"{left.kind} and {right.kind}" if right else left.kind
            part = ast.unparse(node)
            for placeholder, name in self.names:
                part = part.replace(placeholder, f"`{name}`") if placeholder != name else part
            raise DataError(f"column {self.column!r}: expression {self.text!r}: {part!r} cannot take {operands}")
        with np.errstate(all="ignore"):  # x/0 is inf, a rejected row, not a warning
            data = compute(left.data) if right is None else compute(left.data, right.data)
        return Value(kind, data)


_ALLOWED = (ast.Expression, ast.Name, ast.Load, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, *OPERATORS)


def parse(text: str, column: str) -> Expression:
    """Parse and check ``text`` (the expression of mapping column ``column``).

    >>> parse("a * 2 + 1", "value").columns
    ['a']
    >>> parse("a; import os", "value")
    Traceback (most recent call last):
    ...
    qoswb.errors.ParameterError: column 'value': expression 'a; import os' is not a valid expression (invalid syntax)
    """
    if not isinstance(text, str):  # checked before the cache: a list or dict cannot be a cache key
        raise ParameterError(f"column {column!r}: expr should be text, like 'attendances - breaches', "
                             f"not {type(text).__name__} {text!r:.80}")
    return _parse(text, str(column))


@functools.lru_cache(maxsize=256)
def _parse(text: str, column: str) -> Expression:
    def refuse(why):
        return ParameterError(f"column {column!r}: expression {text!r} {why}")

    if not text.strip():
        raise refuse("is empty")
    if len(text) > MAX_LENGTH:
        raise refuse(f"is longer than {MAX_LENGTH:,} characters")
    quoted = []

    def placeholder(match):
        quoted.append(match.group(1))
        return _PLACEHOLDER.format(len(quoted) - 1)

    source = _BACKTICKED.sub(placeholder, text)
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        reason = getattr(exc, "msg", None) or "too deeply nested"
        raise refuse(f"is not a valid expression ({reason})") from None
    names = []
    for node, depth in _walk(tree):
        if depth > MAX_DEPTH:
            raise refuse(f"is nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, ast.Constant) and type(node.value) in (int, float, bool):
            continue
        if not isinstance(node, _ALLOWED):
            what = f"the literal {node.value!r}" if isinstance(node, ast.Constant) else \
                _NAMES.get(type(node), type(node).__name__)
            raise refuse(f"may use column names, numbers, arithmetic and comparisons only, not {what}")
        if isinstance(node, ast.Name):
            placeholders = {_PLACEHOLDER.format(i): q for i, q in enumerate(quoted)}
            names.append((node.id, placeholders.get(node.id, node.id)))
    return Expression(text, column, tree, tuple(names))


def _walk(tree):
    """Every node with its depth, parents first (iterative: a deep tree cannot overflow the stack)."""
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        yield node, depth
        stack.extend((child, depth + 1) for child in reversed(list(ast.iter_child_nodes(node))))
