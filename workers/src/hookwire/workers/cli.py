"""``python -m hookwire.workers --plugin DIR``: run one worker until SIGTERM or SIGINT.

``add_arguments`` and ``serve`` are shared with the router's ``hookwire worker`` command.
Every option can also come from a ``HOOKWIRE_*`` environment variable.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import nats.errors
import structlog

from hookwire.service import (
    add_auth_arguments,
    auth_from_args,
    configure_logging,
    connect,
    start_heartbeat,
    wait_for_signal,
)

from ._errors import WorkerError
from ._loader import LoadedPlugin, load_plugin
from ._manifest import read_manifest
from ._requirements import missing_requirements
from ._runtime import DEFAULT_CONCURRENCY, Worker

DEFAULT_NATS_URL = "nats://127.0.0.1:4222"
#: Exit code for a plugin folder or manifest that cannot be used (argparse's usage code).
EXIT_BAD_PLUGIN = 2

log = structlog.get_logger("hookwire.workers")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The worker's options, each defaulting to its ``HOOKWIRE_*`` variable."""
    env = os.environ.get
    parser.add_argument(
        "--plugin",
        dest="plugin_dir",
        metavar="DIR",
        default=env("HOOKWIRE_PLUGIN_DIR"),
        help="plugin folder holding plugin-manifest.yaml [env HOOKWIRE_PLUGIN_DIR]",
    )
    parser.add_argument(
        "--nats",
        metavar="URL",
        default=env("HOOKWIRE_NATS_URL", DEFAULT_NATS_URL),
        help=f"NATS server URL (default {DEFAULT_NATS_URL}) [env HOOKWIRE_NATS_URL]",
    )
    parser.add_argument(
        "--concurrency",
        metavar="N",
        type=_positive_int,
        default=env("HOOKWIRE_WORKER_CONCURRENCY", str(DEFAULT_CONCURRENCY)),
        help=f"calls served at once (default {DEFAULT_CONCURRENCY}) "
        "[env HOOKWIRE_WORKER_CONCURRENCY]",
    )
    add_auth_arguments(parser)
    logs = parser.add_mutually_exclusive_group()
    logs.add_argument(
        "--log-json",
        dest="log_json",
        action="store_const",
        const=True,
        default=None,
        help="JSON log lines (default when stderr is not a terminal)",
    )
    logs.add_argument(
        "--log-pretty", dest="log_json", action="store_const", const=False, help="readable logs"
    )


def _fail(message: str) -> int:
    print(f"hookwire worker: error: {message}", file=sys.stderr)
    return EXIT_BAD_PLUGIN


async def serve(ns: argparse.Namespace) -> int:
    """Load the plugin, serve it until SIGTERM/SIGINT, drain, and return the exit code.

    A missing or broken plugin folder returns 2 (one line on stderr) before connecting.
    A signal while still connecting to NATS ends the wait and returns 0.
    """
    configure_logging(json=ns.log_json)
    if not ns.plugin_dir:
        return _fail("give the plugin folder: --plugin DIR (or set HOOKWIRE_PLUGIN_DIR)")
    try:
        manifest = read_manifest(Path(ns.plugin_dir))
    except WorkerError as exc:
        return _fail(" ".join(str(exc).split()))
    missing = missing_requirements(Path(ns.plugin_dir) / manifest.requirements)
    if missing:
        return _fail(
            f"plugin {manifest.name!r} needs {', '.join(map(repr, missing))} (its "
            f"{manifest.requirements}), not installed in this environment ({sys.prefix}): "
            "a worker runs its plugin in the environment it was started from. Install "
            "them here, or give the worker a venv folder (hookwire worker --venv-dir DIR, "
            "or HOOKWIRE_VENV_DIR) so the plugin runs in a venv of its own"
        )
    try:
        plugin = load_plugin(ns.plugin_dir)
    except WorkerError as exc:
        return _fail(" ".join(str(exc).split()))
    stop = asyncio.ensure_future(wait_for_signal())
    await asyncio.sleep(0)  # let it install the handlers: a supervisor may signal any time
    try:
        return await _serve(ns, plugin, stop)
    finally:
        stop.cancel()


async def _serve(
    ns: argparse.Namespace, plugin: LoadedPlugin, stop: asyncio.Future[signal.Signals]
) -> int:
    name = f"hookwire-worker-{plugin.name}"
    connecting = asyncio.ensure_future(connect(ns.nats, name=name, auth=auth_from_args(ns)))
    waiting: set[asyncio.Future[Any]] = {connecting, stop}
    await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
    if not connecting.done():
        connecting.cancel()
        log.info("worker.exited", plugin=plugin.name, reason="signal before connecting")
        return 0
    try:
        nc = connecting.result()
    except (OSError, TimeoutError, nats.errors.Error) as exc:
        print(f"hookwire worker: cannot connect to NATS at {ns.nats}: {exc!r}", file=sys.stderr)
        return 1
    try:
        worker = await Worker.start(nc, plugin, concurrency=ns.concurrency)
        log.info("worker.ready", plugin=plugin.name, subject=worker.subject, pid=os.getpid())
        heartbeat = start_heartbeat(nc)  # HOOKWIRE_HEALTH_FILE, for container healthchecks
        sig = await stop
        if heartbeat is not None:
            heartbeat.cancel()
        log.info("worker.stopping", plugin=plugin.name, signal=sig.name)
        await worker.stop()
    finally:
        await nc.close()
    log.info("worker.exited", plugin=plugin.name)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m hookwire.workers",
        description="Serve one hookwire plugin on NATS until SIGTERM or SIGINT.",
    )
    add_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``, run the worker, return its exit code."""
    ns = build_parser().parse_args(argv)
    try:
        return asyncio.run(serve(ns))
    except KeyboardInterrupt:
        return 130
