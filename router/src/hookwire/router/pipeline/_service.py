"""The router service: takes hook events from NATS and answers each with a decision."""

from __future__ import annotations

import asyncio
from collections import Counter
from importlib.metadata import version

import msgspec
import structlog
from nats.aio.client import Client
from nats.aio.msg import Msg

from hookwire.router.catalog._registry_service import RegistryService
from hookwire.router.config._load import Config
from hookwire.router.config._notices import log_maturity
from hookwire.router.delivery import Deliveries
from hookwire.router.errors import RuleError
from hookwire.router.pipeline._deaths import DeathWatch
from hookwire.router.pipeline._intake import MAX_MESSAGE, Rejected, check_event, clip, decode_event
from hookwire.router.pipeline._pipeline import EventRun, Pipeline
from hookwire.router.pipeline._streams import prepare_streams
from hookwire.router.record._recorder import Recorder
from hookwire.router.routing._index import Resolution, RuleIndex
from hookwire.router.routing._modes import Mode
from hookwire.schemas import (
    ErrorInfo,
    GatewayReply,
    LiveState,
    RouteCacheInfo,
    RouterStats,
    Violation,
)
from hookwire.schemas.subjects import (
    ROUTER_QUEUE,
    ROUTER_SERVICE,
    hook_from_subject,
    hook_wildcard,
)
from hookwire.service import ErrorResponse, Requests, Service

log = structlog.get_logger("hookwire.router")
_encode = msgspec.json.Encoder().encode

#: The micro ``Nats-Service-Error-Code`` of each error code (HTTP-like: 4xx the sender's
#: input, 5xx the router or its plugins).
SERVICE_ERROR_CODES: dict[str, str] = {
    "malformed_event": "400",
    "hook_mismatch": "400",
    "unknown_hook": "404",
    "invalid_payload": "422",
    "reply_too_large": "413",
    "plugin_error": "502",
    "plugin_timeout": "504",
    "plugin_unavailable": "503",
    "internal": "500",
}


def idempotent_plugins(config: Config) -> frozenset[str]:
    """The plugins whose manifest declares their hooks idempotent (safe to call twice)."""
    return frozenset(p.manifest.name for p in config.packages.values() if p.manifest.idempotent)


def error_reply(code: str, message: str, request_id: str = "") -> ErrorResponse:
    """An ``error`` decision, encoded, counted as a service error."""
    message = clip(message, MAX_MESSAGE)
    reply = GatewayReply(
        request_id=request_id, decision="error", error=ErrorInfo(code=code, message=message)
    )
    return _as_error(_encode(reply), code, message)


def _as_error(data: bytes, code: str, message: str) -> ErrorResponse:
    return ErrorResponse(data, SERVICE_ERROR_CODES.get(code, "500"), f"{code}: {message}")


def rule_error_reply(run: EventRun, error: RuleError) -> GatewayReply:
    """The block of an event whose rule's ``when`` raised (the rule fails closed)."""
    violation = Violation(
        reason=f"rule {error.label} could not be evaluated",
        description=str(error),
        code="rule_error",
        details={
            "rule": error.rule,
            "display_name": error.display_name,
            "when": error.when,
            "error": clip(error.error, MAX_MESSAGE),
        },
    )
    return run.reply("block", violation)


