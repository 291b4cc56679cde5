"""ContextForge's plugin config as it is: what hookwire makes of each of its fields.

A ``kind`` that is a class path (``cpex_pii_filter.PIIFilterPlugin``) is a cpex plugin:
hookwire hosts it unchanged in a worker of its own, in a venv holding its PyPI
distribution (the kind's top-level package with ``-`` for ``_``, pinned to the entry's
``version``; ``requirement:`` says otherwise) or, for the gateway's in-tree
``plugins.*`` classes, only cpex with ``plugin_dirs`` on the import path. What hookwire
cannot honour is an error that says what to do instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from packaging.version import InvalidVersion, Version

from hookwire.router._yaml import YamlDoc
from hookwire.router.catalog._manifest import CPEX_ENTRY, CpexSource, Manifest
from hookwire.router.config._model import PluginEntry, PluginSettings
from hookwire.router.errors import Problem

__all__ = [
    "GATEWAY_SETTINGS",
    "cpex_manifest",
    "gateway_setting_warnings",
    "is_cpex_kind",
    "requirement_for",
    "unsupported",
]

#: cpex itself, for in-tree plugin classes that bring no distribution of their own.
CPEX_REQUIREMENT = "cpex>=0.1.4,<0.2"
_KIND = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$")

#: ContextForge ``plugin_settings`` hookwire reads, and why they change nothing here.
GATEWAY_SETTINGS: Mapping[str, str] = {
    "parallel_execution_within_band": (
        "hookwire always runs the concurrent-mode plugins of a phase in parallel"
    ),
    "enable_plugin_api": "it switches the gateway's own admin API, which the gateway keeps",
    "plugin_health_check_interval": (
        "hookwire supervises its worker pools itself (hookwire status shows them)"
    ),
    "include_user_info": "the bridge sends the user the gateway puts in its context",
}

_EXTERNAL_FIX = (
    "run the plugin as a hookwire worker instead: give its class as `kind: "
    "package.module.Class` (with `requirement:` naming its PyPI distribution if it has "
    "one), or a plugin folder whose plugin-manifest.yaml says `cpex: {kind: ..., "
    "requirement: ...}` (docs/contextforge.md); hookwire calls it over NATS"
)


def is_cpex_kind(kind: str) -> bool:
    """A dotted class path, as ContextForge writes ``kind``."""
    return bool(_KIND.match(kind))


def unsupported(entry: PluginEntry) -> list[tuple[tuple[str, ...], str, str]]:
    """(where in the entry, what, what to do instead) for each field hookwire cannot honour."""
    out: list[tuple[tuple[str, ...], str, str]] = []
    if entry.kind == "external":
        transport = next(
            (t for t in ("mcp", "grpc", "unix_socket") if getattr(entry, t) is not None), None
        )
        via = f" over {transport}" if transport else ""
        out.append(
            (
                ("kind",),
                f"`kind: external` plugins are called by the gateway{via}; hookwire does not "
                "call out to plugin servers",
                _EXTERNAL_FIX,
            )
        )
    elif entry.kind == "isolated_venv":
        out.append(
            (
                ("kind",),
                "`kind: isolated_venv` is cpex's own venv runner; hookwire already runs every "
                "plugin in a venv of its own",
                "give the plugin's class as `kind: package.module.Class` with `requirement:`",
            )
        )
    if entry.applied_to is not None:
        out.append(
            (
                ("applied_to",),
                "`applied_to` (per-field scoping of tools, prompts and resources) is not "
                "honoured by hookwire",
                "attach the plugin with a route naming the tools (`name: [...]`) instead, "
                "and let the plugin's own config pick fields",
            )
        )
    for i, cond in enumerate(entry.conditions):
        if cond.content_types:
            out.append(
                (
                    ("conditions", str(i), "content_types"),
                    "hookwire events carry no content type to match `content_types` against",
                    "remove `content_types` (the plugin then runs for every content type), "
                    "or filter inside the plugin",
                )
            )
    return out


def requirement_for(entry: PluginEntry, kind: str) -> str:
    """The pip requirement of a cpex class entry (see the module docstring)."""
    if entry.requirement:
        return entry.requirement
    top = kind.split(".", 1)[0]
    if top == "plugins":  # the gateway's in-tree plugins: importable from plugin_dirs
        return CPEX_REQUIREMENT
    dist = top.replace("_", "-")
    pin = entry.version
    if not pin:
        return dist
    return f"{dist}=={pin}" if _exact(pin) else f"{dist}{pin}"


def _exact(version: str) -> bool:
    try:
        Version(version)
    except InvalidVersion:
        return False
    return True


def cpex_manifest(entry: PluginEntry, kind: str, hooks: list[str]) -> Manifest:
    """The manifest of a cpex class entry, made from the entry itself."""
    version = entry.version if entry.version and _exact(entry.version) else "0"
    fields: dict[str, Any] = {
        "name": entry.name,
        "version": version,
        "description": entry.description or f"cpex plugin {kind}",
        "entry": CPEX_ENTRY,
        "hooks": hooks,
        "maturity": "beta",
        "cpex": CpexSource(kind=kind, requirement=requirement_for(entry, kind)),
    }
    if entry.author:
        fields["author"] = entry.author
    return Manifest.model_validate(fields)


def gateway_setting_warnings(doc: YamlDoc, settings: PluginSettings) -> list[Problem]:
    """A warning for each ContextForge-only ``plugin_settings`` key that is set."""
    return [
        doc.problem(("plugin_settings", key), f"{key} has no effect in hookwire: {why}")
        for key, why in GATEWAY_SETTINGS.items()
        if getattr(settings, key) is not None
    ]
