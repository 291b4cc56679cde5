"""hookwire check warns when a manifest claims a level its quality does not support."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from hookwire.router.catalog._maturity import contradictions, supported_level
from hookwire.router.catalog._quality import MeasuredQuality, write_measured
from hookwire.router.cli import main
from hookwire.schemas import QualityView, SuiteCounts

from ._kit import load, write_config, write_plugin

AUDITED = {"security_audit": "2026-01-10", "review": "2026-01-05"}


def measure(folder: Path, coverage: float, version: str = "1.0.0", failed: int = 0) -> None:
    write_measured(
        folder,
        MeasuredQuality(
            plugin=folder.name,
            plugin_version=version,
            hookwire_version="0.1.0",
            measured_at=dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC),
            test_coverage=coverage,
            tests=SuiteCounts(passed=10, failed=failed),
            tests_seconds=1.5,
        ),
    )


def claim_warnings(tmp_path: Path, name: str) -> list[str]:
    return [w.message for w in load(tmp_path, {name: {}}).warnings if "claims" in w.message]


def test_stable_claim_with_62_percent_typed_coverage_is_a_warning_at_the_manifest(
    tmp_path: Path,
) -> None:
    folder = write_plugin(tmp_path / "plugins", "shaky", quality={"test_coverage": 62, **AUDITED})

    [warning] = [w for w in load(tmp_path, {"shaky": {}}).warnings]

    assert warning.file == str(folder / "plugin-manifest.yaml")
    assert warning.path == ("maturity",)
    assert warning.line == 5
    assert warning.message == (
        "plugin 'shaky' claims stable but its manifest quality (typed in, not measured) "
        "supports beta: coverage 62% (stable needs over 80%)"
    )
    assert warning.fix == "raise the figures (hookwire plugins qa shaky) or claim beta"


def test_measured_quality_is_preferred_to_the_typed_figures(tmp_path: Path) -> None:
    folder = write_plugin(tmp_path / "plugins", "shaky", quality={"test_coverage": 95, **AUDITED})
    measure(folder, 62.0)

    [message] = claim_warnings(tmp_path, "shaky")

    assert "its measured quality (hookwire plugins qa, 2026-05-01)" in message
    assert "coverage 62% (stable needs over 80%)" in message


def test_a_measurement_of_another_version_is_ignored(tmp_path: Path) -> None:
    folder = write_plugin(tmp_path / "plugins", "shaky", quality={"test_coverage": 95, **AUDITED})
    measure(folder, 40.0, version="0.9.0")
    assert claim_warnings(tmp_path, "shaky") == []


def test_a_plugin_with_no_figures_contradicts_nothing(tmp_path: Path) -> None:
    write_plugin(tmp_path / "plugins", "quiet")
    assert claim_warnings(tmp_path, "quiet") == []


def test_stable_without_a_security_audit_is_a_warning(tmp_path: Path) -> None:
    write_plugin(tmp_path / "plugins", "unaudited", quality={"test_coverage": 95})
    [message] = claim_warnings(tmp_path, "unaudited")
    assert "no security audit recorded (stable needs a full audit)" in message


def test_beta_with_40_percent_is_a_warning(tmp_path: Path) -> None:
    write_plugin(
        tmp_path / "plugins",
        "thin",
        maturity="beta",
        quality={"test_coverage": 40, "review": "2026-01-01"},
    )
    [message] = claim_warnings(tmp_path, "thin")
    assert "claims beta" in message
    assert "coverage 40% (beta needs 50% or more)" in message


def test_failing_tests_in_the_last_qa_run_contradict_a_stable_claim(tmp_path: Path) -> None:
    folder = write_plugin(tmp_path / "plugins", "flaky", quality=AUDITED)
    measure(folder, 95.0, failed=2)
    [message] = claim_warnings(tmp_path, "flaky")
    assert "2 failing tests in the last qa run" in message


def test_check_prints_the_contradiction(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_plugin(tmp_path / "plugins", "shaky", quality={"test_coverage": 62, **AUDITED})
    path = write_config(tmp_path / "c.yaml", {"shaky": {}})

    assert main(["check", "--strict", str(path)]) == 1
    assert "claims stable but its manifest quality" in capsys.readouterr().out


def view(**fields: Any) -> QualityView:
    return QualityView(source="manifest", **fields)


@pytest.mark.parametrize(
    "quality,level",
    [
        (view(), None),
        (view(test_coverage=30.0), "alpha"),
        (view(test_coverage=65.0), "alpha"),
        (view(test_coverage=65.0, review="2026-01-01"), "beta"),
        (view(test_coverage=80.0, security_audit="2026-01-01"), "beta"),
        (view(test_coverage=80.1, security_audit="2026-01-01"), "stable"),
        (view(test_coverage=95.0, review="2026-01-01"), "beta"),
        (view(security_audit="2026-01-01"), "alpha"),
    ],
)
def test_supported_level(quality: QualityView, level: str | None) -> None:
    assert supported_level(quality) == level


def test_under_claiming_is_not_a_contradiction() -> None:
    quality = view(test_coverage=99.0, security_audit="2026-01-01")
    assert contradictions("alpha", quality) == []
    assert contradictions("beta", quality) == []
