"""The few fields of ``plugin-manifest.yaml`` a worker needs.

The router validates the full manifest (pydantic, JSON Schema); a worker runs in the
plugin's own venv without those libraries, so it reads only ``name``, ``version``,
``entry``, ``hooks``, ``requirements`` and ``cpex`` and says clearly which one is wrong.

A cpex plugin (ContextForge's plugin framework) names its PyPI requirement and class
under ``cpex:`` instead of an ``entry``: ``cpex: {requirement: cpex-pii-filter==0.3.9,
kind: cpex_pii_filter.pii_filter.PIIFilterPlugin}``; the worker hosts it unchanged.
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
KIND_PATTERN = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_]\w*)+$")
#: The entry of every cpex plugin: the worker's host of cpex plugin classes.
CPEX_ENTRY = "hookwire.workers.cpex:CpexHost"


@dataclass(frozen=True, slots=True)
class CpexSource:
    """A cpex plugin: its PyPI requirement (installed in its venv) and its class path."""

    kind: str
    requirement: str | None = None


@dataclass(frozen=True, slots=True)
class Manifest:
    """What the worker knows about its plugin."""

    name: str
    version: str
    entry: str
    hooks: tuple[str, ...]
    path: Path
    requirements: str = "requirements.txt"
    cpex: CpexSource | None = None
    #: JSON Schema of an instance's config (``config_schema``); a worker checks each one
    config_schema: dict[str, Any] | None = None

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


def _cpex(path: Path, doc: dict[str, Any]) -> CpexSource | None:
    section = doc.get("cpex")
    if section is None:
        return None
    if not isinstance(section, dict):
        raise ManifestError(
            path, "cpex", "expected a mapping: {requirement: PYPI_REQ, kind: CLASS}"
        )
    unknown = sorted(set(section) - {"kind", "requirement"})
    if unknown:
        raise ManifestError(path, f"cpex.{unknown[0]}", "unknown key (known: kind, requirement)")
    kind = section.get("kind")
    if not isinstance(kind, str) or not KIND_PATTERN.match(kind):
        raise ManifestError(
            path, "cpex.kind", f"{kind!r} is not a class path: expected 'package.module.ClassName'"
        )
    requirement = section.get("requirement")
    if requirement is not None and not isinstance(requirement, str):
        raise ManifestError(path, "cpex.requirement", "expected a pip requirement string")
    return CpexSource(kind=kind, requirement=requirement)


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
    cpex = _cpex(path, doc)
    if cpex is not None and "entry" not in doc:
        doc = {**doc, "entry": CPEX_ENTRY}
    return Manifest(
        name=_string(path, doc, "name"),
        version=_string(path, doc, "version"),
        entry=_string(path, doc, "entry"),
        hooks=_hooks(path, doc),
        path=path,
        requirements=_string(path, doc, "requirements")
        if "requirements" in doc
        else "requirements.txt",
        cpex=cpex,
        config_schema=_schema(path, doc),
    )


def _schema(path: Path, doc: dict[str, Any]) -> dict[str, Any] | None:
    schema = doc.get("config_schema")
    if schema is None:
        return None
    if not isinstance(schema, dict):
        raise ManifestError(path, "config_schema", "expected a JSON Schema (a mapping)")
    return schema
