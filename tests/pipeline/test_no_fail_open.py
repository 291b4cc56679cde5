"""Issue 8: no fail-open paths, against a real nats-server, router and workers.

1. an entity hook event without `entity` runs the plugins its payload names;
2. a `when` that raises blocks the event (rule_error) unless the rule says ignore;
3. `when` cannot stall the router (RE2, bounded arithmetic);
4. malformed wire input gets a bounded `malformed_event` reply, counted as a service error;
5. the auth hooks return their result, with `decided_by` and plugin metadata.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Protocol

import msgspec
import pytest
from nats.aio.client import Client as NatsClient
from nats.micro.service import ServiceVerb
from structlog.testing import capture_logs

from hookwire.schemas import (
    MAX_NESTING,
    Entity,
    GatewayReply,
    HttpAuthCheckPermissionResultPayload,
    subjects,
)
from hookwire.schemas.subjects import ROUTER_SERVICE

from ._kit import (
    PIPELINE_PLUGINS,
    WORKER_PLUGINS,
    Deployment,
    answers,
    deployment,
    event_bytes,
    hookwire_command,
    started_tags,
)


class NatsServer(Protocol):
    """The session's nats-server fixture (tests/_nats.py): only its url is used here."""

    url: str


pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

_decode_reply = msgspec.json.Decoder(GatewayReply).decode
_encode = msgspec.json.Encoder().encode


def _config(
    folder: Path,
    routes: list[dict[str, Any]],
    plugins: dict[str, Any],
    settings: dict[str, Any] | None = None,
) -> Path:
    path = folder / "hookwire.yaml"
    doc = {
        "plugin_dirs": [str(WORKER_PLUGINS), str(PIPELINE_PLUGINS)],
        "plugin_settings": settings or {},
        "plugins": plugins,
        "routes": routes,
    }
    path.write_text(json.dumps(doc, indent=2))
    return path


@contextlib.asynccontextmanager
async def _deployed(
    nats_server: NatsServer, tmp_path: Path, routes: list[dict[str, Any]], **kw: Any
) -> AsyncIterator[Deployment]:
    plugins = kw.pop("plugins", {"recorder": {}})
    path = _config(tmp_path, routes, plugins, kw.pop("settings", None))
    async with deployment(nats_server.url, path) as dep:
        yield dep


def _recorder(tag: str, log: Path, **config: Any) -> dict[str, Any]:
    return {"name": "recorder", "config": {"tag": tag, "log": str(log), **config}}


async def _send(nc: NatsClient, hook: str, data: bytes, wait: float = 5.0) -> Any:
    return await nc.request(subjects.hook_subject(hook), data, timeout=wait)


# -- 1. complete events ---------------------------------------------------------------


