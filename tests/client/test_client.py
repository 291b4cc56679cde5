"""The gateway client: events built per hook, state carried pre -> post, transport errors."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Unpack

import msgspec
import nats
import pytest
from _nats import NatsServer
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg

from hookwire.client import (
    Client,
    EntityOptions,
    HookResult,
    HookwireTimeout,
    HookwireUnavailable,
    InvalidPayload,
    InvokeOptions,
    PayloadTooLarge,
    StateStore,
    connect,
    post_hook_of,
)
from hookwire.client._build import default_entity, normalize_payload
from hookwire.client._errors import check_size
from hookwire.client._hooks import HookMethods
from hookwire.schemas import (
    BUILTIN_HOOKS,
    HOOK_PAYLOADS,
    Entity,
    ErrorInfo,
    GatewayReply,
    GatewayRequest,
    HookwireError,
    ToolPostInvokePayload,
    ToolPreInvokePayload,
    Violation,
    subjects,
)

# -- unit: building events ---------------------------------------------------


class Recorder(HookMethods):
    """A client whose ``invoke`` records its arguments instead of sending them."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any, Entity | None, dict[str, Any]]] = []

    async def invoke(
        self,
        hook: str,
        payload: Any,
        *,
        entity: Entity | None = None,
        **options: Unpack[InvokeOptions],
    ) -> HookResult[Any]:
        self.calls.append((hook, payload, entity, dict(options)))
        return HookResult(hook=hook, request_id="r", decision="allow", payload=payload)


# method name == hook name; (args, kwargs, expected entity type and name or None)
HOOK_CALLS: list[tuple[str, tuple[Any, ...], dict[str, Any], tuple[str, str] | None]] = [
    ("tool_pre_invoke", ("search", {"q": "x"}), {"headers": {"a": "b"}}, ("tool", "search")),
    ("tool_post_invoke", ("search", {"hits": 1}), {}, ("tool", "search")),
    ("prompt_pre_fetch", ("greet", {"who": "you"}), {}, ("prompt", "greet")),
    ("prompt_post_fetch", ("greet", "hello"), {}, ("prompt", "greet")),
    ("resource_pre_fetch", ("file:///a",), {}, ("resource", "file:///a")),
    ("resource_post_fetch", ("file:///a", "text"), {}, ("resource", "file:///a")),
    ("agent_pre_invoke", ("helper", [{"role": "user"}]), {"model": "m"}, ("agent", "helper")),
    ("agent_post_invoke", ("helper", []), {"tool_calls": [{"id": 1}]}, ("agent", "helper")),
    ("http_pre_request", ("/mcp", "POST"), {"headers": {"h": "v"}}, None),
    ("http_post_request", ("/mcp", "POST"), {"status_code": 200}, None),
    ("http_auth_resolve_user", (), {"credentials": {"token": "t"}}, None),
    ("http_auth_check_permission", ("a@b.c", "tools.read"), {"is_admin": True}, None),
]


def test_hook_calls_cover_every_builtin_hook() -> None:
    assert sorted(name for name, *_ in HOOK_CALLS) == sorted(BUILTIN_HOOKS)


@pytest.mark.parametrize(("hook", "args", "kwargs", "entity"), HOOK_CALLS)
async def test_hook_method_builds_typed_payload_and_default_entity(
    hook: str, args: tuple[Any, ...], kwargs: dict[str, Any], entity: tuple[str, str] | None
) -> None:
    recorder = Recorder()
    await getattr(recorder, hook)(*args, **kwargs, request_id="rid-1")

    [(sent_hook, payload, sent_entity, options)] = recorder.calls
    assert sent_hook == hook
    assert type(payload) is HOOK_PAYLOADS[hook]
    for field, value in kwargs.items():
        assert getattr(payload, field) == value
    assert options == {"request_id": "rid-1"}
    if entity is None:
        assert sent_entity is None
    else:
        assert sent_entity == Entity(type=entity[0], name=entity[1])  # type: ignore[arg-type]


async def test_hook_method_adds_tags_id_and_metadata_to_default_entity() -> None:
    recorder = Recorder()
    options: EntityOptions = {"tags": ["pii"], "entity_id": "t-7", "entity_metadata": {"k": 1}}
    await recorder.tool_pre_invoke("search", **options)

    entity = recorder.calls[0][2]
    assert entity == Entity(type="tool", name="search", id="t-7", tags=["pii"], metadata={"k": 1})
    assert recorder.calls[0][3] == {}


