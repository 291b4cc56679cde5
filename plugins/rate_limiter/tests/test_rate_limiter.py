"""rate_limiter's own tests: rates, the three algorithms, the limiter and the plugin.

The shared NATS state is tested against a real nats-server in the repository's
tests/plugins/test_rate_limiter_pipeline.py; here the process-local store stands in.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rate_limiter import RateLimiter, _limiter
from rate_limiter._algorithms import (
    decode_state,
    fixed_window,
    sliding_window,
    token_bucket,
)
from rate_limiter._limiter import Limiter
from rate_limiter._rates import Rate, parse_rate
from rate_limiter._store import Conflict, MemoryStore, NatsStore, StoreUnavailable
from rate_limiter.plugin import headers, settings_from, state_key

from hookwire.schemas import PromptPrehookPayload, RequestContext, ToolPreInvokePayload
from hookwire.workers import Block, Context, Continue

# -- rates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("30/m", Rate(30, 60)),
        (" 5 / s ", Rate(5, 1)),
        ("2/hour", Rate(2, 3600)),
        ("1/MIN", Rate(1, 60)),
    ],
)
def test_rates_parse(text: str, rate: Rate) -> None:
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["30", "30/d", "x/m", "-1/m", "0/m", "1000001/s", ""])
def test_bad_rates_name_the_key(text: str) -> None:
    with pytest.raises(ValueError, match="by_user"):
        parse_rate(text, "by_user")


def test_rate_prints_its_window() -> None:
    assert str(Rate(3, 60)) == "3/60s"


# -- algorithms --------------------------------------------------------------------------


def run(decide: Any, rate: Rate, times: list[float]) -> list[bool]:
    state = None
    allowed = []
    for now in times:
        new, outcome = decide(state, rate, now)
        allowed.append(outcome.allowed)
        if new is not None:
            state = new
    return allowed


def test_fixed_window_admits_count_then_resets_at_the_boundary() -> None:
    rate = Rate(3, 60)
    assert run(fixed_window, rate, [600, 601, 602, 603, 659.9, 660]) == [
        True,
        True,
        True,
        False,
        False,
        True,
    ]


def test_fixed_window_refusal_says_when_to_retry() -> None:
    state: Any = [10, 3]
    new, outcome = fixed_window(state, Rate(3, 60), 630.0)
    assert new is None
    assert (outcome.allowed, outcome.remaining, outcome.reset_at, outcome.retry_after) == (
        False,
        0,
        660.0,
        30.0,
    )


def test_fixed_window_bursts_twice_the_count_across_a_boundary() -> None:
    rate = Rate(2, 60)
    assert run(fixed_window, rate, [659, 659, 660, 660]) == [True, True, True, True]


def test_sliding_window_has_no_boundary_burst() -> None:
    rate = Rate(2, 60)
    # two at the end of one window: the start of the next still counts them
    assert run(sliding_window, rate, [659, 659, 660, 661]) == [True, True, False, False]


def test_sliding_window_frees_room_as_the_previous_window_fades() -> None:
    rate = Rate(2, 60)
    assert run(sliding_window, rate, [600, 601, 602, 660, 690, 691, 719]) == [
        True,
        True,
        False,
        False,
        True,
        False,
        False,
    ]


def test_sliding_window_waits_are_positive_and_end_when_room_appears() -> None:
    rate = Rate(2, 60)
    state: Any = [11, 2.0, 0.0]  # two in the previous window, none in this one
    new, outcome = sliding_window(state, rate, 661.0)
    assert new is None and not outcome.allowed
    later, ok = sliding_window(state, rate, 661.0 + outcome.retry_after + 0.001)
    assert ok.allowed and later is not None


def test_sliding_window_full_current_window_waits_into_the_next() -> None:
    rate = Rate(2, 60)
    state: Any = [10, 0.0, 2.0]
    _, outcome = sliding_window(state, rate, 610.0)
    assert outcome.retry_after == pytest.approx(50 + 30)  # next window, half faded
    _, one = sliding_window([10, 0.0, 1.0], Rate(1, 60), 610.0)
    assert one.retry_after == pytest.approx(50 + 60)
    _, fits = sliding_window([10, 0.0, 1.0], Rate(2, 60), 610.0)
    assert fits.allowed


def test_sliding_window_forgets_windows_older_than_the_previous() -> None:
    new, outcome = sliding_window([1, 5.0, 5.0], Rate(2, 60), 600.0)
    assert outcome.allowed and new == [10, 0.0, 1.0]


def test_token_bucket_bursts_to_capacity_then_refills_steadily() -> None:
    rate = Rate(3, 60)  # one token every 20 s
    assert run(token_bucket, rate, [0, 0, 0, 0, 19, 20.5, 21]) == [
        True,
        True,
        True,
        False,
        False,
        True,
        False,
    ]


def test_token_bucket_refusal_says_when_the_next_token_comes() -> None:
    _, outcome = token_bucket([0.5, 100.0], Rate(3, 60), 100.0)
    assert not outcome.allowed
    assert outcome.retry_after == pytest.approx(10.0)
    assert outcome.reset_at == pytest.approx(150.0)


def test_token_bucket_never_holds_more_than_capacity() -> None:
    new, outcome = token_bucket([1.0, 0.0], Rate(3, 60), 10_000.0)
    assert new == [2.0, 10_000.0] and outcome.remaining == 2


@pytest.mark.parametrize(
    ("raw", "state"),
    [
        (b"[1,2]", [1.0, 2.0]),
        (b"", None),
        (None, None),
        (b"nope", None),
        (b'{"a":1}', None),
        (b"[]", None),
        (b"[1,2,3]", None),  # another algorithm's state
        (b"[true,2]", None),
    ],
)
def test_stored_state_decodes_or_starts_over(raw: bytes | None, state: Any) -> None:
    assert decode_state(raw, 2) == state


# -- limiter and stores ------------------------------------------------------------------


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_memory_store_compares_revisions() -> None:
    store = MemoryStore()
    assert await store.get("k") is None
    await store.create("k", b"1")
    with pytest.raises(Conflict):
        await store.create("k", b"2")
    _, revision = await store.get("k") or (b"", 0)
    with pytest.raises(Conflict):
        await store.update("k", b"3", revision + 1)
    with pytest.raises(Conflict):
        await store.update("absent", b"3", 1)
    await store.update("k", b"3", revision)
    assert (await store.get("k") or (b"",))[0] == b"3"


async def test_concurrent_hits_admit_exactly_the_limit() -> None:
    limiter = Limiter(MemoryStore(), fixed_window, Clock())
    outcomes = await asyncio.gather(*(limiter.hit("k", Rate(30, 60)) for _ in range(100)))
    assert sum(o.allowed for o in outcomes) == 30
    assert limiter._locks == {}  # locks are dropped once nobody waits


class Counting(MemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.gets = 0

    async def get(self, key: str) -> tuple[bytes, int] | None:
        self.gets += 1
        return await super().get(key)


async def test_a_worker_alone_on_a_key_writes_without_reading_first() -> None:
    store = Counting()
    limiter = Limiter(store, fixed_window, Clock())
    outcomes = [await limiter.hit("k", Rate(3, 60)) for _ in range(5)]
    assert [o.allowed for o in outcomes] == [True, True, True, False, False]
    assert store.gets == 1  # the first request only


async def test_two_workers_on_one_store_admit_exactly_the_limit() -> None:
    store = Counting()
    a, b = (Limiter(store, fixed_window, Clock()) for _ in range(2))
    outcomes = [await (a if i % 2 else b).hit("k", Rate(7, 60)) for i in range(20)]
    assert sum(o.allowed for o in outcomes) == 7
    assert store.gets > 2  # each write of one made the other's memory stale


async def test_a_worker_remembers_a_bounded_number_of_keys(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_limiter, "REMEMBERED", 2)
    limiter = Limiter(MemoryStore(), fixed_window, Clock())
    for key in ("a", "b", "c"):
        await limiter.hit(key, Rate(3, 60))
    assert list(limiter._last) == ["b", "c"]


class Racing(MemoryStore):
    """A store another worker writes to between our read and our write, ``races`` times."""

    def __init__(self, races: int) -> None:
        super().__init__()
        self.races = races

    async def get(self, key: str) -> tuple[bytes, int] | None:
        current = await super().get(key)
        if self.races > 0:
            self.races -= 1
            self._write(key, b"[16666,1]")  # one request of the other worker
        return current


async def test_a_lost_race_reads_again_and_counts_the_other_workers_request() -> None:
    store = Racing(races=3)
    limiter = Limiter(store, fixed_window, Clock())
    outcome = await limiter.hit("k", Rate(5, 60))
    assert outcome.allowed and outcome.remaining == 3


async def test_endless_contention_is_reported_as_unavailable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_limiter, "MAX_ATTEMPTS", 3)
    limiter = Limiter(Racing(races=4), fixed_window, Clock())
    with pytest.raises(StoreUnavailable, match="contended"):
        await limiter.hit("k", Rate(5, 60))


class FakeEntry:
    def __init__(self, value: bytes, revision: int) -> None:
        self.value, self.revision = value, revision


class FakeKv:
    """Raises the errors nats-py raises, to check their mapping (the real bucket is tested
    against nats-server in the repository's integration tests)."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error

    async def get(self, key: str) -> FakeEntry:
        if self.error:
            raise self.error
        return FakeEntry(b"[1,1]", 7)

    async def create(self, key: str, value: bytes) -> int:
        if self.error:
            raise self.error
        return 1

    async def update(self, key: str, value: bytes, last: int | None = None) -> int:
        if self.error:
            raise self.error
        return 2


async def test_nats_store_maps_errors() -> None:
    from nats.errors import TimeoutError as NatsTimeout
    from nats.js import errors

    ok = NatsStore(FakeKv())
    assert await ok.get("k") == (b"[1,1]", 7)
    await ok.create("k", b"1")
    await ok.update("k", b"1", 7)
    assert await NatsStore(FakeKv(errors.KeyNotFoundError())).get("k") is None
    wrong = NatsStore(FakeKv(errors.KeyWrongLastSequenceError()))
    with pytest.raises(Conflict):
        await wrong.create("k", b"1")
    with pytest.raises(Conflict):
        await wrong.update("k", b"1", 3)
    down = NatsStore(FakeKv(NatsTimeout()))
    for call in (down.get("k"), down.create("k", b"1"), down.update("k", b"1", 1)):
        with pytest.raises(StoreUnavailable, match="TimeoutError"):
            await call


# -- the plugin --------------------------------------------------------------------------


def ctx(user: str | None = "alice@example.com", **fields: Any) -> Context:
    request = RequestContext(request_id="r", hook="tool_pre_invoke", user=user, **fields)
    return Context(request=request, config={}, state={}, instance="i1", hook="tool_pre_invoke")


def tool(name: str = "search") -> ToolPreInvokePayload:
    return ToolPreInvokePayload(name=name, args={"q": "x"})


def memory(**config: Any) -> RateLimiter:
    plugin = RateLimiter({"backend": "memory", "by_tenant": None, **config})
    assert plugin._limiter is not None
    plugin._limiter.clock = Clock()
    return plugin


async def test_defaults_are_cpex_rate_limiters_with_state_in_nats() -> None:
    s = settings_from({})
    assert (s.by_user, s.by_tenant, s.by_user_per_server, s.by_tool) == (
        Rate(60, 60),
        Rate(600, 60),
        None,
        {},
    )
    assert (s.algorithm, s.backend, s.fail_mode) == ("fixed_window", "nats", "closed")
    assert settings_from({"backend": "redis"}).backend == "nats"


@pytest.mark.parametrize(
    ("config", "where"),
    [
        ({"algorithm": "leaky"}, "algorithm"),
        ({"backend": "etcd"}, "backend"),
        ({"fail_mode": "clsoed"}, "fail_mode"),
        ({"by_tool": ["search"]}, "by_tool"),
        ({"by_tool": {"search": "ten/m"}}, "by_tool.search"),
        ({"by_tenant": "5/day"}, "by_tenant"),
    ],
)
def test_bad_config_names_the_key(config: dict[str, Any], where: str) -> None:
    with pytest.raises(ValueError, match=where):
        RateLimiter(config)


async def test_blocks_over_the_limit_with_429_and_headers() -> None:
    plugin = memory(by_user="2/m")
    first = await plugin.tool_pre_invoke(tool(), ctx())
    assert isinstance(first, Continue)
    assert first.metadata == {
        "rate_limit": {"dimension": "user", "limit": 2, "remaining": 1, "reset": 1_000_020}
    }
    await plugin.tool_pre_invoke(tool(), ctx())
    block = await plugin.tool_pre_invoke(tool(), ctx())
    assert isinstance(block, Block)
    assert (block.code, block.http_status_code, block.reason) == (
        "RATE_LIMIT",
        429,
        "Rate limit exceeded",
    )
    assert block.http_headers == {
        "X-RateLimit-Limit": "2",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": "1000020",
        "Retry-After": "20",
    }
    assert block.details is not None
    assert block.details["retry_delay_ms"] == 20_000
    assert block.details["dimension"] == "user" and block.details["algorithm"] == "fixed_window"


async def test_users_are_counted_apart_and_blank_users_are_anonymous() -> None:
    plugin = memory(by_user="1/m")
    assert isinstance(await plugin.tool_pre_invoke(tool(), ctx("alice")), Continue)
    assert isinstance(await plugin.tool_pre_invoke(tool(), ctx("bob")), Continue)
    assert isinstance(await plugin.tool_pre_invoke(tool(), ctx(None)), Continue)
    assert isinstance(await plugin.tool_pre_invoke(tool(), ctx("  ")), Block)


async def test_tenant_limit_is_shared_by_its_users_and_skipped_without_tenant() -> None:
    plugin = memory(by_user=None, by_tenant="2/m")
    for user in ("a", "b"):
        assert isinstance(await plugin.tool_pre_invoke(tool(), ctx(user, tenant_id="t1")), Continue)
    block = await plugin.tool_pre_invoke(tool(), ctx("c", tenant_id="t1"))
    assert isinstance(block, Block) and block.details and block.details["dimension"] == "tenant"
    assert isinstance(await plugin.tool_pre_invoke(tool(), ctx("c", tenant_id="t2")), Continue)
    assert await plugin.tool_pre_invoke(tool(), ctx("c")) is None  # no active dimension


async def test_tool_limit_matches_names_case_insensitively_for_tools_and_prompts() -> None:
    plugin = memory(by_user="100/m", by_tool={" Search ": "1/m"})
    assert isinstance(await plugin.tool_pre_invoke(tool("SEARCH"), ctx("a")), Continue)
    block = await plugin.tool_pre_invoke(tool("search"), ctx("b"))
    assert isinstance(block, Block) and block.details and block.details["dimension"] == "tool"
    assert isinstance(await plugin.tool_pre_invoke(tool("fetch"), ctx("b")), Continue)
    prompt = PromptPrehookPayload(prompt_id="Search")  # prompts of that name share it
    assert isinstance(await plugin.prompt_pre_fetch(prompt, ctx("c")), Block)


async def test_the_tightest_dimension_is_reported() -> None:
    plugin = memory(by_user="10/m", by_tool={"search": "3/m"})
    result = await plugin.tool_pre_invoke(tool(), ctx())
    assert isinstance(result, Continue) and result.metadata
    assert result.metadata["rate_limit"]["dimension"] == "tool"


async def test_per_server_limit_needs_a_server_id_and_skips_prompts() -> None:
    plugin = memory(by_user=None, by_user_per_server="1/m")
    missing = await plugin.tool_pre_invoke(tool(), ctx())
    assert isinstance(missing, Block)
    assert (missing.code, missing.http_status_code) == ("RATE_LIMIT_CONTEXT_MISSING", 503)
    assert isinstance(await plugin.tool_pre_invoke(tool(), ctx(server_id="s1")), Continue)
    assert isinstance(await plugin.tool_pre_invoke(tool(), ctx(server_id="s2")), Continue)
    assert isinstance(await plugin.tool_pre_invoke(tool(), ctx(server_id="s1")), Block)
    assert await plugin.prompt_pre_fetch(PromptPrehookPayload(prompt_id="p"), ctx()) is None


async def test_nats_backend_without_a_worker_fails_closed_by_default() -> None:
    plugin = RateLimiter({})
    await plugin.setup()  # logs and goes on: each call tries again
    block = await plugin.tool_pre_invoke(tool(), ctx())
    assert isinstance(block, Block)
    assert (block.code, block.http_status_code, block.http_headers) == (
        "BACKEND_UNAVAILABLE",
        503,
        {"Retry-After": "1"},
    )
    assert block.details and "state bucket" in block.details["error"]


async def test_fail_open_lets_the_event_through_with_the_reason() -> None:
    plugin = RateLimiter({"fail_mode": "open"})
    result = await plugin.tool_pre_invoke(tool(), ctx())
    assert isinstance(result, Continue) and result.metadata
    assert "state bucket" in result.metadata["rate_limit"]["unavailable"]


async def test_state_keys_hide_identities_and_separate_instances() -> None:
    key = state_key("i1", "user", "t", "alice@example.com")
    assert key.startswith("user.") and "alice" not in key and "@" not in key
    assert key != state_key("i2", "user", "t", "alice@example.com")
    assert key == state_key("i1", "user", "t", "alice@example.com")


def test_headers_of_an_allowed_outcome_have_no_retry_after() -> None:
    from rate_limiter._algorithms import Outcome

    assert "Retry-After" not in headers(Outcome(True, 5, 4, 100.2))
    assert headers(Outcome(False, 5, 0, 100.2, 0.01))["Retry-After"] == "1"
