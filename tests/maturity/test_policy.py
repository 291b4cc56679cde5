"""The maturity policy at config load: production warns on alpha/beta, refuses deprecated."""

from __future__ import annotations

from pathlib import Path

import pytest
from structlog.testing import capture_logs

from hookwire.router import ConfigError
from hookwire.router.cli import main
from hookwire.router.config._notices import log_maturity, notices

from ._kit import load, write_config, write_plugin

DEPRECATION = {
    "replacement": "pii_redactor",
    "migration": "rename the plugin; mask_char becomes mask",
}


@pytest.fixture
def plugins(tmp_path: Path) -> Path:
    root = tmp_path / "plugins"
    write_plugin(root, "early", maturity="alpha")
    write_plugin(root, "almost", maturity="beta")
    write_plugin(root, "solid", maturity="stable")
    write_plugin(root, "old_pii", maturity="deprecated", deprecation=DEPRECATION)
    write_plugin(root, "pii_redactor")
    return root


@pytest.mark.parametrize("level,name", [("alpha", "early"), ("beta", "almost")])
def test_production_warns_on_an_unproven_plugin_naming_it_and_its_level(
    plugins: Path, tmp_path: Path, level: str, name: str
) -> None:
    config = load(tmp_path, {name: {}}, "production")

    [warning] = [w for w in config.warnings if "production" in w.message]
    assert f"plugin {name!r} is {level}" in warning.message
    assert warning.path == ("plugins", name)
    assert warning.line == 6


def test_production_does_not_warn_on_a_stable_plugin(plugins: Path, tmp_path: Path) -> None:
    config = load(tmp_path, {"solid": {}}, "production")
    assert config.warnings == ()


def test_development_does_not_warn_on_alpha(plugins: Path, tmp_path: Path) -> None:
    config = load(tmp_path, {"early": {}, "almost": {}}, "development")
    assert config.warnings == ()


def test_production_refuses_a_deprecated_plugin_naming_replacement_and_migration(
    plugins: Path, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, {"old_pii": {}}, "production")

    [problem] = info.value.problems
    assert problem.file.endswith("hookwire.yaml")
    assert problem.path == ("plugins", "old_pii")
    assert problem.line == 6
    assert "plugin 'old_pii' is deprecated: use 'pii_redactor' instead" in problem.message
    assert "migration: rename the plugin; mask_char becomes mask" in problem.message
    assert problem.fix == "set `allow_deprecated: true` for it or use pii_redactor"


def test_allow_deprecated_lets_production_start_it_with_a_warning(
    plugins: Path, tmp_path: Path
) -> None:
    config = load(tmp_path, {"old_pii": {"allow_deprecated": True}}, "production")

    [warning] = config.warnings
    assert "deprecated" in warning.message
    assert "allowed by allow_deprecated" in warning.message
    assert warning.fix == "move to pii_redactor"


def test_development_warns_on_a_deprecated_plugin_that_production_would_refuse(
    plugins: Path, tmp_path: Path
) -> None:
    config = load(tmp_path, {"old_pii": {}}, "development")

    [warning] = config.warnings
    assert "use 'pii_redactor' instead" in warning.message
    assert "production refuses it unless `allow_deprecated: true`" in warning.message


def test_a_disabled_deprecated_plugin_is_not_refused(plugins: Path, tmp_path: Path) -> None:
    config = load(tmp_path, {"old_pii": {"enabled": False}, "solid": {}}, "production")
    assert "old_pii" in config.plugins


def test_deprecated_without_replacement_says_to_remove_it(tmp_path: Path) -> None:
    write_plugin(
        tmp_path / "plugins", "sunset", maturity="deprecated", deprecation={"migration": "none"}
    )
    with pytest.raises(ConfigError) as info:
        load(tmp_path, {"sunset": {}}, "production")
    assert info.value.problems[0].fix == "set `allow_deprecated: true` for it or remove it"


def test_notices_list_unproven_and_deprecated_plugins_in_production(
    plugins: Path, tmp_path: Path
) -> None:
    config = load(
        tmp_path,
        {"early": {}, "almost": {}, "solid": {}, "old_pii": {"allow_deprecated": True}},
        "production",
    )
    found = notices(config.plugins.values(), config.settings)
    assert [(n.plugin, n.level, n.replacement) for n in found] == [
        ("early", "alpha", None),
        ("almost", "beta", None),
        ("old_pii", "deprecated", "pii_redactor"),
    ]


def test_log_maturity_emits_one_structured_warning_per_unproven_plugin(
    plugins: Path, tmp_path: Path
) -> None:
    config = load(tmp_path, {"early": {}, "solid": {}}, "production")

    with capture_logs() as logs:
        log_maturity(config.plugins.values(), config.settings)

    assert logs == [
        {
            "event": "plugin.maturity.warning",
            "log_level": "warning",
            "plugin": "early",
            "kind": "early",
            "level": "alpha",
            "environment": "production",
            "replacement": None,
        }
    ]


def test_check_prints_the_production_warning(
    plugins: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path / "prod.yaml", {"almost": {}}, "production")

    code = main(["check", str(path)])

    out = capsys.readouterr().out
    assert code == 0
    assert f"warning: {path}:6: plugins.almost: plugin 'almost' is beta" in out


def test_check_reports_the_refused_deprecated_plugin(
    plugins: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path / "prod.yaml", {"old_pii": {}}, "production")

    code = main(["check", str(path)])

    err = capsys.readouterr().err
    assert code == 1
    assert "plugins.old_pii: plugin 'old_pii' is deprecated" in err
    assert "(fix: set `allow_deprecated: true` for it or use pii_redactor)" in err
