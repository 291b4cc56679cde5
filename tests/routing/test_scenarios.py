"""The table-driven routing suite: one YAML scenario per behaviour of docs/routing.md.

For every case the rule index and ``explain`` (the naive rule-by-rule evaluation)
must both give the expected plugins, and agree with each other exactly. Error
scenarios must report every expected problem (file, YAML path, line, message, fix)
and nothing else. Legacy scenarios are also run through ``migrate``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from hookwire.router import Config, ConfigError, Problem, explain, load_config, migrate
from hookwire.router.errors import RuleError, format_path
from hookwire.router.routing._event import EventMismatch

from ._scenario import (
    ROUTING_DIR,
    Case,
    Scenario,
    all_scenarios,
    build_event,
    describe,
    detail_of,
)

SCENARIOS = all_scenarios()


def _xfail(reason: str | None) -> list[pytest.MarkDecorator]:
    return [pytest.mark.xfail(strict=True, reason=reason)] if reason else []


def _params(
    items: Sequence[tuple[str, tuple[Any, ...], str | None]],
) -> list[Any]:
    return [
        pytest.param(*values, id=ident, marks=_xfail(reason)) for ident, values, reason in items
    ]


def _case_params() -> list[Any]:
    return _params(
        [
            (f"{s.id}::{c.name}", (s, c), c.xfail)
            for s in SCENARIOS
            if s.errors is None
            for c in s.cases
        ]
    )


def _scenario_params(which: str) -> list[Any]:
    chosen = {
        "errors": [s for s in SCENARIOS if s.errors is not None],
        "loads": [s for s in SCENARIOS if s.errors is None],
        "scores": [s for s in SCENARIOS if s.scores is not None],
        "equivalent": [s for s in SCENARIOS if s.equivalent_configs],
    }[which]
    return _params([(s.id, (s,), s.xfail if which == "errors" else None) for s in chosen])


_CONFIGS: dict[tuple[Path, int], Config] = {}


def _config(scenario: Scenario, alternative: int = -1) -> Config:
    """The scenario's loaded config (cached: loading is pure)."""
    key = (scenario.path, alternative)
    if key not in _CONFIGS:
        text = None if alternative < 0 else scenario.equivalent_configs[alternative]
        _CONFIGS[key] = scenario.load(text)
    return _CONFIGS[key]


def _show(problems: Sequence[Problem]) -> str:
    return "\n".join(f"  {p.line}: {p}" for p in problems)


def _problem_matches(want: Mapping[str, Any], got: Problem, file: str) -> bool:
    """``message`` may be a list of substrings that must all appear."""
    message = want["message"]
    parts = [message] if isinstance(message, str) else message
    return (
        format_path(got.path) == want["path"]
        and got.line == want.get("line", got.line)
        and (got.file == file if "file" not in want else got.file.endswith(want["file"]))
        and all(part in got.message for part in parts)
        and want.get("fix", "") in got.fix
    )


def _assert_problems(
    expected: Sequence[Mapping[str, Any]], got: Sequence[Problem], file: str, what: str
) -> None:
    for want in expected:
        hits = [p for p in got if _problem_matches(want, p, file)]
        assert len(hits) == 1, f"expected exactly one {what} like {dict(want)}; got:\n{_show(got)}"
    assert len(got) == len(expected), (
        f"expected {len(expected)} {what}s (all reported at once), got {len(got)}:\n{_show(got)}"
    )


# --- resolution ----------------------------------------------------------------------


