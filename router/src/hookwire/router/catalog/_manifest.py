"""Plugin manifests (``plugin-manifest.yaml``), read from ``plugin_dirs``.

The router reads manifests only: it never imports plugin code, which lives in
the plugin's own virtual environment.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import jsonschema
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from hookwire.router._yaml import YamlDoc, load_yaml
from hookwire.router.errors import Problem, ProblemList
from hookwire.schemas import BUILTIN_HOOKS

MANIFEST_FILE = "plugin-manifest.yaml"
NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]*$"
HOOK_PATTERN = r"^[a-z][a-z0-9_]*$"
Maturity = Literal["alpha", "beta", "stable", "deprecated"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Quality(_Model):
    """Quality figures as the manifest states them.

    ``hookwire plugins qa`` measures coverage and the benchmark and records them beside
    the manifest (``quality.measured.json``); measured figures take precedence.
    """

    test_coverage: float | None = Field(
        default=None, ge=0, le=100, description="Test coverage of the plugin's code, percent."
    )
    security_audit: dt.date | None = Field(
        default=None, description="Date of the last full security audit (stable needs one)."
    )
    review: dt.date | None = Field(
        default=None, description="Date of the last code review (beta needs one, or an audit)."
    )
    performance_benchmark: str | dict[str, Any] | None = Field(
        default=None, description="Benchmark figures, as text or a mapping of named numbers."
    )


class Deprecation(_Model):
    """For a deprecated plugin: what replaces it and how to move."""

    replacement: str | None = Field(
        default=None, pattern=NAME_PATTERN, description="Name of the plugin that replaces it."
    )
    migration: str | None = Field(
        default=None, description="How to move to the replacement (required when deprecated)."
    )


def _pep440_version(value: str) -> str:
    try:
        Version(value)
    except InvalidVersion:
        raise ValueError(
            f"{value!r} is not a PEP 440 version; write it like 1.2.0 (quoted: '1.2')"
        ) from None
    return value


def _specifier(value: str | None) -> str | None:
    if value is not None:
        try:
            SpecifierSet(value)
        except InvalidSpecifier:
            raise ValueError(
                f"{value!r} is not a version range; write a PEP 440 specifier such as '>=0.1,<2'"
            ) from None
    return value


#: The entry of every cpex plugin: the worker's host of cpex plugin classes.
CPEX_ENTRY = "hookwire.workers.cpex:CpexHost"


class CpexSource(_Model):
    """A cpex (ContextForge) plugin, hosted unchanged: its PyPI requirement and class."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str = Field(
        pattern=r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$",
        description="The cpex plugin class, as in ContextForge's config: 'package.module.Class'.",
    )
    requirement: str | None = Field(
        default=None,
        description="pip requirement installed in the plugin's venv, e.g. cpex-pii-filter==0.3.9.",
    )


