"""Plugin folders hookwire writes itself: one per cpex class entry of a ContextForge config.

A worker reads its plugin's manifest from a folder; a config entry ``kind:
package.module.Class`` has none, so its manifest (made from the entry) is written to
``<data dir>/cpex-plugins/<name>/`` and the pool runs from there.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from hookwire.router.catalog._manifest import MANIFEST_FILE, Manifest

__all__ = ["GENERATED_DIR", "cpex_plugin_folder"]

GENERATED_DIR = "cpex-plugins"


def cpex_plugin_folder(manifest: Manifest, data_dir: Path) -> Path:
    """The folder holding ``manifest`` (written when missing or different)."""
    folder = data_dir / GENERATED_DIR / manifest.name
    text = yaml.safe_dump(
        manifest.model_dump(mode="json", exclude_defaults=True, exclude={"entry"}),
        sort_keys=False,
    )
    path = folder / MANIFEST_FILE
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    return folder
