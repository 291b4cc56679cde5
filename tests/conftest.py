"""Shared fixtures: a real nats-server per test session, and global state reset."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from _nats import NatsServer


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    """One nats-server (JetStream on) shared by the whole session; do not stop it."""
    with NatsServer(tmp_path_factory.mktemp("nats")) as server:
        yield server


@pytest.fixture
def fresh_nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    """A nats-server of this test's own, free to stop, restart or kill."""
    with NatsServer(tmp_path / "nats") as server:
        yield server


@pytest.fixture(autouse=True)
def _reset_structlog() -> Iterator[None]:
    """Undo any structlog configuration or bound context a test left behind."""
    yield
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()


@pytest.fixture(scope="session", autouse=True)
def _shared_venv_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Plugin venvs (real, made with uv) are shared by the session's tests unless a test
    sets its own folder: an unchanged plugin reuses its venv, as in production."""
    root = tmp_path_factory.mktemp("venvs")
    patch = pytest.MonkeyPatch()
    patch.setenv("HOOKWIRE_VENV_DIR", str(root))
    yield root
    patch.undo()
