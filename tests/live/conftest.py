"""Fixtures of the live config tests: a nats-server of each test's own (the config bucket
and its history start empty), uv kept offline."""

from __future__ import annotations

import pytest
from _nats import NatsServer


@pytest.fixture
def url(fresh_nats_server: NatsServer) -> str:
    """A NATS server of this test's own: no live config yet."""
    return fresh_nats_server.url


@pytest.fixture(autouse=True)
def _uv_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pool venvs come from uv's cache; no test here reaches an index on the network."""
    monkeypatch.setenv("UV_OFFLINE", "1")
    for name in ("UV_INDEX_URL", "UV_EXTRA_INDEX_URL", "UV_INDEX", "UV_FIND_LINKS"):
        monkeypatch.delenv(name, raising=False)
