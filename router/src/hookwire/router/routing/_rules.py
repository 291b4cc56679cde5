"""Compiled routing rules: static matching, specificity, and why a rule did not match."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from hookwire.router.errors import RuleError
from hookwire.router.routing._instances import PluginInstance
from hookwire.router.routing._when import When

#: Specificity points per criterion (docs/routing.md, Specificity and strategies).
SCORE_NAME = 1000
SCORE_TAGS = 100
SCORE_HOOKS = 50
SCORE_INFRA = 20
SCORE_WHEN = 10

#: The static part of an event: (hook, entity type, entity name, sorted tags,
#: server_name, server_id, gateway_id). Entity type and name are None for HTTP-level events.
StaticKey = tuple[str, str | None, str | None, tuple[str, ...], str | None, str | None, str | None]


@dataclass(frozen=True, slots=True)
class CompiledAttachment:
    """A plugin instance attached by a rule, with its ordering fields."""

    instance: PluginInstance
    priority: int
    position: int
    runs_on: frozenset[str]

    @property
    def enabled(self) -> bool:
        return self.instance.mode != "disabled"


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule ready to match: every list is a frozenset, ``when`` is parsed."""

    index: int
    display_name: str | None
    entities: frozenset[str] | None
    names: frozenset[str] | None
    tags: frozenset[str] | None
    hooks: frozenset[str] | None
    server_name: frozenset[str] | None
    server_id: frozenset[str] | None
    gateway_id: frozenset[str] | None
    when: When | None
    priority: int | None
    reverse_order_on_post: bool
    attachments: tuple[CompiledAttachment, ...]

    #: specificity (docs/routing.md), computed once when the rule is compiled
    score: int = 0
    #: a run-time error in ``when``: ``fail`` blocks the event, ``ignore`` does not match
    on_error: Literal["fail", "ignore"] = "fail"

    @property
    def label(self) -> str:
        name = f" ({self.display_name})" if self.display_name else ""
        return f"routes[{self.index}]{name}"

    def when_failed(self, exc: Exception) -> RuleError:
        """The error that blocks an event whose ``when`` raised ``exc`` here."""
        assert self.when is not None
        return RuleError(self.index, self.label, self.display_name, self.when.source, exc)

    def mismatch(self, key: StaticKey) -> str | None:
        """Why the rule cannot match an event with this static key, or None if it can."""
        hook, etype, ename, tags, sname, sid, gid = key
        if self.entities is None:
            if etype is not None:
                return "HTTP-level rule; the event has an entity"
        elif etype is None:
            return "entity rule; the event is HTTP-level"
        elif etype not in self.entities:
            return f"entity type {etype!r} not in {sorted(self.entities)}"
        if self.names is not None and ename not in self.names:
            return f"name {ename!r} not in {sorted(self.names)}"
        if self.tags is not None and self.tags.isdisjoint(tags):
            return f"no tag in common with {sorted(self.tags)}"
        if self.hooks is not None and hook not in self.hooks:
            return f"hook {hook!r} not in {sorted(self.hooks)}"
        for field, wanted, value in (
            ("server_name", self.server_name, sname),
            ("server_id", self.server_id, sid),
            ("gateway_id", self.gateway_id, gid),
        ):
            if wanted is not None and value not in wanted:
                return f"{field} {value!r} not in {sorted(wanted)}"
        return None


def specificity(rule: CompiledRule) -> int:
    """The rule's score: the sum of the points of the criteria it sets."""
    score = 0
    if rule.names is not None:
        score += SCORE_NAME
    if rule.tags is not None:
        score += SCORE_TAGS
    if rule.hooks is not None:
        score += SCORE_HOOKS
    for infra in (rule.server_name, rule.server_id, rule.gateway_id):
        if infra is not None:
            score += SCORE_INFRA
    if rule.when is not None:
        score += SCORE_WHEN
    return score
