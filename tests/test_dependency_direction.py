"""Dependencies point one way: schemas <- client <- workers, router (the workspace's layout rule).

Each member is imported in a venv holding only it and its declared dependencies (at the
versions of uv.lock), because the one shared dev venv hides a missing declaration. The
venvs are made by ``uv sync --package`` offline, from uv's cache.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from hookwire.router.pools._venv import find_uv

REPO = Path(__file__).resolve().parents[1]

#: venv name -> what ``uv sync`` installs into it
MEMBERS: dict[str, list[str]] = {
    "schemas": ["--package", "hookwire-schemas"],
    "client": ["--package", "hookwire-schemas", "--extra", "client"],
    "workers": ["--package", "hookwire-workers"],
    "router": ["--package", "hookwire-router"],
    "cpex": ["--package", "hookwire-cpex"],
}

#: Prints the third-party top-level modules an import of argv[1] loads, as JSON.
THIRD_PARTY = """
import importlib, json, sys
before = set(sys.modules)
importlib.import_module(sys.argv[1])
names = {m.partition(".")[0] for m in set(sys.modules) - before}
print(json.dumps(sorted(names - set(sys.stdlib_module_names) - {"hookwire"})))
"""

#: Prints "ok", or "missing <name>" when the import raises ModuleNotFoundError.
TRY_IMPORT = """
import importlib, sys
try:
    importlib.import_module(sys.argv[1])
except ModuleNotFoundError as exc:
    print("missing", exc.name)
else:
    print("ok")
