"""``hookwire migrate``: a legacy ContextForge config rewritten with ``routes``."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from hookwire.router._yaml import load_yaml
from hookwire.router.config._load import Config, load_config
from hookwire.router.errors import ConfigError, Problem


def migrate(path: str | Path) -> tuple[str, Config]:
    """The YAML text of the equivalent routes config, and the legacy config it came from.

    Plugin entries keep everything but ``conditions``; the conditions become
    routes; ``rule_merge_strategy: merge_all`` keeps legacy's every-match semantics.
    """
    config = load_config(path)
    if not config.legacy:
        raise ConfigError(
            [
                Problem(
                    str(path), ("routes",), "this config already uses routes", "nothing to migrate"
                )
            ]
        )
    data: dict[str, Any] = copy.deepcopy(load_yaml(path).data or {})
    plugins = data.get("plugins") or {}
    entries = plugins.values() if isinstance(plugins, dict) else plugins
    for entry in entries:
        if isinstance(entry, dict):
            entry.pop("conditions", None)
    settings = dict(data.get("plugin_settings") or {})
    settings["enable_plugin_routing"] = True
    settings["rule_merge_strategy"] = "merge_all"
    data["plugin_settings"] = settings
    data["routes"] = list(config.routes)
    header = (
        f"# Migrated by `hookwire migrate` from {Path(path).name}: conditions became routes.\n"
        "# merge_all keeps legacy semantics: every matching plugin runs, by plugin priority.\n"
    )
    return header + yaml.safe_dump(data, sort_keys=False, default_flow_style=None), config
