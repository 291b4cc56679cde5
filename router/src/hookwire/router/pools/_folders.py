"""Where a deployment keeps its data and its plugin venvs: one answer for every command."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from hookwire.router.config._load import Config


@dataclass(frozen=True)
class Folders:
    """The data folder (JetStream of an embedded NATS, plugin data) and the venv folder."""

    data: Path
    venvs: Path


def folders(
    config: Config | None,
    *,
    data_dir: str | Path | None = None,
    venv_dir: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Folders:
    """The folders for ``config``, each taken from the first of:

    1. ``data_dir`` / ``venv_dir`` given on the command line (relative to the current folder);
    2. ``plugin_settings.data_dir`` / ``venv_dir`` in the config (relative to the config);
    3. ``$HOOKWIRE_DATA_DIR`` / ``$HOOKWIRE_VENV_DIR`` (relative to the current folder);
    4. ``.hookwire`` beside the config (without one: in the current folder), and
       ``<data folder>/venvs``.
    """
    env = os.environ if environ is None else environ
    base = Path(config.file).parent if config is not None else Path()
    settings = config.settings if config is not None else None
    data = (
        _first(
            (data_dir, Path()),
            (settings.data_dir if settings else None, base),
            (env.get("HOOKWIRE_DATA_DIR"), Path()),
        )
        or (base / ".hookwire").resolve()
    )
    venvs = _first(
        (venv_dir, Path()),
        (settings.venv_dir if settings else None, base),
        (env.get("HOOKWIRE_VENV_DIR"), Path()),
    ) or (data / "venvs")
    return Folders(data=data, venvs=venvs)


def _first(*choices: tuple[str | Path | None, Path]) -> Path | None:
    """The first path given, made absolute against the folder paired with it."""
    for value, relative_to in choices:
        if value:
            return (relative_to / Path(value).expanduser()).resolve()
    return None
