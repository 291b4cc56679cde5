"""CLI commands that run services: router (and worker, served by hookwire.workers)."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from typing import Any

import structlog

from hookwire.router.config._load import load_config
from hookwire.router.errors import ConfigError
from hookwire.router.live._follower import Follower
from hookwire.router.live._switch import start_router
from hookwire.router.pipeline._service import Router
from hookwire.service import SignalQueue, configure_logging, connect

DEFAULT_NATS = "nats://127.0.0.1:4222"
log = structlog.get_logger("hookwire.router")


def add_logging_options(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--log-json",
        dest="log_json",
        action="store_true",
        default=None,
        help="JSON log lines (default when stderr is not a terminal)",
    )
    group.add_argument(
        "--log-pretty", dest="log_json", action="store_false", help="human-readable log lines"
    )


def add_follow_option(p: argparse.ArgumentParser, env: Any) -> None:
    """``--follow/--no-follow`` (env HOOKWIRE_FOLLOW, default on): docs/live-config.md."""
    default = env("FOLLOW", "", required=False, fallback="1")["default"]
    p.add_argument(
        "--follow",
        action=argparse.BooleanOptionalAction,
        default=default.strip().lower() not in ("0", "false", "no", "off"),
        help="follow the live config (hookwire apply): its current revision, when there "
        "is one, replaces --config, which is the seed [env HOOKWIRE_FOLLOW; default on]",
    )


def add_parsers(sub: Any, env: Any) -> None:
    p = sub.add_parser(
        "router",
        help="run a router service (any number may share the load)",
        description="Serve hookwire.hook.<hook> for every hook in the routers' queue "
        "group. Follows the live config (hookwire apply) unless --no-follow. SIGHUP "
        "reloads the config (the live revision, else the file); SIGTERM drains and exits.",
    )
    p.add_argument("--config", **env("CONFIG", "config file (YAML)"))
    p.add_argument(
        "--nats", **env("NATS_URL", "NATS server URL", required=False, fallback=DEFAULT_NATS)
    )
    add_follow_option(p, env)
    add_logging_options(p)
    p.set_defaults(func=cmd_router)

    p = sub.add_parser(
        "worker",
        help="run one worker process of a plugin",
        description="Serve hookwire.plugin.<plugin>.* in the plugin's queue group.",
    )
    try:
        from hookwire.workers import cli as worker_cli
    except ImportError:
        p.set_defaults(func=_no_workers)
    else:
        worker_cli.add_arguments(p)
        p.set_defaults(func=lambda ns: asyncio.run(worker_cli.serve(ns)))


def _no_workers(ns: argparse.Namespace) -> int:
    print(
        "hookwire worker: hookwire-workers is not installed here "
        "(pip install hookwire-workers, or use the plugin's venv)",
        file=sys.stderr,
    )
    return 2


def cmd_router(ns: argparse.Namespace) -> int:
    try:
        config = load_config(ns.config)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    configure_logging(json=ns.log_json)
    for warning in config.warnings:
        log.warning("config.warning", problem=str(warning))
    return asyncio.run(_serve_router(ns.nats, ns.config, config, follow=ns.follow))


async def _serve_router(url: str, path: str, config: Any, *, follow: bool = False) -> int:
    try:
        nc = await connect(url, "hookwire-router")
    except Exception as exc:
        print(f"hookwire router: cannot connect to NATS at {url}: {exc!r}", file=sys.stderr)
        return 1
    signals = SignalQueue(signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
    router, follower = await start_router(nc, config, follow=follow)
    log.info("router.ready", nats=url, config=router.config.file, revision=router.revision)
    while (await signals.next()) == signal.SIGHUP:
        if await _refresh(follower, router):
            continue
        try:
            router.reload(load_config(path))
        except ConfigError as exc:
            log.error(
                "router.config.reload_failed", file=path, problems=[str(p) for p in exc.problems]
            )
    signals.close()
    if follower is not None:
        await follower.stop()
    await router.drain()
    await nc.close()
    return 0


async def _refresh(follower: Follower | None, router: Router) -> bool:
    """SIGHUP on a router running a live revision: load the current one again."""
    if follower is None or router.revision is None:
        return False
    try:
        await follower.refresh()
    except Exception as exc:
        log.error("router.config.reload_failed", source="live", error=repr(exc))
    return True
