"""The pii_filter plugin: masks, or blocks on, PII in args, results and content."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any, TypeVar

import msgspec

from hookwire.schemas import (
    PromptPosthookPayload,
    PromptPrehookPayload,
    ResourcePostFetchPayload,
    ToolPostInvokePayload,
    ToolPreInvokePayload,
)
from hookwire.workers import Block, Context, Continue, Plugin

from ._config import Settings, settings_from
from ._detect import find
from ._mask import Masker

P = TypeVar("P", bound=msgspec.Struct)
MAX_PATHS = 20  # paths named in a block's details
_MIN_NUMBER = 10**6  # integers of 7 digits or more are read as text too


def child_path(path: str, key: object) -> str:
    """``args.query`` for an identifier key, ``args['odd key']`` or ``args[0]`` otherwise."""
    if isinstance(key, str) and key.isidentifier():
        return f"{path}.{key}"
    return f"{path}[{key!r}]"


class _Scan:
    """One call's walk over a value: the masked copy, counts per type, paths hit."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.mask = Masker(settings.strategies, settings.redaction_text, settings.hash_key)
        self.counts: Counter[str] = Counter()
        self.paths: list[str] = []

    def text(self, text: str, path: str) -> str:
        s = self.settings
        spans = find(text, s.detectors, s.rank)
        if s.allow:
            spans = [sp for sp in spans if not _allowed(text[sp.start : sp.end], s)]
        if not spans:
            return text
        if len(self.paths) < MAX_PATHS:
            self.paths.append(path)
        out, pos = [], 0
        for span in spans:
            self.counts[span.kind] += 1
            out.append(text[pos : span.start])
            out.append(self.mask(text[span.start : span.end], span.kind))
            pos = span.end
        out.append(text[pos:])
        return "".join(out)

    def value(self, value: Any, path: str) -> Any:
        if isinstance(value, str):
            return self.text(value, path)
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= _MIN_NUMBER:
            # a card or phone number sent as a JSON number: masked, it becomes a string
            digits = str(value)
            masked = self.text(digits, path)
            return value if masked == digits else masked
        if isinstance(value, dict):
            out: dict[Any, Any] = {}
            for key, item in value.items():
                new_key = key
                if self.settings.scan_keys and isinstance(key, str):
                    new_key = self.text(key, f"{path} (key {len(out)})")
                    while new_key != key and new_key in out:  # two keys masked alike
                        new_key += "'"
                out[new_key] = self.value(item, child_path(path, new_key))
            return out
        if isinstance(value, list | tuple):
            return [self.value(item, child_path(path, i)) for i, item in enumerate(value)]
        return value


def _allowed(value: str, settings: Settings) -> bool:
    return any(p.fullmatch(value) for p in settings.allow)


class PiiFilter(Plugin):
    """Masks (redact, partial, hash, tokenize) or blocks on PII wherever a payload holds it."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        self.settings = settings_from(config)

    async def tool_pre_invoke(
        self, payload: ToolPreInvokePayload, ctx: Context
    ) -> Continue | Block:
        return self._apply(payload, "args", payload.args)

    async def tool_post_invoke(
        self, payload: ToolPostInvokePayload, ctx: Context
    ) -> Continue | Block:
        return self._apply(payload, "result", payload.result)

    async def prompt_pre_fetch(
        self, payload: PromptPrehookPayload, ctx: Context
    ) -> Continue | Block:
        return self._apply(payload, "args", payload.args)

    async def prompt_post_fetch(
        self, payload: PromptPosthookPayload, ctx: Context
    ) -> Continue | Block:
        return self._apply(payload, "result", payload.result)

    async def resource_post_fetch(
        self, payload: ResourcePostFetchPayload, ctx: Context
    ) -> Continue | Block:
        return self._apply(payload, "content", payload.content)

    def _apply(self, payload: P, field: str, value: Any) -> Continue | Block:
        scan = _Scan(self.settings)
        masked = scan.value(value, field)
        found = dict(sorted(scan.counts.items()))
        if not found:
            return Continue()
        if self.settings.block:
            return Block(
                f"{field} contains PII: {', '.join(found)}",
                code="pii_detected",
                description="Personal data or a secret was found and this instance blocks.",
                details={
                    "field": field,
                    "types": list(found),
                    "counts": found,
                    "paths": scan.paths,
                },
            )
        return Continue(
            msgspec.structs.replace(payload, **{field: masked}), metadata={"pii": found}
        )
