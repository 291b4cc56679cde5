"""``hookwire explain``: how an event resolves, rule by rule, without running anything."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from hookwire.router.errors import RuleError
from hookwire.router.routing._event import event_names, static_key
from hookwire.router.routing._index import Strategy
from hookwire.router.routing._instances import ResolvedPlugin
from hookwire.router.routing._order import order_plugins
from hookwire.router.routing._rules import CompiledRule
from hookwire.schemas import GatewayRequest, is_post_hook


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
