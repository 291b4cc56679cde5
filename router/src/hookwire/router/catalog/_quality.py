"""Measured quality: what ``hookwire plugins qa`` records beside a plugin's manifest.

``quality.measured.json`` holds the coverage, test counts, benchmark figures and the date
of the last QA run. A plugin's *quality* as hookwire shows and judges it prefers these
measured figures to the ones its manifest types in; a measurement taken for another
version of the plugin is ignored (and reported as stale).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import msgspec

from hookwire.router.catalog._manifest import PluginPackage
from hookwire.schemas import QualityView, SuiteCounts

MEASURED_FILE = "quality.measured.json"
FORMAT = 1


class MeasuredQuality(msgspec.Struct, frozen=True, kw_only=True):
    """One QA run's figures (the contents of ``quality.measured.json``)."""

    format: int = FORMAT
    plugin: str
    plugin_version: str
    hookwire_version: str
    measured_at: dt.datetime
    test_coverage: float
    tests: SuiteCounts
    tests_seconds: float
    benchmark: dict[str, Any] | None = None
    python: str = ""


_decode = msgspec.json.Decoder(MeasuredQuality).decode


def measured_path(plugin_dir: Path) -> Path:
    return plugin_dir / MEASURED_FILE


def read_measured(plugin_dir: Path) -> MeasuredQuality | None:
    """The last QA run's figures, or None when there are none (or the file is unreadable)."""
    try:
        return _decode(measured_path(plugin_dir).read_bytes())
    except (OSError, msgspec.MsgspecError):
        return None


def write_measured(plugin_dir: Path, measured: MeasuredQuality) -> Path:
    path = measured_path(plugin_dir)
    path.write_bytes(msgspec.json.format(msgspec.json.encode(measured), indent=2) + b"\n")
    return path


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None


def quality_view(package: PluginPackage) -> QualityView:
    """The figures hookwire judges ``package`` by; audits and reviews come from the manifest."""
    typed = package.manifest.quality
    audit, review = _iso(typed.security_audit), _iso(typed.review)
    measured = read_measured(package.path)
    if measured is not None and measured.plugin_version == package.manifest.version:
        return QualityView(
            source="measured",
            test_coverage=round(measured.test_coverage, 1),
            measured_at=measured.measured_at.isoformat(),
            tests=measured.tests,
            tests_seconds=measured.tests_seconds,
            benchmark=measured.benchmark,
            security_audit=audit,
            review=review,
        )
    stale = None
    if measured is not None:
        stale = (
            f"measured for version {measured.plugin_version} on "
            f"{measured.measured_at.date().isoformat()}; run hookwire plugins qa "
            f"{package.name} again"
        )
    typed_any = typed.test_coverage is not None or audit or review or typed.performance_benchmark
    return QualityView(
        source="manifest" if typed_any else "none",
        test_coverage=typed.test_coverage,
        benchmark=typed.performance_benchmark,
        security_audit=audit,
        review=review,
        stale_measurement=stale,
    )
