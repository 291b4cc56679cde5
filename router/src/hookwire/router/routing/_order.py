"""Ordering the attachments of the kept rules (docs/routing.md, Order)."""

from __future__ import annotations

from collections.abc import Iterable

from hookwire.router.routing._instances import ResolvedPlugin
from hookwire.router.routing._rules import CompiledRule
from hookwire.schemas import is_post_hook

_NO_PRIORITY = float("inf")


def order_plugins(kept: Iterable[CompiledRule], hook: str) -> tuple[ResolvedPlugin, ...]:
    """The plugins that run on ``hook``, in order, for the kept rules.

    Attachment priority ascending; ties: rule priority (a rule without one after
    all rules with one), higher specificity, file order, position in the rule.
    An instance attached twice runs once, at its first place. On a post hook the
    list is reversed if any kept rule asks for it.
    """
    rules = list(kept)
    keyed = []
    for rule in rules:
        rule_priority = _NO_PRIORITY if rule.priority is None else rule.priority
        score = rule.score
        for att in rule.attachments:
            if hook in att.runs_on and att.enabled:
                key = (att.priority, rule_priority, -score, rule.index, att.position)
                keyed.append(
                    (key, ResolvedPlugin(att.instance, att.priority, rule.index, att.position))
                )
    keyed.sort(key=lambda pair: pair[0])
    seen: set[str] = set()
    out = []
    for _, resolved in keyed:
        if resolved.instance.id not in seen:
            seen.add(resolved.instance.id)
            out.append(resolved)
    if is_post_hook(hook) and any(rule.reverse_order_on_post for rule in rules):
        out.reverse()
    return tuple(out)
