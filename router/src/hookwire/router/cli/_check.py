"""CLI commands that read a config and run nothing: check, explain, migrate."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from hookwire.router.cli._options import add_config_argument, add_config_option
from hookwire.router.cli._render import count
from hookwire.router.config._load import load_config
from hookwire.router.config._migrate import migrate
from hookwire.router.errors import ConfigError
from hookwire.router.routing._explain import ExplainRefused, explain, explain_event, render
from hookwire.schemas import ENTITY_TYPES


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(
            f"not valid JSON ({exc.msg} at column {exc.colno})"
        ) from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(
            f"expected a JSON object ({{...}}), got {type(value).__name__}: {text}"
        )
    return value


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
        "Without --entity-type the entity comes from the hook, as for hookwire send "
        "(tool_pre_invoke: a tool); HTTP hooks have none.",
    )
    add_config_option(p)
    p.add_argument("--hook", required=True, help="hook type, e.g. tool_pre_invoke")
    p.add_argument(
        "--entity-type", choices=ENTITY_TYPES, help="entity type (default: from the hook)"
    )
    p.add_argument("--name", help="entity name (default: from --payload)")
    p.add_argument("--entity-id", help="entity id")
    p.add_argument("--tags", default="", help="comma-separated entity tags")
    p.add_argument(
        "--metadata", type=_json_object, default={}, help="entity metadata (JSON object)"
    )
    for flag in ("server-name", "server-id", "gateway-id", "user", "tenant-id", "agent"):
        p.add_argument(f"--{flag}", help=flag.replace("-", "_"))
    p.add_argument("--args", type=_json_object, default=None, help="payload args (JSON object)")
    p.add_argument(
        "--payload", type=_json_object, default=None, help="whole hook payload (JSON object)"
    )
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
            f"ok: {config.file}: {count(len(config.plugins), 'plugin')}, "
            f"{count(len(config.rules), 'rule')} ({mode})"
        )
        for w in warnings:
            print(f"warning: {w}")
    return 1 if ns.strict and warnings else 0


def cmd_explain(ns: argparse.Namespace) -> int:
    try:
        config = load_config(ns.config)
    except ConfigError as exc:
        return _fail(exc)
    try:
        event = explain_event(
            config.known_hooks,
            ns.hook,
            entity_type=ns.entity_type,
            name=ns.name,
            entity_id=ns.entity_id,
            tags=ns.tags.split(","),
            metadata=ns.metadata,
            args=ns.args,
            payload=ns.payload,
            server_name=ns.server_name,
            server_id=ns.server_id,
            gateway_id=ns.gateway_id,
            user=ns.user,
            tenant_id=ns.tenant_id,
            agent=ns.agent,
        )
    except ExplainRefused as exc:
        print(f"hookwire explain: {exc}", file=sys.stderr)
        return 1 if exc.unknown_hook else 2
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
