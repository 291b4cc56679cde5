"""CLI commands of the live config: apply, rollback, config history, config show."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from nats.aio.client import Client

from hookwire.router.cli._connection import NoTarget, add_client_options, resolve_target
from hookwire.router.cli._options import add_commands, add_config_argument
from hookwire.router.cli._render import count
from hookwire.router.config._load import Config
from hookwire.router.errors import ConfigError, LiveConfigError
from hookwire.router.live._history import history_rows, rollback_record, rollback_target, what
from hookwire.router.live._routers import following_routers, wait_routers_on
from hookwire.router.live._store import ConfigRecord, ConfigStore, read_config_file
from hookwire.service import connect


def _revision(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a revision number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("revisions start at 1")
    return value


def add_parsers(sub: Any) -> None:
    """Register apply, rollback and config (history, show) on the ``hookwire`` parser."""
    wait_help = (
        "then wait up to SECONDS until every following router runs it; exit 1 if some do "
        "not, or if no router answers"
    )

    p = sub.add_parser(
        "apply",
        help="check a config and make it the live config of every router and supervisor",
        description="Check the config as `hookwire check` does; if it has no problem, store "
        "it as a new revision of the live config (a NATS KV bucket with history). Routers "
        "swap it in, supervisors reshape their pools; nothing restarts. A config with "
        "problems is refused before it is stored and what runs keeps running.",
    )
    add_config_argument(p)
    add_client_options(p)
    p.add_argument("--dry-run", action="store_true", help="check it only; store nothing")
    p.add_argument("--strict", action="store_true", help="refuse it on warnings too")
    p.add_argument("-m", "--message", default="", help="why (shown by hookwire config history)")
    p.add_argument("--wait", type=float, default=0.0, metavar="SECONDS", help=wait_help)
    p.set_defaults(func=cmd_apply)

    p = sub.add_parser(
        "rollback",
        help="make an earlier revision the live config again",
        description="Check an earlier revision again and store it as a new revision (the "
        "history stays linear). Without REVISION: the revision before the live one.",
    )
    p.add_argument("revision", nargs="?", type=_revision, help="the revision to restore")
    add_client_options(p)
    p.add_argument("-m", "--message", default="", help="why (shown by hookwire config history)")
    p.add_argument("--wait", type=float, default=0.0, metavar="SECONDS", help=wait_help)
    p.set_defaults(func=cmd_rollback)

    cfg = sub.add_parser(
        "config",
        help="the live config: history, show",
        description="Read the live config stored on NATS (hookwire apply).",
    )
    csub = add_commands(cfg, "config_action")
    q = csub.add_parser(
        "history", help="list the revisions kept", description="List the revisions kept."
    )
    add_client_options(q)
    q.add_argument("--json", action="store_true", help="print JSON")
    q.set_defaults(func=cmd_history)
    q = csub.add_parser(
        "show",
        help="print a revision's YAML (default: the live one)",
        description="Print a revision's config text to standard output (what it is, to "
        "standard error), so `hookwire config show 3 > old.yaml` saves it.",
    )
    q.add_argument("revision", nargs="?", type=_revision, help="revision (default: the live one)")
    add_client_options(q)
    q.add_argument("--json", action="store_true", help="print the whole record as JSON")
    q.set_defaults(func=cmd_show)


Body = Callable[[Client, ConfigStore], Awaitable[int]]


def _run(
    command: str, ns: argparse.Namespace, role: str, body: Body, *, create: bool = False
) -> int:
    """Run ``body`` on the live config store, connected as ``role``."""
    try:
        target = resolve_target(ns, role)
    except NoTarget as exc:
        print(f"hookwire {command}: {exc}", file=sys.stderr)
        return 2

    async def main() -> int:
        refused: asyncio.Future[str] = asyncio.get_running_loop().create_future()

        async def on_error(exc: Exception) -> None:
            if "permissions violation" in str(exc).lower() and not refused.done():
                refused.set_result(str(exc))

        try:
            name = "hookwire-" + command.replace(" ", "-")
            nc = await connect(
                target.url,
                name,
                attempts=2,
                reconnect_time_wait=0.1,
                disconnected_cb=_quiet,
                error_cb=on_error,
                auth=target.auth,
                deadline=10,
            )
        except Exception as exc:
            print(f"hookwire {command}: {exc}", file=sys.stderr)
            return 1

        async def run() -> int:
            return await body(nc, await ConfigStore.open(nc, create=create))

        task: asyncio.Future[int] = asyncio.ensure_future(run())
        racing: set[asyncio.Future[Any]] = {task, refused}
        try:
            await asyncio.wait(racing, return_when=asyncio.FIRST_COMPLETED)
            if not task.done():  # NATS refused a step: the role may not do this
                task.cancel()
                print(
                    f"hookwire {command}: refused by NATS ({target.auth.describe()}): "
                    f"{refused.result()}; this needs the {role} role's credentials",
                    file=sys.stderr,
                )
                return 1
            return task.result()
        except LiveConfigError as exc:
            print(f"hookwire {command}: {exc}", file=sys.stderr)
            return 1
        finally:
            if not task.done():
                task.cancel()
            await nc.close()

    return asyncio.run(main())


async def _quiet() -> None:
    """A one-shot command closing its connection is not news."""


def _summary(record: ConfigRecord, config: Config) -> str:
    return (
        f"{record.file}: {count(len(config.plugins), 'plugin')}, "
        f"{count(len(config.rules), 'rule')}, "
        f"sha256 {record.sha256[:12]}"
    )


async def _wait(nc: Client, revision: int, seconds: float) -> int:
    if seconds <= 0:
        return 0
    behind = await wait_routers_on(nc, revision, seconds)
    routers = await following_routers(nc)
    if not routers:
        print(f"routers: none following answered within {seconds:g}s")
        return 1
    if behind:
        print(
            f"routers: {len(behind)} of {len(routers)} not on revision {revision} after "
            f"{seconds:g}s: {', '.join(sorted(behind))} (see their logs: config.live.rejected)"
        )
        return 1
    else:
        print(f"routers: {len(routers)} of {len(routers)} on revision {revision}")
    return 0


def cmd_apply(ns: argparse.Namespace) -> int:
    try:
        record, config = read_config_file(ns.config, message=ns.message)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        print("refused: nothing stored; the live config is unchanged", file=sys.stderr)
        return 1
    for warning in config.warnings:
        print(f"warning: {warning}")
    if ns.strict and config.warnings:
        print("refused (--strict): nothing stored; the live config is unchanged", file=sys.stderr)
        return 1
    if ns.dry_run:
        print(f"ok: {_summary(record, config)}; not stored (--dry-run)")
        return 0

    async def body(nc: Client, store: ConfigStore) -> int:
        revision, stored = await store.put_if_changed(record)
        if not stored:
            print(f"unchanged: revision {revision} is this config already; nothing stored")
        else:
            print(f"applied revision {revision}: {_summary(record, config)}")
        return await _wait(nc, revision, ns.wait)

    return _run("apply", ns, "operator", body, create=True)


def cmd_rollback(ns: argparse.Namespace) -> int:
    async def body(nc: Client, store: ConfigStore) -> int:
        target = await rollback_target(store, ns.revision)
        record, config = rollback_record(target, ns.message)
        revision = await store.put(record)
        print(
            f"rolled back to revision {target.revision} as revision {revision}: "
            f"{_summary(record, config)}"
        )
        return await _wait(nc, revision, ns.wait)

    return _run("rollback", ns, "operator", body)


def cmd_history(ns: argparse.Namespace) -> int:
    async def body(nc: Client, store: ConfigStore) -> int:
        history = await store.history()
        rows = history_rows(history)
        if ns.json:
            print(json.dumps(rows, indent=2))
            return 0
        if not history:
            print("no config has been applied yet")
            return 0
        print(
            f"  {'rev':>5}  {'applied at (UTC)':<25} {'by':<24} {'what':<16} {'sha256':<12}  file"
        )
        for i, rev in enumerate(history):
            r = rev.record
            mark = "*" if i == len(history) - 1 else " "
            line = (
                f"{mark} {rev.revision:>5}  {r.applied_at:<25} {r.applied_by:<24} "
                f"{what(r):<16} {r.sha256[:12]}  {r.file}"
            )
            print(line + (f"  ({r.message})" if r.message else ""))
        return 0

    return _run("config history", ns, "observer", body)


def cmd_show(ns: argparse.Namespace) -> int:
    async def body(nc: Client, store: ConfigStore) -> int:
        rev = await store.current() if ns.revision is None else await store.get(ns.revision)
        if rev is None:
            print("hookwire config show: no config has been applied yet", file=sys.stderr)
            return 1
        if ns.json:
            print(json.dumps({"revision": rev.revision, **msgspec.to_builtins(rev.record)}))
            return 0
        r = rev.record
        print(
            f"# revision {rev.revision}: {what(r)} of {r.file} by {r.applied_by} at {r.applied_at}",
            file=sys.stderr,
        )
        sys.stdout.write(r.text)
        return 0

    return _run("config show", ns, "observer", body)
