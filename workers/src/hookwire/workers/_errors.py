"""What the worker raises on purpose while it reads and loads a plugin."""

from __future__ import annotations

from pathlib import Path

from hookwire.schemas import HookwireError


class WorkerError(HookwireError):
    """Base of every error the worker runtime raises deliberately."""


class ManifestError(WorkerError):
    """``plugin-manifest.yaml`` is missing, unreadable or lacks a field the worker needs."""

    def __init__(self, path: Path, field: str | None, message: str) -> None:
        self.path = path
        self.field = field
        self.message = message
        where = f"{path}: {field}" if field else str(path)
        super().__init__(f"{where}: {message}")


class PluginLoadError(WorkerError):
    """The plugin's entry cannot be imported or does not implement its manifest's hooks."""

    def __init__(self, plugin: str, message: str) -> None:
        self.plugin = plugin
        self.message = message
        super().__init__(f"plugin {plugin!r}: {message}")
