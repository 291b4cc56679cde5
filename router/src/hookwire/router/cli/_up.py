"""CLI commands for a running deployment: up, send, status."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

import msgspec

from hookwire import client as hw
from hookwire.router._stack import Stack
from hookwire.router.cli._admin import (
    add_admin_listen_option,
    check_listen,
    start_admin,
    tokens_from,
)
from hookwire.router.cli._connection import (
    NoTarget,
    add_client_options,
    resolve_target,
    service_connection,
)
from hookwire.router.cli._options import (
    add_config_option,
    add_folder_options,
    add_follow_option,
    add_logging_options,
    add_nats_options,
    positive,
)
from hookwire.router.cli._pools import where
from hookwire.router.cli._render import count, render_result
from hookwire.router.cli._service import log_settings
from hookwire.router.errors import ConfigError, StackError
from hookwire.router.live._status import status_report
from hookwire.router.live._store import read_config_file
from hookwire.schemas import ENTITY_TYPES, Entity
from hookwire.service import (
    NatsAuthError,
    SignalQueue,
    configure_logging,
    connect,
)

#: ``hookwire send``'s exit status for an event a plugin blocked.
EXIT_BLOCKED = 3


def add_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "up",
        help="run everything: NATS (embedded unless --nats), a router, the pools",
        description="Start a whole deployment from one config. Without --nats (or "
        "HOOKWIRE_NATS_URL) hookwire starts its own nats-server on a free loopback "
        "port with JetStream in the data folder. Runs until Ctrl-C.",
    )
    add_config_option(p)
    add_nats_options(
        p, default=None, help_text="use this NATS server instead of an embedded one", service=True
    )
    add_folder_options(p)
    add_follow_option(p)
    p.add_argument(
        "--force",
        action="store_true",
        help="with --nats: replace the live config another deployment stored there "
        "(without it, up asks on a terminal and refuses otherwise)",
    )
    add_admin_listen_option(p)
    p.add_argument(
        "--insecure",
        action="store_true",
        help="run the embedded nats-server open, without the roles: anyone reaching its "
        "port may do anything",
    )
    add_logging_options(p)
    p.set_defaults(func=cmd_up)

    p = sub.add_parser(
        "send",
        help="send one event and print the decision",
        description="Publish one hook event (payload given as JSON) and print the reply.",
        epilog=f"Exit status: 0 allowed (maybe modified), {EXIT_BLOCKED} blocked, 1 an error "
        "decision or no decision (NATS unreachable, timeout), 2 a usage error.",
    )
    p.add_argument("hook", help="hook type, e.g. tool_pre_invoke")
    p.add_argument(
        "payload", help='the hook\'s payload as JSON, e.g. \'{"name": "t", "args": {}}\''
    )
    add_client_options(p)
    p.add_argument(
        "--entity-type", choices=ENTITY_TYPES, help="entity type (default: from the hook)"
    )
    p.add_argument("--name", help="entity name (default: from the payload)")
    p.add_argument("--tags", default="", help="comma-separated entity tags")
    for flag in (
        "server-name",
        "server-id",
        "gateway-id",
        "user",
        "tenant-id",
        "agent",
        "request-id",
    ):
        p.add_argument(f"--{flag}", help=flag.replace("-", "_"))
    p.add_argument(
        "--timeout", type=positive(float), default=10.0, help="seconds to wait (default 10)"
    )
    p.add_argument("--json", action="store_true", help="print the reply as JSON")
    p.set_defaults(func=cmd_send)

    p = sub.add_parser(
        "status",
        help="list the live routers and worker pools",
        description="Ask every hookwire service on NATS for its info and stats.",
    )
    add_client_options(p)
    p.add_argument(
        "--wait", type=positive(float), default=0.5, help="seconds to collect answers (default 0.5)"
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_status)


def cmd_up(ns: argparse.Namespace) -> int:
    try:
        record, config = read_config_file(ns.config, action="up")
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    if ns.admin_listen != "off":
        refused = check_listen(ns.admin_listen, tokens_from(ns))
        if refused is not None:
            print(f"hookwire up: {refused.replace('--listen', '--admin-listen')}", file=sys.stderr)
            return 2
    worker_env = log_settings(ns)
    # `up` runs its file: it stores it as the live config (when it differs) and follows
    seed = record if ns.follow else None
    folders_ = where(ns, config)
    url, auth = service_connection(ns, config)  # no URL anywhere: the embedded server
    stack = Stack(
        config,
        nats_url=url,
        data_dir=folders_.data,
        venv_dir=folders_.venvs,
        follow=seed is not None,
        seed=seed,
        worker_env=worker_env,
        nats_wait=ns.nats_wait,
        confirm_overwrite=_yes if ns.force else _ask if sys.stdin.isatty() else None,
        auth=auth,
        secure=not ns.insecure,
    )
    return asyncio.run(_up(stack, ns))


def _yes(what: str) -> bool:
    return True


def _ask(what: str) -> bool:
    """On a terminal: whether the person running ``up`` wants ``what`` replaced."""
    answer = input(f"{what}.\nReplace it with this config? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


async def _up(stack: Stack, ns: argparse.Namespace) -> int:
    signals = SignalQueue(signal.SIGTERM, signal.SIGINT)
    try:
        await stack.start()
    except (StackError, OSError, NatsAuthError) as exc:
        await stack.stop()
        print(f"hookwire up: {exc}", file=sys.stderr)
        return 1
    failed = stack.failed_pools()
    headline = f"hookwire is up ({count(len(failed), 'pool')} failed)"
    print(headline if failed else "hookwire is up", *stack.describe(), sep="\n", flush=True)
    try:
        admin = await start_admin(stack, ns)
    except StackError as exc:
        await stack.stop()
        print(f"hookwire up: {exc}", file=sys.stderr)
        return 1
    here = stack.data_dir == (Path.cwd() / ".hookwire").resolve()
    where_ = "" if here else f"--data-dir {stack.data_dir} "
    print(
        f"try:  hookwire send {where_}tool_pre_invoke "
        '\'{"name": "send_email", "args": {"to": "bob@example.com"}}\'',
        flush=True,
    )
    print("Ctrl-C stops everything.", flush=True)
    await signals.next()
    signals.close()
    print("stopping: draining the router and the workers ...", flush=True)
    if admin is not None:
        await admin.stop()
    await stack.stop()
    return 0


def _entity(ns: argparse.Namespace) -> Entity | None:
    if not ns.entity_type:
        return None
    tags = [t for t in ns.tags.split(",") if t]
    return Entity(type=ns.entity_type, name=ns.name or "", tags=tags)


def cmd_send(ns: argparse.Namespace) -> int:
    try:
        payload = json.loads(ns.payload)
    except json.JSONDecodeError as exc:
        print(f"hookwire send: the payload is not valid JSON: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(_send(ns, payload))


async def _send(ns: argparse.Namespace, payload: Any) -> int:
    options = {
        k: getattr(ns, k)
        for k in (
            "server_name",
            "server_id",
            "gateway_id",
            "user",
            "tenant_id",
            "agent",
            "request_id",
        )
        if getattr(ns, k)
    }
    try:
        target = resolve_target(ns, "gateway")
    except NoTarget as exc:
        print(f"hookwire send: {exc}", file=sys.stderr)
        return 2
    try:
        async with await hw.connect(
            target.url, timeout=ns.timeout, auth=target.auth, connect_deadline=ns.timeout
        ) as gateway:
            result = await gateway.invoke(ns.hook, payload, entity=_entity(ns), **options)
    except (
        hw.HookwireUnavailable,
        hw.HookwireTimeout,
        hw.PayloadTooLarge,
        hw.InvalidPayload,
        hw.NatsAuthError,
    ) as exc:
        print(f"hookwire send: {exc}", file=sys.stderr)
        return 1
    if ns.json:
        print(json.dumps(msgspec.to_builtins(result), indent=2))
    else:
        print(f"{ns.hook} {result.request_id}", *render_result(result), sep="\n")
    if result.blocked:
        return EXIT_BLOCKED
    return 0 if result.decision != "error" else 1


def cmd_status(ns: argparse.Namespace) -> int:
    configure_logging()  # logs go to stderr: stdout is the report (--json parses)
    return asyncio.run(_status(ns))


async def _status(ns: argparse.Namespace) -> int:
    try:
        target = resolve_target(ns, "observer")
    except NoTarget as exc:
        print(f"hookwire status: {exc}", file=sys.stderr)
        return 2
    try:
        nc = await connect(
            target.url,
            "hookwire-status",
            attempts=2,
            reconnect_time_wait=0.1,
            auth=target.auth,
            deadline=10,
        )
    except Exception as exc:
        print(f"hookwire status: {exc}", file=sys.stderr)
        return 1
    try:
        report = await status_report(nc, ns.wait)
    finally:
        await nc.close()
    if ns.json:
        print(json.dumps(report, indent=2))
    else:
        print("\n".join(render_status(report)))
    return 0


def render_status(report: dict[str, Any]) -> list[str]:
    lines = [f"routers: {len(report['routers'])}"]
    for r in report["routers"]:
        events = ", ".join(f"{k} {v}" for k, v in sorted(r["events"].items())) or "no events yet"
        live = f"  live revision {r['revision']}" if r.get("revision") is not None else ""
        lines.append(
            f"  {r['id']}  {events}{live}"
            + (f"  disabled: {r['disabled']}" if r["disabled"] else "")
        )
        rec = r.get("record") or {}
        if rec.get("enabled"):
            lines.append(
                f"    record ({rec.get('keep')}): {rec.get('written', 0)} written, "
                f"{rec.get('failed', 0)} failed, {rec.get('dropped', 0)} dropped"
                + (f"; last error: {rec['last_error']}" if rec.get("last_error") else "")
            )
        ff = r.get("fire_and_forget") or {}
        if ff:
            lines.append(
                "    fire_and_forget: " + ", ".join(f"{k} {v}" for k, v in sorted(ff.items()))
            )
    lines.append(f"worker processes: {sum(w['processes'] for w in report['workers'])}")
    for w in report["workers"]:
        lines.append(
            f"  {w['plugin']:<18} {count(w['processes'], 'process', 'processes')}  "
            f"{count(w['requests'], 'request')}  {count(w['errors'], 'error')}"
            + (f"  {count(w['dead_letters'], 'dead letter')}" if w.get("dead_letters") else "")
        )
        for instance, error in sorted(w.get("failed_instances", {}).items()):
            lines.append(f"    instance {instance} FAILED: {error}")
    if report["pools"]:
        lines.append("supervised pools:")
        for p in report["pools"]:
            state = "FAILED" if p["failed"] else str(p.get("state") or "ok")
            retry = p.get("next_retry")
            after = f"  retry in {max(0.0, float(retry) - time.time()):.0f}s" if retry else ""
            runs_on = f"  on {p['supervisor']}" if p.get("supervisor") else ""
            lines.append(
                f"  {p['plugin']:<18} {state:<9} {p['alive']}/{p['workers']} alive  "
                f"{count(p['restarts'], 'restart')}  last error: {p['last_error'] or '-'}"
                f"{after}{runs_on}"
            )
    return lines