async def test_hook_method_sends_a_given_entity_unchanged() -> None:
    recorder = Recorder()
    given = Entity(type="virtual_server", name="vs")
    await recorder.tool_post_invoke("search", None, entity=given)
    assert recorder.calls[0][2] is given


async def test_hook_method_rejects_entity_together_with_entity_parts() -> None:
    recorder = Recorder()
    with pytest.raises(TypeError, match="not both"):
        await recorder.tool_pre_invoke("s", entity=Entity(type="tool", name="s"), tags=["x"])


def test_dict_payload_of_builtin_hook_becomes_its_struct() -> None:
    payload = normalize_payload("tool_pre_invoke", {"name": "search", "args": {"q": 1}})
    assert payload == ToolPreInvokePayload(name="search", args={"q": 1})


def test_dict_payload_breaking_the_hook_type_fails_before_sending() -> None:
    with pytest.raises(InvalidPayload, match=r"tool_pre_invoke payload: .*`name`"):
        normalize_payload("tool_pre_invoke", {"args": {}})


def test_struct_of_another_hook_is_rejected() -> None:
    with pytest.raises(InvalidPayload, match="expected ToolPreInvokePayload"):
        normalize_payload("tool_pre_invoke", ToolPostInvokePayload(name="x"))


def test_custom_hook_payload_is_sent_as_given() -> None:
    payload = {"anything": [1, 2]}
    assert normalize_payload("custom_pre_thing", payload) is payload


@pytest.mark.parametrize(
    ("hook", "payload", "expected"),
    [
        ("tool_pre_invoke", {"name": "t"}, ("tool", "t")),
        ("prompt_post_fetch", {"prompt_id": "p"}, ("prompt", "p")),
        ("resource_pre_fetch", {"uri": "u"}, ("resource", "u")),
        ("agent_post_invoke", {"agent_id": "a"}, ("agent", "a")),
        ("http_pre_request", {"path": "/", "method": "GET"}, None),
        ("custom_pre_thing", {"name": "t"}, None),
    ],
)
def test_default_entity_type_from_hook_family_and_name_from_payload(
    hook: str, payload: dict[str, Any], expected: tuple[str, str] | None
) -> None:
    entity = default_entity(hook, normalize_payload(hook, payload))
    got = None if entity is None else (entity.type, entity.name)
    assert got == expected


# -- unit: state carried from pre to post --------------------------------------


@pytest.mark.parametrize(
    ("hook", "post"),
    [
        ("tool_pre_invoke", "tool_post_invoke"),
        ("prompt_pre_fetch", "prompt_post_fetch"),
        ("resource_pre_fetch", "resource_post_fetch"),
        ("agent_pre_invoke", "agent_post_invoke"),
        ("http_pre_request", "http_post_request"),
        ("custom_pre_step", "custom_post_step"),
        ("tool_post_invoke", None),
        ("http_auth_resolve_user", None),
        ("http_auth_check_permission", None),
    ],
)
def test_post_hook_of(hook: str, post: str | None) -> None:
    assert post_hook_of(hook) == post


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_state_is_found_by_matching_post_hook_and_request_id_only() -> None:
    store = StateStore()
    store.remember("tool_pre_invoke", "r1", {"k": 1})
    assert store.get("tool_post_invoke", "r1") == {"k": 1}
    assert store.get("tool_post_invoke", "r2") is None
    assert store.get("prompt_post_fetch", "r1") is None


def test_forget_removes_the_state() -> None:
    store = StateStore()
    store.remember("tool_pre_invoke", "r1", {"k": 1})
    store.forget("tool_post_invoke", "r1")
    assert store.get("tool_post_invoke", "r1") is None
    assert len(store) == 0


def test_empty_state_replaces_an_earlier_one() -> None:
    store = StateStore()
    store.remember("tool_pre_invoke", "r1", {"k": 1})
    store.remember("tool_pre_invoke", "r1", {})
    assert store.get("tool_post_invoke", "r1") is None
    assert len(store) == 0


def test_state_of_hook_without_post_hook_is_not_kept() -> None:
    store = StateStore()
    store.remember("http_auth_resolve_user", "r1", {"k": 1})
    store.remember("tool_post_invoke", "r1", {"k": 1})
    assert len(store) == 0


def test_oldest_state_is_evicted_beyond_max_entries() -> None:
    store = StateStore(max_entries=3)
    for i in range(5):
        store.remember("tool_pre_invoke", f"r{i}", {"i": i})
    assert len(store) == 3
    assert store.get("tool_post_invoke", "r1") is None
    assert [store.get("tool_post_invoke", f"r{i}") for i in (2, 3, 4)] == [
        {"i": 2},
        {"i": 3},
        {"i": 4},
    ]


