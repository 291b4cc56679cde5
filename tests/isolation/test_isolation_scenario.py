"""The isolation requirement's acceptance scenario, with no network.

Two plugins need different versions (1.0, 2.0) of one local library, ``isolib``; both
are attached to the same tool. One event runs through both, and each reports the
version it imported. A second start of the same config reuses both venvs.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hookwire import client as hw
from hookwire.router import load_config
from hookwire.router._stack import Stack
from hookwire.router.pools._venv import MARKER, Venv, VenvManager

from ._plugins import VERSION_REPORTER, make_plugin, write_config

pytestmark = pytest.mark.integration

#: Prints "ok", or "missing <name>" when the import raises ModuleNotFoundError.
TRY_IMPORT = """
import importlib, sys
import hookwire.workers  # the venv itself works
try:
    importlib.import_module(sys.argv[1])
except ModuleNotFoundError as exc:
    print("missing", exc.name)
else:
    print("ok")
"""


@dataclass(frozen=True)
class Scenario:
    config: Path
    plugins: dict[str, Path]
    venvs: Path


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    """Plugins ``lib_one`` (isolib==1.0) and ``lib_two`` (isolib==2.0) on every tool."""
    base = tmp_path_factory.mktemp("scenario")
    plugins = {
        name: make_plugin(base / "plugins", name, VERSION_REPORTER, requirements=f"isolib=={v}\n")
        for name, v in (("lib_one", "1.0"), ("lib_two", "2.0"))
    }
    config = write_config(base, [base / "plugins"], ["lib_one", "lib_two"])
    return Scenario(config, plugins, base / "venvs")


@pytest.fixture(autouse=True)
def _find_links(wheel_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """isolib comes from the local wheel folder; everything else from uv's cache."""
    monkeypatch.setenv("UV_FIND_LINKS", str(wheel_dir))


async def run_one_event(stack: Stack) -> hw.HookResult[Any]:
    async with await hw.connect(stack.url, timeout=20, auth=stack.auth_for("gateway")) as gateway:
        return await gateway.tool_pre_invoke("lookup", {"q": "isolation"})


def actions(record: list[Venv]) -> dict[str, str]:
    return {v.plugin: v.action for v in record}


async def test_each_plugin_imports_its_own_version_of_the_library(scenario: Scenario) -> None:
    async with Stack(load_config(scenario.config), venv_dir=scenario.venvs) as stack:
        result = await run_one_event(stack)
    assert result.decision == "allow", result.error
    assert result.payload.args == {"q": "isolation", "lib_one": "1.0", "lib_two": "2.0"}


async def test_second_start_reuses_both_venvs_without_install(
    tmp_path: Path, scenario: Scenario
) -> None:
    venvs = tmp_path / "venvs"  # empty: the first start must build
    config = load_config(scenario.config)
    async with Stack(config, venv_dir=venvs) as first:
        assert first.venv_manager is not None
        built = list(first.venv_manager.record)
    stamps = {v.plugin: (v.path / MARKER).read_text() for v in built}
    async with Stack(config, venv_dir=venvs) as second:
        assert second.venv_manager is not None
        again = list(second.venv_manager.record)
        result = await run_one_event(second)
    assert actions(built) == {"lib_one": "created", "lib_two": "created"}
    assert actions(again) == {"lib_one": "reused", "lib_two": "reused"}
    assert {v.plugin: v.path for v in again} == {v.plugin: v.path for v in built}
    assert {v.plugin: (v.path / MARKER).read_text() for v in again} == stamps
    assert result.payload.args["lib_two"] == "2.0"


async def test_pools_run_with_their_venv_interpreter(scenario: Scenario) -> None:
    async with Stack(load_config(scenario.config), venv_dir=scenario.venvs) as stack:
        assert stack.supervisor is not None and stack.venv_manager is not None
        pythons = {row.plugin: row.python for row in stack.supervisor.status()}
        venvs = {v.plugin: str(v.python) for v in stack.venv_manager.record}
    assert pythons == venvs
    assert all(Path(str(p)).is_relative_to(scenario.venvs) for p in pythons.values())


@pytest.mark.parametrize("module", ["hookwire.router", "pydantic", "jsonschema", "simpleeval"])
async def test_plugin_venv_holds_nothing_of_the_router(scenario: Scenario, module: str) -> None:
    venv = await VenvManager(scenario.venvs).ensure(scenario.plugins["lib_one"])
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run(
        [str(venv.python), "-c", TRY_IMPORT, module],
        cwd=venv.path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.stdout.split() == ["missing", module], done.stderr


async def test_plugin_venv_marker_names_plugin_and_key(scenario: Scenario) -> None:
    venv = await VenvManager(scenario.venvs).ensure(scenario.plugins["lib_two"])
    marker = json.loads((venv.path / MARKER).read_text())
    assert (marker["plugin"], marker["key"]) == ("lib_two", venv.key)
