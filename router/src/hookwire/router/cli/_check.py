"""CLI commands that read a config and run nothing: check, explain, migrate."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import msgspec

from hookwire.router.cli._options import add_config_argument, add_config_option
from hookwire.router.config._load import load_config
from hookwire.router.config._migrate import migrate
from hookwire.router.errors import ConfigError
from hookwire.router.routing._explain import explain, render
from hookwire.schemas import ENTITY_TYPES, Entity, GatewayRequest


def _json_arg(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(
            f"not valid JSON ({exc.msg} at column {exc.colno})"
        ) from None


def add_parsers(sub: Any) -> None:
    """Register check, explain and migrate on the ``hookwire`` parser."""
    p = sub.add_parser(
        "check",
        help="validate a config; print its warnings",
        description="Load a config as the router would and report every problem.",
    )
    add_config_argument(p)
    p.add_argument("--strict", action="store_true", help="exit 1 on warnings too")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser(
        "explain",
        help="show which plugins run for an event, and why",
        description="Resolve one event against a config without running anything. "
        "Omit --entity-type for an HTTP-level event.",
    )
    add_config_option(p)
    p.add_argument("--hook", required=True, help="hook type, e.g. tool_pre_invoke")
    p.add_argument("--entity-type", choices=ENTITY_TYPES, help="entity type (omit: HTTP-level)")
    p.add_argument("--name", help="entity name")
    p.add_argument("--entity-id", help="entity id")
    p.add_argument("--tags", default="", help="comma-separated entity tags")
    p.add_argument("--metadata", type=_json_arg, default={}, help="entity metadata (JSON)")
    for flag in ("server-name", "server-id", "gateway-id", "user", "tenant-id", "agent"):
        p.add_argument(f"--{flag}", help=flag.replace("-", "_"))
    p.add_argument("--args", type=_json_arg, default=None, help="payload args (JSON object)")
    p.add_argument("--payload", type=_json_arg, default=None, help="whole hook payload (JSON)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_explain)

    p = sub.add_parser(
        "migrate",
        help="rewrite a legacy (conditions) config with routes",
        description="Print the routes config equivalent to a legacy ContextForge "
        "config. Save it beside the original: plugin_dirs stay relative to it.",
    )
    add_config_argument(p, "legacy config file (YAML)")
    p.add_argument("-o", "--output", help="write here instead of standard output")
    p.set_defaults(func=cmd_migrate)


def _fail(exc: ConfigError) -> int:
    print(str(exc), file=sys.stderr)
    return 1


def cmd_check(ns: argparse.Namespace) -> int:
    try:
        config = load_config(ns.config)
    except ConfigError as exc:
        if ns.json:
            print(json.dumps({"ok": False, "problems": [str(p) for p in exc.problems]}, indent=2))
            return 1
        return _fail(exc)
    warnings = [str(w) for w in config.warnings]
    if ns.json:
        print(
            json.dumps(
                {
                    "ok": True,
                    "plugins": len(config.plugins),
                    "rules": len(config.rules),
                    "strategy": config.strategy,
                    "legacy": config.legacy,
                    "warnings": warnings,
                },
                indent=2,
            )
        )
    else:
        mode = "legacy conditions" if config.legacy else config.strategy
        print(
            f"ok: {config.file}: {len(config.plugins)} plugins, {len(config.rules)} rules ({mode})"
        )
        for w in warnings:
            print(f"warning: {w}")
    return 1 if ns.strict and warnings else 0


def default_payload(hook: str, name: str | None, args: dict[str, Any] | None) -> dict[str, Any]:
    """A minimal payload for ``hook`` carrying ``name`` and ``args`` where the hook has them."""
    family = hook.split("_", 1)[0]
    key = {"tool": "name", "prompt": "prompt_id", "resource": "uri", "agent": "agent_id"}.get(
        family
    )
    payload: dict[str, Any] = {}
    if key is not None:
        payload[key] = name or ""
    if args is not None:
        payload["args"] = args
    return payload


def cmd_explain(ns: argparse.Namespace) -> int:
    try:
        config = load_config(ns.config)
    except ConfigError as exc:
        return _fail(exc)
    entity = None
    if ns.entity_type:
        if not ns.name:
            print("hookwire explain: --name is required with --entity-type", file=sys.stderr)
            return 2
        tags = [t.strip() for t in ns.tags.split(",") if t.strip()]
        entity = Entity(
            type=ns.entity_type, name=ns.name, id=ns.entity_id, tags=tags, metadata=ns.metadata
        )
    payload = ns.payload if ns.payload is not None else default_payload(ns.hook, ns.name, ns.args)
    event = GatewayRequest(
        hook=ns.hook,
        entity=entity,
        server_name=ns.server_name,
        server_id=ns.server_id,
        gateway_id=ns.gateway_id,
        user=ns.user,
        tenant_id=ns.tenant_id,
        agent=ns.agent,
        payload=msgspec.Raw(msgspec.json.encode(payload)),
    )
    exp = explain(config, event)
    if ns.json:
        print(json.dumps(exp.to_json(), indent=2, default=dict))
    else:
        print(render(exp))
    return 0


def cmd_migrate(ns: argparse.Namespace) -> int:
    try:
        text, _ = migrate(ns.config)
    except ConfigError as exc:
        return _fail(exc)
    if ns.output:
        with open(ns.output, "w", encoding="utf-8") as out:
            out.write(text)
        print(f"wrote {ns.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
