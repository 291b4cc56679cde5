"""``hookwire check``, ``explain`` and ``migrate`` (docs/routing.md: legacy, explain)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest
import yaml

from hookwire.router import config_from_text, load_config
from hookwire.router.cli import main
from hookwire.schemas import Entity, GatewayRequest

FIXTURE_PLUGINS = Path(__file__).resolve().parent.parent / "fixtures" / "plugins"

ROUTES = """\
plugin_dirs: [{plugins}]
plugins:
  audit_logger: {{}}
  pii_filter: {{}}
  customer_validator: {{}}
  validator: {{}}
routes:
  - display_name: catch-all
    entities: [tool]
    plugins: [{{name: audit_logger, priority: 30}}]
  - display_name: customer data
    entities: [tool]
    tags: [customer, pii]
    plugins: [{{name: pii_filter, priority: 10}}]
  - display_name: big customer creations
    entities: [tool]
    name: create_customer
    when: "args.amount > 1000"
    plugins: [{{name: customer_validator, priority: 20, config: {{threshold: 500}}}}]
  - display_name: posts
    hooks: [http_pre_request]
    when: "payload.method == 'POST'"
    plugins: [{{name: audit_logger}}]
"""

BROKEN = """\
plugin_dirs: [{plugins}]
plugins:
  pii_filter:
    config: {{mask: 3}}
routes:
  - entities: [tool]
    when: "usr == 'admin'"
    plugins: [{{name: pii_filter}}]
  - display_name: everything
    plugins: [{{name: pii_filter}}]
"""

LEGACY = """\
plugin_dirs: [{plugins}]
plugins:
  - name: pii_filter
    kind: pii_filter
    priority: 10
    conditions:
      - tools: [create_customer]
      - server_ids: [srv-crm]
        user_patterns: [admin]
  - name: rate_limiter
    kind: rate_limiter
    priority: 5
    conditions:
      - tenant_ids: [acme]
  - name: audit_logger
    kind: audit_logger
