"""Rules every member's source keeps: one exception root, stable log event names."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

from hookwire.schemas import HookwireError

REPO = Path(__file__).resolve().parents[1]
SOURCES = [REPO / "schemas" / "src", REPO / "router" / "src", REPO / "workers" / "src"]
PACKAGES = ["hookwire.schemas", "hookwire.client", "hookwire.service"]
PACKAGES += ["hookwire.router", "hookwire.workers", "hookwire_cpex"]
LOG_METHODS = {"debug", "info", "warning", "warn", "error", "exception", "critical", "msg"}


def _modules(package: str) -> list[str]:
    pkg = importlib.import_module(package)
    names = [package]
    for info in pkgutil.walk_packages(pkg.__path__, f"{package}."):
        if not info.name.endswith("__main__"):
            names.append(info.name)
    return names


@pytest.mark.parametrize("package", PACKAGES)
def test_every_error_class_derives_from_hookwire_error(package: str) -> None:
    """``except HookwireError`` catches every error hookwire raises on purpose."""
    strays = []
    for name in _modules(package):
        module = importlib.import_module(name)
        for attr, obj in vars(module).items():
            if not inspect.isclass(obj) or obj.__module__ != name:
                continue
            if issubclass(obj, BaseException) and not issubclass(obj, HookwireError):
                strays.append(f"{name}.{attr}")
    assert strays == []


def test_no_log_event_name_is_built_at_run_time() -> None:
    """Event names are stable strings (``venv.created``), never f-strings."""
    built = []
    for path in sorted(p for src in [*SOURCES, REPO / "plugins"] for p in src.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in LOG_METHODS
                and "log" in ast.unparse(node.func.value).lower()
                and node.args
                and isinstance(node.args[0], ast.JoinedStr | ast.BinOp)
            ):
                built.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert built == []


#: What a NATS subject, queue group or service name of hookwire looks like.
WIRE_NAME = re.compile(
    r"^(\$SRV\.|hookwire\.(hook|plugin|registry|supervisor)\b|"
    r"hookwire-(router|routers|supervisor|supervisors|registry|plugin-|config$))"
)


NOT_WIRE_CALLS = ("version", "get_logger", "connect")


def _literal_heads(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, text) of every string literal and f-string head; left out: docstrings and
    the arguments of ``version()`` (distribution names), ``get_logger()`` (logger names)
    and ``connect()`` (connection names)."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            skip.add(id(body[0].value))  # a docstring
        if isinstance(node, ast.Call) and ast.unparse(node.func).endswith(NOT_WIRE_CALLS):
            skip.update(id(arg) for arg in node.args)
    found = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.JoinedStr):
            skip.update(id(v) for v in node.values)
            head = node.values[0] if node.values else None
            if isinstance(head, ast.Constant) and isinstance(head.value, str):
                found.append((node.lineno, head.value))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append((node.lineno, node.value))
    return found


def test_subjects_and_service_names_are_built_only_in_subjects_py() -> None:
    """Every subject, queue group and service name comes from hookwire.schemas.subjects."""
    home = REPO / "schemas" / "src" / "hookwire" / "schemas" / "subjects.py"
    scattered = []
    for path in sorted(p for src in SOURCES for p in src.rglob("*.py")):
        if path == home:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, text in _literal_heads(tree):
            if WIRE_NAME.match(text):
                scattered.append(f"{path.relative_to(REPO)}:{line}: {text!r}")
    assert scattered == []
