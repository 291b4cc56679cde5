"""Configured plugins: a manifest, the entry in ``plugins``, and the effective base config."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
from pydantic import ValidationError

from hookwire.router._yaml import YamlDoc
from hookwire.router.catalog._manifest import Manifest, PluginPackage, pydantic_problems
from hookwire.router.catalog._merge import deep_merge, schema_defaults
from hookwire.router.config._contextforge import cpex_manifest, is_cpex_kind, unsupported
from hookwire.router.config._model import PluginEntry, PluginSettings
from hookwire.router.errors import Problem, YamlPath
from hookwire.router.routing._modes import Mode, OnError, parse_mode


@dataclass(frozen=True, slots=True)
class PluginDef:
    """A plugin as this deployment configures it."""

    name: str
    kind: str
    entry: PluginEntry
    manifest: Manifest | None
    path: Path | None
    hooks: tuple[str, ...]
    mode: Mode
    on_error: OnError
    config: Mapping[str, Any]
    timeout: float
    validator: jsonschema.protocols.Validator
    yaml_path: YamlPath

    @property
    def enabled(self) -> bool:
        return self.entry.enabled and self.mode is not Mode.DISABLED


def config_problems(
    doc: YamlDoc, validator: jsonschema.protocols.Validator, config: Any, path: YamlPath
) -> list[Problem]:
    """Every way ``config`` breaks the plugin's schema, located under ``path``."""
    out = []
    errors = sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    for err in errors:
        where = (*path, *err.absolute_path)
        out.append(doc.problem(where, f"invalid plugin config: {err.message}", _schema_fix(err)))
    return out


def _schema_fix(err: jsonschema.ValidationError) -> str:
    schema = err.schema if isinstance(err.schema, Mapping) else {}
    if err.validator == "additionalProperties":
        allowed = sorted((schema.get("properties") or {}).keys())
        return f"allowed keys: {', '.join(allowed)}" if allowed else "remove the key"
    if err.validator == "enum":
        return f"use one of: {', '.join(repr(v) for v in err.validator_value)}"  # type: ignore[union-attr]
    if err.validator == "type":
        return f"give a value of type {err.validator_value}"
    return "see the plugin's config_schema (hookwire plugins show NAME)"


def plugin_entries(
    doc: YamlDoc, raw: Any, problems: list[Problem]
) -> list[tuple[YamlPath, PluginEntry]]:
    """The ``plugins`` section, either form, as (yaml path, entry) pairs."""
    items: list[tuple[YamlPath, dict[str, Any]]] = []
    if isinstance(raw, Mapping):
        for name, settings in raw.items():
            if settings is None:
                settings = {}
            if not isinstance(settings, Mapping):
                problems.append(
                    doc.problem(
                        ("plugins", name),
                        "expected a mapping of settings",
                        f"write `{name}: {{}}` to enable it with its defaults",
                    )
                )
                continue
            if "name" in settings and settings["name"] != name:
                problems.append(
                    doc.problem(
                        ("plugins", name, "name"),
                        "short form takes the name from the key",
                        "remove `name`",
                    )
                )
                continue
            items.append((("plugins", str(name)), {**settings, "name": str(name)}))
    else:
        for i, settings in enumerate(raw):
            if not isinstance(settings, Mapping):
                problems.append(doc.problem(("plugins", i), "expected a mapping with `name`"))
                continue
            items.append((("plugins", i), dict(settings)))
    out = []
    seen: dict[str, YamlPath] = {}
    for path, settings in items:
        try:
            entry = PluginEntry.model_validate(settings)
        except ValidationError as exc:
            problems.extend(pydantic_problems(doc, exc, path))
            continue
        if entry.name in seen:
            problems.append(
                doc.problem(
                    (*path, "name"),
                    f"plugin {entry.name!r} is configured twice",
                    "give the second a different name and `kind`",
                )
            )
            continue
        seen[entry.name] = path
        out.append((path, entry))
    return out


def _bare_class(kind: str) -> bool:
    """``module.Class`` (or ``module:Class``) names a class with no manifest."""
    return "." in kind or ":" in kind


