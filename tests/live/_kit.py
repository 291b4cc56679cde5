"""Helpers of the live config tests: configs whose decisions tell them apart, routers
that follow the live config, in-process workers, a steady stream of events."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import sys
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nats.aio.client import Client as NatsClient

from hookwire import client as hw
from hookwire.router import load_config
from hookwire.router.live._follower import Follower
from hookwire.router.live._store import ConfigRecord, ConfigStore, read_config_file
from hookwire.router.live._switch import start_router
from hookwire.router.pipeline._service import Router
from hookwire.service import connect
from hookwire.workers import Worker

PLUGINS = Path(__file__).resolve().parent / "plugins"
WORDS = ("alpha", "beta", "gamma")
#: Each lv_stamp call sleeps this long, so events are in flight during every switch.
SLEEP = 0.01


@dataclass(frozen=True)
class Variant:
    """A config of the tests: lv_stamp marks with ``mark`` and blocks ``deny``;
    ``extra`` adds lv_extra after it."""

    mark: str
    deny: tuple[str, ...]
    extra: bool = False
    workers: int = 1
    sleep: float = SLEEP

    def expect(self, word: str) -> tuple[Any, ...]:
        """The outcome of an event with ``args.word == word`` under this config."""
        if word in self.deny:
            return ("block", "denied")
        return ("allow", (self.mark, "extra") if self.extra else (self.mark,))


A = Variant("A", ("alpha",))
B = Variant("B", ("beta",), extra=True)


def write_config(
    folder: Path, variant: Variant, name: str | None = None, *, plugin_dir: str | None = None
) -> Path:
    """The config file of ``variant`` in ``folder`` (JSON is YAML); plugin_dirs relative
    (``plugin_dir``, else tests/live/plugins)."""
    plugins: dict[str, Any] = {
        "lv_stamp": {
            "config": {"mark": variant.mark, "deny": list(variant.deny), "sleep": variant.sleep},
            "workers": variant.workers,
        }
    }
    attach = [{"name": "lv_stamp"}]
    if variant.extra:
        plugins["lv_extra"] = {}
        attach.append({"name": "lv_extra"})
    doc = {
        "plugin_dirs": [plugin_dir or os.path.relpath(PLUGINS, folder)],
        "plugins": plugins,
        "routes": [{"entities": ["tool"], "plugins": attach}],
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name or f"config-{variant.mark}-{variant.workers}.yaml")
    path.write_text(json.dumps(doc, indent=2))
    return path


def outcome(result: hw.HookResult[Any] | BaseException) -> tuple[Any, ...]:
    """What an event got, comparable with ``Variant.expect``."""
    if isinstance(result, BaseException):
        return ("raised", repr(result))
    if result.decision == "allow":
        return ("allow", tuple(result.payload.args.get("stamps", ())))
    if result.decision == "block":
        assert result.violation is not None
        return ("block", result.violation.code)
    return ("error", result.error.message if result.error else "")


@dataclass(frozen=True)
class Sent:
    word: str
    sent_at: float
    outcome: tuple[Any, ...]


@dataclass
class Stream:
    """``senders`` gateways' worth of tool events, one after another each, until stopped."""

    client: hw.Client
    senders: int = 20
    results: list[Sent] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    sent: int = 0

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._send(i)) for i in range(self.senders)]

    async def _send(self, i: int) -> None:
        n = i
        while not self._stop.is_set():
            word = WORDS[n % len(WORDS)]
            n += 1
            self.sent += 1
            sent_at = time.monotonic()
            try:
                result: Any = await self.client.tool_pre_invoke("lookup", {"word": word})
            except Exception as exc:
                result = exc
            self.results.append(Sent(word, sent_at, outcome(result)))

    async def stop(self) -> list[Sent]:
        self._stop.set()
        await asyncio.gather(*self._tasks)
        return self.results


def unexpected(results: Sequence[Sent], *variants: Variant) -> list[Sent]:
    """The events whose outcome is none of ``variants``'."""
    return [r for r in results if r.outcome not in {v.expect(r.word) for v in variants}]


def seen(results: Sequence[Sent], variant: Variant) -> int:
    """How many events got ``variant``'s outcome for a word the configs disagree on."""
    return sum(1 for r in results if r.word != "gamma" and r.outcome == variant.expect(r.word))


async def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while not check():
        if time.monotonic() > end:
            raise TimeoutError(f"{what} did not happen within {timeout}s")
        await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def following_router(
    url: str, seed: Path, *, follow: bool = True, pool_wait: float = 30.0
) -> AsyncIterator[tuple[Router, Follower | None]]:
    """A router as ``hookwire router --config SEED`` runs it, on its own connection."""
    nc = await connect(url, "test-router")
    router, follower = await start_router(nc, load_config(seed), follow=follow, pool_wait=pool_wait)
    try:
        yield router, follower
    finally:
        if follower is not None:
            await follower.stop()
        await router.drain(timeout=5)
        await nc.close()


@contextlib.asynccontextmanager
async def workers(url: str, *plugins: str) -> AsyncIterator[dict[str, Worker]]:
    """One in-process worker per plugin of tests/live/plugins, each on its own connection."""
    started: list[tuple[Worker, NatsClient]] = []
    try:
        for plugin in plugins:
            nc = await connect(url, f"test-worker-{plugin}")
            started.append((await Worker.start(nc, PLUGINS / plugin), nc))
        yield {w.name: w for w, _ in started}
    finally:
        for worker, nc in started:
            await worker.stop(timeout=5)
            await nc.close()


def hookwire_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "hookwire.router.cli", *args]


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


async def hookwire(*args: str, timeout: float = 60) -> Ran:
    """``hookwire ARGS`` as a process, without blocking this event loop."""
    proc = await asyncio.create_subprocess_exec(
        *hookwire_command(*args),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    assert proc.returncode is not None
    return Ran(proc.returncode, out.decode(), err.decode())


def revision_in(text: str) -> int:
    """The revision ``hookwire apply`` or ``rollback`` printed."""
    found = re.search(r"(?:applied revision|as revision) (\d+)", text)
    assert found is not None, text
    return int(found.group(1))


async def put_record(url: str, record: ConfigRecord) -> int:
    """Store ``record`` as the live config (as ``hookwire apply`` does, checks aside)."""
    nc = await connect(url, "test-apply")
    try:
        return await (await ConfigStore.open(nc)).put(record)
    finally:
        await nc.close()


async def put_config(url: str, path: Path) -> int:
    """``hookwire apply PATH`` without a process: the revision stored."""
    return await put_record(url, read_config_file(path)[0])


async def live_revision(url: str) -> int | None:
    """The live config's current revision (None: none stored)."""
    nc = await connect(url, "test-reader")
    try:
        current = await (await ConfigStore.open(nc)).current()
    finally:
        await nc.close()
    return current.revision if current is not None else None
