"""Load-time checks of the configured plugins: version pins, hookwire compatibility and
the maturity policy of the environment (docs/manifest.md).

- A ``version`` pin the plugin's manifest version does not meet is an error.
- An enabled plugin whose ``requires_hookwire`` excludes this hookwire is an error.
- ``environment: production``: an enabled alpha or beta plugin is a warning; an enabled
  deprecated plugin is an error unless its entry sets ``allow_deprecated: true`` (then a
  warning). In development a deprecated plugin is a warning.
- An enabled plugin claiming a level its quality (measured, else typed) does not support
  is a warning located at the manifest's ``maturity``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from hookwire.router._yaml import YamlDoc, load_yaml
from hookwire.router.catalog._compat import (
    hookwire_version,
    parse_range,
    satisfies,
    supports_running,
)
from hookwire.router.catalog._manifest import MANIFEST_FILE, Manifest, PluginPackage
from hookwire.router.catalog._maturity import UNPROVEN, contradictions, describe, supported_level
from hookwire.router.catalog._quality import quality_view
from hookwire.router.config._model import PluginSettings
from hookwire.router.config._plugins import PluginDef
from hookwire.router.errors import Problem


@dataclass(slots=True)
class PolicyResult:
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def check_plugins(
    doc: YamlDoc, plugins: Iterable[PluginDef], settings: PluginSettings
) -> PolicyResult:
    """Every version and maturity problem of ``plugins``, as errors and warnings."""
    result = PolicyResult()
    for plugin in plugins:
        manifest = plugin.manifest
        generated = manifest is not None and manifest.cpex is not None and plugin.path is None
        if plugin.entry.version is not None and not generated:  # a cpex class: pinned by pip
            _check_pin(doc, plugin, manifest, result.errors)
        if manifest is None or not plugin.enabled:
            continue
        if not supports_running(manifest):
            result.errors.append(_incompatible(doc, plugin, manifest))
        _check_level(doc, plugin, manifest, settings, result)
        if plugin.path is not None:
            result.warnings.extend(_claim(plugin, PluginPackage(manifest, plugin.path)))
    return result


def _manifest_file(plugin: PluginDef) -> str:
    return str(plugin.path / MANIFEST_FILE) if plugin.path else plugin.kind


def _check_pin(
    doc: YamlDoc, plugin: PluginDef, manifest: Manifest | None, errors: list[Problem]
) -> None:
    pin = plugin.entry.version or ""
    where = (*plugin.yaml_path, "version")
    try:
        spec = parse_range(pin)
    except ValueError:
        errors.append(
            doc.problem(
                where,
                f"{pin!r} is not a version or version range",
                "write a PEP 440 range such as '>=1.2,<2', or an exact version such as 1.2.0",
            )
        )
        return
    if manifest is None:
        errors.append(
            doc.problem(
                where,
                f"bare class {plugin.kind!r} has no manifest version to check the pin against",
                "remove `version`, or give the plugin a folder with a plugin-manifest.yaml",
            )
        )
    elif not satisfies(manifest.version, spec):
        errors.append(
            doc.problem(
                where,
                f"plugin {plugin.kind!r} is version {manifest.version} "
                f"({_manifest_file(plugin)}), which does not meet the pinned range {str(spec)!r}",
                f"put a version of {plugin.kind} matching {str(spec)!r} in plugin_dirs, "
                "or change the pin",
            )
        )


def _incompatible(doc: YamlDoc, plugin: PluginDef, manifest: Manifest) -> Problem:
    running = hookwire_version()
    return doc.problem(
        plugin.yaml_path,
        f"plugin {plugin.kind!r} {manifest.version} requires hookwire "
        f"{manifest.requires_hookwire!r} ({_manifest_file(plugin)}), but this is "
        f"hookwire {running}",
        f"use a hookwire matching {manifest.requires_hookwire!r}, or a version of "
        f"{plugin.kind} made for hookwire {running}",
    )


def _check_level(
    doc: YamlDoc,
    plugin: PluginDef,
    manifest: Manifest,
    settings: PluginSettings,
    result: PolicyResult,
) -> None:
    production = settings.environment == "production"
    level = manifest.maturity
    if production and level in UNPROVEN:
        result.warnings.append(
            doc.problem(
                plugin.yaml_path,
                f"plugin {plugin.kind!r} is {level} ({_criteria_hint(level)}) "
                "and this is a production config",
                "prefer a stable plugin in production, or accept the risk knowingly",
            )
        )
    if level != "deprecated":
        return
    dep = manifest.deprecation
    replacement = dep.replacement if dep else None
    note = f"; migration: {dep.migration}" if dep and dep.migration else ""
    instead = f"use {replacement!r} instead" if replacement else "it has no replacement"
    message = f"plugin {plugin.kind!r} is deprecated: {instead}{note}"
    if production and not plugin.entry.allow_deprecated:
        fix = f"set `allow_deprecated: true` for it or use {replacement}"
        if not replacement:
            fix = "set `allow_deprecated: true` for it or remove it"
        result.errors.append(doc.problem(plugin.yaml_path, message, fix))
    elif production:
        result.warnings.append(
            doc.problem(
                plugin.yaml_path,
                message + " (allowed by allow_deprecated)",
                f"move to {replacement}" if replacement else "plan its removal",
            )
        )
    else:
        result.warnings.append(
            doc.problem(
                plugin.yaml_path,
                message + "; production refuses it unless `allow_deprecated: true`",
                f"move to {replacement}" if replacement else "plan its removal",
            )
        )


def _criteria_hint(level: str) -> str:
    return "early work" if level == "alpha" else "not yet audited for stable"


def _claim(plugin: PluginDef, package: PluginPackage) -> list[Problem]:
    quality = quality_view(package)
    level = package.manifest.maturity
    reasons = contradictions(level, quality)
    if not reasons:
        return []
    supported = supported_level(quality) or "alpha"
    file = package.path / MANIFEST_FILE
    try:
        manifest_doc = load_yaml(file)
    except Exception:  # the manifest was just read; a race with an editor at worst
        manifest_doc = YamlDoc(str(file), None, {})
    return [
        manifest_doc.problem(
            ("maturity",),
            f"plugin {package.name!r} claims {level} but its {describe(quality)} "
            f"supports {supported}: {'; '.join(reasons)}",
            f"raise the figures (hookwire plugins qa {package.name}) or claim {supported}",
        )
    ]
