"""Turning ``routes`` into compiled rules, with every problem located in the file."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping, Sequence
from itertools import combinations
from typing import Any

import msgspec
from pydantic import ValidationError

from hookwire.router._yaml import YamlDoc
from hookwire.router.catalog._manifest import pydantic_problems
from hookwire.router.catalog._merge import deep_merge
from hookwire.router.config._model import Attachment, Rule
from hookwire.router.config._plugins import PluginDef, config_problems
from hookwire.router.errors import Problem, WhenError, YamlPath
from hookwire.router.routing._instances import PluginInstance, instance_id
from hookwire.router.routing._modes import Mode, OnError, parse_mode
from hookwire.router.routing._rules import CompiledAttachment, CompiledRule, specificity
from hookwire.router.routing._when import When
from hookwire.schemas import is_post_hook


def _set(value: str | list[str] | None) -> frozenset[str] | None:
    if value is None:
        return None
    return frozenset([value] if isinstance(value, str) else value)


def compile_rules(
    doc: YamlDoc,
    prefix: YamlPath,
    routes: Sequence[Any],
    plugins: Mapping[str, PluginDef],
    known_hooks: Collection[str],
    problems: list[Problem],
    broken: Collection[str] = (),
) -> list[CompiledRule]:
    """Compile every rule; problems (all of them) go to ``problems``."""
    out = []
    for index, raw in enumerate(routes):
        path = (*prefix, index)
        try:
            rule = Rule.model_validate(raw)
        except ValidationError as exc:
            problems.extend(pydantic_problems(doc, exc, path))
            problems.extend(_raw_problems(doc, path, raw, known_hooks))
            continue
        compiled = _compile_rule(doc, path, index, rule, plugins, known_hooks, problems, broken)
        if compiled is not None:
            out.append(compiled)
    return out


def _raw_problems(
    doc: YamlDoc, path: YamlPath, raw: Any, known_hooks: Collection[str]
) -> list[Problem]:
    """What a rule that does not validate still shows: unknown hooks and a bad ``when``
    (so one run reports them with its type errors, not one run later)."""
    if not isinstance(raw, Mapping):
        return []
    problems = []
    hooks = raw.get("hooks")
    for i, hook in enumerate(hooks if isinstance(hooks, list) else ()):
        if isinstance(hook, str) and hook not in known_hooks:
            problems.append(
                doc.problem(
                    (*path, "hooks", i),
                    f"unknown hook {hook!r}",
                    f"use one of: {', '.join(sorted(known_hooks))}",
                )
            )
    if isinstance(raw.get("when"), str):
        try:
            When(raw["when"])
        except WhenError as exc:
            problems.append(
                doc.problem(
                    (*path, "when"),
                    f"bad `when` expression: {exc}",
                    "see docs/routing.md#when-expressions for the names and functions",
                )
            )
    return problems


def _compile_rule(
    doc: YamlDoc,
    path: YamlPath,
    index: int,
    rule: Rule,
    plugins: Mapping[str, PluginDef],
    known_hooks: Collection[str],
    problems: list[Problem],
    broken: Collection[str],
) -> CompiledRule | None:
    before = len(problems)
    problems.extend(_scope_problems(doc, path, rule))
    problems.extend(_hook_problems(doc, path, rule.hooks or (), known_hooks))
    when = _compile_when(doc, path, rule.when, problems)
    attachments = []
    for j, att in enumerate(rule.plugins):
        compiled = _attachment(doc, (*path, "plugins", j), j, att, plugins, problems, broken)
        if compiled is not None:
            attachments.append(compiled)
    if len(problems) > before:
        return None
    out = CompiledRule(
        index=index,
        display_name=rule.display_name,
        entities=_set(rule.entities),  # type: ignore[arg-type]
        names=_set(rule.name),
        tags=_set(rule.tags),
        hooks=_set(rule.hooks),
        server_name=_set(rule.server_name),
        server_id=_set(rule.server_id),
        gateway_id=_set(rule.gateway_id),
        when=when,
        priority=rule.priority,
        reverse_order_on_post=rule.reverse_order_on_post,
        attachments=tuple(attachments),
        on_error=rule.on_error,
    )
    return dataclasses.replace(out, score=specificity(out))


def _scope_problems(doc: YamlDoc, path: YamlPath, rule: Rule) -> list[Problem]:
    """A rule without ``entities`` is HTTP-level: no entity filters, and some scope."""
    if rule.entities is not None:
        return []
    problems = []
    if rule.name is not None or rule.tags is not None:
        key = "name" if rule.name is not None else "tags"
        problems.append(
            doc.problem(
                (*path, key),
                f"`{key}` needs `entities`: HTTP-level events have no entity",
                "add `entities: [tool]` (or another type)",
            )
        )
    if not (rule.hooks or rule.when or rule.server_name or rule.server_id or rule.gateway_id):
        problems.append(
            doc.problem(
                path,
                "HTTP-level rule (no `entities`) is unscoped and would run on all HTTP traffic",
                "set `hooks`, `when` or a "
                "server_name/server_id/gateway_id filter, or add `entities`",
            )
        )
    return problems


def _hook_problems(
    doc: YamlDoc, path: YamlPath, hooks: Sequence[str], known_hooks: Collection[str]
) -> list[Problem]:
    """One problem per hook of the rule that is neither built in nor declared."""
    return [
        doc.problem(
            (*path, "hooks", i),
            f"unknown hook {hook!r}",
            f"use one of: {', '.join(sorted(known_hooks))}",
        )
        for i, hook in enumerate(hooks)
        if hook not in known_hooks
    ]


def _compile_when(
    doc: YamlDoc, path: YamlPath, source: str | None, problems: list[Problem]
) -> When | None:
    """The rule's parsed ``when`` (None: it has none, or it does not parse: a problem)."""
    if source is None:
        return None
    try:
        return When(source)
    except WhenError as exc:
        problems.append(
            doc.problem(
                (*path, "when"),
                f"bad `when` expression: {exc}",
                "see docs/routing.md#when-expressions for the names and functions",
            )
        )
        return None


