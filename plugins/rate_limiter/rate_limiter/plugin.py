"""The rate_limiter plugin: per-user, per-tenant and per-tool limits shared by the pool."""

from __future__ import annotations

import asyncio
import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import structlog

from hookwire.schemas import PromptPrehookPayload, ToolPreInvokePayload
from hookwire.workers import Block, Context, Continue, Plugin

from ._algorithms import ALGORITHMS, Outcome
from ._limiter import Limiter
from ._rates import Rate, parse_rate
from ._store import MemoryStore, NatsStore, Store, StoreUnavailable

log = structlog.get_logger("hookwire.plugins.rate_limiter")

ANONYMOUS = "anonymous"
BACKENDS = ("nats", "memory", "redis")  # redis: a cpex config; the state goes to NATS
FAIL_MODES = ("open", "closed")
#: The manifest's defaults, for an instance made without the router's base config.
DEFAULT_RATES = {"by_user": "60/m", "by_user_per_server": None, "by_tenant": "600/m"}


@dataclass(frozen=True, slots=True)
class Settings:
    """The validated config of one instance."""

    by_user: Rate | None
    by_user_per_server: Rate | None
    by_tenant: Rate | None
    by_tool: dict[str, Rate]
    algorithm: str
    backend: str
    fail_mode: str


def settings_from(config: Mapping[str, Any]) -> Settings:
    """The instance's settings; ValueError naming the key for a bad value."""

    def rate(key: str) -> Rate | None:
        value = config.get(key, DEFAULT_RATES[key])
        return None if value in (None, "") else parse_rate(value, key)

    tools = config.get("by_tool") or {}
    if not isinstance(tools, Mapping):
        raise ValueError(f"by_tool: expected a mapping of tool name to rate, got {tools!r}")
    algorithm = config.get("algorithm", "fixed_window")
    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm: {algorithm!r} is not one of {', '.join(ALGORITHMS)}")
    backend = config.get("backend", "nats")
    if backend not in BACKENDS:
        raise ValueError(f"backend: {backend!r} is not one of {', '.join(BACKENDS)}")
    fail_mode = config.get("fail_mode", "closed")
    if fail_mode not in FAIL_MODES:
        raise ValueError(f"fail_mode: {fail_mode!r} is not one of {', '.join(FAIL_MODES)}")
    return Settings(
        by_user=rate("by_user"),
        by_user_per_server=rate("by_user_per_server"),
        by_tenant=rate("by_tenant"),
        by_tool={
            str(name).strip().lower(): parse_rate(value, f"by_tool.{name}")
            for name, value in tools.items()
        },
        algorithm=algorithm,
        backend="memory" if backend == "memory" else "nats",
        fail_mode=fail_mode,
    )


def state_key(instance: str, dimension: str, *parts: str) -> str:
    """The key of one counter: readable dimension, hashed identity (no emails in keys,
    and only characters a KV key may hold)."""
    digest = hashlib.blake2b("\0".join((instance, *parts)).encode(), digest_size=16)
    return f"{dimension}.{digest.hexdigest()}"


