"""The registry's answers: list with filters, get with everything, measured quality."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from hookwire.router.catalog._quality import MeasuredQuality, write_measured
from hookwire.schemas import GetRequest, ListRequest, SuiteCounts

from .conftest import FIXTURES, registry_of

ALL = [
    "content_moderator",
    "legacy_pii_filter",
    "opa_authz",
    "pii_redactor",
    "prompt_shield",
    "rate_limiter",
    "schema_guard",
    "secrets_scanner",
    "toxicity_filter",
]


def test_list_gives_every_plugin_with_name_description_version_and_maturity() -> None:
    reply = registry_of().list(ListRequest())

    assert [s.name for s in reply.plugins] == ALL
    moderator = reply.plugins[0]
    assert moderator.version == "2.1.0"
    assert moderator.maturity == "stable"
    assert moderator.description.startswith("Classifies prompts and tool results")
    assert moderator.capabilities == ["content_moderation", "content_filtering", "safety"]
    assert moderator.hooks == ["prompt_pre_fetch", "prompt_post_fetch", "tool_post_invoke"]
    assert (moderator.test_coverage, moderator.quality_source) == (91, "manifest")


def test_filter_by_maturity_stable_lists_only_stable_plugins() -> None:
    reply = registry_of().list(ListRequest(maturity="stable"))
    assert [s.name for s in reply.plugins] == ["content_moderator", "pii_redactor", "rate_limiter"]
    assert {s.maturity for s in reply.plugins} == {"stable"}


def test_filter_by_capability() -> None:
    reply = registry_of().list(ListRequest(capability="data_protection"))
    assert [s.name for s in reply.plugins] == [
        "legacy_pii_filter",
        "pii_redactor",
        "secrets_scanner",
    ]


def test_filter_by_hook_and_maturity_together() -> None:
    reply = registry_of().list(ListRequest(hook="tool_post_invoke", maturity="beta"))
    assert [s.name for s in reply.plugins] == ["toxicity_filter"]


def test_an_unknown_maturity_is_an_error_listing_the_levels() -> None:
    reply = registry_of().list(ListRequest(maturity="gold"))
    assert reply.error is not None
    assert reply.error.message == (
        "unknown maturity 'gold' (known: alpha, beta, stable, deprecated)"
    )


def test_get_shows_hooks_config_schema_with_defaults_and_dependencies() -> None:
    reply = registry_of().get(GetRequest(name="opa_authz"))

    detail = reply.plugin
    assert detail is not None
    assert detail.summary.hooks == ["http_auth_check_permission", "tool_pre_invoke"]
    assert detail.config_schema["properties"]["timeout"] == {"type": "number", "default": 0.5}
    assert detail.config_defaults == {
        "url": "http://127.0.0.1:8181/v1/data/hookwire/allow",
        "timeout": 0.5,
    }
    assert detail.dependencies == ["httpx>=0.27", "cachetools>=5"]
    assert detail.requires_hookwire == ">=0.1"
    assert detail.path == str(FIXTURES / "opa_authz")


def test_get_shows_the_deprecation_and_the_replacement() -> None:
    detail = registry_of().get(GetRequest(name="legacy_pii_filter")).plugin
    assert detail is not None
    assert detail.deprecation is not None
    assert detail.deprecation.replacement == "pii_redactor"
    assert detail.deprecation.migration is not None
    assert detail.deprecation.migration.startswith("Rename the plugin to pii_redactor")
    assert detail.summary.replacement == "pii_redactor"


def test_get_judges_the_claim_against_the_quality() -> None:
    detail = registry_of().get(GetRequest(name="opa_authz")).plugin
    assert detail is not None
    assert (detail.supported_level, detail.contradictions) == ("beta", [])
    assert detail.criteria.startswith("coverage of 50% or more")


def test_get_an_unknown_plugin_is_not_found() -> None:
    reply = registry_of().get(GetRequest(name="nope"))
    assert reply.plugin is None
    assert reply.error is not None
    assert reply.error.code == "not_found"


def test_measured_quality_and_its_date_replace_the_typed_figures(registry_dir: Path) -> None:
    write_measured(
        registry_dir / "schema_guard",
        MeasuredQuality(
            plugin="schema_guard",
            plugin_version="0.9.0",
            hookwire_version="0.1.0",
            measured_at=dt.datetime(2026, 6, 2, 9, 30, tzinfo=dt.UTC),
            test_coverage=83.456,
            tests=SuiteCounts(passed=31, failed=0),
            tests_seconds=0.8,
            benchmark={"per_call_us": 40.2},
        ),
    )
    registry = registry_of(registry_dir)

    [summary] = registry.list(ListRequest(capability="input_validation")).plugins
    detail = registry.get(GetRequest(name="schema_guard")).plugin

    assert (summary.test_coverage, summary.quality_source) == (83.5, "measured")
    assert summary.measured_at == "2026-06-02T09:30:00+00:00"
    assert detail is not None
    assert detail.quality.tests == SuiteCounts(passed=31, failed=0)
    assert detail.quality.benchmark == {"per_call_us": 40.2}
    assert detail.quality.review == "2026-10-02"


def test_a_plugin_requiring_another_hookwire_is_listed_as_incompatible(
    registry_dir: Path,
) -> None:
    path = registry_dir / "rate_limiter" / "plugin-manifest.yaml"
    manifest = yaml.safe_load(path.read_text())
    path.write_text(yaml.safe_dump({**manifest, "requires_hookwire": ">=99"}))

    [summary] = registry_of(registry_dir).list(ListRequest(capability="rate_limiting")).plugins

    assert summary.compatible is False