def _attachment(
    doc: YamlDoc,
    path: YamlPath,
    position: int,
    att: Attachment,
    plugins: Mapping[str, PluginDef],
    problems: list[Problem],
    broken: Collection[str],
) -> CompiledAttachment | None:
    plugin = _attached_plugin(doc, path, att, plugins, problems, broken)
    if plugin is None:
        return None
    runs_on = _runs_on(doc, path, att, plugin, problems)
    if runs_on is None:
        return None
    mode, on_error = _mode_and_on_error(att, plugin)
    config = dict(att.config) if att.override else deep_merge(plugin.config, att.config)
    found = config_problems(doc, plugin.validator, config, (*path, "config"))
    if found:
        problems.extend(found)
        return None
    instance = PluginInstance(
        id=instance_id(plugin.name, config, runs_on, mode),
        plugin=plugin.name,
        config=config,
        hooks=runs_on,
        mode=mode,
        on_error=on_error,
        timeout=att.timeout or plugin.timeout,
        config_json=msgspec.json.encode(config),
        kind=plugin.manifest.name if plugin.manifest else plugin.name,
    )
    priority = position if att.priority is None else att.priority
    return CompiledAttachment(instance, priority, position, frozenset(runs_on))


def _attached_plugin(
    doc: YamlDoc,
    path: YamlPath,
    att: Attachment,
    plugins: Mapping[str, PluginDef],
    problems: list[Problem],
    broken: Collection[str],
) -> PluginDef | None:
    """The configured plugin an attachment names (None: not configured, a problem, or
    its own entry is broken and already reported)."""
    plugin = plugins.get(att.name)
    if plugin is None and att.name not in broken:
        configured = ", ".join(sorted(plugins)) or "none"
        problems.append(
            doc.problem(
                (*path, "name"),
                f"plugin {att.name!r} is not configured",
                f"add it under `plugins:` or use a configured one ({configured})",
            )
        )
    return plugin


def _runs_on(
    doc: YamlDoc, path: YamlPath, att: Attachment, plugin: PluginDef, problems: list[Problem]
) -> tuple[str, ...] | None:
    """The hooks the attachment runs the plugin on: its ``hooks`` (each one the plugin
    implements, else a problem and None), or all the plugin's."""
    if att.hooks is None:
        return plugin.hooks
    missing = [h for h in att.hooks if h not in plugin.hooks]
    for hook in missing:
        problems.append(
            doc.problem(
                (*path, "hooks", att.hooks.index(hook)),
                f"plugin {att.name!r} does not implement hook {hook!r}",
                f"use some of: {', '.join(plugin.hooks)}",
            )
        )
    if missing:
        return None
    return tuple(h for h in plugin.hooks if h in att.hooks)


def _mode_and_on_error(att: Attachment, plugin: PluginDef) -> tuple[Mode, OnError]:
    """The attachment's mode and on_error, falling back to the plugin entry's; a mode
    may imply an on_error, and a disabled plugin stays disabled."""
    if att.mode is not None:
        mode, implied = parse_mode(att.mode)
    else:
        mode, implied = plugin.mode, None
    if not plugin.enabled:  # enabled: false or mode: disabled; an attachment cannot revive it
        mode = Mode.DISABLED
    on_error = OnError(att.on_error) if att.on_error else (implied or plugin.on_error)
    return mode, on_error


def _may_overlap(a: CompiledRule, b: CompiledRule) -> bool:
    """Whether one event could match both rules (``when`` and tags aside)."""
    if (a.entities is None) != (b.entities is None):
        return False
    for x, y in (
        (a.entities, b.entities),
        (a.names, b.names),
        (a.hooks, b.hooks),
        (a.server_name, b.server_name),
        (a.server_id, b.server_id),
        (a.gateway_id, b.gateway_id),
    ):
        if x is not None and y is not None and x.isdisjoint(y):
            return False
    hooks = (a.hooks or frozenset()) | (b.hooks or frozenset())
    return not hooks or any(is_post_hook(h) for h in hooks)


def reverse_order_warnings(
    doc: YamlDoc, rules: Sequence[CompiledRule], strategy: str
) -> list[Problem]:
    """Rules that may be kept together on a post hook but disagree on reverse_order_on_post."""
    out: list[Problem] = []
    flipped = [r for r in rules if r.reverse_order_on_post]
    if not flipped or len(flipped) == len(rules):
        return out  # all rules agree: nothing to compare
    for a, b in combinations(rules, 2):
        if a.reverse_order_on_post == b.reverse_order_on_post:
            continue
        if strategy == "most_specific" and a.score != b.score:
            continue
        if _may_overlap(a, b):
            out.append(
                doc.problem(
                    ("routes", b.index, "reverse_order_on_post"),
                    f"{a.label} and {b.label} may both be kept on a post hook but "
                    "disagree on reverse_order_on_post (any true reverses the list)",
                    "set the same value on both",
                )
            )
    return out
