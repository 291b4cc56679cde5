"""Plugin venvs for a config: where they live, and making them before pools start."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from pathlib import Path

from hookwire.router.config._load import Config
from hookwire.router.errors import VenvError
from hookwire.router.pools._folders import folders
from hookwire.router.pools._supervisor import PoolSpec
from hookwire.router.pools._venv import VenvManager
from hookwire.workers import WorkerError


def venv_root(config: Config, data_dir: Path) -> Path:
    """The venv folder of ``config`` whose data folder is ``data_dir``: see
    :func:`~hookwire.router.pools._folders.folders`."""
    return folders(config, data_dir=data_dir).venvs


async def prepare_venvs(
    specs: Sequence[PoolSpec], root: Path, manager: VenvManager | None = None
) -> tuple[list[PoolSpec], dict[str, str]]:
    """Each spec with its venv's interpreter, and the plugins whose venv failed (with why).

    All venvs are made at once; one failing install does not stop the others.
    """
    manager = manager or VenvManager(root)
    results = await asyncio.gather(
        *(manager.ensure(s.plugin_dir) for s in specs), return_exceptions=True
    )
    ready, failed = [], {}
    for spec, result in zip(specs, results, strict=True):
        if isinstance(result, VenvError | WorkerError):
            failed[spec.plugin] = str(result)
            ready.append(spec)
        elif isinstance(result, BaseException):
            raise result
        else:
            ready.append(dataclasses.replace(spec, python=str(result.python)))
    return ready, failed


__all__ = ["VenvError", "prepare_venvs", "venv_root"]
