"""schema_guard's benchmark: validate a realistic tool call against its input schema.

``hookwire plugins qa schema_guard`` runs it in the plugin's QA venv and records the JSON
object it prints last. Run it yourself: ``python benchmark.py [CALLS]``.

Three cases: the schema from the config (compiled once at start), the schema sent in
``entity.metadata`` (looked up in the per-instance cache by its canonical JSON), and
args that break the schema in five places (every error is collected and listed).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

from schema_guard import SchemaGuard

from hookwire.schemas import Entity, RequestContext, ToolPreInvokePayload
from hookwire.workers import Context

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["customer", "items", "currency"],
    "additionalProperties": False,
    "properties": {
        "customer": {
            "type": "object",
            "required": ["id", "email"],
            "properties": {
                "id": {"type": "string", "pattern": "^C-[0-9]{6}$"},
                "email": {"type": "string", "maxLength": 254},
                "vip": {"type": "boolean"},
            },
        },
        "items": {
            "type": "array",
            "minItems": 1,
            "maxItems": 50,
            "items": {
                "type": "object",
                "required": ["sku", "qty"],
                "properties": {
                    "sku": {"type": "string", "minLength": 3},
                    "qty": {"type": "integer", "minimum": 1},
                    "note": {"type": "string"},
                },
            },
        },
        "currency": {"enum": ["EUR", "USD", "GBP"]},
        "coupon": {"type": ["string", "null"]},
    },
}
GOOD = {
    "customer": {"id": "C-004211", "email": "a@example.com", "vip": True},
    "items": [{"sku": f"SKU-{i}", "qty": i + 1, "note": "gift wrap"} for i in range(10)],
    "currency": "EUR",
    "coupon": None,
}
BAD = {
    "customer": {"id": "42", "email": "a@example.com"},
    "items": [{"sku": "S", "qty": 0}, {"qty": 2}],
    "currency": "YEN",
}


def ctx(metadata: dict[str, Any]) -> Context:
    entity = Entity(type="tool", name="order", metadata=metadata)
    request = RequestContext(request_id="bench", hook="tool_pre_invoke", entity=entity)
    return Context(request=request, config={}, state={}, instance="b", hook="tool_pre_invoke")


async def per_call_us(guard: SchemaGuard, args: dict[str, Any], c: Context, calls: int) -> float:
    payload = ToolPreInvokePayload(name="order", args=args)
    for _ in range(50):
        await guard.tool_pre_invoke(payload, c)
    start = time.perf_counter()
    for _ in range(calls):
        await guard.tool_pre_invoke(payload, c)
    return round((time.perf_counter() - start) / calls * 1e6, 1)


async def measure(calls: int) -> dict[str, Any]:
    configured = SchemaGuard({"tools": {"order": {"input_schema": SCHEMA}}})
    from_event = SchemaGuard({})
    config_us = await per_call_us(configured, GOOD, ctx({}), calls)
    return {
        "case": f"tool_pre_invoke, {len(json.dumps(GOOD))}-byte args, 20-keyword schema",
        "calls": calls,
        "per_call_us": config_us,
        "calls_per_second": round(1e6 / config_us),
        "entity_schema_per_call_us": await per_call_us(
            from_event, GOOD, ctx({"input_schema": SCHEMA}), calls
        ),
        "invalid_args_per_call_us": await per_call_us(configured, BAD, ctx({}), calls),
    }


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    print(json.dumps(asyncio.run(measure(count))))
