"""Record tests/replay/traffic.jsonl: the replay suite's own traffic.

    uv run python tests/replay/record.py

Starts hookwire embedded from tests/replay/hookwire.yaml (recording on, keep: full),
sends EVENTS (every built-in hook; allowed, blocked and modified events; every mode
runs), and exports what was recorded. Run it again after a deliberate behaviour change
and review the diff, or accept the new outcomes with
``hookwire replay tests/replay/traffic.jsonl --config tests/replay/hookwire.yaml --accept``.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from hookwire import client as hw
from hookwire.router import load_config
from hookwire.router._stack import Stack
from hookwire.router.record import RecordFilter, export_records, write_records

HERE = Path(__file__).resolve().parent
CONFIG = HERE / "hookwire.yaml"
OUT = HERE / "traffic.jsonl"

CARD = "4111 1111 1111 1111"
#: (request id, hook, payload): ids are stable so a diff of the file reads well.
EVENTS: list[tuple[str, str, dict[str, Any]]] = [
    ("tool-plain", "tool_pre_invoke", {"name": "lookup", "args": {"q": "weather in Paris"}}),
    (
        "tool-pii-masked",
        "tool_pre_invoke",
        {"name": "send_email", "args": {"to": "alice@example.com", "body": f"card {CARD}"}},
    ),
    ("tool-deny-list", "tool_pre_invoke", {"name": "sql", "args": {"q": "DROP TABLE users"}}),
    ("tool-too-big", "tool_pre_invoke", {"name": "upload", "args": {"blob": "x" * 5000}}),
    ("tool-probe-blocks", "tool_pre_invoke", {"name": "lookup", "args": {"q": "forbidden"}}),
    (
        "tool-post-masked",
        "tool_post_invoke",
        {"name": "lookup", "result": {"text": "mail bob@example.org"}},
    ),
    ("tool-post-audit-block", "tool_post_invoke", {"name": "lookup", "result": {"t": "forbidden"}}),
    (
        "prompt-pre",
        "prompt_pre_fetch",
        {"prompt_id": "greet", "args": {"who": "carol@example.com"}},
    ),
    ("prompt-pre-audit", "prompt_pre_fetch", {"prompt_id": "ops", "args": {"cmd": "rm -rf /"}}),
    ("prompt-post", "prompt_post_fetch", {"prompt_id": "greet", "result": {"text": "hello"}}),
    ("resource-pre", "resource_pre_fetch", {"uri": "file:///srv/report.txt"}),
    ("resource-pre-block", "resource_pre_fetch", {"uri": "file:///forbidden"}),
    (
        "resource-post",
        "resource_post_fetch",
        {"uri": "file:///srv/a.txt", "content": {"text": "call +1 415 555 2671"}},
    ),
    ("agent-pre", "agent_pre_invoke", {"agent_id": "planner", "messages": [{"role": "user"}]}),
    ("agent-pre-block", "agent_pre_invoke", {"agent_id": "planner", "model": "forbidden"}),
    ("agent-post", "agent_post_invoke", {"agent_id": "planner"}),
    ("http-pre", "http_pre_request", {"path": "/api/tools", "method": "GET"}),
    ("http-post", "http_post_request", {"path": "/api/tools", "method": "GET", "status_code": 200}),
    ("http-resolve-user", "http_auth_resolve_user", {"headers": {"x-user": "dave"}}),
    (
        "http-check-permission",
        "http_auth_check_permission",
        {"user_email": "dave@example.com", "permission": "tools.read"},
    ),
    (
        "http-check-permission-deny",
        "http_auth_check_permission",
        {"user_email": "eve@example.com", "permission": "forbidden"},
    ),
]


async def record(out: Path = OUT) -> int:
    config = load_config(CONFIG)
    with tempfile.TemporaryDirectory(prefix="hw-replay-record-") as data:
        async with Stack(config, data_dir=Path(data)) as stack:
            assert stack.router is not None and stack.nc is not None
            async with await hw.connect(stack.url, timeout=20) as client:
                for request_id, hook, payload in EVENTS:
                    await client.invoke(hook, payload, request_id=request_id)
            end = time.monotonic() + 20
            while stack.router.recorder.counts["written"] < len(EVENTS):
                if time.monotonic() > end:
                    raise RuntimeError(f"records not stored: {stack.router.recorder.stats()}")
                await asyncio.sleep(0.05)
            wanted = {e[0] for e in EVENTS}
            records = [
                r
                async for r in export_records(stack.nc.jetstream(), RecordFilter())
                if r.request_id in wanted
            ]
    return write_records(out, records)


if __name__ == "__main__":
    n = asyncio.run(record(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT))
    print(f"wrote {n} records to {OUT}")