class Router:
    """Subscribes ``hookwire.hook.*`` in the routers' queue group; stateless per event.

    ``reload`` builds a new rule index and swaps it in: an event in flight keeps
    the index (and config) it started with.
    """

    def __init__(self, nc: Client, config: Config) -> None:
        self.nc = nc
        self.config = config
        self.index: RuleIndex = config.build_index()
        self.requests = Requests(nc)  # one reply inbox for every plugin call
        self.pipeline = self._pipeline(config)
        #: fails at once the calls in flight on a worker that died
        self.deaths = DeathWatch(nc, self.requests)
        self.counts: Counter[str] = Counter()
        #: fire_and_forget calls stored in JetStream; decisions recorded
        self.deliveries = Deliveries(self.requests)
        self.recorder = Recorder(nc, config)
        self._streams_ready: asyncio.Task[None] | None = None
        #: the live config revision running (None: the file's config); see live/_switch.py
        self.revision: int | None = None
        #: whether this router follows the live config (hookwire apply)
        self.following = False
        self._before_swap: frozenset[asyncio.Task[None]] = frozenset()
        self.service = Service(
            nc,
            name=ROUTER_SERVICE,
            version=version("hookwire-router"),
            description="hookwire router: resolves plugins for hook events and runs them",
            metadata={"role": "router", "config": config.file},
            max_concurrency=config.settings.max_concurrent_events,
            stats_data=self.stats,
        )
        self.registry = RegistryService(nc, config.packages)  # hookwire.registry.*

    async def start(self) -> None:
        await self.requests.start()
        await prepare_streams(self.nc, self.config)
        await self.recorder.start()
        await self.deaths.start()
        await self.service.start()
        await self.service.add_endpoint(
            "events",
            hook_wildcard(),
            ROUTER_QUEUE,
            self.handle,
            lambda exc: error_reply("internal", f"router failed on this event: {exc!r}"),
        )
        await self.registry.start()
        log_maturity(self.config.plugins.values(), self.config.settings)
        log.info(
            "router.started",
            subject=hook_wildcard(),
            queue=ROUTER_QUEUE,
            rules=len(self.config.rules),
            plugins=len(self.config.plugins),
        )

    def reload(self, config: Config, revision: int | None = None) -> None:
        """Swap in ``config`` atomically; instances disabled by errors are enabled again.

        ``revision`` is the live config revision it came from (None: a file).
        """
        index = config.build_index()
        self.config, self.index = config, index
        self.registry.update(config.packages)
        log_maturity(config.plugins.values(), config.settings)
        self.revision = revision
        self.recorder.use(config, revision)
        # streams and consumers of what the new config adds (the stream keeps every
        # fire_and_forget call meanwhile)
        self._streams_ready = asyncio.get_running_loop().create_task(
            prepare_streams(self.nc, config)
        )
        # events in flight now may still call plugins of the old config
        self._before_swap = self.service.in_flight_tasks()
        self.pipeline = self._pipeline(config)
        log.info("router.config.reloaded", file=config.file, rules=len(config.rules))

    def _pipeline(self, config: Config) -> Pipeline:
        settings = config.settings
        pipeline = Pipeline(
            self.nc,
            settings.fail_on_plugin_error,
            self.requests,
            deny_if_undecided=settings.deny_if_undecided,
        )
        pipeline.idempotent = idempotent_plugins(config)
        return pipeline

    async def handle(self, msg: Msg) -> bytes | ErrorResponse:
        """One event in, one encoded reply out; a bad event gets an ``error`` reply."""
        config, index, pipeline = self.config, self.index, self.pipeline
        try:
            event = decode_event(msg.data)
            event = check_event(event, hook_from_subject(msg.subject), config.known_hooks)
        except Rejected as bad:
            self.counts["malformed" if bad.code == "malformed_event" else "rejected"] += 1
            return error_reply(bad.code, bad.message, bad.request_id)
        # The budget starts now, so the time `when` takes counts in it. The config's
        # event_timeout caps it; an event may ask for less.
        budgets = [b for b in (event.timeout, config.settings.event_timeout) if b]
        budget = min(budgets) if budgets else None
        deadline = asyncio.get_running_loop().time() + budget if budget else None
        run = EventRun(event, deadline)
        plugins: Resolution
        try:
            plugins = index.resolve(event)
        except RuleError as exc:  # the rule fails closed: blocked, and recorded as such
            self.counts["rule_error"] += 1
            plugins = ()
            reply = rule_error_reply(run, exc)
        else:
            reply = await pipeline.run(run, plugins)
        self.counts[reply.decision] += 1
        data = _encode(reply)
        if len(data) > self.nc.max_payload:
            self.counts["too_large"] += 1
            return error_reply(
                "reply_too_large",
                f"the reply is {len(data)} bytes, over the server's "
                f"max_payload of {self.nc.max_payload}",
                event.request_id,
            )
        if self.recorder.enabled:  # after this reply is on its way
            asyncio.get_running_loop().call_soon(
                self.recorder.record, event, reply, plugins, msg.data
            )
        if any(p.instance.mode is Mode.FIRE_AND_FORGET for p in plugins):
            self.deliveries.send(event, run.payload, run.context, plugins, pipeline.disabled)
        if reply.error is not None:
            return _as_error(data, reply.error.code, reply.error.message)
        return data

    def stats(self) -> RouterStats:
        """The ``data`` of this router's micro STATS answer."""
        return RouterStats(
            events=dict(self.counts),
            config=self.config.file,
            rules=len(self.config.rules),
            cache=RouteCacheInfo(**self.index.cache_info()),
            when_errors=self.index.stats.when_errors,
            disabled_instances=sorted(self.pipeline.disabled),
            record=self.recorder.stats(),
            fire_and_forget=dict(self.deliveries.counts),
            calls_lost_with_worker=self.deaths.lost,
            live=LiveState(
                following=self.following,
                revision=self.revision,
                older_in_flight=sum(1 for t in self._before_swap if not t.done()),
            ),
        )

    async def drain(self, timeout: float = 30.0) -> None:
        """Stop taking events, finish those in flight (their plugin replies still arrive)."""
        await self.service.drain(timeout)
        await self.recorder.stop(min(timeout, 5.0))
        await self.deliveries.wait(min(timeout, 5.0))
        await self.registry.drain()
        await self.deaths.stop()
        log.info("router.drained", events=dict(self.counts))
