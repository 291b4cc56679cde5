"""Version compatibility: requires_hookwire and a config's version pin are load errors."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import pytest

from hookwire.router import ConfigError, config_from_text
from hookwire.router.catalog._compat import parse_range, satisfies

from ._kit import load, write_plugin

RUNNING = version("hookwire-router")


def test_a_plugin_requiring_another_hookwire_is_a_clear_error(tmp_path: Path) -> None:
    folder = write_plugin(tmp_path / "plugins", "future", requires_hookwire=">=99")

    with pytest.raises(ConfigError) as info:
        load(tmp_path, {"future": {}})

    [problem] = info.value.problems
    assert problem.path == ("plugins", "future")
    assert problem.line == 6
    assert f"plugin 'future' 1.0.0 requires hookwire '>=99' ({folder}" in problem.message
    assert f"but this is hookwire {RUNNING}" in problem.message
    assert problem.fix == (
        f"use a hookwire matching '>=99', or a version of future made for hookwire {RUNNING}"
    )


def test_a_plugin_whose_range_admits_this_hookwire_loads(tmp_path: Path) -> None:
    write_plugin(tmp_path / "plugins", "current", requires_hookwire=">=0.1,<99")
    assert "current" in load(tmp_path, {"current": {}}).plugins


def test_a_disabled_incompatible_plugin_is_not_an_error(tmp_path: Path) -> None:
    write_plugin(tmp_path / "plugins", "future", requires_hookwire=">=99")
    write_plugin(tmp_path / "plugins", "current")
    config = load(tmp_path, {"future": {"enabled": False}, "current": {}})
    assert not config.plugins["future"].enabled


def test_a_pin_the_installed_plugin_does_not_meet_is_an_error_at_the_pin(tmp_path: Path) -> None:
    write_plugin(tmp_path / "plugins", "masker", version="1.4.0")

    with pytest.raises(ConfigError) as info:
        load(tmp_path, {"masker": {"version": ">=2,<3"}})

    [problem] = info.value.problems
    assert problem.path == ("plugins", "masker", "version")
    assert problem.line == 7
    assert "plugin 'masker' is version 1.4.0" in problem.message
    assert "does not meet the pinned range '<3,>=2'" in problem.message
    assert "put a version of masker matching" in problem.fix


@pytest.mark.parametrize("pin", [">=1.0,<2", "~=1.4", "1.4.0", "==1.4.*"])
def test_a_pin_the_plugin_meets_loads(tmp_path: Path, pin: str) -> None:
    write_plugin(tmp_path / "plugins", "masker", version="1.4.0")
    config = load(tmp_path, {"masker": {"version": pin}})
    assert config.plugins["masker"].entry.version == pin


def test_a_bare_version_pin_means_exactly_that_version(tmp_path: Path) -> None:
    write_plugin(tmp_path / "plugins", "masker", version="1.4.1")
    with pytest.raises(ConfigError, match=r"does not meet the pinned range '==1\.4\.0'"):
        load(tmp_path, {"masker": {"version": "1.4.0"}})


def test_a_pin_that_is_not_a_range_says_how_to_write_one(tmp_path: Path) -> None:
    write_plugin(tmp_path / "plugins", "masker")
    with pytest.raises(ConfigError) as info:
        load(tmp_path, {"masker": {"version": "newest please"}})
    [problem] = info.value.problems
    assert problem.message == "'newest please' is not a version or version range"
    assert "PEP 440" in problem.fix


def test_a_pin_on_a_bare_class_is_an_error() -> None:
    text = """
plugins:
  - name: custom
    kind: my_pkg:MyPlugin
    hooks: [tool_pre_invoke]
    version: ">=1"
routes:
  - entities: [tool]
    plugins: [{name: custom}]
"""
    with pytest.raises(ConfigError, match="has no manifest version to check the pin against"):
        config_from_text(text)


def test_pin_and_compatibility_errors_are_reported_together(tmp_path: Path) -> None:
    write_plugin(tmp_path / "plugins", "future", requires_hookwire=">=99")
    write_plugin(tmp_path / "plugins", "masker", version="1.0.0")

    with pytest.raises(ConfigError) as info:
        load(tmp_path, {"future": {}, "masker": {"version": ">=2"}})

    assert [p.path for p in info.value.problems] == [
        ("plugins", "future"),
        ("plugins", "masker", "version"),
    ]


@pytest.mark.parametrize(
    "candidate,spec,expected",
    [
        ("0.1.0", ">=0.1", True),
        ("0.1.0.dev3", ">=0.1.0.dev0", True),
        ("2.0.0", ">=0.1,<2", False),
        ("not-a-version", ">=0", False),
    ],
)
def test_satisfies(candidate: str, spec: str, expected: bool) -> None:
    assert satisfies(candidate, parse_range(spec)) is expected