class RateLimiter(Plugin):
    """Counts each user's, tenant's and tool's requests; blocks with 429 over the limit."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        self.settings = settings_from(config)
        self._limiter: Limiter | None = None
        self._opening = asyncio.Lock()
        if self.settings.backend == "memory":
            self._limiter = Limiter(MemoryStore(), ALGORITHMS[self.settings.algorithm])

    async def setup(self) -> None:
        try:
            await self._ensure()
        except StoreUnavailable as exc:  # tried again at each call until it works
            log.warning("rate_limiter.state.unavailable", error=str(exc))

    async def _ensure(self) -> Limiter:
        if self._limiter is not None:
            return self._limiter
        async with self._opening:
            if self._limiter is None:
                try:
                    store: Store = NatsStore(await self.key_value())
                except Exception as exc:
                    raise StoreUnavailable(f"cannot open the state bucket: {exc}") from exc
                self._limiter = Limiter(store, ALGORITHMS[self.settings.algorithm])
                log.info("rate_limiter.state.ready", plugin=self.plugin_name)
            return self._limiter

    async def tool_pre_invoke(self, payload: ToolPreInvokePayload, ctx: Context) -> Any:
        return await self._check(payload.name, ctx, per_server=True)

    async def prompt_pre_fetch(self, payload: PromptPrehookPayload, ctx: Context) -> Any:
        return await self._check(payload.prompt_id, ctx, per_server=False)

    def _dimensions(
        self, name: str, scope: str, ctx: Context, per_server: bool
    ) -> list[tuple[str, str, Rate]] | Block:
        """(dimension, key, rate) of every active limit for this request; ``scope`` (the
        instance and algorithm) keeps apart counters that must not meet."""
        s, req = self.settings, ctx.request
        user = (req.user or "").strip() or ANONYMOUS
        tenant = (req.tenant_id or "").strip()
        out: list[tuple[str, str, Rate]] = []
        if s.by_user:
            out.append(("user", state_key(scope, "user", tenant, user), s.by_user))
        if s.by_user_per_server and per_server:
            server = (req.server_id or "").strip()
            if not server:
                return _missing_server()
            key = state_key(scope, "user_server", tenant, user, server)
            out.append(("user_per_server", key, s.by_user_per_server))
        if s.by_tenant and tenant:
            out.append(("tenant", state_key(scope, "tenant", tenant), s.by_tenant))
        tool = s.by_tool.get(name.strip().lower())
        if tool:
            out.append(("tool", state_key(scope, "tool", tenant, name.lower()), tool))
        return out

    async def _check(self, name: str, ctx: Context, *, per_server: bool) -> Any:
        dimensions = self._dimensions(
            name, ctx.instance + "/" + self.settings.algorithm, ctx, per_server
        )
        if isinstance(dimensions, Block):
            return dimensions
        if not dimensions:
            return None
        outcomes: list[tuple[str, Outcome]] = []
        try:
            limiter = await self._ensure()
            for dimension, key, rate in dimensions:
                outcome = await limiter.hit(key, rate)
                if not outcome.allowed:
                    return _blocked(dimension, outcome, self.settings.algorithm)
                outcomes.append((dimension, outcome))
        except StoreUnavailable as exc:
            return self._unavailable(str(exc))
        dimension, tightest = min(outcomes, key=lambda item: item[1].remaining)
        return Continue(metadata={"rate_limit": _figures(dimension, tightest)})

    def _unavailable(self, error: str) -> Block | Continue:
        log.warning(
            "rate_limiter.state.unavailable", error=error, fail_mode=self.settings.fail_mode
        )
        if self.settings.fail_mode == "open":
            return Continue(metadata={"rate_limit": {"unavailable": error}})
        return Block(
            "Rate limiter state unavailable",
            code="BACKEND_UNAVAILABLE",
            description=f"the shared counters cannot be reached ({error}); failing closed",
            details={"error": error, "retry_delay_ms": 1000},
            http_status_code=503,
            http_headers={"Retry-After": "1"},
        )


def _figures(dimension: str, outcome: Outcome) -> dict[str, Any]:
    return {
        "dimension": dimension,
        "limit": outcome.limit,
        "remaining": outcome.remaining,
        "reset": math.ceil(outcome.reset_at),
    }


def headers(outcome: Outcome) -> dict[str, str]:
    """The ``X-RateLimit-*`` headers of an outcome, with ``Retry-After`` when refused."""
    out = {
        "X-RateLimit-Limit": str(outcome.limit),
        "X-RateLimit-Remaining": str(outcome.remaining),
        "X-RateLimit-Reset": str(math.ceil(outcome.reset_at)),
    }
    if not outcome.allowed:
        out["Retry-After"] = str(max(1, math.ceil(outcome.retry_after)))
    return out


def _blocked(dimension: str, outcome: Outcome, algorithm: str) -> Block:
    retry_ms = max(1, math.ceil(outcome.retry_after * 1000))
    return Block(
        "Rate limit exceeded",
        code="RATE_LIMIT",
        description=f"the {dimension} limit of {outcome.limit} requests is used up",
        details={
            **_figures(dimension, outcome),
            "algorithm": algorithm,
            "reset_in": max(1, math.ceil(outcome.retry_after)),
            "retry_delay_ms": retry_ms,
        },
        http_status_code=429,
        http_headers=headers(outcome),
    )


def _missing_server() -> Block:
    return Block(
        "Rate limit context unavailable",
        code="RATE_LIMIT_CONTEXT_MISSING",
        description="by_user_per_server is configured but the event carries no server_id",
        details={"field": "server_id"},
        http_status_code=503,
    )
