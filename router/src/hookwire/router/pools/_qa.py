"""``hookwire plugins qa``: measure a plugin's quality instead of taking its word for it.

In a QA venv (the plugin's venv contents plus pytest, pytest-asyncio and coverage, made
by the venv manager under ``<venv root>/qa``) the plugin's own ``tests/`` run under
``coverage run --branch`` limited to the plugin's package; the total comes from
``coverage json`` and the test counts from pytest's JUnit XML. A ``benchmark.py`` in the
plugin folder, if there is one, runs next and prints one JSON object on its last line.
The figures, the date and hookwire's version go to ``quality.measured.json`` beside the
manifest.

pytest uses the plugin's own settings (its pyproject's ``[tool.pytest.ini_options]``), or
``asyncio_mode = auto`` when it has none, with the plugin folder as rootdir.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import platform
import tempfile
import time
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from hookwire.router.catalog._compat import hookwire_version
from hookwire.router.catalog._manifest import PluginPackage
from hookwire.router.catalog._quality import MeasuredQuality, write_measured
from hookwire.router.errors import QaError
from hookwire.router.pools._venv import VenvManager
from hookwire.schemas import SuiteCounts

QA_TOOLS = ("pytest", "pytest-asyncio", "coverage")
BENCHMARK_FILE = "benchmark.py"
DEFAULT_INI = "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
Progress = Callable[[str], None]


def qa_requirements() -> tuple[str, ...]:
    """The test tools, at the versions this environment has where it has them (so an
    offline machine reuses uv's cache), else the newest."""
    out = []
    for name in QA_TOOLS:
        try:
            out.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            out.append(name)
    return tuple(out)


def find_tests(plugin_dir: Path) -> list[Path]:
    """The plugin's test modules: ``tests/test_*.py`` and ``tests/*_test.py``."""
    tests = plugin_dir / "tests"
    if not tests.is_dir():
        return []
    return sorted({*tests.rglob("test_*.py"), *tests.rglob("*_test.py")})


@dataclass
class QaRun:
    """One measurement of ``package``; ``progress`` gets a line per step."""

    package: PluginPackage
    venv_root: Path
    progress: Progress = lambda line: None
    timeout: float = 600.0

    @property
    def name(self) -> str:
        return self.package.name

    @property
    def plugin_dir(self) -> Path:
        return self.package.path.resolve()

    async def run(self) -> tuple[MeasuredQuality, Path]:
        """Measure, write ``quality.measured.json``; the figures and the file written."""
        plugin_dir = self.plugin_dir
        if not find_tests(plugin_dir):
            raise QaError(
                self.name,
                f"the plugin has no tests: expected tests/test_*.py in {plugin_dir} "
                "(QA measures coverage by running them)",
            )
        self.progress(f"venv   QA venv: the plugin's requirements + {', '.join(QA_TOOLS)}")
        manager = VenvManager(self.venv_root / "qa", extra=qa_requirements())
        venv = await manager.ensure(plugin_dir)
        self.progress(f"venv   {venv.action} {venv.path} ({venv.seconds:.1f}s)")
        with tempfile.TemporaryDirectory(prefix="hookwire-qa-") as tmp:
            counts, seconds, coverage = await self._tests(venv.python, Path(tmp))
        benchmark = await self._benchmark(venv.python)
        measured = MeasuredQuality(
            plugin=self.name,
            plugin_version=self.package.manifest.version,
            hookwire_version=hookwire_version(),
            measured_at=dt.datetime.now(dt.UTC).replace(microsecond=0),
            test_coverage=round(coverage, 2),
            tests=counts,
            tests_seconds=round(seconds, 3),
            benchmark=benchmark,
            python=platform.python_version(),
        )
        path = write_measured(plugin_dir, measured)
        self.progress(f"wrote  {path}")
        return measured, path

    async def _tests(self, python: Path, tmp: Path) -> tuple[SuiteCounts, float, float]:
        plugin_dir = self.plugin_dir
        data, junit = tmp / ".coverage", tmp / "junit.xml"
        cov = [str(python), "-m", "coverage"]
        pytest_args = [
            str(plugin_dir / "tests"),
            "-q",
            "-p",
            "no:cacheprovider",
            f"--junitxml={junit}",
            "--rootdir",
            str(plugin_dir),
            "-c",
            str(_pytest_config(plugin_dir, tmp)),
        ]
        run = [*cov, "run", "--branch", f"--data-file={data}", f"--source={self._source()}"]
        self.progress("tests  pytest under coverage ...")
        start = time.perf_counter()
        code, out = await self._exec([*run, "-m", "pytest", *pytest_args])
        seconds = time.perf_counter() - start
        if code == 5:
            raise QaError(self.name, "pytest collected no tests in tests/", out)
        if code not in (0, 1) or not junit.is_file():
            raise QaError(self.name, f"pytest could not run the tests (exit {code})", out)
        counts = _junit_counts(junit)
        report = tmp / "coverage.json"
        code, out = await self._exec([*cov, "json", f"--data-file={data}", "-o", str(report)])
        if code != 0:
            raise QaError(self.name, "coverage has no data for the plugin's package", out)
        total = float(json.loads(report.read_text())["totals"]["percent_covered"])
        self.progress(
            f"tests  {counts.passed} passed, {counts.failed + counts.errors} failed, "
            f"{counts.skipped} skipped in {seconds:.1f}s; coverage {total:.1f}%"
        )
        return counts, seconds, total

    def _source(self) -> str:
        """What coverage measures: the folder of the entry's top package, else its name."""
        top = self.package.manifest.entry.partition(":")[0].split(".")[0]
        folder = self.plugin_dir / top
        return str(folder) if folder.is_dir() else top

    async def _benchmark(self, python: Path) -> dict[str, Any] | None:
        script = self.plugin_dir / BENCHMARK_FILE
        if not script.is_file():
            self.progress(f"bench  no {BENCHMARK_FILE}: skipped")
            return None
        self.progress(f"bench  {BENCHMARK_FILE} ...")
        code, out = await self._exec([str(python), str(script)], merge=False)
        if code != 0:
            raise QaError(self.name, f"{BENCHMARK_FILE} failed (exit {code})", out)
        lines = [line for line in out.splitlines() if line.strip()]
        try:
            figures = json.loads(lines[-1]) if lines else None
        except ValueError:
            figures = None
        if not isinstance(figures, dict):
            raise QaError(
                self.name, f"{BENCHMARK_FILE} must print one JSON object on its last line", out
            )
        shown = ", ".join(f"{k} {v}" for k, v in figures.items() if isinstance(v, int | float))
        self.progress(f"bench  {shown or 'done'}")
        return figures

    async def _exec(self, argv: Sequence[str], merge: bool = True) -> tuple[int, str]:
        """Run ``argv`` in the plugin folder; its exit code and output (stdout only if not
        ``merge``)."""
        env = {k: v for k, v in os.environ.items() if k not in _DROPPED_ENV}
        env["PYTHONPATH"] = str(self.plugin_dir)  # its own folder first, as a worker loads it
        proc = await asyncio.create_subprocess_exec(
            *argv,
            cwd=self.plugin_dir,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT if merge else asyncio.subprocess.PIPE,
        )
        try:
            out, err = await asyncio.wait_for(proc.communicate(), self.timeout)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            what = " ".join(Path(a).name for a in argv[1:4])
            raise QaError(self.name, f"`{what} ...` ran over {self.timeout:.0f}s") from None
        text = out.decode(errors="replace")
        if not merge and proc.returncode != 0 and err:
            text += err.decode(errors="replace")
        return proc.returncode or 0, text


#: Variables of the calling environment that would leak into the QA venv's runs.
_DROPPED_ENV = frozenset({"VIRTUAL_ENV", "PYTHONPATH", "PYTEST_ADDOPTS", "COVERAGE_PROCESS_START"})


def _pytest_config(plugin_dir: Path, tmp: Path) -> Path:
    """The plugin's pyproject if it configures pytest, else a default ini in ``tmp``."""
    pyproject = plugin_dir / "pyproject.toml"
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        data = {}
    if "ini_options" in data.get("tool", {}).get("pytest", {}):
        return pyproject
    ini = tmp / "pytest.ini"
    ini.write_text(DEFAULT_INI, encoding="utf-8")
    return ini


def _junit_counts(path: Path) -> SuiteCounts:
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    tally = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in suites:
        for key in tally:
            tally[key] += int(suite.get(key, "0"))
    failed, errors, skipped = tally["failures"], tally["errors"], tally["skipped"]
    passed = tally["tests"] - failed - errors - skipped
    return SuiteCounts(passed=passed, failed=failed, errors=errors, skipped=skipped)