async def test_event_without_entity_runs_the_plugins_its_payload_names(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    log = tmp_path / "calls.jsonl"
    routes = [
        {
            "entities": ["tool"],
            "name": "create_customer",
            "plugins": [_recorder("mask", log, append=True), _recorder("audit", log)],
        }
    ]
    async with _deployed(nats_server, tmp_path, routes) as dep:
        payload: dict[str, Any] = {"name": "create_customer", "args": {"email": "bob@example.com"}}
        # as the JSON Schema allows: {hook, payload}, no entity
        data = _encode({"hook": "tool_pre_invoke", "payload": payload})
        reply = _decode_reply((await _send(dep.gateway_nc, "tool_pre_invoke", data)).data)
        by_client = await dep.client.tool_pre_invoke("create_customer", payload["args"])

    assert reply.decision == "allow"
    assert [r.plugin for r in reply.trace] == ["recorder", "recorder"]
    assert reply.modified and json.loads(bytes(reply.payload))["args"]["trail"] == ["mask"]
    assert [r.plugin for r in by_client.trace] == [r.plugin for r in reply.trace]
    assert started_tags(log) == ["mask", "audit", "mask", "audit"]


@pytest.mark.parametrize(
    ("entity", "why"),
    [
        ({"type": "prompt", "name": "create_customer"}, "does not fit hook tool_pre_invoke"),
        ({"type": "tool", "name": "harmless"}, "disagrees with payload.name"),
    ],
    ids=["wrong-type", "wrong-name"],
)
async def test_entity_that_disagrees_with_hook_or_payload_is_malformed(
    nats_server: NatsServer, tmp_path: Path, entity: dict[str, Any], why: str
) -> None:
    log = tmp_path / "calls.jsonl"
    routes = [{"entities": ["tool"], "name": "harmless", "plugins": [_recorder("r", log)]}]
    async with _deployed(nats_server, tmp_path, routes) as dep:
        data = _encode(
            {
                "hook": "tool_pre_invoke",
                "request_id": "r-1",
                "entity": entity,
                "payload": {"name": "create_customer"},
            }
        )
        reply = _decode_reply((await _send(dep.gateway_nc, "tool_pre_invoke", data)).data)

    assert reply.decision == "error"
    assert reply.error is not None and reply.error.code == "malformed_event"
    assert why in reply.error.message
    assert reply.request_id == "r-1"
    assert started_tags(log) == []


# -- 2. `when` that raises ------------------------------------------------------------

_WHEN_ROUTE = {
    "display_name": "big payments",
    "entities": ["tool"],
    "when": "args.amount > 1000",
}


async def test_when_that_raises_blocks_the_event_naming_the_rule(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    log = tmp_path / "calls.jsonl"
    routes = [{**_WHEN_ROUTE, "plugins": [_recorder("blocker", log, block=True)]}]
    async with _deployed(nats_server, tmp_path, routes) as dep:
        result = await dep.client.tool_pre_invoke("pay", {"amount": "5000"})
        stats = dep.router.stats()

    assert result.decision == "block"
    violation = result.violation
    assert violation is not None and violation.code == "rule_error"
    assert "routes[0] (big payments)" in violation.description
    assert "TypeError" in violation.description
    assert violation.details["rule"] == 0
    assert violation.details["display_name"] == "big payments"
    assert stats.when_errors == 1
    assert started_tags(log) == []


async def test_when_that_raises_with_on_error_ignore_does_not_match(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    log = tmp_path / "calls.jsonl"
    routes = [
        {**_WHEN_ROUTE, "on_error": "ignore", "plugins": [_recorder("blocker", log, block=True)]}
    ]
    async with _deployed(nats_server, tmp_path, routes) as dep:
        result = await dep.client.tool_pre_invoke("pay", {"amount": "5000"})
        counted = dep.router.stats().when_errors

    assert result.decision == "allow"
    assert result.trace == []
    assert counted == 1


def test_explain_shows_the_when_error(tmp_path: Path) -> None:
    routes = [{**_WHEN_ROUTE, "plugins": [{"name": "recorder"}]}]
    path = _config(tmp_path, routes, {"recorder": {}})
    common = ["--config", str(path), "--hook", "tool_pre_invoke", "--entity-type", "tool"]
    args = [*common, "--name", "pay", "--args", '{"amount": "5000"}']

    text = subprocess.run(hookwire_command("explain", *args), capture_output=True, text=True)
    machine = subprocess.run(
        hookwire_command("explain", *args, "--json"), capture_output=True, text=True
    )

    assert "blocked (rule_error)" in text.stdout, text.stdout + text.stderr
    assert "routes[0] (big payments)" in text.stdout
    blocked = json.loads(machine.stdout)["blocked"]
    assert blocked["code"] == "rule_error"
    assert blocked["rule"] == 0
    assert "TypeError" in blocked["error"]


# -- 3. `when` cannot stall the router ------------------------------------------------


async def test_hostile_when_inputs_are_answered_and_other_events_meanwhile(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    """The regex runs on RE2 (linear: false at once); the powers go over their bound
    and block (rule_error). On Python's re and plain ** each took 4-40 s, during which
    no other event was answered; every wait here is 5 s."""
    log = tmp_path / "calls.jsonl"
    routes = [
        {
            "entities": ["tool"],
            "name": "regex",
            "when": "re.match('(a+)+$', args.x)",
            "plugins": [_recorder("regex", log)],
        },
        {
            "entities": ["tool"],
            "name": "power",
            "when": "args.n ** args.e > 0",
            "plugins": [_recorder("power", log)],
        },
        {
            "entities": ["tool"],
            "name": "const",
            "when": "3999999 ** 3999999 > 0",
            "plugins": [_recorder("const", log)],
        },
        {"entities": ["tool"], "name": "benign", "plugins": [_recorder("benign", log)]},
    ]
    async with _deployed(nats_server, tmp_path, routes) as dep:
        nc = dep.gateway_nc

        async def send(name: str, **args: Any) -> GatewayReply:
            entity = Entity(type="tool", name=name)  # the point is `when`, not the entity
            data = event_bytes("tool_pre_invoke", {"name": name, "args": args}, entity=entity)
            return _decode_reply((await _send(nc, "tool_pre_invoke", data, wait=5.0)).data)

        regex, power, const, benign = await asyncio.gather(
            send("regex", x="a" * 30 + "!"),
            send("power", n=3999999, e=3999999),
            send("const"),
            send("benign"),
        )

    assert regex.decision == "allow" and regex.trace == []
    for blocked in (power, const):
        assert blocked.decision == "block"
        assert blocked.violation is not None and blocked.violation.code == "rule_error"
        assert "LimitExceeded" in blocked.violation.description
    assert benign.decision == "allow"
    assert started_tags(log) == ["benign"]


def test_regex_re2_cannot_run_is_a_load_error_naming_rule_and_construct(tmp_path: Path) -> None:
    routes = [
        {
            "entities": ["tool"],
            "when": "re.search('(a)\\\\1', user)",
            "plugins": [{"name": "recorder"}],
        }
    ]
    path = _config(tmp_path, routes, {"recorder": {}})

    done = subprocess.run(hookwire_command("check", str(path)), capture_output=True, text=True)

    assert done.returncode != 0
    out = done.stdout + done.stderr
    assert "routes[0].when" in out
    assert "a backreference is not supported" in out


# -- 4. malformed wire input ----------------------------------------------------------


def _nested(depth: int) -> bytes:
    """An event whose whole nesting (the event object included) is ``depth`` levels."""
    inner = b"[" * (depth - 3) + b"]" * (depth - 3)
    return (
        b'{"hook":"tool_pre_invoke","request_id":"deep-1",'
        b'"payload":{"name":"t","args":{"x":' + inner + b"}}}"
    )


async def test_malformed_wire_input_gets_bounded_malformed_event_replies_counted_as_errors(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    log = tmp_path / "calls.jsonl"
    routes = [{"entities": ["tool"], "plugins": [_recorder("r", log)]}]
    huge_hook = "x" * 500_000
    bad = {
        "too deep": (_nested(MAX_NESTING + 1), "deep-1"),
        "invalid utf-8": (b'{"hook":"tool_pre_invoke","request_id":"u-1","user":"\xff"}', "u-1"),
        "invalid utf-8 in payload": (
            b'{"hook":"tool_pre_invoke","request_id":"u-2","payload":{"name":"\xfe"}}',
            "u-2",
        ),
        "timeout 0": (event_bytes("tool_pre_invoke", {"name": "t"}, request_id="t-0"), "t-0"),
        "timeout -1": (b"", "t-1"),
        "huge hook name": (_encode({"hook": huge_hook, "request_id": "h-1"}), "h-1"),
    }
    zero = json.loads(bad["timeout 0"][0])
    zero["timeout"] = 0
    bad["timeout 0"] = (_encode(zero), "t-0")
    bad["timeout -1"] = (_encode({**zero, "request_id": "t-1", "timeout": -1}), "t-1")
    async with _deployed(nats_server, tmp_path, routes) as dep:
        nc = dep.gateway_nc
        with capture_logs() as logs:
            msgs = {k: await _send(nc, "tool_pre_invoke", data) for k, (data, _) in bad.items()}
            fine = await _send(nc, "tool_pre_invoke", _nested(MAX_NESTING))
        [stats] = await answers(nc, ServiceVerb.STATS, ROUTER_SERVICE)

    for what, msg in msgs.items():
        reply = _decode_reply(msg.data)
        assert reply.decision == "error", what
        assert reply.error is not None and reply.error.code == "malformed_event", what
        assert reply.request_id == bad[what][1], what
        assert len(msg.data) < 4096, f"{what}: the reply echoes {len(msg.data)} bytes"
        assert msg.headers is not None and msg.headers["Nats-Service-Error-Code"] == "400", what
        assert "malformed_event" in msg.headers["Nats-Service-Error"], what
    assert _decode_reply(fine.data).decision == "allow"
    assert stats["endpoints"][0]["num_errors"] == len(bad)
    assert not [e for e in logs if e["log_level"] in ("error", "critical")]


async def test_hook_mismatch_reply_does_not_echo_a_long_hook_name(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    routes = [{"entities": ["tool"], "plugins": [{"name": "recorder"}]}]
    async with _deployed(nats_server, tmp_path, routes) as dep:
        data = _encode({"hook": "h" * 128, "request_id": "m-1", "payload": {"name": "t"}})
        msg = await _send(dep.gateway_nc, "tool_pre_invoke", data)

    reply = _decode_reply(msg.data)
    assert reply.error is not None and reply.error.code == "hook_mismatch"
    assert reply.request_id == "m-1"
    assert len(reply.error.message) < 300
    assert msg.headers is not None and "hook_mismatch" in msg.headers["Nats-Service-Error"]


# -- 5. results of the auth hooks -----------------------------------------------------

_AUTH_HOOKS = ["http_auth_resolve_user", "http_auth_check_permission"]


def _authority(**config: Any) -> dict[str, Any]:
    return {"name": "authority", "config": config}


async def test_resolve_user_returns_the_user_with_decided_by_and_metadata(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    user = {"email": "bob@example.com", "full_name": "Bob", "is_admin": False}
    routes = [
        {"hooks": _AUTH_HOOKS, "plugins": [_authority(user=user, metadata={"source": "ldap"})]}
    ]
    async with _deployed(nats_server, tmp_path, routes, plugins={"authority": {}}) as dep:
        result = await dep.client.http_auth_resolve_user(credentials={"token": "t"})

    assert result.decision == "allow"
    assert result.result is not None and result.result.email == "bob@example.com"
    assert result.decided_by == ["authority"]
    assert result.metadata == {"authority": {"source": "ldap"}}


async def test_check_permission_a_deny_beats_a_grant_and_names_both_deciders(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    routes = [
        {
            "hooks": _AUTH_HOOKS,
            "plugins": [
                _authority(grant=True, reason="role admin"),
                _authority(grant=False, reason="tenant suspended"),
            ],
        }
    ]
    async with _deployed(nats_server, tmp_path, routes, plugins={"authority": {}}) as dep:
        result = await dep.client.http_auth_check_permission("bob@example.com", "tools.run")

    assert result.result == HttpAuthCheckPermissionResultPayload(
        granted=False, reason="tenant suspended"
    )
    assert result.decided_by == ["authority"]
    assert len(result.trace) == 2


async def test_no_deciding_plugin_is_told_apart_and_denied_with_deny_if_undecided(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    routes = [{"hooks": _AUTH_HOOKS, "plugins": [_authority()]}]
    plugins: dict[str, Any] = {"authority": {}}
    async with _deployed(nats_server, tmp_path, routes, plugins=plugins) as dep:
        open_result = await dep.client.http_auth_check_permission("bob@example.com", "x")
    async with _deployed(
        nats_server, tmp_path, routes, plugins=plugins, settings={"deny_if_undecided": True}
    ) as dep:
        denied = await dep.client.http_auth_check_permission("bob@example.com", "x")

    assert open_result.decision == "allow"
    assert open_result.result is None and open_result.decided_by == []
    assert len(open_result.trace) == 1
    assert denied.decision == "block"
    assert denied.violation is not None and denied.violation.code == "undecided"


async def test_result_that_breaks_the_result_type_is_the_plugins_error(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    routes = [{"hooks": _AUTH_HOOKS, "plugins": [_authority(bad=True)]}]
    async with _deployed(nats_server, tmp_path, routes, plugins={"authority": {}}) as dep:
        result = await dep.client.http_auth_resolve_user(credentials={"token": "t"})

    assert result.decision == "block"
    assert result.violation is not None and result.violation.code == "plugin_error"
    assert "result breaks the http_auth_resolve_user result type" in result.violation.description
