"""Fixtures of the security tests: a nats-server that trusts exactly the hookwire roles."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from _nats import NatsServer

from hookwire.router.security import Credentials
from hookwire.service import NatsAuth


class Secured:
    """A nats-server configured with the roles (``hookwire security init``), and their creds."""

    def __init__(self, server: NatsServer, creds: Credentials) -> None:
        self.server = server
        self.creds = creds

    @property
    def url(self) -> str:
        return self.server.url

    def auth(self, role: str) -> NatsAuth:
        return NatsAuth(creds=str(self.creds.creds(role)))


@pytest.fixture
def secured_nats(tmp_path: Path) -> Iterator[Secured]:
    creds = Credentials.ensure(tmp_path / "data")
    with NatsServer(tmp_path / "nats", config=creds.server_config) as server:
        yield Secured(server, creds)
