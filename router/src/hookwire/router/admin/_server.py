"""Running the admin service on uvicorn inside an asyncio program (``hookwire admin``,
``hookwire up``)."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import secrets
from collections.abc import Iterator

import uvicorn
from nats.aio.client import Client

from hookwire.router.admin._app import create_app
from hookwire.router.admin._auth import Tokens
from hookwire.router.admin._deployment import Deployment
from hookwire.router.errors import StackError

DEFAULT_LISTEN = "127.0.0.1:8080"


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[v6]:PORT``; port 0: a free one) -> (host, port)."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ValueError(f"--listen {text!r}: give HOST:PORT, e.g. {DEFAULT_LISTEN}")
    return host.strip("[]"), int(port)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def new_token() -> str:
    return secrets.token_urlsafe(24)


class _Server(uvicorn.Server):
    """uvicorn leaving the program's signal handlers alone (its owner stops it)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class AdminServer:
    """``await server.start()`` serves until ``await server.stop()``; ``url`` says where."""

    def __init__(
        self,
        nc: Client,
        listen: str = DEFAULT_LISTEN,
        tokens: Tokens | None = None,
        *,
        writer: Client | None = None,
        owned: tuple[Client, ...] = (),
    ) -> None:
        """``writer``: the connection of apply and rollback (default ``nc``); ``owned``:
        connections this server closes when it stops."""
        self.host, self.port = parse_listen(listen)
        self.tokens = tokens or Tokens(write=new_token())
        self._owned = owned
        app = create_app(Deployment(nc, writer=writer), self.tokens)
        config = uvicorn.Config(
            app, host=self.host, port=self.port, log_level="warning", lifespan="off"
        )
        self.server = _Server(config)
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/admin/"

    async def start(self) -> None:
        self._task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            if self._task.done():
                exc = self._task.exception()
                raise StackError(f"admin: cannot listen on {self.host}:{self.port}: {exc!r}")
            await asyncio.sleep(0.01)
        for server in self.server.servers:  # port 0: the port given
            for sock in server.sockets:
                self.port = sock.getsockname()[1]
                return

    async def stop(self) -> None:
        if self._task is not None:
            self.server.should_exit = True
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, 5)
            self._task = None
        for nc in self._owned:
            with contextlib.suppress(Exception):
                await nc.close()
