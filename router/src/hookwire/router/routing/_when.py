"""``when`` expressions (docs/routing.md#when-expressions): parsed and checked once,
evaluated per event.

simpleeval does the evaluating; this module sets its vocabulary: the allowed names,
the helper functions, mapping attribute access (a missing key reads as null) and
ordering comparisons that are false when either side is null.

Evaluation cannot stall the router: regular expressions run on RE2, whose time is
linear in the input (a construct RE2 cannot run, such as a backreference, is a load
error), and arithmetic is bounded (``_limits``): going over a bound raises
``LimitExceeded``, a run-time error like any other.
"""

from __future__ import annotations

import ast
import functools
import operator
from collections.abc import Callable, Mapping
from typing import Any

import re2  # type: ignore[import-untyped]
import simpleeval  # type: ignore[import-untyped]

from hookwire.router.errors import WhenError
from hookwire.router.routing._limits import BOUNDED_OPERATORS

#: Names an expression may read (filled per event) and constants.
EVENT_NAMES = frozenset(
    {
        "name",
        "entity_type",
        "entity_id",
        "tags",
        "metadata",
        "entity",
        "server_name",
        "server_id",
        "gateway_id",
        "user",
        "tenant_id",
        "agent",
        "args",
        "payload",
        "hook",
    }
)
CONSTANTS: dict[str, Any] = {"null": None, "true": True, "false": False}
RE_FUNCTIONS = ("match", "search", "fullmatch")


_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # RE2 would print every refused pattern on stderr
#: What RE2's own message names, said in the words a rule author knows.
_RE2_HINTS = (
    ("invalid escape sequence: \\", "a backreference"),
    ("invalid perl operator: (?=", "a lookahead"),
    ("invalid perl operator: (?!", "a negative lookahead"),
    ("invalid perl operator: (?<", "a lookbehind"),
)


@functools.lru_cache(maxsize=1024)
def _compile(pattern: str) -> Any:
    """``pattern`` compiled by RE2; ``ValueError`` naming the construct if it cannot run."""
    try:
        return re2.compile(pattern, options=_RE2_OPTIONS)
    except re2.error as exc:
        detail = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        hint = next((h for prefix, h in _RE2_HINTS if detail.startswith(prefix)), None)
        what = f" ({hint} is not supported: RE2 runs in linear time)" if hint else ""
        raise ValueError(f"RE2 cannot run {pattern!r}: {detail}{what}") from None


def _re_call(kind: str) -> Callable[[str, Any], bool]:
    def call(pattern: str, value: Any) -> bool:
        if value is None:
            return False
        return getattr(_compile(pattern), kind)(str(value)) is not None

    call.__name__ = kind
    return call


def _contains(container: Any, value: Any) -> bool:
    return container is not None and value in container


def _ordered(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def compare(a: Any, b: Any) -> bool:
        return a is not None and b is not None and op(a, b)

    return compare


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "len": len,
    "str": str,
    "int": int,
    "float": float,
    "lower": lambda s: None if s is None else str(s).lower(),
    "upper": lambda s: None if s is None else str(s).upper(),
    "is_defined": lambda x: x is not None,
    "contains": _contains,
}
RE_NAMESPACE: dict[str, Callable[..., Any]] = {k: _re_call(k) for k in RE_FUNCTIONS}

OPERATORS: dict[type, Callable[..., Any]] = {
    **simpleeval.DEFAULT_OPERATORS,
    **BOUNDED_OPERATORS,
    ast.Lt: _ordered(operator.lt),
    ast.LtE: _ordered(operator.le),
    ast.Gt: _ordered(operator.gt),
    ast.GtE: _ordered(operator.ge),
}

_ALLOWED_NODES: tuple[type, ...] = (
    ast.Expression,
    ast.BoolOp,
    ast.BinOp,
    ast.UnaryOp,
    ast.Compare,
    ast.Call,
    ast.Name,
    ast.Attribute,
    ast.Subscript,
    ast.Constant,
    ast.List,
    ast.Tuple,
    ast.Set,
    ast.IfExp,
    ast.Load,
    ast.boolop,
    ast.operator,
    ast.unaryop,
    ast.cmpop,
)


