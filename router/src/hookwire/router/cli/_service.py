"""CLI commands that run services: router (and worker, served by hookwire.workers)."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any

import structlog

from hookwire.router.cli._connection import service_connection
from hookwire.router.cli._options import (
    NATS_WAIT,
    add_config_option,
    add_follow_option,
    add_logging_options,
    add_nats_options,
    connect_attempts,
    nats_url,
)
from hookwire.router.config._load import load_config
from hookwire.router.errors import ConfigError
from hookwire.router.live._follower import Follower
from hookwire.router.live._switch import start_router
from hookwire.router.pipeline._service import Router
from hookwire.service import (
    AUTH_FIELDS,
    NatsAuth,
    SignalQueue,
    configure_logging,
    connect,
    redact_url,
    start_heartbeat,
)

DEFAULT_NATS = "nats://127.0.0.1:4222"
log = structlog.get_logger("hookwire.router")


def log_settings(ns: argparse.Namespace) -> dict[str, str]:
    """Configure this process's logs from ``--log-json/--log-pretty`` and ``--log-level``;
    return the variables that give the worker processes it starts the same logs."""
    json = ns.log_json if ns.log_json is not None else not sys.stderr.isatty()
    configure_logging(json=json, level=ns.log_level)
    env = {"HOOKWIRE_LOG_JSON": "1" if json else "0"}
    if ns.log_level:
        env["HOOKWIRE_LOG_LEVEL"] = ns.log_level
    return env


def add_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "router",
        help="run a router service (any number may share the load)",
        description="Serve hookwire.hook.<hook> for every hook in the routers' queue "
        "group. Follows the live config (hookwire apply) unless --no-follow. SIGHUP "
        "reloads the config (the live revision, else the file); SIGTERM drains and exits.",
    )
    add_config_option(p)
    add_nats_options(
        p,
        default=None,
        help_text=f"NATS server URL (default: the config's nats.url, else {DEFAULT_NATS})",
        service=True,
    )
    add_follow_option(p)
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
        for action in p._actions:  # the same URL check as every other command's --nats
            if action.dest == "nats":
                action.type = nats_url
        p.add_argument(
            "--venv-dir",
            metavar="DIR",
            help="run the plugin in its own venv under DIR (made with uv if missing, "
            "reused if built before, e.g. by `hookwire venvs build` in an image); without "
            "it the worker runs in this environment",
        )
        p.set_defaults(func=cmd_worker)


def cmd_worker(ns: argparse.Namespace) -> int:
    """Serve the plugin here, or (``--venv-dir``) become a worker in the plugin's venv."""
    from hookwire.router.errors import VenvError
    from hookwire.router.pools._venv import VenvManager
    from hookwire.workers import WorkerError
    from hookwire.workers import cli as worker_cli

    if not ns.venv_dir or not ns.plugin_dir:
        return asyncio.run(worker_cli.serve(ns))
    try:
        venv = asyncio.run(VenvManager(Path(ns.venv_dir).resolve()).ensure(Path(ns.plugin_dir)))
    except (VenvError, WorkerError) as exc:
        print(f"hookwire worker: error: {exc}", file=sys.stderr)
        return 2
    python = str(venv.python)
    args = [python, "-m", "hookwire.workers", "--plugin", str(ns.plugin_dir)]
    args += ["--nats", ns.nats, "--concurrency", str(ns.concurrency)]
    for field in AUTH_FIELDS:  # credentials given here reach the worker too; a password
        value = getattr(ns, f"nats_{field}", None)  # or token only by its variable (not `ps`)
        if value and field not in ("password", "token"):
            args += [f"--nats-{field}", str(value)]
    if ns.log_json is not None:
        args.append("--log-json" if ns.log_json else "--log-pretty")
    os.execv(python, args)  # the worker replaces this process: signals reach it directly


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
    log_settings(ns)
    for warning in config.warnings:
        log.warning("config.warning", problem=str(warning))
    url, auth = service_connection(ns, config, DEFAULT_NATS)
    assert url is not None
    return asyncio.run(
        _serve_router(url, ns.config, config, follow=ns.follow, wait=ns.nats_wait, auth=auth)
    )


async def _serve_router(
    url: str,
    path: str,
    config: Any,
    *,
    follow: bool = False,
    wait: float = NATS_WAIT,
    auth: NatsAuth | None = None,
) -> int:
    try:
        nc = await connect(url, "hookwire-router", attempts=connect_attempts(wait), auth=auth)
    except Exception as exc:
        print(f"hookwire router: {exc}", file=sys.stderr)
        return 1
    signals = SignalQueue(signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
    router, follower = await start_router(nc, config, follow=follow)
    heartbeat = start_heartbeat(nc)  # HOOKWIRE_HEALTH_FILE, for container healthchecks
    log.info(
        "router.ready", nats=redact_url(url), config=router.config.file, revision=router.revision
    )
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
    if heartbeat is not None:
        heartbeat.cancel()
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
