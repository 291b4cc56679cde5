"""The rule index's own promises beyond resolution results (docs/routing.md: `when`
expressions, caching and reloads)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from hookwire.router import Config, RuleIndex, config_from_text
from hookwire.router.errors import RuleError

from ._scenario import ROUTING_DIR, build_event

CONFIG = """\
plugin_dirs: [../fixtures/plugins]
plugins:
  validator: {}
  audit_logger: {}
routes:
  - display_name: big uploads
    entities: [tool]
    name: upload
    when: "args.size > 1000"
    plugins: [{name: validator}]
  - entities: [tool]
    plugins: [{name: audit_logger}]
"""


@pytest.fixture(scope="module")
def config() -> Config:
    return config_from_text(CONFIG, file="index.yaml", base_dir=ROUTING_DIR)


def _event(name: str = "upload", tags: tuple[str, ...] = (), **args: Any) -> Any:
    return build_event(
        {
            "hook": "tool_pre_invoke",
            "entity": {"type": "tool", "name": name, "tags": tags},
            "args": args,
        }
    )


def _names(index: RuleIndex, event: Any) -> list[str]:
    return [r.instance.plugin for r in index.resolve(event)]


def test_when_runtime_error_logs_a_warning_naming_rule_and_error(config: Config) -> None:
    index = config.build_index()
    with capture_logs() as logs, pytest.raises(RuleError) as info:
        index.resolve(_event(size="big"))
    assert info.value.rule == 0
    assert "routes[0] (big uploads)" in str(info.value)
    warnings = [e for e in logs if e["log_level"] == "warning"]
    assert len(warnings) == 1
    assert "routes[0] (big uploads)" in warnings[0]["rule"]
    assert "TypeError" in warnings[0]["error"]
    assert index.stats.when_errors == 1


def test_when_errors_are_counted_per_event(config: Config) -> None:
    index = config.build_index()
    for _ in range(3):
        with pytest.raises(RuleError):
            index.resolve(_event(size="big"))
    index.resolve(_event(size=5000))
    assert index.stats.when_errors == 3


def test_when_is_evaluated_per_event_on_a_cached_static_resolution(config: Config) -> None:
    index = config.build_index()
    assert _names(index, _event(size=5000)) == ["validator"]
    assert _names(index, _event(size=5)) == ["audit_logger"]
    assert _names(index, _event(size=5000)) == ["validator"]
    assert index.cache_info()["misses"] == 1
    assert index.cache_info()["hits"] == 2


def test_cache_key_ignores_tag_order_and_duplicates(config: Config) -> None:
    index = config.build_index()
    index.resolve(_event(name="t", tags=("b", "a")))
    index.resolve(_event(name="t", tags=("a", "b", "a")))
    assert index.cache_info() | {"maxsize": 0} == {"size": 1, "maxsize": 0, "hits": 1, "misses": 1}


def test_cache_belongs_to_the_index_instance(config: Config) -> None:
    first = config.build_index()
    second = config.build_index()
    first.resolve(_event(name="a"))
    first.resolve(_event(name="b"))
    assert first.cache_info()["size"] == 2
    assert second.cache_info() == {"size": 0, "maxsize": second.cache_size, "hits": 0, "misses": 0}


def test_cache_is_a_bounded_lru(config: Config) -> None:
    index = RuleIndex(config.rules, config.strategy, cache_size=2)
    for name in ("a", "b", "a", "c"):  # "a" was used again, so "b" is the one evicted
        index.resolve(_event(name=name))
    assert index.cache_info()["size"] == 2
    misses = index.cache_info()["misses"]
    index.resolve(_event(name="a"))
    assert index.cache_info()["misses"] == misses
    index.resolve(_event(name="b"))
    assert index.cache_info()["misses"] == misses + 1


def test_route_cache_size_setting_sizes_the_index() -> None:
    text = CONFIG.replace("plugins:\n", "plugin_settings: {route_cache_size: 3}\nplugins:\n", 1)
    config = config_from_text(text, file="index.yaml", base_dir=ROUTING_DIR)
    assert config.build_index().cache_size == 3


def test_rules_scoped_only_by_server_are_bucketed_by_server(tmp_path: Path) -> None:
    """One rule per server (ContextForge's gateway -> server nesting, flattened) must not
    make every event check every rule: each server's rules sit in a bucket of their own."""
    manifest = tmp_path / "plugins" / "p"
    manifest.mkdir(parents=True)
    (manifest / "plugin-manifest.yaml").write_text(
        "name: p\nversion: '1.0'\ndescription: d\nentry: p.m:P\nmaturity: alpha\n"
        "hooks: [tool_pre_invoke, http_pre_request]\n"
    )
    routes = "".join(
        f"  - {{entities: [tool], server_name: srv_{i}, plugins: [{{name: p}}]}}\n"
        f"  - {{hooks: [http_pre_request], server_id: sid_{i}, plugins: [{{name: p}}]}}\n"
        for i in range(300)
    )
    text = f"plugin_dirs: [plugins]\nplugins: {{p: {{}}}}\nroutes:\n{routes}"
    index = config_from_text(text, file="servers.yaml", base_dir=tmp_path).build_index()
    assert max(len(rules) for rules in index._buckets.values()) == 1
    key = ("tool_pre_invoke", "tool", "search", (), "srv_7", None, None)
    assert [r.index for r in index.candidates(key)] == [14]
    http = ("http_pre_request", None, None, (), None, "sid_7", None)
    assert [r.index for r in index.candidates(http)] == [15]