def build_plugin(
    doc: YamlDoc,
    path: YamlPath,
    entry: PluginEntry,
    packages: Mapping[str, PluginPackage],
    settings: PluginSettings,
    problems: list[Problem],
) -> PluginDef | None:
    """Check one ``plugins`` entry against its manifest and compute its base config."""
    kind = entry.kind or entry.name
    package = packages.get(kind)
    manifest = package.manifest if package else None
    refused = unsupported(entry)
    if refused:
        problems.extend(doc.problem((*path, *where), what, fix) for where, what, fix in refused)
        return None
    problem = _kind_problem(doc, path, entry, kind, package, packages)
    if problem is not None:
        problems.append(problem)
        return None
    if package is None and is_cpex_kind(kind):  # ContextForge's `kind: package.module.Class`
        manifest = _class_manifest(doc, path, entry, kind, problems)
        if manifest is None:
            return None
    hooks = _entry_hooks(doc, path, entry, kind, manifest, problems)
    mode, implied = parse_mode(entry.mode or "sequential")
    on_error = OnError(entry.on_error) if entry.on_error else (implied or OnError.FAIL)
    schema = manifest.config_schema if manifest else {}
    validator = jsonschema.Draft202012Validator(schema)
    defaults = schema_defaults(schema)
    config = deep_merge(defaults if isinstance(defaults, Mapping) else {}, entry.config)
    found = config_problems(doc, validator, config, (*path, "config"))
    if found or hooks is None:
        problems.extend(found)
        return None
    return PluginDef(
        name=entry.name,
        kind=kind,
        entry=entry,
        manifest=manifest,
        path=package.path if package else None,
        hooks=hooks,
        mode=mode,
        on_error=on_error,
        config=config,
        timeout=entry.timeout or settings.plugin_timeout,
        validator=validator,
        yaml_path=path,
    )


def _class_manifest(
    doc: YamlDoc, path: YamlPath, entry: PluginEntry, kind: str, problems: list[Problem]
) -> Manifest | None:
    """The manifest of a cpex class entry, made from the entry (None, with the problems)."""
    try:
        return cpex_manifest(entry, kind, list(entry.hooks or ()))
    except ValidationError as exc:
        problems.extend(pydantic_problems(doc, exc, path))
        return None


def _kind_problem(
    doc: YamlDoc,
    path: YamlPath,
    entry: PluginEntry,
    kind: str,
    package: PluginPackage | None,
    packages: Mapping[str, PluginPackage],
) -> Problem | None:
    """Why the entry's kind names nothing to run: no manifest of that name, or a bare
    class without the hooks a manifest would give."""
    if package is None and not _bare_class(kind):
        known = ", ".join(sorted(packages)) or "none found"
        where = (*path, "kind") if entry.kind else path
        return doc.problem(
            where,
            f"unknown plugin {kind!r}: no plugin-manifest.yaml with that name in plugin_dirs",
            f"fix the name or add its folder to plugin_dirs (known: {known})",
        )
    if package is None and not entry.hooks:
        return doc.problem(
            path, f"bare class {kind!r} has no manifest to take hooks from", "list its `hooks`"
        )
    return None


def _entry_hooks(
    doc: YamlDoc,
    path: YamlPath,
    entry: PluginEntry,
    kind: str,
    manifest: Manifest | None,
    problems: list[Problem],
) -> tuple[str, ...] | None:
    """The hooks the entry runs on: the manifest's, narrowed by the entry's ``hooks``
    (None, with a problem each, when it lists hooks the plugin does not implement)."""
    implemented = tuple(manifest.hooks) if manifest else tuple(entry.hooks or ())
    if entry.hooks is None or manifest is None:
        return implemented
    missing = [
        doc.problem(
            (*path, "hooks", i),
            f"plugin {kind!r} does not implement hook {hook!r}",
            f"use some of: {', '.join(implemented)}",
        )
        for i, hook in enumerate(entry.hooks)
        if hook not in implemented
    ]
    problems.extend(missing)
    return None if missing else tuple(h for h in implemented if h in entry.hooks)
