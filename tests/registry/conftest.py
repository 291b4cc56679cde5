"""Registry tests read the plugin set in tests/fixtures/registry (nine manifests)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from hookwire.router.catalog._registry import Registry
from hookwire.router.cli._plugins import packages_from

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "registry"


@pytest.fixture(autouse=True)
def _offline_by_default(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """`hookwire plugins` asks NATS when $HOOKWIRE_NATS_URL is set: not in these tests."""
    for var in ("HOOKWIRE_NATS_URL", "HOOKWIRE_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    yield


@pytest.fixture
def registry_dir(tmp_path: Path) -> Path:
    """A copy of the fixture plugins this test may change (add measured quality ...)."""
    target = tmp_path / "registry"
    shutil.copytree(FIXTURES, target)
    return target


def registry_of(folder: Path = FIXTURES) -> Registry:
    """The registry of the plugins in ``folder``, read as ``--plugin-dir`` reads them."""
    return Registry(packages_from(None, [str(folder)]))