class _Evaluator(simpleeval.EvalWithCompoundTypes):  # type: ignore[misc]
    """simpleeval with hookwire's vocabulary. Names are JSON data, so no deep check."""

    def __init__(self) -> None:
        super().__init__(operators=OPERATORS, functions=dict(FUNCTIONS), names={})

    def _check_disallowed_items(self, item: Any) -> None:
        # Names hold decoded JSON and our own helpers only: nothing to guard against,
        # and walking a large payload on every node would cost more than the rule.
        return None

    def _eval(self, node: ast.AST) -> Any:
        # The tree was checked at load (only allowed node types), so dispatch directly:
        # no per-node lookup guard and no per-node result check.
        return self.nodes[type(node)](node)

    def _eval_attribute(self, node: ast.Attribute) -> Any:
        value = self._eval(node.value)
        if value is None:
            return None
        if isinstance(value, Mapping):
            return value.get(node.attr)
        raise TypeError(f"cannot read .{node.attr} of a {type(value).__name__}")

    def _eval_subscript(self, node: ast.Subscript) -> Any:
        container = self._eval(node.value)
        key = self._eval(node.slice)
        if container is None:
            return None
        if isinstance(container, Mapping):
            return container.get(key)
        return container[key]


def _check(tree: ast.Expression, source: str) -> frozenset[str]:
    """Refuse what is not allowed; return the event names the expression reads."""
    used: set[str] = set()
    for node in ast.walk(tree):
        col = getattr(node, "col_offset", None)
        column = col + 1 if col is not None else None
        if not isinstance(node, _ALLOWED_NODES):
            raise WhenError(source, f"{type(node).__name__} is not allowed", column)
        if isinstance(node, ast.Name):
            if node.id in EVENT_NAMES:
                used.add(node.id)
            if node.id.startswith("_"):
                raise WhenError(source, f"name {node.id!r} starts with '_'", column)
            if (
                node.id not in EVENT_NAMES
                and node.id not in CONSTANTS
                and (node.id not in FUNCTIONS and node.id != "re")
            ):
                allowed = ", ".join(sorted(EVENT_NAMES | CONSTANTS.keys() | FUNCTIONS.keys()))
                raise WhenError(source, f"unknown name {node.id!r} (allowed: {allowed})", column)
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            raise WhenError(source, f"attribute {node.attr!r} starts with '_'", column)
        elif isinstance(node, ast.Call):
            _check_call(node, source, column)
    return frozenset(used)


def _check_call(node: ast.Call, source: str, column: int | None) -> None:
    func = node.func
    if node.keywords:
        raise WhenError(source, "keyword arguments are not allowed", column)
    if isinstance(func, ast.Name) and func.id in FUNCTIONS:
        return
    is_re = (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id == "re"
        and func.attr in RE_FUNCTIONS
    )
    if not is_re:
        names = ", ".join([*FUNCTIONS, *(f"re.{k}" for k in RE_FUNCTIONS)])
        raise WhenError(source, f"only these functions may be called: {names}", column)
    if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
        try:
            _compile(node.args[0].value)
        except ValueError as exc:
            raise WhenError(source, f"regular expression does not compile: {exc}", column) from None


class When:
    """A parsed, checked ``when`` expression. ``evaluate`` raises on a runtime error."""

    __slots__ = ("_evaluator", "_tree", "names", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        try:
            tree = ast.parse(source.strip(), mode="eval")
        except SyntaxError as exc:
            column = exc.offset or len(source.strip()) + 1  # 0: the error is at the end
            raise WhenError(source, f"syntax error: {exc.msg}", column) from None
        #: the event names this expression reads (only these are built per event)
        self.names = _check(tree, source)
        self._tree = tree.body
        self._evaluator = _Evaluator()

    def evaluate(self, names: Mapping[str, Any]) -> bool:
        """Truth of the expression for one event's ``names`` (see ``event_names``)."""
        ev = self._evaluator
        ev.names = names
        return bool(ev.eval(self.source, previously_parsed=self._tree))

    def __repr__(self) -> str:
        return f"When({self.source!r})"


def base_names() -> dict[str, Any]:
    """The constants and the ``re`` namespace every evaluation sees."""
    return {**CONSTANTS, "re": RE_NAMESPACE}
