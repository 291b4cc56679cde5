"""Importing a plugin's entry class and checking it implements its manifest's hooks."""

from __future__ import annotations

import importlib
import inspect
import sys
from dataclasses import dataclass
from pathlib import Path

from ._errors import PluginLoadError
from ._manifest import Manifest, read_manifest


@dataclass(frozen=True, slots=True)
class LoadedPlugin:
    """A plugin ready to serve: its manifest, folder and entry class."""

    manifest: Manifest
    path: Path
    cls: type

    @property
    def name(self) -> str:
        return self.manifest.name


def _import_entry(plugin_dir: Path, manifest: Manifest) -> type:
    folder = str(plugin_dir.resolve())
    if folder not in sys.path:  # a plugin folder works without installing its package
        sys.path.insert(0, folder)
    try:
        module = importlib.import_module(manifest.module)
    except Exception as exc:
        raise PluginLoadError(
            manifest.name,
            f"cannot import {manifest.module!r} (entry {manifest.entry!r}, "
            f"from {folder} or the environment): {type(exc).__name__}: {exc}",
        ) from exc
    cls = getattr(module, manifest.class_name, None)
    if not inspect.isclass(cls):
        raise PluginLoadError(
            manifest.name,
            f"module {manifest.module!r} has no class {manifest.class_name!r} "
            f"(entry {manifest.entry!r})",
        )
    return cls


def load_plugin_class(plugin_dir: str | Path, manifest: Manifest) -> type:
    """Import ``manifest.entry`` (``plugin_dir`` first on ``sys.path``) and check its hooks.

    Raises PluginLoadError if the import fails or the class lacks an async method for
    any hook the manifest lists.
    """
    if manifest.cpex is not None:
        from ._cpex import host_class  # cpex is the plugin's own dependency, not hookwire's

        return host_class(manifest.name, manifest.hooks, manifest.cpex.kind)
    cls = _import_entry(Path(plugin_dir), manifest)
    missing = [h for h in manifest.hooks if not hasattr(cls, h)]
    not_async = [
        h
        for h in manifest.hooks
        if hasattr(cls, h) and not inspect.iscoroutinefunction(getattr(cls, h))
    ]
    problems = []
    if missing:
        problems.append(f"no method for hooks {', '.join(missing)}")
    if not_async:
        problems.append(f"methods not `async def` for hooks {', '.join(not_async)}")
    if problems:
        raise PluginLoadError(
            manifest.name,
            f"class {manifest.entry!r} does not implement its manifest's hooks: "
            + "; ".join(problems),
        )
    return cls


def load_plugin(plugin_dir: str | Path) -> LoadedPlugin:
    """Read ``plugin_dir``'s manifest and load its entry class."""
    path = Path(plugin_dir)
    manifest = read_manifest(path)
    return LoadedPlugin(manifest=manifest, path=path, cls=load_plugin_class(path, manifest))