"""

Python = Callable[[str], Path]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    return {**env, "UV_OFFLINE": "1"}


@pytest.fixture(scope="module")
def venv_python(tmp_path_factory: pytest.TempPathFactory) -> Python:
    """``venv_python("workers")``: the interpreter of a venv holding only that member
    and its declared dependencies (made once per module)."""
    root = tmp_path_factory.mktemp("members")
    made: dict[str, Path] = {}

    def python(name: str) -> Path:
        if name not in made:
            target = root / name
            sync = ["sync", "--frozen", "--offline", "--no-dev", "--quiet"]
            done = subprocess.run(
                [find_uv(), *sync, "--python", sys.executable, *MEMBERS[name]],
                cwd=REPO,
                env={**_env(), "UV_PROJECT_ENVIRONMENT": str(target)},
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert done.returncode == 0, done.stderr
            made[name] = target / "bin" / "python"
        return made[name]

    return python


def _run(python: Path, script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), "-c", script, *args],
        cwd=python.parent,  # not the repo: nothing importable by accident from the cwd
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_schemas_import_needs_only_msgspec(venv_python: Python) -> None:
    done = _run(venv_python("schemas"), THIRD_PARTY, "hookwire.schemas")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == ["msgspec"]


def test_schemas_without_client_extra_has_no_nats(venv_python: Python) -> None:
    done = _run(venv_python("schemas"), TRY_IMPORT, "nats")
    assert done.stdout.split() == ["missing", "nats"], done.stderr


@pytest.mark.parametrize("module", ["hookwire.client", "hookwire.service"])
def test_client_extra_is_enough_for(venv_python: Python, module: str) -> None:
    done = _run(venv_python("client"), TRY_IMPORT, module)
    assert done.stdout.split() == ["ok"], done.stdout + done.stderr


@pytest.mark.parametrize("module", ["hookwire.workers", "hookwire.workers.cli"])
def test_workers_member_imports(venv_python: Python, module: str) -> None:
    done = _run(venv_python("workers"), TRY_IMPORT, module)
    assert done.stdout.split() == ["ok"], done.stdout + done.stderr


@pytest.mark.parametrize(
    "module", ["hookwire.router", "pydantic", "jsonschema", "simpleeval", "cpex"]
)
def test_workers_member_does_not_bring(venv_python: Python, module: str) -> None:
    done = _run(venv_python("workers"), TRY_IMPORT, module)
    assert done.stdout.split() == ["missing", module], done.stderr


@pytest.mark.parametrize("module", ["hookwire.router", "hookwire.router.cli"])
def test_router_member_imports(venv_python: Python, module: str) -> None:
    done = _run(venv_python("router"), TRY_IMPORT, module)
    assert done.stdout.split() == ["ok"], done.stdout + done.stderr


def test_router_member_does_not_bring_cpex(venv_python: Python) -> None:
    done = _run(venv_python("router"), TRY_IMPORT, "cpex")
    assert done.stdout.split() == ["missing", "cpex"], done.stderr


def test_cpex_bridge_member_imports(venv_python: Python) -> None:
    done = _run(venv_python("cpex"), TRY_IMPORT, "hookwire_cpex")
    assert done.stdout.split() == ["ok"], done.stdout + done.stderr


@pytest.mark.parametrize("module", ["hookwire.router", "hookwire.workers"])
def test_cpex_bridge_member_does_not_bring(venv_python: Python, module: str) -> None:
    done = _run(venv_python("cpex"), TRY_IMPORT, module)
    assert done.stdout.split() == ["missing", module], done.stderr


# -- static checks on the import statements of member source -------------------------

SOURCES = [REPO / "schemas" / "src", REPO / "router" / "src", REPO / "workers" / "src"]

#: The router's sub-packages by layer: a module imports only from its own sub-package,
#: from a lower layer, or from a leaf. Sub-packages that share a layer (``delivery`` and
#: ``record``; ``pipeline`` and ``pools``) do not import each other.
ROUTER_LAYERS: dict[str, int] = {
    "routing": 0,
    "security": 0,
    "catalog": 1,
    "config": 2,
    "delivery": 3,
    "record": 3,
    "pipeline": 4,
    "pools": 4,
    "live": 5,
    "_stack": 6,
    "admin": 6,
    "cli": 7,
    "testing": 7,
    "__init__": 8,
}
#: Modules of the router that anyone in it may import (they import only each other).
ROUTER_LEAVES = {"errors", "_yaml", "_jetstream"}


def _module_name(path: Path) -> str:
    """``router/src/hookwire/router/cli/_up.py`` -> ``hookwire.router.cli._up``."""
    root = next((src for src in SOURCES if path.is_relative_to(src)), REPO)
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, dotted name) for every module or name an import statement in ``path``
    reaches for, relative imports resolved against ``path``'s package."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = _module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return found


def _member_files() -> list[Path]:
    return sorted(p for src in SOURCES for p in src.rglob("*.py"))


def test_no_member_imports_another_members_private_module() -> None:
    """``hookwire.service`` may not reach into ``hookwire.client._requests``, nor the
    router into ``hookwire.workers._venv``: what a sibling needs is public in its face."""
    bad = []
    for path in _member_files():
        own = _module_name(path).split(".")[1]
        for line, name in _imports(path):
            parts = name.split(".")
            if parts[0] != "hookwire" or len(parts) < 3 or parts[1] == own:
                continue
            if any(p.startswith("_") and not p.endswith("__") for p in parts[2:]):
                bad.append(f"{path.relative_to(REPO)}:{line}: {name}")
    assert bad == []


def _router_layer(parts: list[str]) -> str:
    """The router sub-package (or top module) a ``hookwire.router...`` name is in."""
    return parts[2] if len(parts) > 2 else "__init__"


def test_router_sub_packages_import_only_downward() -> None:
    """cli -> _stack, admin -> live -> pipeline, pools -> delivery, record -> config ->
    catalog -> routing."""
    router = REPO / "router" / "src" / "hookwire" / "router"
    bad = []
    for path in sorted(router.rglob("*.py")):
        layer = _router_layer(_module_name(path).split("."))
        for line, name in _imports(path):
            parts = name.split(".")
            if parts[:2] != ["hookwire", "router"]:
                continue
            target = _router_layer(parts)
            if target == layer or target in ROUTER_LEAVES:
                continue
            if layer in ROUTER_LEAVES or ROUTER_LAYERS[target] >= ROUTER_LAYERS[layer]:
                bad.append(f"{path.relative_to(REPO)}:{line}: {layer} imports {name}")
    assert bad == []


#: The member each test folder tests (any other folder tests the router); plugin tests
#: test a plugin and may reach into no member's private modules.
TESTED_MEMBER = {name: name for name in ("schemas", "client", "service", "workers")}


def _tested_member(path: Path) -> str | None:
    parts = path.relative_to(REPO).parts
    if parts[0] == "plugins":
        return None
    return TESTED_MEMBER.get(parts[1], "router") if len(parts) > 2 else "router"


def test_tests_import_private_modules_only_of_the_member_they_test() -> None:
    """tests/workers may use hookwire.workers._dispatch, not hookwire.router internals."""
    tests = [*(REPO / "tests").rglob("*.py"), *(REPO / "plugins").rglob("*.py")]
    bad = []
    for path in sorted(tests):
        tested = _tested_member(path)
        for line, name in _imports(path):
            parts = name.split(".")
            if parts[0] != "hookwire" or len(parts) < 3 or parts[1] == tested:
                continue
            if any(p.startswith("_") and not p.endswith("__") for p in parts[2:]):
                bad.append(f"{path.relative_to(REPO)}:{line}: {name}")
    assert bad == []
