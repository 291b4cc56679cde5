"""ContextForge plugin configs load as they are, or fail with an error saying what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from hookwire.router import load_config
from hookwire.router.config._load import config_from_text
from hookwire.router.errors import ConfigError
from hookwire.router.routing._modes import Mode, OnError

GATEWAY_CONFIG = Path(__file__).with_name("fixtures") / "gateway-1.1.0-plugins-config.yaml"
MISSING_DIRS = ("plugins/native", "plugins/custom", "/etc/mcpgateway/plugins")


def gateway_config(tmp_path: Path) -> Path:
    """The gateway's own file beside the plugin folders it names (created empty)."""
    text = GATEWAY_CONFIG.read_text().replace("/etc/mcpgateway/plugins", "etc/plugins")
    for folder in ("plugins/native", "plugins/custom", "etc/plugins"):
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_the_gateway_config_as_shipped_fails_only_on_its_missing_plugin_dirs() -> None:
    with pytest.raises(ConfigError) as info:
        load_config(GATEWAY_CONFIG)
    problems = info.value.problems
    assert [p.path for p in problems] == [("plugin_dirs", i) for i in range(3)]
    assert all("does not exist" in p.message for p in problems)
    assert [d in str(info.value) for d in MISSING_DIRS] == [True] * 3


def test_the_gateway_config_loads_with_its_plugin_dirs_present(tmp_path: Path) -> None:
    config = load_config(gateway_config(tmp_path))
    assert len(config.plugins) == 44
    pii = config.plugins["PIIFilterPlugin"]
    assert pii.enabled and pii.mode is Mode.SEQUENTIAL  # mode: enforce
    assert pii.manifest is not None and pii.manifest.cpex is not None
    assert pii.manifest.cpex.kind == "cpex_pii_filter.PIIFilterPlugin"
    assert pii.manifest.cpex.requirement == "cpex-pii-filter"  # the entry has no version
    pinned = config.plugins["PIIFilter"].manifest
    assert pinned is not None and pinned.cpex is not None
    assert pinned.cpex.requirement == "cpex-pii-filter==0.3.6"  # its `version: "0.3.6"`
    assert pii.config["redaction_text"] == "[PII_REDACTED]"
    assert not config.plugins["RateLimiterPlugin"].enabled  # mode: disabled


def test_gateway_only_settings_are_warnings_that_say_why(tmp_path: Path) -> None:
    config = load_config(gateway_config(tmp_path))
    said = {p.path[-1]: p.message for p in config.warnings if p.path[:1] == ("plugin_settings",)}
    assert set(said) == {
        "parallel_execution_within_band",
        "enable_plugin_api",
        "plugin_health_check_interval",
        "include_user_info",
    }
    assert all("has no effect in hookwire: " in m for m in said.values())


def test_env_templates_render_as_the_gateway_renders_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RATELIMITER_REDIS_URL", raising=False)
    monkeypatch.setenv("REDIS_URL", "redis://cache:6380/2")
    config = load_config(gateway_config(tmp_path))
    assert config.plugins["RateLimiterPlugin"].config["redis_url"] == "redis://cache:6380/2"
    monkeypatch.delenv("REDIS_URL")
    config = load_config(gateway_config(tmp_path))
    assert config.plugins["RateLimiterPlugin"].config["redis_url"] == "redis://redis:6379/0"


def test_an_unsupported_template_is_an_error_at_its_line() -> None:
    text = "plugins:\n  - name: a\n    kind: x.Y\n    config: {u: '{{ env.U | upper }}'}\n"
    with pytest.raises(ConfigError, match=r"<config>:4: .*filter 'upper' is not supported"):
        config_from_text(text)


LEGACY = """
plugins:
  - name: Guard
    kind: cpex_guard.GuardPlugin
    version: "1.2.0"
    hooks: [tool_pre_invoke]
    mode: enforce_ignore_error
    priority: 5
    capabilities: [read_headers]
    conditions:
      - tools: [search]
        tenant_ids: [acme]
    config: {level: high}
"""


def test_old_mode_names_priority_conditions_and_capabilities_load() -> None:
    config = config_from_text(LEGACY)
    guard = config.plugins["Guard"]
    assert (guard.mode, guard.on_error) == (Mode.SEQUENTIAL, OnError.IGNORE)
    assert guard.manifest is not None and guard.manifest.cpex is not None
    assert guard.manifest.cpex.requirement == "cpex-guard==1.2.0"
    assert config.legacy
    [rule] = config.routes
    assert rule["name"] == ["search"] and "tenant_id in ['acme']" in rule["when"]


def test_an_explicit_requirement_wins_over_the_kinds_distribution() -> None:
    text = LEGACY.replace("config: {level: high}", "requirement: guard-pkg>=2\n    config: {}")
    manifest = config_from_text(text).plugins["Guard"].manifest
    assert manifest is not None and manifest.cpex is not None
    assert manifest.cpex.requirement == "guard-pkg>=2"


@pytest.mark.parametrize(
    ("entry", "said", "fix"),
    [
        (
            "kind: external\n    mcp: {proto: STREAMABLEHTTP, url: 'http://x:8000/mcp'}",
            "`kind: external` plugins are called by the gateway over mcp",
            "run the plugin as a hookwire worker instead",
        ),
        (
            "kind: isolated_venv",
            "`kind: isolated_venv` is cpex's own venv runner",
            "requirement:",
        ),
        (
            "kind: a.B\n    applied_to: {tools: [{tool_name: search, fields: [q]}]}",
            "`applied_to` (per-field scoping",
            "attach the plugin with a route",
        ),
        (
            "kind: a.B\n    conditions: [{content_types: [application/json]}]",
            "no content type to match `content_types`",
            "remove `content_types`",
        ),
    ],
)
def test_what_hookwire_cannot_honour_is_an_error_saying_what_to_do(
    entry: str, said: str, fix: str
) -> None:
    text = f"plugins:\n  - name: p\n    hooks: [tool_pre_invoke]\n    {entry}\n"
    with pytest.raises(ConfigError) as info:
        config_from_text(text)
    [problem] = info.value.problems
    assert said in problem.message
    assert fix in problem.fix
