"""Fixtures of the pipeline tests: a deployment (router, workers, client) on the shared NATS."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from _nats import NatsServer

from ._kit import Deploy, Deployment, deployment, write_config


@pytest.fixture
async def deploy(nats_server: NatsServer, tmp_path: Path) -> AsyncIterator[Deploy]:
    """``await deploy(attachments, settings=..., without=..., router=...)`` on the session NATS.

    Tests run one at a time and every deployment is drained at teardown, so the shared
    subjects (``hookwire.hook.*``, ``hookwire.plugin.<plugin>.*``) are free between tests.
    """
    async with contextlib.AsyncExitStack() as stack:

        async def start(
            attachments: list[dict[str, Any]],
            *,
            settings: dict[str, Any] | None = None,
            plugins: dict[str, Any] | None = None,
            without: tuple[str, ...] = (),
            router: bool = True,
        ) -> Deployment:
            path = write_config(tmp_path, attachments, settings=settings, plugins=plugins)
            return await stack.enter_async_context(
                deployment(nats_server.url, path, without=without, router=router)
            )

        yield start


@pytest.fixture
def log(tmp_path: Path) -> Path:
    """The recorder plugin's log file for this test."""
    return tmp_path / "calls.jsonl"
