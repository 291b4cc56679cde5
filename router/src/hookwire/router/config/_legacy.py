"""ContextForge's legacy plugin config (``conditions``, no ``routes``) as routing rules.

Legacy semantics: every plugin runs on every event of its hooks, in plugin
``priority`` order (default 100, ties in file order), filtered by its conditions:
OR across conditions, AND within one. A condition's entity filter applies only to
its own hook family (``tools`` on tool hooks ...); ``user_patterns`` are substrings
and pass when the event has no user.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hookwire.router.config._model import Condition, PluginEntry
from hookwire.schemas import ENTITY_TYPES, is_http_hook

LEGACY_DEFAULT_PRIORITY = 100

#: Hook family prefix -> the condition field that filters it.
_FAMILY_FIELD = {
    "tool_": "tools",
    "prompt_": "prompts",
    "resource_": "resources",
    "agent_": "agents",
}


def _family(hook: str) -> str | None:
    for prefix, fld in _FAMILY_FIELD.items():
        if hook.startswith(prefix):
            return fld
    return None


def _when(cond: Condition) -> str | None:
    parts = []
    if cond.tenant_ids:
        parts.append(f"tenant_id in {sorted(cond.tenant_ids)!r}")
    if cond.user_patterns:
        subs = " or ".join(f"contains(user, {p!r})" for p in cond.user_patterns)
        parts.append(f"(user == null or {subs})")
    return " and ".join(parts) or None


def _rules_for(
    entry: PluginEntry, index: int, hooks: Sequence[str], cond: Condition | None
) -> list[dict[str, Any]]:
    """The rules equivalent to one plugin under one condition (or none)."""
    groups: dict[str | None, list[str]] = {}
    for hook in hooks:
        if is_http_hook(hook):
            groups.setdefault("http", []).append(hook)
        else:
            fld = _family(hook)
            names = getattr(cond, fld) if (cond is not None and fld) else None
            groups.setdefault(fld if names else None, []).append(hook)
    attachment = {
        "name": entry.name,
        "priority": LEGACY_DEFAULT_PRIORITY if entry.priority is None else entry.priority,
    }
    common: dict[str, Any] = {"priority": index}
    if cond is not None:
        if cond.server_ids:
            common["server_id"] = sorted(cond.server_ids)
        when = _when(cond)
        if when:
            common["when"] = when
    out = []
    for group, group_hooks in groups.items():
        rule: dict[str, Any] = {"display_name": f"legacy: {entry.name}"}
        if group != "http":
            rule["entities"] = list(ENTITY_TYPES)
        if group not in (None, "http") and cond is not None:
            rule["name"] = sorted(getattr(cond, group))
        rule["hooks"] = list(group_hooks)
        rule.update(common)
        rule["plugins"] = [attachment]
        out.append(rule)
    return out


def legacy_routes(entries: Sequence[tuple[PluginEntry, Sequence[str]]]) -> list[dict[str, Any]]:
    """``routes`` (as plain data) equivalent to legacy ``plugins`` with their hooks."""
    routes: list[dict[str, Any]] = []
    for index, (entry, hooks) in enumerate(entries):
        conditions: list[Condition | None] = list(entry.conditions) or [None]
        for cond in conditions:
            routes.extend(_rules_for(entry, index, hooks, cond))
    return routes