"""


def _write(tmp_path: Path, name: str, template: str) -> Path:
    path = tmp_path / name
    path.write_text(template.format(plugins=FIXTURE_PLUGINS), encoding="utf-8")
    return path


@pytest.fixture
def routes_file(tmp_path: Path) -> Path:
    return _write(tmp_path, "hookwire.yaml", ROUTES)


@pytest.fixture
def broken_file(tmp_path: Path) -> Path:
    return _write(tmp_path, "broken.yaml", BROKEN)


@pytest.fixture
def legacy_file(tmp_path: Path) -> Path:
    return _write(tmp_path, "legacy.yaml", LEGACY)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _explain_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code, out, err = _run(capsys, "explain", *argv, "--json")
    assert code == 0, err
    data: dict[str, Any] = json.loads(out)
    return data


# --- check ------------------------------------------------------------------------------


def test_check_valid_config_exits_0_and_prints_its_warnings(
    capsys: pytest.CaptureFixture[str], routes_file: Path
) -> None:
    code, out, _ = _run(capsys, "check", str(routes_file))
    assert code == 0
    assert f"ok: {routes_file}: 4 plugins, 4 rules (most_specific)" in out
    warnings = [line for line in out.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1
    assert f"{routes_file}:6: plugins.validator" in warnings[0]
    assert "no route attaches it" in warnings[0]


def test_check_strict_exits_1_on_warnings(
    capsys: pytest.CaptureFixture[str], routes_file: Path
) -> None:
    code, out, _ = _run(capsys, "check", "--strict", str(routes_file))
    assert code == 1
    assert "warning:" in out


def test_check_strict_exits_0_without_warnings(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    clean = _write(tmp_path, "clean.yaml", ROUTES.replace("  validator: {{}}\n", ""))
    code, out, _ = _run(capsys, "check", "--strict", str(clean))
    assert code == 0
    assert "warning" not in out


def test_check_broken_config_exits_1_with_every_problem_on_stderr(
    capsys: pytest.CaptureFixture[str], broken_file: Path
) -> None:
    code, out, err = _run(capsys, "check", str(broken_file))
    assert code == 1
    assert out == ""
    lines = err.splitlines()
    assert lines[0] == "3 problems in config"
    mask, when, unscoped = (line.strip() for line in lines[1:])
    assert mask.startswith(f"{broken_file}:4: plugins.pii_filter.config.mask: ")
    assert "(fix: give a value of type string)" in mask
    assert when.startswith(f"{broken_file}:7: routes[0].when: ")
    assert "unknown name 'usr'" in when
    assert "(fix: see docs/routing.md#when-expressions" in when
    assert unscoped.startswith(f"{broken_file}:9: routes[1]: ")
    assert "(fix: set `hooks`, `when`" in unscoped


def test_check_json_lists_problems(capsys: pytest.CaptureFixture[str], broken_file: Path) -> None:
    code, out, _ = _run(capsys, "check", "--json", str(broken_file))
    assert code == 1
    data = json.loads(out)
    assert data["ok"] is False
    assert len(data["problems"]) == 3


def test_check_missing_file_exits_1_naming_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "nope.yaml"
    code, _, err = _run(capsys, "check", str(missing))
    assert code == 1
    assert f"{missing}: (top level): cannot read file" in err


def test_check_without_config_or_env_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HOOKWIRE_CONFIG", raising=False)
    with pytest.raises(SystemExit) as info:
        main(["check"])
    assert info.value.code == 2
    assert "give a CONFIG file (or set HOOKWIRE_CONFIG)" in capsys.readouterr().err


def test_hookwire_config_env_var_is_honoured(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, routes_file: Path
) -> None:
    monkeypatch.setenv("HOOKWIRE_CONFIG", str(routes_file))
    code, out, _ = _run(capsys, "check")
    assert code == 0
    assert f"ok: {routes_file}" in out
    data = _explain_json(
        capsys, "--hook", "tool_pre_invoke", "--entity-type", "tool", "--name", "list_orders"
    )
    assert [p["plugin"] for p in data["plugins"]] == ["audit_logger"]


# --- explain ----------------------------------------------------------------------------

CREATE = (
    "--hook", "tool_pre_invoke", "--entity-type", "tool", "--name", "create_customer",
    "--tags", "customer,pii",
)  # fmt: skip


def test_explain_text_lists_plugins_in_order(
    capsys: pytest.CaptureFixture[str], routes_file: Path
) -> None:
    code, out, _ = _run(
        capsys, "explain", "--config", str(routes_file), *CREATE, "--args", '{"amount": 5000}'
    )
    assert code == 0
    assert "event: tool_pre_invoke on tool 'create_customer' tags=customer,pii" in out
    assert "strategy: most_specific" in out
    plugin_lines = [line.strip() for line in out.splitlines() if line.strip()[:2] == "1."]
    assert len(plugin_lines) == 1
    assert plugin_lines[0].startswith("1. customer_validator#")
    assert "priority 20" in plugin_lines[0]
    assert "routes[2]" in plugin_lines[0]
    assert '"threshold": 500' in plugin_lines[0]  # JSON, not a Python repr


def test_explain_text_gives_each_rules_score_and_fate(
    capsys: pytest.CaptureFixture[str], routes_file: Path
) -> None:
    _, out, _ = _run(
        capsys, "explain", "--config", str(routes_file), *CREATE, "--args", '{"amount": 5000}'
    )
    rules = [line for line in out.split("rules:", 1)[1].splitlines() if line.strip()]
    assert len(rules) == 4
    expected = [
        ("routes[0] (catch-all)", "score 0", "dropped", "1010"),
        ("routes[1] (customer data)", "score 100", "dropped", "1010"),
        ("routes[2] (big customer creations)", "score 1010", "kept"),
        ("routes[3] (posts)", "score 60", "no match", "HTTP-level"),
    ]
    for line, parts in zip(rules, expected, strict=True):
        assert all(part in line for part in parts), (line, parts)


def test_explain_text_says_when_a_when_is_false(
    capsys: pytest.CaptureFixture[str], routes_file: Path
) -> None:
    _, out, _ = _run(
        capsys, "explain", "--config", str(routes_file), *CREATE, "--args", '{"amount": 5}'
    )
    assert "1. pii_filter#" in out
    assert "no match: when 'args.amount > 1000' is false" in out


def test_explain_json_plugins_have_the_documented_fields(
    capsys: pytest.CaptureFixture[str], routes_file: Path
) -> None:
    data = _explain_json(capsys, "--config", str(routes_file), *CREATE[:-2], "--tags", "pii")
    assert [p["plugin"] for p in data["plugins"]] == ["pii_filter"]
    item = data["plugins"][0]
    assert {"plugin", "instance", "priority", "mode", "config", "rule"} <= item.keys()
    assert item["instance"].startswith("pii_filter#")
    assert item["priority"] == 10
    assert item["mode"] == "sequential"
    assert item["config"] == {"mask": "***", "detect": {"email": True, "phone": True},
                              "threshold": 0}  # fmt: skip
    assert item["rule"] == 1
    assert [(r["rule"], r["matched"], r["kept"]) for r in data["rules"]] == [
        (0, True, False), (1, True, True), (2, False, False), (3, False, False),
    ]  # fmt: skip


def test_explain_json_agrees_with_the_rule_index(
    capsys: pytest.CaptureFixture[str], routes_file: Path
) -> None:
    data = _explain_json(
        capsys, "--config", str(routes_file), *CREATE, "--args", '{"amount": 5000}'
    )
    config = load_config(routes_file)
    event = GatewayRequest(
        hook="tool_pre_invoke",
        entity=Entity(type="tool", name="create_customer", tags=["customer", "pii"]),
        payload=msgspec.Raw(b'{"name": "create_customer", "args": {"amount": 5000}}'),
    )
    resolved = config.build_index().resolve(event)
    assert [p["instance"] for p in data["plugins"]] == [r.instance.id for r in resolved]


def test_explain_without_entity_type_is_an_http_level_event(
    capsys: pytest.CaptureFixture[str], routes_file: Path
) -> None:
    post = '{"method": "POST", "path": "/rpc"}'
    data = _explain_json(
        capsys, "--config", str(routes_file), "--hook", "http_pre_request", "--payload", post
    )
    assert [(p["plugin"], p["rule"]) for p in data["plugins"]] == [("audit_logger", 3)]
    assert [r["matched"] for r in data["rules"]] == [False, False, False, True]
    code, out, _ = _run(
        capsys, "explain", "--config", str(routes_file), "--hook", "http_pre_request",
        "--payload", post,
    )  # fmt: skip
    assert code == 0
    assert "event: http_pre_request on HTTP-level event" in out


def test_explain_http_get_does_not_run_the_post_rule(
    capsys: pytest.CaptureFixture[str], routes_file: Path
) -> None:
    data = _explain_json(
        capsys, "--config", str(routes_file), "--hook", "http_pre_request",
        "--payload", '{"method": "GET", "path": "/rpc"}',
    )  # fmt: skip
    assert data["plugins"] == []


def test_explain_bad_args_json_is_an_argparse_error(
    capsys: pytest.CaptureFixture[str], routes_file: Path
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["explain", "--config", str(routes_file), *CREATE, "--args", "{amount: 5}"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "argument --args: not valid JSON" in err
    assert "at column 2" in err


def test_explain_broken_config_exits_1_with_the_problems(
    capsys: pytest.CaptureFixture[str], broken_file: Path
) -> None:
    code, _, err = _run(capsys, "explain", "--config", str(broken_file), *CREATE)
    assert code == 1
    assert "3 problems in config" in err


# --- migrate ----------------------------------------------------------------------------

#: Events for the LEGACY config, with the plugins legacy semantics run for each.
LEGACY_EVENTS: list[tuple[dict[str, Any], list[str]]] = [
    ({"hook": "tool_pre_invoke", "entity": ("tool", "create_customer")},
     ["pii_filter", "audit_logger"]),
    ({"hook": "tool_pre_invoke", "entity": ("tool", "list_orders"), "tenant_id": "acme"},
     ["rate_limiter", "audit_logger"]),
    ({"hook": "tool_post_invoke", "entity": ("tool", "list_orders"), "server_id": "srv-crm"},
     ["pii_filter", "audit_logger"]),
    ({"hook": "tool_pre_invoke", "entity": ("tool", "x"), "server_id": "srv-crm", "user": "bob"},
     ["audit_logger"]),
    ({"hook": "tool_pre_invoke", "entity": ("tool", "x"), "server_id": "srv-crm",
      "user": "admin", "tenant_id": "acme"},
     ["rate_limiter", "pii_filter", "audit_logger"]),
    ({"hook": "prompt_pre_fetch", "entity": ("prompt", "greeting")},
     ["pii_filter", "audit_logger"]),
    ({"hook": "http_pre_request", "entity": None, "tenant_id": "acme"},
     ["rate_limiter", "audit_logger"]),
]  # fmt: skip


def _legacy_event(spec: dict[str, Any]) -> GatewayRequest:
    fields = dict(spec)
    entity = fields.pop("entity")
    return GatewayRequest(
        entity=Entity(type=entity[0], name=entity[1]) if entity else None, **fields
    )


def _resolution(config: Any, event: GatewayRequest) -> list[tuple[str, str, Any, str]]:
    return [
        (r.instance.id, r.instance.plugin, dict(r.instance.config), r.instance.mode.value)
        for r in config.build_index().resolve(event)
    ]


def test_migrate_prints_routes_that_resolve_like_the_legacy_config(
    capsys: pytest.CaptureFixture[str], legacy_file: Path
) -> None:
    code, out, _ = _run(capsys, "migrate", str(legacy_file))
    assert code == 0
    data = yaml.safe_load(out)
    assert data["routes"]
    assert data["plugin_settings"]["rule_merge_strategy"] == "merge_all"
    assert all("conditions" not in entry for entry in data["plugins"])
    migrated = config_from_text(out, file="migrated.yaml", base_dir=legacy_file.parent)
    legacy = load_config(legacy_file)
    assert legacy.legacy and not migrated.legacy
    for spec, plugins in LEGACY_EVENTS:
        event = _legacy_event(spec)
        want = _resolution(legacy, event)
        assert [p[1] for p in want] == plugins, spec
        assert _resolution(migrated, event) == want, spec


def test_migrate_output_option_writes_the_file(
    capsys: pytest.CaptureFixture[str], legacy_file: Path
) -> None:
    target = legacy_file.parent / "routes.yaml"
    code, out, err = _run(capsys, "migrate", str(legacy_file), "-o", str(target))
    assert code == 0
    assert out == ""
    assert f"wrote {target}" in err
    assert not load_config(target).legacy


def test_migrate_on_a_routes_config_exits_1_with_nothing_to_migrate(
    capsys: pytest.CaptureFixture[str], routes_file: Path
) -> None:
    code, out, err = _run(capsys, "migrate", str(routes_file))
    assert code == 1
    assert out == ""
    assert "this config already uses routes" in err
    assert "nothing to migrate" in err


# --- the installed command ----------------------------------------------------------------


def test_hookwire_command_runs_in_a_subprocess(routes_file: Path, broken_file: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "HOOKWIRE_CONFIG"}
    command = [sys.executable, "-m", "hookwire.router.cli"]
    ok = subprocess.run(
        [*command, "check", str(routes_file)], capture_output=True, text=True, env=env,
        timeout=60, check=False,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith(f"ok: {routes_file}")
    bad = subprocess.run(
        [*command, "check", str(broken_file)], capture_output=True, text=True, env=env,
        timeout=60, check=False,
    )  # fmt: skip
    assert bad.returncode == 1
    assert f"{broken_file}:7: routes[0].when" in bad.stderr
