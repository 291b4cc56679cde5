"""The abuses of issue 9, run against one NATS server: open, or configured with the roles.

A real router, a real in-process worker of ``echo_upper`` (it upper-cases tool args) and
a gateway client each connect as their role; rogue clients hold the gateway's creds
(the weakest valid credentials) or a worker's. Each abuse reports what it achieved
(``achieved``, a count) and whether the server refused it (a permission error seen).
Used by tests/security/test_abuse.py (secured: everything refused) and by
bench/abuse.py (the same scenario, open and secured, side by side).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import nats.errors
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg

from hookwire import client as hw
from hookwire.router import load_config
from hookwire.router.live._store import ConfigStore, LiveConfigError, read_config_file
from hookwire.router.pipeline._service import Router
from hookwire.schemas import GatewayReply, WorkerReply, WorkerRequest, subjects
from hookwire.service import NatsAuth, connect
from hookwire.workers import Worker

TESTS = Path(__file__).resolve().parents[1]
ECHO = TESTS / "workers" / "plugins" / "echo_upper"
PLUGIN = "echo_upper"
_encode = msgspec.json.Encoder().encode

#: role -> credentials (None: anonymous, as on an open server)
AuthFor = Callable[[str], NatsAuth | None]


@dataclass
class Outcome:
    """What one abuse achieved out of how many tries, and whether NATS refused it."""

    abuse: str
    achieved: int
    tries: int
    refused: bool
    detail: str = ""
    #: events the legitimate parts handled meanwhile (where the abuse sends events)
    served: int | None = None

    def row(self) -> str:
        verdict = "refused" if self.refused and self.achieved == 0 else "SUCCEEDED"
        return f"{self.abuse:<58} {self.achieved:>5}/{self.tries:<5} {verdict}"


@dataclass
class Rogue:
    """A connection that records the permission errors the server sends it."""

    nc: NatsClient
    errors: list[str] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        return any("permissions violation" in e.lower() for e in self.errors)


async def rogue(url: str, auth: NatsAuth | None, name: str) -> Rogue:
    holder: list[str] = []

    async def on_error(exc: Exception) -> None:
        holder.append(str(exc))

    nc = await connect(url, name, attempts=2, auth=auth or NatsAuth(), error_cb=on_error)
    return Rogue(nc, holder)


def write_config(folder: Path) -> Path:
    doc = {
        "plugin_dirs": [str(ECHO.parent)],
        "plugins": {PLUGIN: {}},
        "routes": [{"entities": ["tool"], "plugins": [{"name": PLUGIN}]}],
    }
    path = folder / "abuse.yaml"
    path.write_text(json.dumps(doc))
    return path


async def _settle(*rogues: Rogue) -> None:
    for r in rogues:
        with contextlib.suppress(Exception):
            await r.nc.flush(timeout=2)
    await asyncio.sleep(0.05)  # let -ERR lines reach the error callbacks


async def run_abuses(url: str, auth_for: AuthFor, folder: Path, n: int = 200) -> list[Outcome]:
    """Every abuse of issue 9 against ``url``; the legitimate parts use their roles."""
    config = load_config(write_config(folder))
    worker_nc = await connect(url, "abuse-worker", auth=auth_for(f"worker-{PLUGIN}") or NatsAuth())
    worker = await Worker.start(worker_nc, ECHO)
    router_nc = await connect(url, "abuse-router", auth=auth_for("router") or NatsAuth())
    router = Router(router_nc, config)
    await router.start()
    gateway = await hw.connect(url, timeout=10, auth=auth_for("gateway") or NatsAuth())
    out: list[Outcome] = []
    try:
        out.append(await _plugin_queue(url, auth_for, gateway, n))
        out.append(await _router_queue(url, auth_for, gateway, n))
        out.append(await _read_all(url, auth_for, gateway, n))
        out.append(await _worker_reads_other(url, auth_for, router_nc))
        out.append(await _gateway_calls_plugin(url, auth_for))
        out.append(await _plugin_beyond_role(url, auth_for))
        out.append(await _config_write(url, auth_for, "gateway", folder))
        out.append(await _config_write(url, auth_for, "router", folder))
    finally:
        await gateway.close()
        await router.drain(timeout=2)
        await router_nc.close()
        await worker.stop(timeout=2)
        await worker_nc.close()
    return out


async def _plugin_queue(url: str, auth_for: AuthFor, gateway: hw.Client, n: int) -> Outcome:
    """A rogue joins the plugin's queue group and rewrites the payloads it gets."""
    r = await rogue(url, auth_for("gateway"), "rogue-plugin-queue")
    forged = msgspec.Raw(_encode({"name": "lookup", "args": {"q": "PWNED"}}))

    async def answer(msg: Msg) -> None:
        await msg.respond(_encode(WorkerReply(modified_payload=forged)))

    await r.nc.subscribe(
        subjects.plugin_wildcard(PLUGIN), queue=subjects.worker_queue(PLUGIN), cb=answer
    )
    await _settle(r)
    rewritten = served = 0
    for i in range(n):
        result = await gateway.tool_pre_invoke("lookup", {"q": f"hello {i}"})
        q = result.payload.args.get("q") if result.decision == "allow" else None
        rewritten += q == "PWNED"
        served += q == f"HELLO {i}"  # the real worker's answer
    await r.nc.close()
    return Outcome(
        "rogue in the plugin's queue group rewrites payloads",
        rewritten,
        n,
        r.refused,
        f"{served} served by the real worker",
        served=served,
    )


