"""CLI commands that run services: router (and worker, served by hookwire.workers)."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from typing import Any

import structlog

from hookwire.service import SignalQueue, configure_logging, connect

from ._config import load_config
from ._errors import ConfigError
from ._service import Router

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


def add_parsers(sub: Any, env: Any) -> None:
    p = sub.add_parser(
        "router",
        help="run a router service (any number may share the load)",
        description="Serve hookwire.hook.<hook> for every hook in the routers' queue "
        "group. SIGHUP reloads the config; SIGTERM drains and exits.",
    )
    p.add_argument("--config", **env("CONFIG", "config file (YAML)"))
    p.add_argument(
        "--nats", **env("NATS_URL", "NATS server URL", required=False, fallback=DEFAULT_NATS)
    )
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
    return asyncio.run(_serve_router(ns.nats, ns.config, config))


async def _serve_router(url: str, path: str, config: Any) -> int:
    try:
        nc = await connect(url, "hookwire-router")
    except Exception as exc:
        print(f"hookwire router: cannot connect to NATS at {url}: {exc!r}", file=sys.stderr)
        return 1
    router = Router(nc, config)
    signals = SignalQueue(signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
    await router.start()
    log.info("router.ready", nats=url, config=path)
    while (await signals.next()) == signal.SIGHUP:
        try:
            router.reload(load_config(path))
        except ConfigError as exc:
            log.error(
                "router.config.reload_failed", file=path, problems=[str(p) for p in exc.problems]
            )
    signals.close()
    await router.drain()
    await nc.close()
    return 0
