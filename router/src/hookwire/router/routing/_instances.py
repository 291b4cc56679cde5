"""Plugin instances: a plugin with one effective config, hooks and mode."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from hookwire.router.routing._modes import Mode, OnError


def instance_id(plugin: str, config: Mapping[str, Any], hooks: tuple[str, ...], mode: Mode) -> str:
    """Stable id of (plugin, effective config, hooks, mode): the same in every process."""
    canonical = msgspec.json.encode([dict(config), sorted(hooks), mode.value], order="sorted")
    return f"{plugin}#{hashlib.sha256(canonical).hexdigest()[:10]}"


@dataclass(frozen=True, slots=True)
class PluginInstance:
    """What the router calls: two attachments with the same four identity fields share one."""

    id: str
    plugin: str
    config: Mapping[str, Any]
    hooks: tuple[str, ...]
    mode: Mode
    on_error: OnError
    timeout: float
    config_json: bytes = b"{}"
    #: the plugin as its workers know it (the manifest's name): what the subject names
    kind: str = ""

    @property
    def worker(self) -> str:
        return self.kind or self.plugin


@dataclass(frozen=True, slots=True)
class ResolvedPlugin:
    """One entry of a resolved plugin list, with where it came from."""

    instance: PluginInstance
    priority: int
    rule: int
    attachment: int
