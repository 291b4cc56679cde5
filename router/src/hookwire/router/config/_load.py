"""Loading a config file: every problem is collected and reported at once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from hookwire.router._yaml import YamlDoc, load_yaml, parse_yaml
from hookwire.router.catalog._manifest import PluginPackage, discover, pydantic_problems
from hookwire.router.config._compile import compile_rules, reverse_order_warnings
from hookwire.router.config._contextforge import gateway_setting_warnings
from hookwire.router.config._legacy import legacy_routes
from hookwire.router.config._model import ConfigFile, NatsSection, PluginEntry, PluginSettings
from hookwire.router.config._plugins import PluginDef, build_plugin, plugin_entries
from hookwire.router.config._policy import check_plugins
from hookwire.router.config._templating import render_env
from hookwire.router.errors import ConfigError, Problem, ProblemList, YamlPath
from hookwire.router.routing._index import RuleIndex, Strategy
from hookwire.router.routing._rules import CompiledRule
from hookwire.schemas import BUILTIN_HOOKS


@dataclass(frozen=True, slots=True)
class Config:
    """A loaded, checked config: plugins, compiled rules and the warnings found."""

    file: str
    settings: PluginSettings
    plugins: Mapping[str, PluginDef]
    packages: Mapping[str, PluginPackage]
    rules: tuple[CompiledRule, ...]
    routes: tuple[dict[str, Any], ...]
    legacy: bool
    strategy: Strategy
    warnings: tuple[Problem, ...]
    known_hooks: frozenset[str]
    #: the ``nats:`` section, its paths made absolute (None: the file has none)
    nats: NatsSection | None = None

    def build_index(self) -> RuleIndex:
        """A fresh rule index (with its own cache) for this config."""
        return RuleIndex(self.rules, self.strategy, self.settings.route_cache_size)


def load_config(path: str | Path) -> Config:
    """Load and check the config at ``path``; raises ConfigError listing every problem."""
    return config_from_doc(load_yaml(path, render_env), Path(path).parent)


def config_from_text(text: str, file: str = "<config>", base_dir: Path | None = None) -> Config:
    """Load a config from YAML text (``file`` names it in errors)."""
    return config_from_doc(parse_yaml(render_env(text, file), file), base_dir or Path.cwd())


def config_from_doc(doc: YamlDoc, base_dir: Path) -> Config:
    problems = ProblemList()
    if doc.data is None:  # an empty file (or only comments) configures nothing: a slip
        raise ConfigError(
            [doc.problem((), "the config is empty", "start with `plugin_dirs:`, `plugins:`")]
        )
    data = doc.data
    if not isinstance(data, Mapping):
        raise ConfigError(
            [
                doc.problem(
                    (),
                    "a config must be a mapping of top-level keys",
                    "start with `plugins:` and `routes:`",
                )
            ]
        )
    top = _top_level(doc, data, problems)
    settings = top.plugin_settings
    packages = discover(_plugin_dirs(doc, base_dir, top), problems)
    found: list[Problem] = []
    entries = plugin_entries(doc, top.plugins, found)
    plugins = _build_plugins(doc, entries, packages, settings, found)
    policy = check_plugins(doc, plugins.values(), settings)  # versions and maturity
    found.extend(policy.errors)
    known_hooks = _known_hooks(packages)
    warnings: list[Problem] = [*policy.warnings, *gateway_setting_warnings(doc, settings)]
    source = _route_source(doc, top, entries, plugins, found, warnings)
    broken = _entry_names(top.plugins) - plugins.keys()
    rules = compile_rules(
        source.doc, source.prefix, source.routes, plugins, known_hooks, found, broken
    )
    problems.extend(found)
    problems.raise_if_any()
    warnings.extend(reverse_order_warnings(doc, rules, source.strategy))
    if not source.legacy:
        warnings.extend(_unattached(doc, entries, rules))
    return Config(
        file=doc.file,
        settings=settings,
        plugins=plugins,
        packages=packages,
        rules=tuple(rules),
        routes=tuple(source.routes),
        legacy=source.legacy,
        strategy=source.strategy,
        warnings=tuple(warnings),
        known_hooks=frozenset(known_hooks),
        nats=_nats_section(top.nats, base_dir),
    )


def _plugin_dirs(doc: YamlDoc, base_dir: Path, top: ConfigFile) -> list[tuple[Path, Problem]]:
    """Each ``plugin_dirs`` folder, resolved, with the problem to report if it is missing."""
    return [
        (
            _resolve(base_dir, d),
            doc.problem(
                ("plugin_dirs", i),
                f"folder {d!r} does not exist",
                "fix the path (relative to the config file)",
            ),
        )
        for i, d in enumerate(top.plugin_dirs)
    ]


def _build_plugins(
    doc: YamlDoc,
    entries: list[tuple[YamlPath, PluginEntry]],
    packages: Mapping[str, PluginPackage],
    settings: PluginSettings,
    found: list[Problem],
) -> dict[str, PluginDef]:
    """The plugin entries that build, by name (the others are problems in ``found``)."""
    plugins: dict[str, PluginDef] = {}
    for path, entry in entries:
        plugin = build_plugin(doc, path, entry, packages, settings, found)
        if plugin is not None:
            plugins[plugin.name] = plugin
    return plugins


def _known_hooks(packages: Mapping[str, PluginPackage]) -> set[str]:
    """The built-in hooks and every custom hook a plugin package declares."""
    known_hooks = set(BUILTIN_HOOKS)
    for package in packages.values():
        known_hooks.update(package.manifest.hooks)
    return known_hooks


@dataclass(frozen=True, slots=True)
class _RouteSource:
    """The routes to compile and where their problems point: the file's ``routes``, or
    those generated from legacy plugin entries (``legacy``)."""

    routes: list[Any]
    strategy: Strategy
    doc: YamlDoc
    prefix: YamlPath
    legacy: bool


def _route_source(
    doc: YamlDoc,
    top: ConfigFile,
    entries: list[tuple[YamlPath, PluginEntry]],
    plugins: Mapping[str, PluginDef],
    found: list[Problem],
    warnings: list[Problem],
) -> _RouteSource:
    """Routes when routing is on (by default: when the file has ``routes``), else the
    legacy routes of the plugin entries."""
    settings = top.plugin_settings
    routing = settings.enable_plugin_routing
    if routing is None:
        routing = top.routes is not None
    if routing:
        for path, entry in entries:
            if entry.conditions:
                found.append(
                    doc.problem(
                        (*path, "conditions"),
                        "legacy `conditions` do not apply when routes are used",
                        "express them as routes (hookwire migrate) and remove them",
                    )
                )
        routes = [r for r in top.routes or []]
        return _RouteSource(routes, settings.rule_merge_strategy, doc, ("routes",), False)
    if top.routes:
        warnings.append(
            doc.problem(
                ("routes",),
                "routes are ignored: enable_plugin_routing is false",
                "remove `enable_plugin_routing: false` to use them",
            )
        )
    routes = legacy_routes([(e, plugins[e.name].hooks) for _, e in entries if e.name in plugins])
    return _RouteSource(routes, "merge_all", _generated(doc), ("<legacy routes>",), True)


def _nats_section(section: NatsSection | None, base_dir: Path) -> NatsSection | None:
    if section is None:
        return None
    files = ("nkey", "creds", "ca", "cert", "key")
    resolved = {
        name: str(base_dir / Path(value).expanduser())
        for name in files
        if (value := getattr(section, name)) is not None
    }
    return section.model_copy(update=resolved)


def _top_level(doc: YamlDoc, data: Mapping[str, Any], problems: ProblemList) -> ConfigFile:
    """The top level; after a problem there, each section that still parses is kept so
    plugins and routes are checked too (every problem is reported at once)."""
    try:
        return ConfigFile.model_validate(data)
    except ValidationError as exc:
        problems.extend(pydantic_problems(doc, exc))
    kept: dict[str, Any] = {}
    for key in ConfigFile.model_fields:
        if key in data:
            try:
                ConfigFile.model_validate({key: data[key]})
            except ValidationError:
                continue
            kept[key] = data[key]
    return ConfigFile.model_validate(kept)


def _resolve(base: Path, folder: str) -> Path:
    p = Path(folder).expanduser()
    return p if p.is_absolute() else base / p


def _entry_names(raw: Any) -> set[str]:
    """Every plugin name the ``plugins`` section mentions, whether its entry is valid or not."""
    if isinstance(raw, Mapping):
        return {str(name) for name in raw}
    return {str(e["name"]) for e in raw if isinstance(e, Mapping) and "name" in e}


def _generated(doc: YamlDoc) -> YamlDoc:
    """A stand-in document for rules generated from legacy plugins (they have no lines)."""
    return YamlDoc(doc.file, None, {})


def _unattached(
    doc: YamlDoc, entries: list[tuple[YamlPath, Any]], rules: list[CompiledRule]
) -> list[Problem]:
    used = {att.instance.plugin for rule in rules for att in rule.attachments}
    return [
        doc.problem(
            path,
            f"plugin {entry.name!r} is configured but no route attaches it",
            "attach it in a route or remove it",
        )
        for path, entry in entries
        if entry.name not in used and entry.enabled
    ]
