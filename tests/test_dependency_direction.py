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


@pytest.mark.parametrize("module", ["hookwire.router", "pydantic", "jsonschema", "simpleeval"])
def test_workers_member_does_not_bring(venv_python: Python, module: str) -> None:
    done = _run(venv_python("workers"), TRY_IMPORT, module)
    assert done.stdout.split() == ["missing", module], done.stderr


@pytest.mark.parametrize("module", ["hookwire.router", "hookwire.router.cli"])
def test_router_member_imports(venv_python: Python, module: str) -> None:
    done = _run(venv_python("router"), TRY_IMPORT, module)
    assert done.stdout.split() == ["ok"], done.stdout + done.stderr
