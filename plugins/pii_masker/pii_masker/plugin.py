"""The pii_masker plugin: masks (or blocks on) PII in args, results and content."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any, TypeVar

import msgspec

from hookwire.schemas import (
    PromptPrehookPayload,
    ResourcePostFetchPayload,
    ToolPostInvokePayload,
    ToolPreInvokePayload,
)
from hookwire.workers import Block, Context, Continue, Plugin

from ._detect import LABELS, PII_TYPES, mask_value

P = TypeVar("P", bound=msgspec.Struct)


class PiiMasker(Plugin):
    """Masks (or, with ``block_instead``, blocks on) PII in args, results and content."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        style = config.get("style", "label")
        if style not in ("label", "fixed"):
            raise ValueError(f"style must be 'label' or 'fixed', got {style!r}")
        mask = str(config.get("mask", "[REDACTED]"))
        detect = {kind: True for kind in PII_TYPES} | dict(config.get("detect") or {})
        unknown = set(detect) - set(PII_TYPES)
        if unknown:
            raise ValueError(f"unknown detect keys {sorted(unknown)}; use {list(PII_TYPES)}")
        self.labels: dict[str, str] = {
            kind: LABELS[kind] if style == "label" else mask for kind in PII_TYPES if detect[kind]
        }
        self.block_instead = bool(config.get("block_instead", False))

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

    async def resource_post_fetch(
        self, payload: ResourcePostFetchPayload, ctx: Context
    ) -> Continue | Block:
        return self._apply(payload, "content", payload.content)

    def _apply(self, payload: P, field: str, value: Any) -> Continue | Block:
        counts: Counter[str] = Counter()
        masked = mask_value(value, self.labels, counts)
        found = {kind: counts[kind] for kind in PII_TYPES if counts[kind]}
        if not found:
            return Continue()
        if self.block_instead:
            return Block(
                f"{field} contains PII: {', '.join(found)}",
                code="pii_detected",
                description="Personal data was found and this instance blocks instead of masking.",
                details={"field": field, "types": list(found), "counts": found},
            )
        return Continue(
            msgspec.structs.replace(payload, **{field: masked}), metadata={"pii": found}
        )
