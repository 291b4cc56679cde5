"""The bare nats-py baseline of ``bench/pipeline.py``: the same hops, no hookwire.

    python bench/bare_nats.py router --nats URL [--uvloop]
    python bench/bare_nats.py worker --index I --nats URL [--uvloop]

The router subscribes ``bench.bare.hook.<n>`` in a queue group; for each request it
makes ``n`` sequential requests (carrying the request's bytes) to ``bench.bare.worker.1``
.. ``.n``, then replies with an empty body. A worker answers every request with an empty
body. Both spawn a task per message, as hookwire's services do, so requests overlap.
A failed hop is answered with ``error: ...`` (the bench counts those). SIGTERM ends it.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg

ROUTER_SUBJECT = "bench.bare.hook.*"
ROUTER_QUEUE = "bench-bare-routers"
HOP_TIMEOUT = 10.0


def router_subject(n: int) -> str:
    """Where the bench sends a request that should make ``n`` worker hops."""
    return f"bench.bare.hook.{n}"


def worker_subject(i: int) -> str:
    return f"bench.bare.worker.{i}"


def _spawning(handle):  # type: ignore[no-untyped-def]
    """A subscription callback that runs ``handle(msg)`` as its own task."""
    tasks: set[asyncio.Task[None]] = set()

    async def dispatch(msg: Msg) -> None:
        task = asyncio.get_running_loop().create_task(handle(msg))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    return dispatch


async def serve_router(nc: Client) -> None:
    async def handle(msg: Msg) -> None:
        n = int(msg.subject.rsplit(".", 1)[1])
        data = msg.data
        try:
            for i in range(1, n + 1):
                await nc.request(worker_subject(i), data, timeout=HOP_TIMEOUT)
        except Exception as exc:
            await msg.respond(f"error: {exc!r}".encode())
            return
        await msg.respond(b"")

    await nc.subscribe(ROUTER_SUBJECT, queue=ROUTER_QUEUE, cb=_spawning(handle))


async def serve_worker(nc: Client, index: int) -> None:
    async def handle(msg: Msg) -> None:
        await msg.respond(b"")

    await nc.subscribe(
        worker_subject(index), queue=f"bench-bare-worker-{index}", cb=_spawning(handle)
    )


async def main(ns: argparse.Namespace) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    nc = await nats.connect(ns.nats, name=f"bench-bare-{ns.role}")
    if ns.role == "router":
        await serve_router(nc)
    else:
        await serve_worker(nc, ns.index)
    await nc.flush()
    await stop.wait()
    await nc.close()
    return 0


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("role", choices=("router", "worker"))
    p.add_argument("--nats", required=True, metavar="URL")
    p.add_argument("--index", type=int, default=1, help="worker number (1..n)")
    p.add_argument("--uvloop", action="store_true", help="run on uvloop")
    return p.parse_args(argv)


if __name__ == "__main__":
    args = parse(sys.argv[1:])
    if args.uvloop:
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    sys.exit(asyncio.run(main(args)))
