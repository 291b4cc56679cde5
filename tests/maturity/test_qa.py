"""``hookwire plugins qa`` measures a real plugin: its tests under coverage in a real venv.

One plugin (a copy of pii_masker, so nothing is written into the repository) is measured
once for the module. uv installs the test tools (pinned to the dev venv's versions) from the
package index as a user's machine would: no test may rely on what a warm uv cache holds.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hookwire.router.catalog._compat import hookwire_version
from hookwire.router.catalog._quality import MEASURED_FILE, MeasuredQuality, read_measured
from hookwire.router.catalog._registry import Registry
from hookwire.router.cli import main
from hookwire.router.cli._plugins import packages_from
from hookwire.router.errors import QaError
from hookwire.router.pools._qa import QaRun, _junit_counts, _pytest_config
from hookwire.schemas import ListRequest, SuiteCounts

from ._kit import write_plugin

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
PII_MASKER = Path(__file__).resolve().parents[2] / "plugins" / "pii_masker"


@dataclass(frozen=True)
class Measured:
    plugins: Path
    venvs: Path
    measured: MeasuredQuality
    path: Path
    progress: list[str]
    started: dt.datetime


def copy_pii_masker(root: Path) -> Path:
    target = root / "pii_masker"
    shutil.copytree(PII_MASKER, target, ignore=shutil.ignore_patterns("__pycache__", MEASURED_FILE))
    return target


@pytest.fixture(scope="module")
def qa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Measured]:
    base = tmp_path_factory.mktemp("qa")
    copy_pii_masker(base / "plugins")
    package = packages_from(None, [str(base / "plugins")])["pii_masker"]
    progress: list[str] = []
    started = dt.datetime.now(dt.UTC).replace(microsecond=0)
    measured, path = asyncio.run(QaRun(package, base / "venvs", progress.append).run())
    yield Measured(base / "plugins", base / "venvs", measured, path, progress, started)


def test_qa_records_the_coverage_of_the_plugins_own_tests(qa: Measured) -> None:
    assert qa.measured.test_coverage > 90
    assert qa.measured.tests.passed >= 40
    assert (qa.measured.tests.failed, qa.measured.tests.errors) == (0, 0)


def test_qa_records_the_date_and_versions(qa: Measured) -> None:
    assert qa.started <= qa.measured.measured_at <= dt.datetime.now(dt.UTC)
    assert qa.measured.plugin_version == "0.1.0"
    assert qa.measured.hookwire_version == hookwire_version()


def test_qa_records_the_benchmark_figures(qa: Measured) -> None:
    assert qa.measured.benchmark is not None
    assert qa.measured.benchmark["calls"] == 2000
    assert qa.measured.benchmark["per_call_us"] > 0


def test_qa_writes_the_figures_beside_the_manifest(qa: Measured) -> None:
    assert qa.path == qa.plugins / "pii_masker" / MEASURED_FILE
    assert read_measured(qa.plugins / "pii_masker") == qa.measured


def test_qa_reports_each_step(qa: Measured) -> None:
    steps = [line.split()[0] for line in qa.progress]
    assert steps == ["venv", "venv", "tests", "tests", "bench", "bench", "wrote"]


def test_the_registry_then_shows_the_measured_coverage_and_date(qa: Measured) -> None:
    [summary] = Registry(packages_from(None, [str(qa.plugins)])).list(ListRequest()).plugins
    assert summary.quality_source == "measured"
    assert summary.test_coverage == round(qa.measured.test_coverage, 1)
    assert summary.measured_at == qa.measured.measured_at.isoformat()


def test_qa_from_the_cli_prints_and_records_the_figures(
    qa: Measured, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["plugins", "qa", "pii_masker", "--plugin-dir", str(qa.plugins)]
    code = main([*argv, "--venv-dir", str(qa.venvs), "--json"])

    out, err = capsys.readouterr()
    assert code == 0, err
    printed = json.loads(out)
    assert printed == json.loads((qa.plugins / "pii_masker" / MEASURED_FILE).read_text())
    assert printed["test_coverage"] > 90
    assert "  venv   reused " in err  # the QA venv of the fixture, same key


def test_failing_tests_are_recorded_and_qa_exits_1(
    qa: Measured, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plugin = copy_pii_masker(tmp_path / "plugins")
    (plugin / "tests" / "test_broken.py").write_text("def test_broken():\n    assert 1 == 2\n")

    argv = ["plugins", "qa", "pii_masker", "--plugin-dir", str(tmp_path / "plugins")]
    code = main([*argv, "--venv-dir", str(qa.venvs)])

    out = capsys.readouterr().out
    assert code == 1
    assert read_measured(plugin).tests.failed == 1  # type: ignore[union-attr]
    assert ", 1 failed, " in out


def test_a_plugin_without_tests_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_plugin(tmp_path / "plugins", "untested")

    argv = ["plugins", "qa", "untested", "--plugin-dir", str(tmp_path / "plugins")]
    code = main([*argv, "--venv-dir", str(tmp_path / "venvs")])

    err = capsys.readouterr().err
    assert code == 1
    assert "qa untested: the plugin has no tests: expected tests/test_*.py in" in err
    assert not (tmp_path / "venvs").exists()


def test_qa_of_an_unknown_plugin_names_the_known_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_plugin(tmp_path / "plugins", "known")
    code = main(["plugins", "qa", "nope", "--plugin-dir", str(tmp_path / "plugins")])
    assert code == 1
    assert "no plugin named 'nope' (known: known)" in capsys.readouterr().err


def test_junit_counts_passed_failed_errors_and_skipped(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    junit.write_text(
        '<testsuites><testsuite tests="9" failures="2" errors="1" skipped="3"/></testsuites>'
    )
    assert _junit_counts(junit) == SuiteCounts(passed=3, failed=2, errors=1, skipped=3)


def test_pytest_uses_the_plugins_own_settings_when_it_has_them(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.pytest.ini_options]\nasyncio_mode = 'strict'\n")
    assert _pytest_config(tmp_path, tmp_path / "tmp") == tmp_path / "pyproject.toml"


def test_pytest_defaults_to_asyncio_auto_without_settings(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    ini = _pytest_config(tmp_path, tmp_path)
    assert "asyncio_mode = auto" in ini.read_text()


def test_qa_error_carries_the_tail_of_the_output() -> None:
    error = QaError("p", "pytest could not run the tests (exit 4)", "line\n" * 50 + "last")
    assert str(error).startswith("qa p: pytest could not run the tests (exit 4)\nline")
    assert str(error).endswith("last")
    assert str(error).count("\n") == 30