@pytest.mark.parametrize(("scenario", "case"), _case_params())
def test_case_resolves_as_expected(scenario: Scenario, case: Case) -> None:
    config = _config(scenario)
    index = config.build_index()
    if case.malformed is not None:
        with pytest.raises(EventMismatch, match=case.malformed):
            build_event(case.event)
        return
    event = build_event(case.event)
    exp = explain(config, event)
    if case.rule_error is not None:
        with pytest.raises(RuleError) as info:
            index.resolve(event)
        assert info.value.rule == case.rule_error["rule"]
        assert case.rule_error["error"] in info.value.error
        assert exp.error is not None, "explain does not show the rule error"
        assert (exp.error.rule, exp.error.error) == (info.value.rule, info.value.error)
        assert exp.plugins == ()
        resolved: tuple[Any, ...] = ()
    else:
        resolved = index.resolve(event)
        assert exp.error is None, f"explain reports {exp.error} but the index does not"

    assert [r.instance.plugin for r in resolved] == list(case.expect), describe(resolved)
    assert exp.plugins == resolved, "explain and the rule index disagree"

    if case.detail is not None:
        for n, (want, got) in enumerate(zip(case.detail, resolved, strict=True)):
            have = detail_of(got)
            picked = {k: have[k] for k in want}
            assert picked == dict(want), f"plugin #{n}: {have}"
    if case.kept is not None:
        assert [rep.rule.index for rep in exp.rules if rep.kept] == list(case.kept)
    if case.matched is not None:
        assert [rep.rule.index for rep in exp.rules if rep.matched] == list(case.matched)
    if case.when_errors is not None:
        assert index.stats.when_errors == case.when_errors


# --- load-time checks -----------------------------------------------------------------


@pytest.mark.parametrize("scenario", _scenario_params("errors"))
def test_error_scenario_reports_every_problem(scenario: Scenario) -> None:
    assert scenario.errors is not None
    with pytest.raises(ConfigError) as info:
        scenario.load()
    _assert_problems(scenario.errors, info.value.problems, scenario.file, "error")


@pytest.mark.parametrize("scenario", _scenario_params("loads"))
def test_scenario_config_has_exactly_the_expected_warnings(scenario: Scenario) -> None:
    config = _config(scenario)
    _assert_problems(scenario.warnings, config.warnings, scenario.file, "warning")


@pytest.mark.parametrize("scenario", _scenario_params("scores"))
def test_rule_specificity_scores(scenario: Scenario) -> None:
    config = _config(scenario)
    assert [r.score for r in config.rules] == list(scenario.scores or ())


@pytest.mark.parametrize("scenario", _scenario_params("equivalent"))
def test_equivalent_configs_resolve_identically(scenario: Scenario) -> None:
    base = _config(scenario)
    for n in range(len(scenario.equivalent_configs)):
        other = _config(scenario, n)
        assert {k: p.config for k, p in other.plugins.items()} == {
            k: p.config for k, p in base.plugins.items()
        }
        for case in scenario.cases:
            event = build_event(case.event)
            want = describe(base.build_index().resolve(event))
            assert describe(other.build_index().resolve(event)) == want, case.name


# --- hookwire migrate ------------------------------------------------------------------


def _legacy_scenarios() -> Iterator[Scenario]:
    for s in SCENARIOS:
        if s.errors is None:
            try:
                legacy = _config(s).legacy
            except ConfigError:
                continue  # reported by the scenario's own tests
            if legacy:
                yield s


def _absolute_dirs(text: str) -> str:
    """The config text with plugin_dirs made absolute, to be written anywhere."""
    data = yaml.safe_load(text)
    data["plugin_dirs"] = [str((ROUTING_DIR / d).resolve()) for d in data["plugin_dirs"]]
    return yaml.safe_dump(data, sort_keys=False)


def test_some_scenarios_are_legacy() -> None:
    assert len(list(_legacy_scenarios())) >= 5


@pytest.mark.parametrize("scenario", [pytest.param(s, id=s.id) for s in _legacy_scenarios()])
def test_migrate_output_resolves_like_the_legacy_config(scenario: Scenario, tmp_path: Path) -> None:
    legacy = tmp_path / "legacy.yaml"
    legacy.write_text(_absolute_dirs(scenario.config), encoding="utf-8")
    text, original = migrate(legacy)
    assert original.legacy
    migrated = tmp_path / "routes.yaml"
    migrated.write_text(text, encoding="utf-8")
    routes = load_config(migrated)
    assert not routes.legacy
    assert yaml.safe_load(text)["routes"], "migrate printed no routes"
    for case in scenario.cases:
        event = build_event(case.event)
        want = describe(_config(scenario).build_index().resolve(event))
        assert describe(routes.build_index().resolve(event)) == want, case.name
