"""``hookwire explain``: how an event resolves, rule by rule, without running anything."""

from __future__ import annotations

import difflib
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

import msgspec

from hookwire.router.errors import RuleError
from hookwire.router.routing._event import (
    EventMismatch,
    complete_event,
    event_names,
    payload_mapping,
    static_key,
)
from hookwire.router.routing._index import Strategy
from hookwire.router.routing._instances import ResolvedPlugin
from hookwire.router.routing._order import order_plugins
from hookwire.router.routing._rules import CompiledRule
from hookwire.schemas import (
    BUILTIN_HOOKS,
    Entity,
    EntityType,
    GatewayRequest,
    HookwireError,
    is_post_hook,
)


class RuleSet(Protocol):
    """What explain reads of a loaded config (``hookwire.router.Config`` is one)."""

    @property
    def rules(self) -> Sequence[CompiledRule]: ...

    @property
    def strategy(self) -> Strategy: ...


@dataclass(frozen=True, slots=True)
class RuleReport:
    """One rule's fate for one event."""

    rule: CompiledRule
    matched: bool
    kept: bool
    reason: str


@dataclass(frozen=True, slots=True)
class Explanation:
    """The resolved plugins and a report for every rule."""

    event: GatewayRequest
    strategy: str
    plugins: tuple[ResolvedPlugin, ...]
    rules: tuple[RuleReport, ...]
    reversed: bool
    #: the ``when`` error that blocks the event (code ``rule_error``); plugins are then ()
    error: RuleError | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` form (docs/routing.md, hookwire explain)."""
        err = self.error
        return {
            "hook": self.event.hook,
            "strategy": self.strategy,
            "reversed": self.reversed,
            "blocked": None
            if err is None
            else {
                "code": "rule_error",
                "rule": err.rule,
                "display_name": err.display_name,
                "when": err.when,
                "error": err.error,
            },
            "plugins": [
                {
                    "plugin": r.instance.plugin,
                    "instance": r.instance.id,
                    "priority": r.priority,
                    "mode": r.instance.mode.value,
                    "on_error": r.instance.on_error.value,
                    "timeout": r.instance.timeout,
                    "hooks": list(r.instance.hooks),
                    "config": r.instance.config,
                    "rule": r.rule,
                }
                for r in self.plugins
            ],
            "rules": [
                {
                    "rule": rep.rule.index,
                    "display_name": rep.rule.display_name,
                    "score": rep.rule.score,
                    "matched": rep.matched,
                    "kept": rep.kept,
                    "reason": rep.reason,
                }
                for rep in self.rules
            ],
        }


#: Per entity hook family: the entity type and the payload field naming the entity.
FAMILIES = {
    "tool": ("tool", "name"),
    "prompt": ("prompt", "prompt_id"),
    "resource": ("resource", "uri"),
    "agent": ("agent", "agent_id"),
}


def entity_type_of(hook: str) -> str | None:
    """The entity type of a built-in entity hook (``tool_pre_invoke``: ``tool``), as
    ``hookwire send`` and the router derive it; None for HTTP and custom hooks."""
    family = FAMILIES.get(hook.split("_", 1)[0])
    return family[0] if family is not None and hook in BUILTIN_HOOKS else None


def default_payload(hook: str, name: str | None, args: dict[str, Any] | None) -> dict[str, Any]:
    """A minimal payload for ``hook`` carrying ``name`` and ``args`` where the hook has them."""
    family = FAMILIES.get(hook.split("_", 1)[0])
    key = family[1] if family is not None else None
    payload: dict[str, Any] = {}
    if key is not None:
        payload[key] = name or ""
    if args is not None:
        payload["args"] = args
    return payload


class ExplainRefused(HookwireError):
    """An event explain will not resolve, and why: an unknown hook (``unknown_hook``),
    an entity without a name, or an event the router itself would refuse."""

    def __init__(self, message: str, *, unknown_hook: bool = False) -> None:
        super().__init__(message)
        self.unknown_hook = unknown_hook


def explain_event(
    known_hooks: Collection[str],
    hook: str,
    *,
    entity_type: str | None = None,
    name: str | None = None,
    entity_id: str | None = None,
    tags: Sequence[str] = (),
    metadata: dict[str, Any] | None = None,
    args: dict[str, Any] | None = None,
    payload: dict[str, Any] | None = None,
    server_name: str | None = None,
    server_id: str | None = None,
    gateway_id: str | None = None,
    user: str | None = None,
    tenant_id: str | None = None,
    agent: str | None = None,
) -> GatewayRequest:
    """The event ``hookwire explain`` (and ``POST /admin/explain``) resolves, completed as
    the router completes it: the hook must be one the config knows; the entity is
    ``entity_type`` or the hook's own (``tool_pre_invoke``: a tool; HTTP hooks have none),
    named by ``name`` or the payload; the payload is the one given or a minimal one
    (``default_payload``). Raises ExplainRefused."""
    if hook not in known_hooks:
        close = difflib.get_close_matches(hook, list(known_hooks), n=1)
        hint = f"did you mean {close[0]}?" if close else "known: " + ", ".join(sorted(known_hooks))
        raise ExplainRefused(f"unknown hook {hook!r} ({hint})", unknown_hook=True)
    body = payload if payload is not None else default_payload(hook, name, args)
    entity = None
    kind = entity_type or entity_type_of(hook)
    if kind is not None:
        field = FAMILIES.get(kind, ("", ""))[1]
        entity_name = name or (body.get(field) if field else None)
        if not entity_name:
            raise ExplainRefused(
                f"--name is required for a {kind} entity (or give --payload with {field!r})"
            )
        entity = Entity(
            type=cast(EntityType, kind),  # argparse/the API checked it
            name=str(entity_name),
            id=entity_id,
            tags=[t.strip() for t in tags if t.strip()],
            metadata=metadata or {},
        )
    event = GatewayRequest(
        hook=hook,
        entity=entity,
        payload=msgspec.Raw(msgspec.json.encode(body)),
        server_name=server_name or None,
        server_id=server_id or None,
        gateway_id=gateway_id or None,
        user=user or None,
        tenant_id=tenant_id or None,
        agent=agent or None,
    )
    try:  # complete it as the router does: routing follows what the plugins will see
        return complete_event(event, payload_mapping(event))
    except EventMismatch as exc:
        raise ExplainRefused(f"the router would refuse this event: {exc}") from None


def _match(
    rule: CompiledRule, event: GatewayRequest, names: dict[str, Any], errors: dict[int, RuleError]
) -> str | None:
    why = rule.mismatch(static_key(event))
    if why is not None or rule.when is None:
        return why
    try:
        ok = rule.when.evaluate(names)
    except Exception as exc:
        text = f"when raised {type(exc).__name__}: {exc}"
        if rule.on_error == "ignore":
            return f"{text} (on_error: ignore, so the rule does not match)"
        errors[rule.index] = rule.when_failed(exc)
        return f"{text} (on_error: fail)"
    return None if ok else f"when {rule.when.source!r} is false"


def _blocking_error(
    strategy: str, errors: dict[int, RuleError], rules: list[CompiledRule], top: int
) -> RuleError | None:
    """The ``when`` error that blocks the event, as the index finds it.

    The index evaluates rules level by level (most_specific: highest score first, and
    it stops below a level with a kept rule; merge_all: one level), in file order, and
    the first failing rule raises.
    """
    failing = [r for r in rules if r.index in errors]
    if strategy == "most_specific":
        failing = [r for r in failing if r.score >= top]
        failing.sort(key=lambda r: (-r.score, r.index))
    return errors[failing[0].index] if failing else None


def explain(config: RuleSet, event: GatewayRequest) -> Explanation:
    """Resolve ``event`` against ``config`` rule by rule, saying why each was kept or not."""
    names = event_names(event)
    errors: dict[int, RuleError] = {}
    why_not = {rule.index: _match(rule, event, names, errors) for rule in config.rules}
    matched = [r for r in config.rules if why_not[r.index] is None]
    top = max((r.score for r in matched), default=0)
    if config.strategy == "most_specific":
        kept = [r for r in matched if r.score == top]
    else:
        kept = matched
    error = _blocking_error(config.strategy, errors, list(config.rules), top)
    if error is not None:
        kept = []
    kept_ids = {r.index for r in kept}
    reports = []
    for rule in config.rules:
        reason = why_not[rule.index]
        if error is not None and rule.index == error.rule:
            reports.append(RuleReport(rule, False, False, f"blocks the event: {reason}"))
        elif reason is not None:
            reports.append(RuleReport(rule, False, False, f"no match: {reason}"))
        elif rule.index in kept_ids:
            reports.append(RuleReport(rule, True, True, _kept_reason(config.strategy, rule)))
        else:
            if error is not None:
                text = f"dropped: the event is blocked by {error.label}"
            else:
                text = f"dropped: score {rule.score} < {top} (most_specific keeps the highest)"
            reports.append(RuleReport(rule, True, False, text))
    plugins = order_plugins(kept, event.hook)
    flipped = is_post_hook(event.hook) and any(r.reverse_order_on_post for r in kept)
    return Explanation(event, config.strategy, plugins, tuple(reports), flipped, error)


def _kept_reason(strategy: str, rule: CompiledRule) -> str:
    if strategy == "merge_all":
        return "kept: merge_all keeps every matching rule"
    return f"kept: highest score among matching rules ({rule.score})"


def render(exp: Explanation) -> str:
    """The explanation as aligned text for people."""
    ev = exp.event
    if ev.entity is None:
        what = "HTTP-level event"
    else:
        tags = f" tags={','.join(ev.entity.tags)}" if ev.entity.tags else ""
        what = f"{ev.entity.type} {ev.entity.name!r}{tags}"
    lines = [f"event: {ev.hook} on {what}", f"strategy: {exp.strategy}", ""]
    if exp.error is not None:
        lines.append(f"blocked (rule_error): {exp.error}")
        lines.append("  the rule fails closed (on_error: fail); no plugin runs")
    elif exp.plugins:
        note = " (reversed for the post hook)" if exp.reversed else ""
        lines.append(f"plugins, in order{note}:")
        width = max(len(r.instance.id) for r in exp.plugins)
        for n, r in enumerate(exp.plugins, 1):
            inst = r.instance
            lines.append(
                f"  {n}. {inst.id:<{width}}  priority {r.priority:<4} {inst.mode.value:<15} "
                f"routes[{r.rule}]  config {json.dumps(inst.config, default=str)}"
            )
    else:
        lines.append("plugins: none run for this event")
    lines.append("")
    lines.append("rules:")
    labels = [rep.rule.label for rep in exp.rules]
    width = max((len(x) for x in labels), default=0)
    for label, rep in zip(labels, exp.rules, strict=True):
        lines.append(f"  {label:<{width}}  score {rep.rule.score:<5} {rep.reason}")
    return "\n".join(lines)
