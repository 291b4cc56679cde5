"""The content_moderation plugin: scores text per category and blocks, warns or redacts."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec

from hookwire.schemas import (
    MAX_PLUGIN_WARNINGS,
    PromptPosthookPayload,
    PromptPrehookPayload,
    ToolPostInvokePayload,
    ToolPreInvokePayload,
)
from hookwire.workers import Block, Context, Continue, Plugin

from ._engine import CATEGORIES, Engine, Finding
from ._providers import Provider, ProviderError, provider_from

P = TypeVar("P", bound=msgspec.Struct)
ACTIONS = ("block", "warn", "redact")
DEFAULTS: dict[str, tuple[float, str]] = {
    "hate": (0.5, "block"),
    "harassment": (0.5, "warn"),
    "violence": (0.5, "block"),
    "self_harm": (0.5, "warn"),
    "sexual": (0.5, "block"),
    "profanity": (0.5, "redact"),
}


@dataclass(frozen=True)
class Rule:
    threshold: float
    action: str


def child_path(path: str, key: object) -> str:
    if isinstance(key, str) and key.isidentifier():
        return f"{path}.{key}"
    return f"{path}[{key!r}]"


def iter_strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every string nested in ``value`` with its path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from iter_strings(item, child_path(path, key))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from iter_strings(item, child_path(path, i))


def replace_strings(value: Any, path: str, new: Mapping[str, str]) -> Any:
    """``value`` with the strings at the paths in ``new`` replaced."""
    if isinstance(value, str):
        return new.get(path, value)
    if isinstance(value, dict):
        return {k: replace_strings(v, child_path(path, k), new) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [replace_strings(v, child_path(path, i), new) for i, v in enumerate(value)]
    return value


def rules_from(config: Mapping[str, Any]) -> dict[str, Rule]:
    given = dict(config.get("categories") or {})
    unknown = set(given) - set(CATEGORIES)
    if unknown:
        raise ValueError(f"unknown categories {sorted(unknown)}; use {list(CATEGORIES)}")
    rules = {}
    for category in CATEGORIES:
        threshold, action = DEFAULTS[category]
        entry = dict(given.get(category) or {})
        action = entry.get("action", action)
        if action not in ACTIONS:
            raise ValueError(
                f"categories.{category}.action must be one of {list(ACTIONS)}, got {action!r}"
            )
        threshold = entry.get("threshold", threshold)
        if not isinstance(threshold, int | float) or not 0 < threshold <= 1:
            raise ValueError(
                f"categories.{category}.threshold must be in (0, 1], got {threshold!r}"
            )
        rules[category] = Rule(float(threshold), action)
    return rules


class ContentModeration(Plugin):
    """Hate, harassment, violence, self-harm, sexual content and profanity, per category."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        self.rules = rules_from(config)
        extra = dict(config.get("extra_terms") or {})
        unknown = set(extra) - set(CATEGORIES)
        if unknown:
            raise ValueError(f"extra_terms: unknown categories {sorted(unknown)}")
        self.engine = Engine.build(extra)
        provider = dict(config.get("provider") or {})
        self.provider: Provider | None = provider_from(provider)
        self.timeout = float(provider.get("timeout", 5.0))
        self.fail_open = provider.get("on_failure", "closed") == "open"
        self.redaction_text = str(config.get("redaction_text", "[REDACTED]"))

    async def tool_pre_invoke(
        self, payload: ToolPreInvokePayload, ctx: Context
    ) -> Continue | Block:
        return await self._moderate(payload, "args", payload.args, ctx)

    async def tool_post_invoke(
        self, payload: ToolPostInvokePayload, ctx: Context
    ) -> Continue | Block:
        return await self._moderate(payload, "result", payload.result, ctx)

    async def prompt_pre_fetch(
        self, payload: PromptPrehookPayload, ctx: Context
    ) -> Continue | Block:
        return await self._moderate(payload, "args", payload.args, ctx)

    async def prompt_post_fetch(
        self, payload: PromptPosthookPayload, ctx: Context
    ) -> Continue | Block:
        return await self._moderate(payload, "result", payload.result, ctx)

    async def _provider_scores(
        self, texts: list[str], ctx: Context
    ) -> tuple[list[dict[str, float]], str | None]:
        """The provider's scores per text (empty without one) and why it failed, if it did."""
        if self.provider is None or not texts:
            return [{} for _ in texts], None
        left = ctx.remaining()
        timeout = self.timeout if left is None else max(0.001, min(self.timeout, left - 0.05))
        try:
            return await self.provider.scores(texts, timeout), None
        except ProviderError as exc:
            return [{} for _ in texts], f"{self.provider.name}: {exc}"

    async def _moderate(self, payload: P, field: str, value: Any, ctx: Context) -> Continue | Block:
        strings = [(path, text) for path, text in iter_strings(value, field) if text.strip()]
        offline = [self.engine.scan(text) for _, text in strings]
        provided, failure = await self._provider_scores([t for _, t in strings], ctx)
        if failure is not None and not self.fail_open:
            return Block(
                f"content moderation provider failed: {failure}",
                code="moderation_unavailable",
                description="The moderation provider did not answer; this instance fails closed.",
                details={"provider": failure.split(":", 1)[0]},
            )
        blocks: list[dict[str, Any]] = []
        warnings: list[dict[str, Any]] = []
        redacted: dict[str, str] = {}
        for (path, text), found, extra in zip(strings, offline, provided, strict=True):
            spans: list[tuple[int, int]] = []
            for category, rule in self.rules.items():
                finding = found.get(category, Finding())
                score = max(finding.score, extra.get(category, 0.0))
                if score < rule.threshold:
                    continue
                hit = {"path": path, "category": category, "score": round(score, 3)}
                if rule.action == "block":
                    blocks.append(hit)
                elif rule.action == "warn":
                    warnings.append(hit)
                else:
                    spans.extend(finding.spans or [(0, len(text))])
            if spans:
                redacted[path] = self._redact(text, spans)
        if blocks:
            first = blocks[0]
            names = sorted({b["category"] for b in blocks})
            return Block(
                f"{first['path']}: {first['category']} (score {first['score']} "
                f">= {self.rules[first['category']].threshold})",
                code="content_moderation",
                description=f"The content was flagged as {', '.join(names)}.",
                details={"categories": names, "flags": blocks},
            )
        metadata: dict[str, Any] = {}
        reasons = [f"{w['path']}: {w['category']} (score {w['score']})" for w in warnings]
        if warnings:
            metadata["warnings"] = reasons
            metadata["flags"] = warnings
        if failure is not None:
            metadata["provider_failed"] = failure
        if redacted:
            metadata["redacted"] = sorted(redacted)
            new = replace_strings(value, field, redacted)
            return Continue(
                msgspec.structs.replace(payload, **{field: new}),
                metadata={"moderation": metadata},
                warnings=reply_warnings(reasons),
            )
        if not metadata:
            return Continue()
        return Continue(metadata={"moderation": metadata}, warnings=reply_warnings(reasons))

    def _redact(self, text: str, spans: list[tuple[int, int]]) -> str:
        out, pos = [], 0
        for start, end in sorted(spans):
            if start < pos:  # overlapping spans: extend the last one
                start = pos
            if end <= start:
                continue
            out.append(text[pos:start])
            out.append(self.redaction_text)
            pos = end
        out.append(text[pos:])
        return "".join(out)


def reply_warnings(reasons: list[str]) -> list[str]:
    """The warn reasons for the reply's ``warnings``: all of them when they fit in
    ``MAX_PLUGIN_WARNINGS``, else the first ones and a last line counting the rest (every
    flag stays in the metadata's ``moderation.flags``)."""
    if len(reasons) <= MAX_PLUGIN_WARNINGS:
        return reasons
    kept = reasons[: MAX_PLUGIN_WARNINGS - 1]
    rest = len(reasons) - len(kept)
    return [*kept, f"and {rest} more warnings (metadata moderation.flags lists them all)"]
