"""Plugin manifests (``plugin-manifest.yaml``), read from ``plugin_dirs``.

The router reads manifests only: it never imports plugin code, which lives in
the plugin's own virtual environment.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import jsonschema
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ._errors import Problem, ProblemList
from ._yaml import YamlDoc, load_yaml

MANIFEST_FILE = "plugin-manifest.yaml"
NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]*$"
HOOK_PATTERN = r"^[a-z][a-z0-9_]*$"
Maturity = Literal["alpha", "beta", "stable", "deprecated"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Quality(_Model):
    """Quality figures; ``hookwire plugins qa`` measures them."""

    test_coverage: float | None = Field(default=None, ge=0, le=100)
    security_audit: dt.date | None = None
    performance_benchmark: str | dict[str, Any] | None = None


class Deprecation(_Model):
    """For a deprecated plugin: what replaces it and how to move."""

    replacement: str | None = None
    migration: str | None = None


class Manifest(_Model):
    """What a plugin says about itself."""

    name: str = Field(pattern=NAME_PATTERN)
    version: str
    description: str
    entry: str = Field(pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
    hooks: list[str] = Field(min_length=1)
    config_schema: dict[str, Any] = {"type": "object"}
    maturity: Maturity
    capabilities: list[str] = []
    requirements: str = "requirements.txt"
    author: str | None = None
    license: str | None = None
    requires_hookwire: str | None = None
    deprecation: Deprecation | None = None
    quality: Quality = Quality()


@dataclass(frozen=True, slots=True)
class PluginPackage:
    """A manifest and the folder it was found in."""

    manifest: Manifest
    path: Path

    @property
    def name(self) -> str:
        return self.manifest.name


def pydantic_problems(
    doc: YamlDoc, exc: ValidationError, prefix: tuple[Any, ...] = ()
) -> list[Problem]:
    """One Problem per pydantic error, located in the YAML file."""
    out = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))
        path = (*prefix, *loc)
        msg = err["msg"]
        fix = ""
        if err["type"] == "extra_forbidden":
            msg, fix = "unknown key", "remove it or check its spelling"
        elif err["type"] == "too_short" and loc and loc[-1] == "plugins":
            msg, fix = (
                "a rule must attach at least one plugin",
                "add `- name: PLUGIN` or remove the rule",
            )
        elif err["type"] == "literal_error":
            fix = f"use one of: {err.get('ctx', {}).get('expected', '')}"
        elif err["type"] == "value_error" and "; " in msg:
            msg, fix = msg.removeprefix("Value error, ").split("; ", 1)
        elif err["type"] == "missing":
            msg, fix = "required key is missing", f"add `{loc[-1]}`" if loc else ""
        out.append(doc.problem(path, msg, fix))
    return out


def _check_manifest(doc: YamlDoc, manifest: Manifest) -> list[Problem]:
    problems = []
    for i, hook in enumerate(manifest.hooks):
        if not re.match(HOOK_PATTERN, hook):
            problems.append(
                doc.problem(("hooks", i), f"invalid hook name {hook!r}", "use lower_snake_case")
            )
    try:
        jsonschema.Draft202012Validator.check_schema(manifest.config_schema)
    except jsonschema.SchemaError as exc:
        path = ("config_schema", *exc.absolute_path)
        problems.append(doc.problem(path, f"not a valid JSON Schema: {exc.message}"))
    return problems


def read_manifest(directory: Path, problems: ProblemList) -> PluginPackage | None:
    """Read ``directory/plugin-manifest.yaml``; problems go to ``problems``."""
    file = directory / MANIFEST_FILE
    try:
        doc = load_yaml(file)
    except Exception as exc:  # ConfigError: a YAML syntax or read error
        problems.extend(getattr(exc, "problems", ()))
        return None
    if not isinstance(doc.data, dict):
        problems.add(doc.problem((), "a manifest must be a mapping", "see docs/manifest.md"))
        return None
    try:
        manifest = Manifest.model_validate(doc.data)
    except ValidationError as exc:
        problems.extend(pydantic_problems(doc, exc))
        return None
    found = _check_manifest(doc, manifest)
    if found:
        problems.extend(found)
        return None
    return PluginPackage(manifest, directory)


def _candidates(root: Path) -> Iterable[Path]:
    if (root / MANIFEST_FILE).is_file():
        yield root
        return
    for child in sorted(root.iterdir()):
        if (child / MANIFEST_FILE).is_file():
            yield child


def discover(
    dirs: Iterable[tuple[Path, Problem]], problems: ProblemList
) -> dict[str, PluginPackage]:
    """Every plugin package in ``dirs``, by manifest name.

    Each entry of ``dirs`` is a folder and the Problem to report if it does not
    exist. A folder is a plugin itself (it holds a manifest) or holds plugin folders.
    """
    found: dict[str, PluginPackage] = {}
    for root, missing in dirs:
        if not root.is_dir():
            problems.add(missing)
            continue
        for directory in _candidates(root):
            package = read_manifest(directory, problems)
            if package is None:
                continue
            other = found.get(package.name)
            if other is not None:
                problems.add(
                    Problem(
                        str(directory / MANIFEST_FILE),
                        ("name",),
                        f"plugin {package.name!r} is also defined in {other.path / MANIFEST_FILE}",
                        "give each plugin a unique name or remove one folder from plugin_dirs",
                    )
                )
                continue
            found[package.name] = package
    return found
