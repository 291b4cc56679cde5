"""Which configured plugins earn a maturity warning in the configured environment."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import structlog

from hookwire.router.catalog._maturity import UNPROVEN
from hookwire.router.config._model import PluginSettings
from hookwire.router.config._plugins import PluginDef

log = structlog.get_logger("hookwire.router")


@dataclass(frozen=True, slots=True)
class MaturityNotice:
    """A plugin whose level deserves a warning in this environment."""

    plugin: str
    kind: str
    level: str
    environment: str
    replacement: str | None = None


def notices(plugins: Iterable[PluginDef], settings: PluginSettings) -> list[MaturityNotice]:
    """The enabled plugins whose level earns a warning in ``settings.environment``:
    alpha and beta in production, deprecated (then allowed) anywhere."""
    out = []
    env = settings.environment
    for p in plugins:
        m = p.manifest
        if m is None or not p.enabled:
            continue
        if (env == "production" and m.maturity in UNPROVEN) or m.maturity == "deprecated":
            replacement = m.deprecation.replacement if m.deprecation else None
            out.append(MaturityNotice(p.name, p.kind, m.maturity, env, replacement))
    return out


def log_maturity(plugins: Iterable[PluginDef], settings: PluginSettings) -> None:
    """One structured ``plugin.maturity.warning`` per notice (a router logs them at start)."""
    for n in notices(plugins, settings):
        log.warning(
            "plugin.maturity.warning",
            plugin=n.plugin,
            kind=n.kind,
            level=n.level,
            environment=n.environment,
            replacement=n.replacement,
        )
