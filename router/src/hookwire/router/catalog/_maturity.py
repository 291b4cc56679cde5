"""The maturity model: the levels, what each needs, and what a plugin's quality supports.

| level | criteria |
|---|---|
| alpha | early work: coverage under 50%, no audit |
| beta | coverage 50% to 80% and a code review (or an audit) |
| stable | coverage over 80% and a full security audit |
| deprecated | end of life: migration notes, usually a replacement |

A claim is judged only by figures that exist: a plugin with no quality figures at all
contradicts nothing. Only claims above what the figures support are contradictions.
"""

from __future__ import annotations

from typing import Literal

from hookwire.schemas import QualityView

Level = Literal["alpha", "beta", "stable"]
LEVELS = ("alpha", "beta", "stable", "deprecated")
#: Least coverage (percent) beta needs; stable needs more than STABLE_COVERAGE.
BETA_COVERAGE = 50.0
STABLE_COVERAGE = 80.0
CRITERIA = {
    "alpha": "early work: coverage under 50%, no audit",
    "beta": "coverage of 50% or more (50 to 80% typical) and a code review (or an audit)",
    "stable": "coverage over 80% and a full security audit",
    "deprecated": "end of life: migration notes, usually a replacement",
}
#: Levels that production starts with a warning.
UNPROVEN = ("alpha", "beta")


def _failing(quality: QualityView) -> int:
    return quality.tests.failed + quality.tests.errors if quality.tests else 0


def supported_level(quality: QualityView) -> Level | None:
    """The highest level ``quality`` meets, or None when it holds no figures."""
    if not quality.known:
        return None
    coverage = quality.test_coverage
    if _failing(quality) or coverage is None:
        return "alpha"
    if coverage > STABLE_COVERAGE and quality.security_audit:
        return "stable"
    if coverage >= BETA_COVERAGE and (quality.review or quality.security_audit):
        return "beta"
    return "alpha"


def contradictions(claimed: str, quality: QualityView) -> list[str]:
    """Why the figures do not support claiming ``claimed`` (empty: no contradiction)."""
    if claimed not in ("beta", "stable") or not quality.known:
        return []
    reasons = []
    coverage = quality.test_coverage
    if claimed == "stable":
        if coverage is not None and coverage <= STABLE_COVERAGE:
            reasons.append(f"coverage {coverage:g}% (stable needs over {STABLE_COVERAGE:g}%)")
        if not quality.security_audit:
            reasons.append("no security audit recorded (stable needs a full audit)")
    else:
        if coverage is not None and coverage < BETA_COVERAGE:
            reasons.append(f"coverage {coverage:g}% (beta needs {BETA_COVERAGE:g}% or more)")
        if not (quality.review or quality.security_audit):
            reasons.append("no review or audit recorded (beta needs a review)")
    failing = _failing(quality)
    if failing:
        reasons.append(f"{failing} failing test{'s' if failing != 1 else ''} in the last qa run")
    return reasons


def describe(quality: QualityView) -> str:
    """Where the figures come from, for a message: measured (with the date) or typed."""
    if quality.source == "measured" and quality.measured_at:
        return f"measured quality (hookwire plugins qa, {quality.measured_at[:10]})"
    return "manifest quality (typed in, not measured)"
