"""Plugin folders and configs made in a test's tmp_path, one manifest field at a time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from hookwire.router import Config, load_config


def write_plugin(root: Path, name: str, **fields: Any) -> Path:
    """A plugin folder ``root/name`` whose manifest is a minimal valid one plus ``fields``."""
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {
        "name": name,
        "version": "1.0.0",
        "description": f"{name} for the tests.",
        "entry": f"{name}.plugin:Plugin",
        "maturity": "stable",
        "hooks": ["tool_pre_invoke"],
        **fields,
    }
    (folder / "plugin-manifest.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    return folder


def write_config(
    path: Path, plugins: dict[str, Any], environment: str = "development", **top: Any
) -> Path:
    """A config using the plugins under ``path.parent / 'plugins'``, all attached by one rule."""
    doc: dict[str, Any] = {
        "plugin_dirs": ["plugins"],
        "plugin_settings": {"environment": environment},
        "plugins": plugins,
        "routes": [
            {"entities": ["tool"], "plugins": [{"name": name} for name in plugins]},
        ],
        **top,
    }
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def load(tmp_path: Path, plugins: dict[str, Any], environment: str = "development") -> Config:
    return load_config(write_config(tmp_path / "hookwire.yaml", plugins, environment))


def messages(problems: Any) -> list[str]:
    return [str(p) for p in problems]