async def _router_queue(url: str, auth_for: AuthFor, gateway: hw.Client, n: int) -> Outcome:
    """A rogue joins the routers' queue group and allows everything."""
    r = await rogue(url, auth_for("gateway"), "rogue-router-queue")

    async def answer(msg: Msg) -> None:
        request_id = json.loads(msg.data).get("request_id", "")
        forged = GatewayReply(request_id=request_id, decision="allow", state={"rogue": 1})
        await msg.respond(_encode(forged))

    await r.nc.subscribe(subjects.hook_wildcard(), queue=subjects.ROUTER_QUEUE, cb=answer)
    await _settle(r)
    answered = served = 0
    for i in range(n):
        result = await gateway.tool_pre_invoke("lookup", {"q": f"x{i}"})
        answered += result.state.get("rogue") == 1
        served += result.decision == "allow" and result.payload.args.get("q") == f"X{i}"
    await r.nc.close()
    return Outcome(
        "rogue in the routers' queue group answers events",
        answered,
        n,
        r.refused,
        f"{served} decided by the real router",
        served=served,
    )


async def _read_all(url: str, auth_for: AuthFor, gateway: hw.Client, n: int) -> Outcome:
    """A rogue subscribes to ``hookwire.>`` and reads every event and plugin call."""
    r = await rogue(url, auth_for("gateway"), "rogue-reader")
    seen: list[str] = []

    async def read(msg: Msg) -> None:
        seen.append(msg.subject)

    await r.nc.subscribe(f"{subjects.PREFIX}.>", cb=read)
    await _settle(r)
    for i in range(n):
        await gateway.tool_pre_invoke("lookup", {"q": f"secret {i}"})
    await _settle(r)
    await r.nc.close()
    events = sum(1 for s in seen if s.startswith(subjects.HOOK_PREFIX))
    return Outcome(
        "rogue subscribed to hookwire.> reads events",
        events,
        n,
        r.refused,
        f"{len(seen)} messages read",
    )


async def _worker_reads_other(url: str, auth_for: AuthFor, router_nc: NatsClient) -> Outcome:
    """The worker of echo_upper subscribes to another plugin's subjects."""
    r = await rogue(url, auth_for(f"worker-{PLUGIN}"), "rogue-worker")
    got: list[Msg] = []

    async def take(msg: Msg) -> None:
        got.append(msg)

    await r.nc.subscribe(subjects.plugin_wildcard("blocker"), cb=take)
    await _settle(r)
    tries = 10
    for _ in range(tries):
        await router_nc.publish(subjects.plugin_subject("blocker", "tool_pre_invoke"), b"{}")
    await router_nc.flush()
    await _settle(r)
    await r.nc.close()
    return Outcome("worker of P subscribes to plugin Q's subjects", len(got), tries, r.refused)


def _request(instance: str, config: dict[str, Any]) -> bytes:
    from hookwire.schemas import RequestContext

    return _encode(
        WorkerRequest(
            plugin=PLUGIN,
            hook="tool_pre_invoke",
            instance=instance,
            config=msgspec.Raw(_encode(config)),
            payload=msgspec.Raw(_encode({"name": "lookup", "args": {"q": "a"}})),
            context=RequestContext(request_id="forged"),
        )
    )


async def _gateway_calls_plugin(url: str, auth_for: AuthFor) -> Outcome:
    """A gateway (or anyone holding its creds) calls a plugin directly, with its own config."""
    r = await rogue(url, auth_for("gateway"), "rogue-caller")
    tries, answered = 5, 0
    for i in range(tries):
        try:
            await r.nc.request(
                subjects.plugin_subject(PLUGIN, "tool_pre_invoke"),
                _request(f"forged-{i}", {"path": "/tmp/chosen"}),
                timeout=0.5,
            )
            answered += 1
        except (nats.errors.TimeoutError, nats.errors.NoRespondersError):
            pass
    await _settle(r)
    await r.nc.close()
    return Outcome("gateway calls a plugin subject with its own config", answered, tries, r.refused)


async def _plugin_beyond_role(url: str, auth_for: AuthFor) -> Outcome:
    """Plugin code, on its worker's connection, sends events and listens to the routers."""
    r = await rogue(url, auth_for(f"worker-{PLUGIN}"), "rogue-plugin-code")
    got: list[Msg] = []

    async def take(msg: Msg) -> None:
        got.append(msg)

    await r.nc.subscribe(subjects.hook_wildcard(), cb=take)
    tries, answered = 3, 0
    for _ in range(tries):
        try:
            await r.nc.request(subjects.hook_subject("tool_pre_invoke"), b"{}", timeout=0.5)
            answered += 1
        except (nats.errors.TimeoutError, nats.errors.NoRespondersError):
            pass
    await _settle(r)
    await r.nc.close()
    # each request answered, plus one if the hook subscription got anything
    achieved = answered + (1 if got else 0)
    return Outcome(
        "plugin code uses its connection beyond its role", achieved, tries + 1, r.refused
    )


async def _config_write(url: str, auth_for: AuthFor, role: str, folder: Path) -> Outcome:
    """A role other than the operator stores a config that runs no plugins."""
    r = await rogue(url, auth_for(role), f"rogue-config-{role}")
    empty = folder / "empty.yaml"
    empty.write_text("routes: []\n")
    record, _ = read_config_file(empty, message="abuse")
    stored = 0
    detail = ""
    try:
        store = await asyncio.wait_for(ConfigStore.open(r.nc), 4)
        await asyncio.wait_for(store.put(record), 4)
        stored = 1
    except (LiveConfigError, TimeoutError, nats.errors.Error) as exc:
        detail = type(exc).__name__
    await _settle(r)
    await r.nc.close()
    return Outcome(f"{role} writes the live config (no plugins)", stored, 1, r.refused, detail)