class Manifest(_Model):
    """What a plugin says about itself (``plugin-manifest.yaml``); docs/manifest.md."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, title="hookwire plugin manifest (plugin-manifest.yaml)"
    )

    name: str = Field(
        pattern=NAME_PATTERN,
        description="Unique plugin name; part of NATS subjects (hookwire.plugin.<name>.<hook>).",
    )
    version: str = Field(description="The plugin's version (PEP 440, e.g. 1.2.0).")
    description: str = Field(description="One or two sentences: what it does. Searched.")
    entry: str = Field(
        pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$",
        description="The plugin class: 'package.module:ClassName'.",
    )
    hooks: list[str] = Field(
        min_length=1,
        description="Hooks it implements (built-in or custom, lower_snake_case).",
        json_schema_extra={"items": {"type": "string", "pattern": HOOK_PATTERN}},
    )
    custom_hooks: list[str] = Field(
        default=[],
        description="Hooks of its own (not built in) that `hooks` lists; any other hook "
        "name there that is not built in is refused as a likely typo.",
        json_schema_extra={"items": {"type": "string", "pattern": HOOK_PATTERN}},
    )
    config_schema: dict[str, Any] = Field(
        default={"type": "object"},
        description="JSON Schema (2020-12) of its config; its defaults are the base config.",
    )
    maturity: Maturity = Field(description="alpha | beta | stable | deprecated (docs/manifest.md).")
    capabilities: list[str] = Field(
        default=[], description="What it offers, e.g. content_filtering, data_protection."
    )
    requirements: str = Field(
        default="requirements.txt",
        description="pip requirements file (relative to the plugin folder) for its venv.",
    )
    idempotent: bool = Field(
        default=False,
        description="Whether calling its hooks twice with one event is harmless. A call "
        "lost when its worker died is then sent once more to another worker; otherwise "
        "the call's error policy applies at once.",
    )
    author: str | None = Field(default=None, description="Who maintains it.")
    license: str | None = Field(default=None, description="SPDX license identifier.")
    requires_hookwire: str | None = Field(
        default=None,
        description="hookwire versions it works with: a PEP 440 range, e.g. '>=0.1,<1'.",
    )
    deprecation: Deprecation | None = Field(
        default=None,
        validate_default=True,
        description="Required when maturity is deprecated: replacement and migration notes.",
    )
    quality: Quality = Field(default=Quality(), description="Quality figures as stated.")
    cpex: CpexSource | None = Field(
        default=None,
        description="A cpex plugin hosted unchanged (no `entry` needed): kind and requirement.",
    )
    replay_ignore: list[str] = Field(
        default=[],
        description="Payload fields whose value varies from run to run (a timestamp, say), "
        "as dotted paths from the payload ('args.sent_at', 'result.id'); `hookwire replay` "
        "does not count a difference there when this plugin ran.",
    )

    @model_validator(mode="before")
    @classmethod
    def _cpex_entry(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("cpex") is not None and "entry" not in data:
            return {**data, "entry": CPEX_ENTRY}
        return data

    _version = field_validator("version")(_pep440_version)
    _requires = field_validator("requires_hookwire")(_specifier)

    @field_validator("deprecation")
    @classmethod
    def _migration_when_deprecated(
        cls, value: Deprecation | None, info: ValidationInfo
    ) -> Deprecation | None:
        if info.data.get("maturity") == "deprecated" and (value is None or not value.migration):
            raise ValueError(
                "a deprecated plugin needs migration notes; "
                "add `deprecation: {replacement: NEW_PLUGIN, migration: HOW_TO_MOVE}`"
            )
        return value


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
        else:
            fix = _hint(loc, err["type"], err.get("input"))
        out.append(doc.problem(path, msg, fix))
    return out


def _hint(loc: tuple[Any, ...], kind: str, value: Any) -> str:
    """How to fix a value of the wrong type or form, where a common slip explains it."""
    if kind == "list_type" and isinstance(value, str | int | float):
        return f"write a list: [{value}]"
    if loc == ("version",) and kind == "string_type" and isinstance(value, int | float):
        return f"quote the version: '{value}' (YAML reads {value} as a number)"
    if loc == ("entry",) and kind == "string_pattern_mismatch":
        return "entry is package.module:ClassName, e.g. my_plugin.plugin:MyPlugin"
    if loc == ("name",) and kind == "string_pattern_mismatch":
        return "use letters, digits, _ and -, starting with a letter"
    return ""


def _check_manifest(doc: YamlDoc, manifest: Manifest) -> list[Problem]:
    problems = []
    for i, hook in enumerate(manifest.hooks):
        if not re.match(HOOK_PATTERN, hook):
            problems.append(
                doc.problem(("hooks", i), f"invalid hook name {hook!r}", "use lower_snake_case")
            )
        elif hook not in BUILTIN_HOOKS and hook not in manifest.custom_hooks:
            problems.append(_unknown_hook(doc, i, hook))
    try:
        jsonschema.Draft202012Validator.check_schema(manifest.config_schema)
    except jsonschema.SchemaError as exc:
        path = ("config_schema", *exc.absolute_path)
        problems.append(doc.problem(path, f"not a valid JSON Schema: {exc.message}"))
    return problems


def _unknown_hook(doc: YamlDoc, index: int, hook: str) -> Problem:
    """A hook that is not built in and not declared custom: most often a typo."""
    close = difflib.get_close_matches(hook, BUILTIN_HOOKS, n=1)
    custom = f"a hook of your own: also list it in custom_hooks: [{hook}]"
    fix = f"did you mean {close[0]}? ({custom})" if close else custom
    return doc.problem(("hooks", index), f"{hook!r} is not a built-in hook", fix)


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
