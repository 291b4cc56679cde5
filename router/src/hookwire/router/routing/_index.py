"""The rule index: rules bucketed for lookup, and a bounded LRU of static resolutions."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import structlog

from hookwire.router.routing._event import event_names, static_key
from hookwire.router.routing._instances import ResolvedPlugin
from hookwire.router.routing._order import order_plugins
from hookwire.router.routing._rules import CompiledRule, StaticKey
from hookwire.schemas import GatewayRequest

Strategy = Literal["most_specific", "merge_all"]
Resolution = tuple[ResolvedPlugin, ...]
_ANY_HOOK = "*"
_MEMO_LIMIT = 64

log = structlog.get_logger("hookwire.router")


@dataclass(slots=True)
class IndexStats:
    """Counters of one index instance."""

    hits: int = 0
    misses: int = 0
    when_errors: int = 0


@dataclass(slots=True)
class _Entry:
    """The cached static part of a resolution for one StaticKey."""

    levels: tuple[tuple[CompiledRule, ...], ...]
    fixed: Resolution | None
    needed: frozenset[str] = frozenset()
    memo: dict[tuple[int, ...], Resolution] = field(default_factory=dict)


_INFRA = ("server_name", "server_id", "gateway_id")


def _infra_bucket(rule: CompiledRule) -> tuple[str, frozenset[str]] | None:
    """The first infrastructure filter a rule sets: buckets rules that have no name or tag."""
    for field_name in _INFRA:
        values: frozenset[str] | None = getattr(rule, field_name)
        if values is not None:
            return field_name, values
    return None


def _bucket_keys(rule: CompiledRule) -> Iterator[tuple[str | None, ...]]:
    hooks = tuple(rule.hooks) if rule.hooks is not None else (_ANY_HOOK,)
    infra = _infra_bucket(rule) if rule.names is None and rule.tags is None else None
    types: tuple[str | None, ...] = (None,) if rule.entities is None else tuple(rule.entities)
    for etype in types:
        for hook in hooks:
            if rule.names is not None:
                for name in rule.names:
                    yield ("name", etype, name, hook)
            elif rule.tags is not None:
                for tag in rule.tags:
                    yield ("tag", etype, tag, hook)
            elif infra is not None:
                for value in infra[1]:
                    yield ("infra", etype, infra[0], value, hook)
            else:
                yield ("any", etype, hook)


def _lookup_keys(key: StaticKey) -> Iterator[tuple[str | None, ...]]:
    hook, etype, ename, tags = key[0], key[1], key[2], key[3]
    infra = [(f, v) for f, v in zip(_INFRA, key[4:], strict=True) if v is not None]
    for h in (hook, _ANY_HOOK):
        if etype is not None:
            yield ("name", etype, ename, h)
            for tag in tags:
                yield ("tag", etype, tag, h)
        for field_name, value in infra:
            yield ("infra", etype, field_name, value, h)
        yield ("any", etype, h)


class RuleIndex:
    """Resolves events to ordered plugin lists; built once per config, never mutated.

    A reload builds a new index and swaps the reference: events in flight finish
    on the index they started with. The LRU belongs to this instance.
    """

    def __init__(
        self, rules: Sequence[CompiledRule], strategy: Strategy, cache_size: int = 10_000
    ) -> None:
        self.rules = tuple(rules)
        self.strategy = strategy
        self.cache_size = cache_size
        self.stats = IndexStats()
        self._cache: OrderedDict[StaticKey, _Entry] = OrderedDict()
        self._buckets: dict[tuple[str | None, ...], list[CompiledRule]] = {}
        for rule in self.rules:
            for bucket in _bucket_keys(rule):
                self._buckets.setdefault(bucket, []).append(rule)

    def candidates(self, key: StaticKey) -> list[CompiledRule]:
        """Rules whose static fields all hold for ``key``, in file order (no full scan)."""
        found: dict[int, CompiledRule] = {}
        for bucket in _lookup_keys(key):
            for rule in self._buckets.get(bucket, ()):
                found[rule.index] = rule
        return [r for _, r in sorted(found.items()) if r.mismatch(key) is None]

    def _entry(self, key: StaticKey) -> _Entry:
        cache = self._cache
        entry = cache.get(key)
        if entry is not None:
            self.stats.hits += 1
            cache.move_to_end(key)
            return entry
        self.stats.misses += 1
        rules = self.candidates(key)
        levels: tuple[tuple[CompiledRule, ...], ...]
        if self.strategy == "merge_all":
            levels = (tuple(rules),) if rules else ()
        else:
            scores = sorted({r.score for r in rules}, reverse=True)
            levels = tuple(tuple(r for r in rules if r.score == s) for s in scores)
        fixed: Resolution | None = None
        if not levels:
            fixed = ()
        elif all(r.when is None for r in levels[0]):
            fixed = order_plugins(levels[0], key[0])
        needed = frozenset().union(*(r.when.names for lv in levels for r in lv if r.when))
        entry = _Entry(levels, fixed, needed)
        cache[key] = entry
        if len(cache) > self.cache_size:
            cache.popitem(last=False)
        return entry

    def resolve(self, event: GatewayRequest) -> Resolution:
        """The plugin instances to run for ``event``, in order.

        Raises ``RuleError`` when a rule's ``when`` raised and the rule fails closed
        (its ``on_error`` is ``fail``): the event must be blocked. Only rules that could
        still be kept are evaluated: under most_specific, a level below one with a kept
        rule never is.
        """
        entry = self._entry(static_key(event))
        if entry.fixed is not None:
            return entry.fixed
        names: dict[str, Any] | None = None
        kept: list[CompiledRule] = []
        for level in entry.levels:
            for rule in level:
                if rule.when is None:
                    kept.append(rule)
                    continue
                if names is None:
                    names = event_names(event, entry.needed)
                if self._when_true(rule, names):
                    kept.append(rule)
            if kept:
                break
        memo_key = tuple(r.index for r in kept)
        result = entry.memo.get(memo_key)
        if result is None:
            result = order_plugins(kept, event.hook)
            if len(entry.memo) < _MEMO_LIMIT:
                entry.memo[memo_key] = result
        return result

    def _when_true(self, rule: CompiledRule, names: dict[str, Any]) -> bool:
        assert rule.when is not None
        try:
            return rule.when.evaluate(names)
        except Exception as exc:
            self.stats.when_errors += 1
            log.warning(
                "rule.when.error",
                rule=rule.label,
                when=rule.when.source,
                error=repr(exc),
                on_error=rule.on_error,
            )
            if rule.on_error == "fail":
                raise rule.when_failed(exc) from exc
            return False

    def cache_info(self) -> dict[str, int]:
        return {
            "size": len(self._cache),
            "maxsize": self.cache_size,
            "hits": self.stats.hits,
            "misses": self.stats.misses,
        }
