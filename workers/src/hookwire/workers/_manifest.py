"""The few fields of ``plugin-manifest.yaml`` a worker needs.

The router validates the full manifest (pydantic, JSON Schema); a worker runs in the
plugin's own venv without those libraries, so it reads only ``name``, ``version``,
``entry``, ``hooks`` and ``requirements`` and says clearly which one is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ._errors import ManifestError

MANIFEST_FILE = "plugin-manifest.yaml"
#: A plugin name is also part of a NATS subject and a micro service name.
NAME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
HOOK_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
ENTRY_PATTERN = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


@dataclass(frozen=True, slots=True)
class Manifest:
    """What the worker knows about its plugin."""

    name: str
    version: str
    entry: str
    hooks: tuple[str, ...]
    path: Path
    requirements: str = "requirements.txt"

    @property
    def module(self) -> str:
        return self.entry.partition(":")[0]

    @property
    def class_name(self) -> str:
        return self.entry.partition(":")[2]


#: field -> (pattern, what a valid value looks like)
_FORMATS: dict[str, tuple[re.Pattern[str], str]] = {
    "name": (NAME_PATTERN, "letters, digits, '_' and '-', starting with a letter"),
    "entry": (ENTRY_PATTERN, "'package.module:ClassName'"),
}


def _string(path: Path, doc: dict[str, Any], field: str) -> str:
    if field not in doc:
        raise ManifestError(path, field, "required field is missing")
    value = doc[field]
    if not isinstance(value, str):
        hint = f" (quote it: '{value}')" if isinstance(value, int | float) else ""
        raise ManifestError(path, field, f"expected a string, got {type(value).__name__}{hint}")
    if field in _FORMATS and not _FORMATS[field][0].match(value):
        raise ManifestError(path, field, f"{value!r} is invalid: expected {_FORMATS[field][1]}")
    return value


def _hooks(path: Path, doc: dict[str, Any]) -> tuple[str, ...]:
    if "hooks" not in doc:
        raise ManifestError(path, "hooks", "required field is missing")
    hooks = doc["hooks"]
    if not isinstance(hooks, list) or not hooks:
        raise ManifestError(path, "hooks", "expected a non-empty list of hook names")
    for i, hook in enumerate(hooks):
        if not isinstance(hook, str) or not HOOK_PATTERN.match(hook):
            raise ManifestError(
                path, f"hooks[{i}]", f"{hook!r} is not a hook name (use lower_snake_case)"
            )
    return tuple(hooks)


def read_manifest(plugin_dir: str | Path) -> Manifest:
    """Read ``plugin_dir/plugin-manifest.yaml``; raise ManifestError naming file and field."""
    path = Path(plugin_dir) / MANIFEST_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ManifestError(path, None, f"cannot read: {exc.strerror or exc}") from exc
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ManifestError(path, None, "not valid YAML: " + " ".join(str(exc).split())) from exc
    if not isinstance(doc, dict):
        raise ManifestError(path, None, "expected a mapping of manifest fields")
    return Manifest(
        name=_string(path, doc, "name"),
        version=_string(path, doc, "version"),
        entry=_string(path, doc, "entry"),
        hooks=_hooks(path, doc),
        path=path,
        requirements=_string(path, doc, "requirements")
        if "requirements" in doc
        else "requirements.txt",
    )