def test_state_expires_after_ttl() -> None:
    clock = FakeClock()
    store = StateStore(ttl=10.0, clock=clock)
    store.remember("tool_pre_invoke", "r1", {"k": 1})
    clock.now += 9.9
    alive = store.get("tool_post_invoke", "r1")
    clock.now += 0.1
    assert alive == {"k": 1}
    assert store.get("tool_post_invoke", "r1") is None
    assert len(store) == 0


def test_expired_states_are_dropped_when_new_ones_arrive() -> None:
    clock = FakeClock()
    store = StateStore(ttl=10.0, clock=clock)
    for i in range(100):
        store.remember("tool_pre_invoke", f"old{i}", {"i": i})
    clock.now += 11
    store.remember("tool_pre_invoke", "new", {"n": 1})
    assert len(store) == 1


def test_state_store_rejects_nonsense_bounds() -> None:
    with pytest.raises(ValueError, match="max_entries"):
        StateStore(max_entries=0)
    with pytest.raises(ValueError, match="ttl"):
        StateStore(ttl=0)


# -- unit: size limit ------------------------------------------------------------


def test_payload_over_limit_raises_with_size_and_limit() -> None:
    with pytest.raises(PayloadTooLarge, match=r"2,000,000 bytes .* max_payload of 1,048,576") as e:
        check_size("tool_post_invoke", 2_000_000, 1_048_576)
    assert (e.value.size, e.value.limit, e.value.hook) == (2_000_000, 1_048_576, "tool_post_invoke")
    assert isinstance(e.value, HookwireError)


def test_payload_at_limit_passes() -> None:
    check_size("tool_post_invoke", 1_048_576, 1_048_576)


def test_transport_errors_are_hookwire_errors() -> None:
    for cls in (HookwireUnavailable, HookwireTimeout, PayloadTooLarge, InvalidPayload):
        assert issubclass(cls, HookwireError)


# -- integration: against a real nats-server and a stand-in router -------------

Answer = Callable[[GatewayRequest], GatewayReply | None]


def echo(request: GatewayRequest) -> GatewayReply:
    """Allow, with the payload and state the request carried."""
    return GatewayReply(
        request_id=request.request_id,
        decision="allow",
        payload=request.payload,
        state=request.state,
    )


class Peer:
    """A stand-in router on its own connection: records each event, answers it."""

    def __init__(self) -> None:
        self.received: list[tuple[str, GatewayRequest]] = []

    @asynccontextmanager
    async def serving(self, nc: NatsClient, hook: str, answer: Answer) -> AsyncIterator[None]:
        decoder = msgspec.json.Decoder(GatewayRequest)

        async def handle(msg: Msg) -> None:
            request = decoder.decode(msg.data)
            self.received.append((msg.subject, request))
            reply = answer(request)
            if reply is not None:
                await msg.respond(msgspec.json.encode(reply))

        sub = await nc.subscribe(subjects.hook_subject(hook), cb=handle)
        # nats-py 2.16's flush() writes its PING at once, ahead of the SUB still queued
        # for its flusher task; the second PING goes after the SUB, so its PONG means
        # the server has the subscription.
        await nc.flush()
        await nc.flush()
        try:
            yield
        finally:
            await sub.unsubscribe()


@pytest.fixture
async def peer_nc(nats_server: NatsServer) -> AsyncIterator[NatsClient]:
    nc = await nats.connect(nats_server.url, connect_timeout=2, allow_reconnect=False)
    yield nc
    await nc.close()


@pytest.fixture
async def client(nats_server: NatsServer) -> AsyncIterator[Client]:
    async with await connect(nats_server.url, timeout=5.0) as c:
        yield c


@pytest.mark.integration
async def test_event_goes_to_hook_subject_with_context_and_budget(
    client: Client, peer_nc: NatsClient
) -> None:
    peer = Peer()
    async with peer.serving(peer_nc, "tool_pre_invoke", echo):
        result = await client.tool_pre_invoke(
            "search",
            {"q": "docs"},
            tags=["pii"],
            request_id="rid-1",
            server_name="srv",
            server_id="srv-1",
            gateway_id="gw",
            user="alice",
            tenant_id="acme",
            agent="bot",
            timeout=2.5,
        )

    [(subject, request)] = peer.received
    assert subject == "hookwire.hook.tool_pre_invoke"
    assert request.hook == "tool_pre_invoke"
    assert request.request_id == "rid-1"
    assert request.entity == Entity(type="tool", name="search", tags=["pii"])
    assert (request.server_name, request.server_id, request.gateway_id) == ("srv", "srv-1", "gw")
    assert (request.user, request.tenant_id, request.agent) == ("alice", "acme", "bot")
    assert request.timeout == 2.5
    assert request.state == {}
    assert msgspec.json.decode(request.payload, type=ToolPreInvokePayload) == ToolPreInvokePayload(
        name="search", args={"q": "docs"}
    )
    assert result.allowed
    assert result.request_id == "rid-1"
    assert result.payload == ToolPreInvokePayload(name="search", args={"q": "docs"})


