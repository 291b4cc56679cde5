"""One ``hookwire up`` (the demo plugins, embedded NATS, the admin service on a free
port) shared by the admin tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ._up import Up, start_up, stop_up


@pytest.fixture(scope="package")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Up]:
    running = start_up(tmp_path_factory.mktemp("admin-up"))
    try:
        yield running
    finally:
        stop_up(running)
