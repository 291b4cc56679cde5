"""Rules every member's source keeps: one exception root, stable log event names."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

from hookwire.schemas import HookwireError

REPO = Path(__file__).resolve().parents[1]
SOURCES = [REPO / "schemas" / "src", REPO / "router" / "src", REPO / "workers" / "src"]
PACKAGES = ["hookwire.schemas", "hookwire.client", "hookwire.service"]
PACKAGES += ["hookwire.router", "hookwire.workers"]
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
