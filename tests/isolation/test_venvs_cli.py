"""``hookwire venvs list`` and ``hookwire venvs prune`` on real venvs.

One venv of each state is made once per module and copied for each test:
``in use`` (configured plugin, current requirements), ``stale`` (same plugin, the
requirements it had before) and ``orphaned`` (a plugin no longer configured).
"""

from __future__ import annotations

import asyncio
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hookwire.router.cli import main
from hookwire.router.pools._venv import VenvManager

from ._plugins import make_plugin, write_config


@dataclass(frozen=True)
class Template:
    plugins: Path
    venvs: Path
    #: state -> venv folder name
    names: dict[str, str]


@dataclass(frozen=True)
class Setup:
    config: Path
    venvs: Path
    names: dict[str, str]

    def path(self, state: str) -> Path:
        return self.venvs / self.names[state]

    def left(self) -> list[str]:
        return sorted(p.name for p in self.venvs.iterdir() if p.is_dir())


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    base = tmp_path_factory.mktemp("venvs-cli")
    plugins, venvs = base / "plugins", base / "venvs"
    kept = make_plugin(plugins, "kept", requirements="# second\n")
    # the same plugin as it was before: only requirements shape a venv, not its folder
    kept_before = make_plugin(base / "before", "kept", requirements="# first\n")
    gone = make_plugin(plugins, "gone", requirements="")
    manager = VenvManager(venvs)

    async def build() -> dict[str, str]:
        made = await asyncio.gather(*(manager.ensure(p) for p in (kept, kept_before, gone)))
        return dict(zip(["in use", "stale", "orphaned"], (v.path.name for v in made), strict=True))

    with pytest.MonkeyPatch.context() as patch:  # module fixtures come before _uv_offline
        patch.setenv("UV_OFFLINE", "1")
        return Template(plugins, venvs, asyncio.run(build()))


@pytest.fixture
def setup(template: Template, tmp_path: Path) -> Setup:
    """A config listing only ``kept``, whose ``plugin_settings.venv_dir`` holds a copy of
    the three venvs."""
    shutil.copytree(template.venvs, tmp_path / "venvs", symlinks=True)
    config = write_config(tmp_path, [template.plugins], ["kept"], settings={"venv_dir": "venvs"})
    return Setup(config, tmp_path / "venvs", template.names)


def hookwire(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code = main(list(args))
    out = capsys.readouterr().out
    assert code == 0, out
    return out


def listed(capsys: pytest.CaptureFixture[str], setup: Setup) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(
        hookwire(capsys, "venvs", "list", "--config", str(setup.config), "--json")
    )
    return report


def test_list_json_says_in_use_stale_and_orphaned(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = listed(capsys, setup)["venvs"]
    assert {Path(r["path"]).name: r["state"] for r in rows} == {
        name: state for state, name in setup.names.items()
    }


def test_list_json_rows_carry_plugin_hash_and_size(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    report = listed(capsys, setup)
    assert Path(report["root"]) == setup.venvs.resolve()
    for row in report["venvs"]:
        folder = Path(row["path"]).name
        assert folder == f"{row['plugin']}-{row['hash']}"
        assert row["size"] > 100_000  # a real venv: python and hookwire's dependencies


def test_list_prints_a_line_per_venv(setup: Setup, capsys: pytest.CaptureFixture[str]) -> None:
    lines = hookwire(capsys, "venvs", "list", "--config", str(setup.config)).splitlines()
    assert lines[0] == f"venvs in {setup.venvs.resolve()}: 3"
    for state, name in setup.names.items():
        assert sum(f" {state} " in line and name in line for line in lines[1:]) == 1, lines


def test_prune_dry_run_lists_what_would_go_and_removes_nothing(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    before = setup.left()
    out = hookwire(capsys, "venvs", "prune", "--config", str(setup.config), "--dry-run")
    assert setup.left() == before
    said = [line for line in out.splitlines() if line.startswith("would remove")]
    assert sorted(Path(line.rsplit(": ", 1)[1]).name for line in said) == sorted(
        [setup.names["stale"], setup.names["orphaned"]]
    )


def test_prune_removes_stale_and_orphaned_venvs_only(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    hookwire(capsys, "venvs", "prune", "--config", str(setup.config))
    assert setup.left() == [setup.names["in use"]]


def test_prune_removes_an_unfinished_build(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    unfinished = setup.venvs / ".kept-0123456789abcdef.tmp-4242"
    unfinished.mkdir()
    hookwire(capsys, "venvs", "prune", "--config", str(setup.config))
    assert not unfinished.exists()
