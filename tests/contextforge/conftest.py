"""The gateway side's venv, made once per session (cpex and its plugins from PyPI)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ._venvs import make_gateway_venv


@pytest.fixture(scope="session")
def gateway_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_gateway_venv(tmp_path_factory.mktemp("gateway") / "venv")
