"""Helpers shared by the worker tests: plugin folders, requests, subprocess workers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

import msgspec
import nats
from nats.aio.client import Client

from hookwire.schemas import RequestContext, WorkerReply, WorkerRequest
from hookwire.workers import Worker

PLUGINS = Path(__file__).parent / "plugins"


class Call(Protocol):
    """Send one WorkerRequest to ``hookwire.plugin.<plugin>.<hook>``; decode the reply."""

    def __call__(
        self,
        plugin: str,
        hook: str,
        payload: Any,
        *,
        instance: str = ...,
        config: Any = ...,
        state: dict[str, Any] | None = ...,
        context: RequestContext | None = ...,
        timeout: float | None = ...,
        wait: float = ...,
    ) -> Awaitable[WorkerReply]: ...


StartWorker = Callable[..., Awaitable[Worker]]


async def connect(url: str) -> Client:
    return await nats.connect(url, connect_timeout=2, allow_reconnect=False)


def request_bytes(
    plugin: str,
    hook: str,
    payload: Any,
    *,
    instance: str = "default",
    config: Any = None,
    state: dict[str, Any] | None = None,
    context: RequestContext | None = None,
    timeout: float | None = 5.0,
) -> bytes:
    req = WorkerRequest(
        instance=instance,
        plugin=plugin,
        hook=hook,
        payload=msgspec.Raw(msgspec.json.encode(payload)),
        config=msgspec.Raw(msgspec.json.encode({} if config is None else config)),
        context=context or RequestContext(request_id=uuid.uuid4().hex, hook=hook),
        state=state or {},
        timeout=timeout,
    )
    return msgspec.json.encode(req)


READY_TIMEOUT = 30.0


def decode_reply(data: bytes) -> WorkerReply:
    """A WorkerReply from its JSON."""
    return msgspec.json.decode(data, type=WorkerReply)


def log_events(log_path: Path) -> list[dict[str, Any]]:
    """The JSON log lines a ``--log-json`` worker wrote so far (other lines skipped)."""
    events = []
    for line in log_path.read_text(errors="replace").splitlines():
        with contextlib.suppress(ValueError):
            event = json.loads(line)
            if isinstance(event, dict):
                events.append(event)
    return events


async def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {timeout}s")
        await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def worker_process(
    plugin: str, nats_url: str, log_path: Path, *args: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    """``python -m hookwire.workers`` for a test plugin, yielded once it logged worker.ready."""
    cmd = ["-m", "hookwire.workers", "--plugin", str(PLUGINS / plugin), "--nats", nats_url]
    with log_path.open("wb") as log:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, *cmd, "--log-json", *args, stdout=log, stderr=log
        )
    try:

        def ready() -> bool:
            if proc.returncode is not None:
                raise RuntimeError(f"worker exited early:\n{log_path.read_text()}")
            return any(e.get("event") == "worker.ready" for e in log_events(log_path))

        await wait_until(ready, READY_TIMEOUT, "worker.ready")
        yield proc
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