@pytest.mark.integration
async def test_request_id_is_generated_and_budget_defaults_to_clients(
    client: Client, peer_nc: NatsClient
) -> None:
    peer = Peer()
    async with peer.serving(peer_nc, "prompt_pre_fetch", echo):
        result = await client.invoke("prompt_pre_fetch", {"prompt_id": "greet"})

    [(_, request)] = peer.received
    assert uuid.UUID(hex=request.request_id).hex == request.request_id
    assert result.request_id == request.request_id
    assert request.timeout == 5.0
    assert request.entity == Entity(type="prompt", name="greet")


@pytest.mark.integration
async def test_post_event_carries_the_pre_replys_state(client: Client, peer_nc: NatsClient) -> None:
    def pre(request: GatewayRequest) -> GatewayReply:
        return GatewayReply(request_id=request.request_id, decision="allow", state={"t": 1})

    peer = Peer()
    async with (
        peer.serving(peer_nc, "tool_pre_invoke", pre),
        peer.serving(peer_nc, "tool_post_invoke", echo),
    ):
        pre_result = await client.tool_pre_invoke("search", request_id="rid-s")
        other = await client.tool_post_invoke("search", "x", request_id="rid-other")
        post_result = await client.tool_post_invoke("search", "out", request_id="rid-s")
        again = await client.tool_post_invoke("search", "out", request_id="rid-s")

    states = {(r.hook, r.request_id, i): r.state for i, (_, r) in enumerate(peer.received)}
    assert pre_result.state == {"t": 1}
    assert other.state == {}
    assert post_result.state == {"t": 1}
    assert again.state == {}  # forgotten once the post event was answered
    assert states[("tool_post_invoke", "rid-s", 2)] == {"t": 1}
    assert len(client.states) == 0


@pytest.mark.integration
async def test_modified_payload_comes_back_as_the_hooks_struct(
    client: Client, peer_nc: NatsClient
) -> None:
    def redact(request: GatewayRequest) -> GatewayReply:
        changed = ToolPreInvokePayload(name="search", args={"q": "[REDACTED]"})
        return GatewayReply(
            request_id=request.request_id,
            decision="allow",
            payload=msgspec.Raw(msgspec.json.encode(changed)),
            modified=True,
        )

    peer = Peer()
    async with peer.serving(peer_nc, "tool_pre_invoke", redact):
        result = await client.tool_pre_invoke("search", {"q": "ssn 123"})

    assert result.modified
    assert isinstance(result.payload, ToolPreInvokePayload)
    assert result.payload.args == {"q": "[REDACTED]"}


@pytest.mark.integration
async def test_block_is_returned_with_its_violation(client: Client, peer_nc: NatsClient) -> None:
    def block(request: GatewayRequest) -> GatewayReply:
        violation = Violation(reason="denied", code="DENY", plugin_name="guard")
        return GatewayReply(request_id=request.request_id, decision="block", violation=violation)

    peer = Peer()
    async with peer.serving(peer_nc, "tool_pre_invoke", block):
        result = await client.tool_pre_invoke("rm", {"path": "/"})

    assert result.blocked
    assert not result.allowed
    assert result.violation is not None
    assert (result.violation.code, result.violation.plugin_name) == ("DENY", "guard")
    assert result.payload == ToolPreInvokePayload(name="rm", args={"path": "/"})


@pytest.mark.integration
async def test_error_decision_is_returned_not_raised(client: Client, peer_nc: NatsClient) -> None:
    def fail(request: GatewayRequest) -> GatewayReply:
        error = ErrorInfo(code="plugin_timeout", message="guard timed out")
        return GatewayReply(request_id=request.request_id, decision="error", error=error)

    peer = Peer()
    async with peer.serving(peer_nc, "resource_pre_fetch", fail):
        result = await client.resource_pre_fetch("file:///etc/passwd")

    assert result.decision == "error"
    assert result.error == ErrorInfo(code="plugin_timeout", message="guard timed out")


