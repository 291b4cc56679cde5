"""The venv manager with real uv: keys, reuse, concurrent creation, failures, indexes, logs."""

from __future__ import annotations

import asyncio
import importlib.metadata
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import structlog
from structlog.testing import capture_logs

from hookwire.router import load_config
from hookwire.router.cli import main
from hookwire.router.errors import VenvError
from hookwire.router.pools import _venv
from hookwire.router.pools._venv import MARKER, Venv, VenvManager
from hookwire.router.pools._venvs import venv_root

from ._plugins import make_plugin, write_config
from ._wheels import build_wheel

MISSING = "nonexistent-pkg-xyz==9.9"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A venv folder of this test's own."""
    return tmp_path / "venvs"


@pytest.fixture
def plugins(tmp_path: Path) -> Path:
    return tmp_path / "plugins"


@dataclass(frozen=True)
class Built:
    root: Path
    plugin: Path
    venv: Venv


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Plugin ``steady`` (no requirements) and its venv, made once for the module."""
    base = tmp_path_factory.mktemp("built")
    plugin = make_plugin(base / "plugins", "steady", requirements="")
    with pytest.MonkeyPatch.context() as patch:  # module fixtures come before _uv_offline
        patch.setenv("UV_OFFLINE", "1")
        venv = asyncio.run(VenvManager(base / "venvs").ensure(plugin))
    return Built(base / "venvs", plugin, venv)


def python_says(venv: Venv, code: str) -> str:
    """What ``code`` prints when run by the venv's interpreter."""
    done = subprocess.run(
        [str(venv.python), "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def venv_dirs(root: Path) -> list[str]:
    """Names of the folders under ``root`` (lock files are not folders)."""
    return sorted(p.name for p in root.iterdir() if p.is_dir())


def created_at(venv: Venv) -> float:
    return float(json.loads((venv.path / MARKER).read_text())["created"])


# -- key ---------------------------------------------------------------------------


def test_key_changes_when_requirements_change(plugins: Path, root: Path) -> None:
    plugin = make_plugin(plugins, "keyed", requirements="")
    manager = VenvManager(root, uv="uv")  # key() makes no uv call
    before = manager.key(plugin)
    (plugin / "requirements.txt").write_text("isolib==1.0\n")
    assert manager.key(plugin) != before


def test_key_ignores_plugin_code_and_folder(plugins: Path, root: Path) -> None:
    """Only what shapes the venv counts: two folders with the same requirements share it."""
    first = make_plugin(plugins / "a", "same", requirements="isolib==1.0\n")
    second = make_plugin(plugins / "b", "same", "# other code\n", requirements="isolib==1.0\n")
    manager = VenvManager(root, uv="uv")
    assert manager.key(first) == manager.key(second)


def test_key_changes_with_the_python_used(plugins: Path, root: Path) -> None:
    plugin = make_plugin(plugins, "keyed", requirements="")
    ours = VenvManager(root, uv="uv").key(plugin)
    assert VenvManager(root, python="/opt/python3.13/bin/python", uv="uv").key(plugin) != ours


def test_key_changes_with_hookwire_version(
    plugins: Path, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plugin = make_plugin(plugins, "keyed", requirements="")
    before = VenvManager(root, uv="uv").key(plugin)
    monkeypatch.setattr(importlib.metadata, "version", lambda dist: "99.0")
    assert VenvManager(root, uv="uv").key(plugin) != before


# -- ensure ------------------------------------------------------------------------


@dataclass(frozen=True)
class Changed:
    root: Path
    plugin: Path
    old: Venv
    new: Venv


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory, wheel_dir: Path) -> Changed:
    """Plugin ``changing`` ensured with isolib==1.0, then again after its requirements
    file says isolib==2.0 (one manager, as in a supervisor restart with a new file)."""
    base = tmp_path_factory.mktemp("changed")
    plugin = make_plugin(base / "plugins", "changing", requirements="isolib==1.0\n")
    manager = VenvManager(base / "venvs")

    async def both() -> tuple[Venv, Venv]:
        old = await manager.ensure(plugin)
        (plugin / "requirements.txt").write_text("isolib==2.0\n")
        return old, await manager.ensure(plugin)

    with pytest.MonkeyPatch.context() as patch:  # module fixtures come before _uv_offline
        patch.setenv("UV_OFFLINE", "1")
        patch.setenv("UV_FIND_LINKS", str(wheel_dir))
        old, new = asyncio.run(both())
    return Changed(base / "venvs", plugin, old, new)


def test_changed_requirements_build_a_new_venv(changed: Changed) -> None:
    new, old = changed.new, changed.old
    assert (new.action, new.key != old.key, new.path != old.path) == ("created", True, True)
    assert python_says(new, "import isolib; print(isolib.__version__)") == "2.0"


def test_old_venv_is_listed_stale_after_requirements_change(
    changed: Changed, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = {"venv_dir": str(changed.root)}
    config = write_config(tmp_path, [changed.plugin.parent], ["changing"], settings=settings)
    assert main(["venvs", "list", "--config", str(config), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["venvs"]
    assert {r["path"]: r["state"] for r in rows} == {
        str(changed.old.path): "stale",
        str(changed.new.path): "in use",
    }


async def test_unchanged_plugin_reuses_its_venv_without_calling_uv(built: Built) -> None:
    # a restart: a new manager, whose uv cannot run, so any install would fail
    restarted = VenvManager(built.root, uv=str(built.root / "no-such-uv"))
    again = await restarted.ensure(built.plugin)
    assert [v.action for v in restarted.record] == ["reused"]
    assert (again.path, created_at(again)) == (built.venv.path, created_at(built.venv))


async def test_two_managers_at_once_build_the_venv_once(plugins: Path, root: Path) -> None:
    plugin = make_plugin(plugins, "raced", requirements="")
    one, two = VenvManager(root), VenvManager(root)
    a, b = await asyncio.gather(one.ensure(plugin), two.ensure(plugin))
    assert sorted([a.action, b.action]) == ["created", "reused"]
    assert a.path == b.path
    assert venv_dirs(root) == [a.path.name]  # one final folder, no build left aside


def test_venv_holds_hookwire_workers_and_schemas(built: Built) -> None:
    code = "import hookwire.schemas, hookwire.workers, hookwire.client; print('ok')"
    assert python_says(built.venv, code) == "ok"


async def test_plugin_with_pyproject_is_installed_in_its_venv(plugins: Path, root: Path) -> None:
    plugin = make_plugin(plugins, "packaged", requirements="")
    (plugin / "pyproject.toml").write_text(
        '[project]\nname = "iso-packaged"\nversion = "0.3"\n\n'
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        '[tool.hatch.build.targets.wheel]\ninclude = ["iso_packaged.py"]\n'
    )
    venv = await VenvManager(root).ensure(plugin)
    code = "from importlib.metadata import version; print(version('iso-packaged'))"
    assert python_says(venv, code) == "0.3"


# -- failures ----------------------------------------------------------------------


async def test_failed_install_raises_with_uv_own_error(plugins: Path, root: Path) -> None:
    plugin = make_plugin(plugins, "unbuildable", requirements=f"{MISSING}\n")
    with pytest.raises(VenvError) as caught:
        await VenvManager(root).ensure(plugin)
    error = caught.value
    assert error.plugin == "unbuildable"
    assert "nonexistent-pkg-xyz was not found" in error.output  # uv's words
    assert error.output.strip() in str(error)


async def test_failed_install_leaves_no_venv_behind(plugins: Path, root: Path) -> None:
    plugin = make_plugin(plugins, "unbuildable", requirements=f"{MISSING}\n")
    with pytest.raises(VenvError):
        await VenvManager(root).ensure(plugin)
    assert venv_dirs(root) == []


# -- indexes -----------------------------------------------------------------------


async def test_find_links_folder_is_honoured(
    plugins: Path, root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    links = tmp_path / "links"
    build_wheel(links, "linksonly", "0.7")
    monkeypatch.setenv("UV_FIND_LINKS", str(links))
    venv = await VenvManager(root).ensure(
        make_plugin(plugins, "linked", requirements="linksonly==0.7\n")
    )
    assert python_says(venv, "import linksonly; print(linksonly.__version__)") == "0.7"


async def test_user_index_url_is_honoured(
    plugins: Path, root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A requirement found only in a local ``file://`` simple index (UV_INDEX_URL) installs.

    PyPI stays an extra index only so that uv's cache of it (offline) serves hookwire's
    own dependencies; ``indexonly`` is in no cache and on no other index.
    """
    wheel = build_wheel(tmp_path / "index" / "files", "indexonly", "0.3")
    project = tmp_path / "index" / "simple" / "indexonly"
    project.mkdir(parents=True)
    (project / "index.html").write_text(f'<a href="../../files/{wheel.name}">{wheel.name}</a>')
    monkeypatch.setenv("UV_INDEX_URL", (tmp_path / "index" / "simple").as_uri())
    monkeypatch.setenv("UV_EXTRA_INDEX_URL", "https://pypi.org/simple")
    venv = await VenvManager(root).ensure(
        make_plugin(plugins, "indexed", requirements="indexonly==0.3\n")
    )
    assert python_says(venv, "import indexonly; print(indexonly.__version__)") == "0.3"


# -- logs --------------------------------------------------------------------------


async def test_venv_location_is_logged_when_created_and_when_reused(
    plugins: Path, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a fresh logger proxy: one cached by an earlier configure_logging() would bypass capture
    monkeypatch.setattr(_venv, "log", structlog.get_logger("hookwire.venv"))
    plugin = make_plugin(plugins, "logged", requirements="")
    with capture_logs() as logs:
        venv = await VenvManager(root).ensure(plugin)
        await VenvManager(root).ensure(plugin)
    seen = [(e["event"], e.get("path")) for e in logs if e["event"].startswith("venv.")]
    assert seen == [("venv.created", str(venv.path)), ("venv.reused", str(venv.path))]


# -- where venvs live --------------------------------------------------------------


def test_venv_dir_setting_wins_over_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOKWIRE_VENV_DIR", str(tmp_path / "from-env"))
    config = load_config(write_config(tmp_path, [], [], settings={"venv_dir": "mine"}))
    assert venv_root(config, tmp_path / "data") == (tmp_path / "mine").resolve()


def test_venv_dir_comes_from_environment_without_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOKWIRE_VENV_DIR", str(tmp_path / "from-env"))
    config = load_config(write_config(tmp_path, [], []))
    assert venv_root(config, tmp_path / "data") == (tmp_path / "from-env").resolve()


def test_venv_dir_defaults_to_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOOKWIRE_VENV_DIR")
    config = load_config(write_config(tmp_path, [], []))
    assert venv_root(config, tmp_path / "data") == (tmp_path / "data" / "venvs").resolve()
