"""cpex plugins from PyPI give the same answers on hookwire as in cpex's own manager.

The three published cpex plugins (pii filter, secrets detection, rate limiter) run
unchanged as hookwire plugins, each in its own venv. The same events go (a) through
cpex's PluginManager in process, (b) straight to hookwire through its client, and
(c) through cpex's PluginManager holding only the hookwire bridge. Decisions, final
payloads and violations (reason, description, code, details, http_status_code) agree.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
import pytest_asyncio

from hookwire import client as hw
from hookwire.router import load_config
from hookwire.router._stack import Stack

from ._corpus import PLUGINS, rate_limit_events, tool_events
from ._venvs import run_cpex

#: Each event's budget. The first event sets up every plugin instance in its worker
#: (cpex imports, model building), which on a loaded 2-core CI machine took ~19 s of
#: a 20 s budget once; these tests compare answers, not latency.
EVENT_BUDGET = 120.0

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

PLUGIN_DIR = Path(__file__).with_name("plugins")


def hookwire_config(folder: Path) -> Path:
    """The cpex plugins in hookwire, every setting written out, in cpex's priority order."""
    by_priority = sorted(PLUGINS, key=lambda n: PLUGINS[n][3])
    routes = [
        {
            "entities": ["tool"],
            "hooks": [hook],
            "plugins": [
                {"name": n, "mode": "sequential", "priority": PLUGINS[n][3]}
                for n in by_priority
                if hook in PLUGINS[n][1]
            ],
        }
        for hook in ("tool_pre_invoke", "tool_post_invoke")
    ]
    doc = {
        "plugin_dirs": [str(PLUGIN_DIR)],
        "plugins": {n: {"config": PLUGINS[n][2]} for n in PLUGINS},
        "routes": routes,
    }
    path = folder / "hookwire.yaml"
    path.write_text(json.dumps(doc, indent=2))
    return path


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    config = hookwire_config(tmp_path_factory.mktemp("hookwire"))
    async with Stack(load_config(config), ready_timeout=600) as started:
        yield started


def job(system: str, events: list[dict[str, Any]], stack: Stack) -> dict[str, Any]:
    creds = stack.auth_for("gateway").creds
    return {
        "system": system,
        "events": events,
        "plugins": PLUGINS,
        "nats": stack.url,
        "creds": creds,
    }


async def run_hookwire(stack: Stack, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same events sent straight to hookwire with its client."""
    out = []
    async with await hw.connect(
        stack.url, timeout=EVENT_BUDGET, auth=stack.auth_for("gateway")
    ) as gateway:
        for event in events:
            result = await gateway.invoke(
                event["hook"], event["payload"], request_id=event["request_id"], user=event["user"]
            )
            assert result.decision != "error", (event["id"], result.error, result.trace)
            violation = None
            if result.violation is not None:
                v = result.violation
                violation = {
                    "reason": v.reason,
                    "description": v.description,
                    "code": v.code,
                    "details": v.details,
                    "http_status_code": v.http_status_code,
                }
            payload = None if result.blocked else msgspec.to_builtins(result.payload)
            out.append({"decision": result.decision, "payload": payload, "violation": violation})
    return out


def normalized(outcome: dict[str, Any]) -> dict[str, Any]:
    """Compare payloads as cpex models dump them (absent optional fields are null)."""
    payload = outcome["payload"]
    if isinstance(payload, dict) and "args" in payload:
        payload = {"headers": None, **payload}
    return {**outcome, "payload": payload}


def _reset_in_near(want: dict[str, Any], have: dict[str, Any]) -> dict[str, Any]:
    """The rate limiter's ``reset_in`` counts whole seconds from each path's own window
    start: one second apart is the same answer."""
    wv, hv = want.get("violation"), have.get("violation")
    if not (wv and hv and "reset_in" in wv["details"] and "reset_in" in hv["details"]):
        return have
    if abs(wv["details"]["reset_in"] - hv["details"]["reset_in"]) > 1:
        return have
    details = json.loads(
        json.dumps(hv["details"]).replace(
            f'"reset_in": {hv["details"]["reset_in"]}', f'"reset_in": {wv["details"]["reset_in"]}'
        )
    )
    return {**have, "violation": {**hv, "details": details}}


def assert_same(
    expected: list[dict[str, Any]], got: list[dict[str, Any]], events: list[Any]
) -> None:
    assert len(got) == len(expected)
    for event, want, have in zip(events, expected, got, strict=True):
        have = _reset_in_near(want, have)
        assert normalized(have) == normalized(want), f"event {event['id']}: {event['payload']}"


@pytest.fixture(scope="module")
def corpus() -> list[dict[str, Any]]:
    events = tool_events()
    assert len(events) >= 60
    return events


async def test_corpus_exercises_masking_blocking_and_passing(
    gateway_python: Path, corpus: list[dict[str, Any]], stack: Stack
) -> None:
    """The corpus is worth comparing: cpex itself masks some events, blocks some, passes some."""
    inproc = await run_cpex(gateway_python, job("inprocess", corpus, stack))
    decisions = {o["decision"] for o in inproc}
    masked = [
        o
        for o, e in zip(inproc, corpus, strict=True)
        if o["payload"] not in (None, e["payload"]) and o["decision"] == "allow"
    ]
    assert decisions == {"allow", "block"}
    assert masked


async def test_hookwire_direct_equals_cpex_in_process(
    gateway_python: Path, corpus: list[dict[str, Any]], stack: Stack
) -> None:
    inproc = await run_cpex(gateway_python, job("inprocess", corpus, stack))
    assert_same(inproc, await run_hookwire(stack, corpus), corpus)


async def test_bridge_equals_cpex_in_process(
    gateway_python: Path, corpus: list[dict[str, Any]], stack: Stack
) -> None:
    inproc = await run_cpex(gateway_python, job("inprocess", corpus, stack))
    assert_same(inproc, await run_cpex(gateway_python, job("bridge", corpus, stack)), corpus)


async def test_rate_limit_sequence_is_the_same_on_all_three_paths(
    gateway_python: Path, stack: Stack
) -> None:
    """Each path gets its own user (the limiter counts per user); the answers agree."""
    direct = rate_limit_events("rl-direct")
    bridged = rate_limit_events("rl-bridge")
    inproc = await run_cpex(gateway_python, job("inprocess", direct + bridged, stack))
    via_hookwire = await run_hookwire(stack, direct)
    via_bridge = await run_cpex(gateway_python, job("bridge", bridged, stack))
    assert [o["decision"] for o in inproc[: len(direct)]].count("block") == 3
    assert_same(inproc[: len(direct)], via_hookwire, direct)
    assert_same(inproc[len(direct) :], via_bridge, bridged)