@pytest.mark.integration
async def test_custom_hook_payload_comes_back_as_dict(client: Client, peer_nc: NatsClient) -> None:
    peer = Peer()
    async with peer.serving(peer_nc, "custom_pre_export", echo):
        result = await client.invoke("custom_pre_export", {"rows": [1, 2]})

    assert result.payload == {"rows": [1, 2]}
    assert peer.received[0][1].entity is None


@pytest.mark.integration
async def test_no_router_raises_unavailable_at_once(fresh_nats_server: NatsServer) -> None:
    async with await connect(fresh_nats_server.url, allow_reconnect=False) as c:
        start = time.monotonic()
        with pytest.raises(HookwireUnavailable, match="no hookwire router serves") as e:
            await c.tool_pre_invoke("search", timeout=10.0)
        took = time.monotonic() - start
    assert took < 1.0
    assert e.value.hook == "tool_pre_invoke"


@pytest.mark.integration
async def test_no_reply_within_budget_raises_timeout(client: Client, peer_nc: NatsClient) -> None:
    peer = Peer()
    async with peer.serving(peer_nc, "tool_pre_invoke", lambda request: None):
        with pytest.raises(HookwireTimeout, match=r"within 0\.2s") as e:
            await client.tool_pre_invoke("slow", timeout=0.2)
    assert len(peer.received) == 1
    assert e.value.timeout == 0.2


@pytest.mark.integration
async def test_event_over_max_payload_raises_before_publishing(
    client: Client, peer_nc: NatsClient
) -> None:
    limit = client.nc.max_payload
    peer = Peer()
    async with peer.serving(peer_nc, "tool_post_invoke", echo):
        with pytest.raises(PayloadTooLarge, match=f"max_payload of {limit:,} bytes") as e:
            await client.tool_post_invoke("dump", "x" * limit)
        await client.nc.flush()
        await peer_nc.flush()
    assert e.value.size > limit
    assert e.value.limit == limit
    assert peer.received == []


@pytest.mark.integration
async def test_connect_to_unreachable_nats_raises_unavailable_quickly() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    start = time.monotonic()
    with pytest.raises(HookwireUnavailable, match=f"cannot connect to NATS at .*:{port}"):
        await connect(f"nats://127.0.0.1:{port}", connect_timeout=1)
    assert time.monotonic() - start < 3.0


@pytest.mark.integration
async def test_client_reconnects_after_nats_restarts(fresh_nats_server: NatsServer) -> None:
    async with await connect(fresh_nats_server.url, timeout=2.0) as c:
        fresh_nats_server.stop()
        fresh_nats_server.start()
        for _ in range(100):
            if c.nc.is_connected:
                break
            await asyncio.sleep(0.05)
        peer_nc = await nats.connect(fresh_nats_server.url, allow_reconnect=False)
        try:
            async with Peer().serving(peer_nc, "tool_pre_invoke", echo):
                result = await c.tool_pre_invoke("after-restart")
        finally:
            await peer_nc.close()
    assert result.allowed
    assert result.payload.name == "after-restart"


@pytest.mark.integration
async def test_close_leaves_a_borrowed_connection_open(peer_nc: NatsClient) -> None:
    async with Client(peer_nc):
        pass
    assert peer_nc.is_connected


@pytest.mark.integration
async def test_close_closes_an_owned_connection(nats_server: NatsServer) -> None:
    c = await connect(nats_server.url, allow_reconnect=False)
    await c.close()
    assert c.nc.is_closed


@pytest.mark.integration
async def test_concurrent_events_get_their_own_replies(client: Client, peer_nc: NatsClient) -> None:
    peer = Peer()
    async with peer.serving(peer_nc, "tool_pre_invoke", echo):
        results = await asyncio.gather(
            *(client.tool_pre_invoke(f"t{i}", request_id=f"r{i}") for i in range(50))
        )
    assert [(r.request_id, r.payload.name) for r in results] == [
        (f"r{i}", f"t{i}") for i in range(50)
    ]


def test_client_imports_nothing_of_the_router_or_its_dependencies() -> None:
    """A gateway installs hookwire-schemas[client]: msgspec and nats-py, nothing more."""
    code = (
        "import sys, hookwire.client; "
        "print(' '.join(sorted({m.split('.')[0] if not m.startswith('hookwire.') "
        "else '.'.join(m.split('.')[:2]) for m in sys.modules})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout.split()
    forbidden = {"pydantic", "yaml", "simpleeval", "jsonschema", "structlog"}
    forbidden |= {"hookwire.router", "hookwire.workers", "hookwire.service"}
    assert "hookwire.client" in out
    assert forbidden.isdisjoint(out)
