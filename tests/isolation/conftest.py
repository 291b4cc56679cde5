"""Fixtures of the isolation tests: uv kept offline, a local wheel folder.

uv runs with ``UV_OFFLINE=1``: hookwire's own dependencies come from uv's cache (filled
by the ``uv sync`` that made the dev venv) and the test library from a local folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ._wheels import build_library_wheels


@pytest.fixture(autouse=True)
def _uv_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test here may reach an index on the network."""
    monkeypatch.setenv("UV_OFFLINE", "1")
    for name in ("UV_INDEX_URL", "UV_EXTRA_INDEX_URL", "UV_INDEX", "UV_FIND_LINKS"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def wheel_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A find-links folder holding isolib 1.0 and 2.0."""
    folder = tmp_path_factory.mktemp("wheels")
    build_library_wheels(folder)
    return folder
