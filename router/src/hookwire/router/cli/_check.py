"""CLI commands that read a config and run nothing: check, explain, migrate."""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from typing import Any

import msgspec

from hookwire.router.cli._options import add_config_argument, add_config_option
from hookwire.router.cli._render import count
from hookwire.router.config._load import load_config
from hookwire.router.config._migrate import migrate
from hookwire.router.errors import ConfigError
from hookwire.router.routing._event import EventMismatch, complete_event, payload_mapping
from hookwire.router.routing._explain import explain, render
from hookwire.schemas import BUILTIN_HOOKS, ENTITY_TYPES, Entity, GatewayRequest


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


#: Per entity hook family: the entity type and the payload field naming the entity.
FAMILIES = {
    "tool": ("tool", "name"),
    "prompt": ("prompt", "prompt_id"),
    "resource": ("resource", "uri"),
    "agent": ("agent", "agent_id"),
}


def entity_type_of(hook: str) -> str | None:
    """The entity type of a built-in entity hook (``tool_pre_invoke``: ``tool``), as
    ``hookwire send`` and the router derive it; None for HTTP and custom hooks."""
    family = FAMILIES.get(hook.split("_", 1)[0])
    return family[0] if family is not None and hook in BUILTIN_HOOKS else None


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


def default_payload(hook: str, name: str | None, args: dict[str, Any] | None) -> dict[str, Any]:
    """A minimal payload for ``hook`` carrying ``name`` and ``args`` where the hook has them."""
    family = FAMILIES.get(hook.split("_", 1)[0])
    key = family[1] if family is not None else None
    payload: dict[str, Any] = {}
    if key is not None:
        payload[key] = name or ""
    if args is not None:
        payload["args"] = args
    return payload


def _explain_entity(ns: argparse.Namespace, payload: dict[str, Any]) -> Entity | str | None:
    """The event's entity, or why there can be none (a message)."""
    entity_type: Any = ns.entity_type or entity_type_of(ns.hook)  # one of ENTITY_TYPES
    if entity_type is None:
        return None
    field = FAMILIES.get(entity_type, ("", ""))[1]
    name = ns.name or (payload.get(field) if field else None)
    if not name:
        return f"--name is required for a {entity_type} entity (or give --payload with {field!r})"
    tags = [t.strip() for t in ns.tags.split(",") if t.strip()]
    return Entity(
        type=entity_type, name=str(name), id=ns.entity_id, tags=tags, metadata=ns.metadata
    )


def cmd_explain(ns: argparse.Namespace) -> int:
    try:
        config = load_config(ns.config)
    except ConfigError as exc:
        return _fail(exc)
    if ns.hook not in config.known_hooks:
        close = difflib.get_close_matches(ns.hook, config.known_hooks, n=1)
        hint = (
            f"did you mean {close[0]}?"
            if close
            else "known: " + ", ".join(sorted(config.known_hooks))
        )
        print(f"hookwire explain: unknown hook {ns.hook!r} ({hint})", file=sys.stderr)
        return 1
    payload = ns.payload if ns.payload is not None else default_payload(ns.hook, ns.name, ns.args)
    entity = _explain_entity(ns, payload)
    if isinstance(entity, str):
        print(f"hookwire explain: {entity}", file=sys.stderr)
        return 2
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
    try:  # complete it as the router does: routing follows what the plugins will see
        event = complete_event(event, payload_mapping(event))
    except EventMismatch as exc:
        print(f"hookwire explain: the router would refuse this event: {exc}", file=sys.stderr)
        return 2
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
