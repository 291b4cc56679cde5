"""Replay: recorded events through a pipeline, each outcome compared with the recorded one."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec
import nats.errors
from nats.aio.client import Client

from hookwire.router.config._load import Config
from hookwire.router.errors import ReplayError
from hookwire.router.record._build import plugin_versions, recorded_calls
from hookwire.router.record._diff import PathChange, ignore_paths, json_diff
from hookwire.schemas import (
    ErrorInfo,
    GatewayReply,
    GatewayRequest,
    Record,
    RecordedCall,
    subjects,
)
from hookwire.service import Requests

_decode_reply = msgspec.json.Decoder(GatewayReply).decode
_encode = msgspec.json.Encoder().encode
_json = msgspec.json.Decoder().decode
Send = Callable[[GatewayRequest], Awaitable[GatewayReply]]


@dataclass(frozen=True, slots=True)
class Decider:
    """A plugin that decided the replayed event (blocked it, or failed it), and the rule
    that attached it."""

    plugin: str
    instance: str
    rule: str | None = None


@dataclass(frozen=True, slots=True)
class Change:
    """One replayed event whose outcome differs from the recorded one."""

    request_id: str
    hook: str
    decision_before: str
    decision_after: str
    violation: dict[str, Any] | None
    error: dict[str, Any] | None
    paths: list[PathChange]
    deciders: list[Decider]


@dataclass
class ReplayReport:
    """What a replay found: counts, each changed event, per-plugin latency (ms, mean)."""

    total: int = 0
    unchanged: int = 0
    changed: list[Change] = field(default_factory=list)
    latency_before: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    latency_after: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    seconds: float = 0.0

    @property
    def decision_changed(self) -> list[Change]:
        return [c for c in self.changed if c.decision_before != c.decision_after]

    @property
    def payload_changed(self) -> list[Change]:
        return [c for c in self.changed if c.decision_before == c.decision_after]

    def latency(self) -> dict[str, dict[str, float | None]]:
        def mean(xs: list[float]) -> float | None:
            return round(sum(xs) / len(xs), 3) if xs else None

        plugins = sorted(self.latency_before.keys() | self.latency_after.keys())
        return {
            p: {
                "before_ms": mean(self.latency_before.get(p, [])),
                "after_ms": mean(self.latency_after.get(p, [])),
            }
            for p in plugins
        }

    def summary(self) -> dict[str, Any]:
        """The JSON report (``hookwire replay --json``)."""
        return {
            "total": self.total,
            "unchanged": self.unchanged,
            "decision_changed": len(self.decision_changed),
            "payload_changed": len(self.payload_changed),
            "events_per_second": round(self.total / self.seconds, 1) if self.seconds else None,
            "changed": [msgspec.to_builtins(_change_json(c)) for c in self.changed],
            "latency": self.latency(),
        }


def _change_json(c: Change) -> dict[str, Any]:
    return {
        "request_id": c.request_id,
        "hook": c.hook,
        "decision": {"before": c.decision_before, "after": c.decision_after},
        "violation": c.violation,
        "error": c.error,
        "paths": [
            {"path": p.path, "before": p.before, "after": p.after}
            | ({"missing": p.missing} if p.missing else {})
            for p in c.paths
        ],
        "deciders": [
            {"plugin": d.plugin, "instance": d.instance, "rule": d.rule} for d in c.deciders
        ],
    }


def check_replayable(records: Sequence[Record]) -> None:
    """Raise ReplayError when a record does not hold the event as it was received."""
    for record in records:
        if record.keep != "full":
            raise ReplayError(
                f"record {record.request_id!r} was kept as {record.keep!r}: replay needs "
                "the event as received; record with `plugin_settings.record.keep: full`"
            )


class Comparer:
    """Compares a replayed reply with a record, knowing the candidate config (if any)."""

    def __init__(self, config: Config | None) -> None:
        self.config = config
        self._ignore: dict[str, set[str]] = {}
        self._rules: dict[str, str] = {}
        if config is not None:
            for name, p in config.plugins.items():
                if p.manifest is not None and p.manifest.replay_ignore:
                    self._ignore[name] = ignore_paths(p.manifest.replay_ignore)
            for rule in config.rules:
                for att in rule.attachments:
                    self._rules.setdefault(att.instance.id, rule.label)

    def compare(self, record: Record, reply: GatewayReply) -> Change | None:
        ignore: set[str] = set()
        for plugin in {s.plugin for s in record.trace} | {s.plugin for s in reply.trace}:
            ignore |= self._ignore.get(plugin, set())
        before = _json(record.payload) if record.payload else None
        after = _json(reply.payload) if reply.payload else None
        paths = json_diff(before, after, ignore) if record.decision != "block" else []
        if record.decision == reply.decision and not paths:
            return None
        return Change(
            request_id=record.request_id,
            hook=record.hook,
            decision_before=record.decision,
            decision_after=reply.decision,
            violation=msgspec.to_builtins(reply.violation) if reply.violation else None,
            error=msgspec.to_builtins(reply.error) if reply.error else None,
            paths=paths,
            deciders=self._deciders(reply),
        )

    def _deciders(self, reply: GatewayReply) -> list[Decider]:
        out = []
        for step in reply.trace:
            decided = step.status == "blocked" and step.mode in ("sequential", "concurrent")
            if decided or step.payload_modified or step.status in ("error", "timeout"):
                out.append(Decider(step.plugin, step.instance, self._rules.get(step.instance)))
        return out


def nats_sender(nc: Client, timeout: float = 30.0) -> Callable[[], Awaitable[Send]]:
    """A ``send`` over ``nc``: each event to ``hookwire.hook.<hook>``, its reply decoded."""

    async def make() -> Send:
        requests = Requests(nc)
        await requests.start()

        async def send(event: GatewayRequest) -> GatewayReply:
            try:
                msg = await requests.request(
                    subjects.hook_subject(event.hook), _encode(event), timeout
                )
            except nats.errors.NoRespondersError:
                raise ReplayError("no router answers hookwire.hook.*") from None
            except nats.errors.TimeoutError:
                return GatewayReply(
                    request_id=event.request_id,
                    decision="error",
                    error=ErrorInfo(code="replay_timeout", message=f"no reply in {timeout}s"),
                )
            return _decode_reply(msg.data)

        return send

    return make


async def replay(
    records: Sequence[Record],
    send: Send,
    *,
    config: Config | None = None,
    concurrency: int = 32,
    progress: Callable[[int], None] | None = None,
) -> tuple[ReplayReport, list[GatewayReply]]:
    """Send every record's event through ``send`` (``concurrency`` at once); the report
    and each new reply, in the records' order."""
    check_replayable(records)
    comparer = Comparer(config)
    report = ReplayReport(total=len(records))
    replies: list[GatewayReply | None] = [None] * len(records)
    queue = iter(enumerate(records))
    done = 0

    async def work() -> None:
        nonlocal done
        for i, record in queue:
            reply = await send(record.event)
            replies[i] = reply
            done += 1
            if progress is not None:
                progress(done)

    start = time.perf_counter()
    await asyncio.gather(*(work() for _ in range(max(1, concurrency))))
    report.seconds = time.perf_counter() - start
    for record, reply in zip(records, replies, strict=True):
        assert reply is not None
        for step in record.trace:
            report.latency_before[step.plugin].append(step.duration_ms)
        for s in reply.trace:
            report.latency_after[s.plugin].append(s.duration_ms)
        change = comparer.compare(record, reply)
        if change is None:
            report.unchanged += 1
        else:
            report.changed.append(change)
    return report, [r for r in replies if r is not None]


def accepted(
    records: Sequence[Record], replies: Sequence[GatewayReply], config: Config | None
) -> list[Record]:
    """The records with the replayed outcomes in place of the recorded ones (``--accept``)."""
    versions = plugin_versions(config) if config is not None else {}
    rules: dict[str, int] = {}
    if config is not None:
        for rule in config.rules:
            for att in rule.attachments:
                rules.setdefault(att.instance.id, rule.index)
    now = datetime.now(UTC).isoformat(timespec="milliseconds")
    out = []
    for record, reply in zip(records, replies, strict=True):
        trace: list[RecordedCall] = recorded_calls(reply.trace, versions, rules)
        out.append(
            msgspec.structs.replace(
                record,
                decision=reply.decision,
                payload=reply.payload,
                modified=reply.modified,
                violation=reply.violation,
                warnings=reply.warnings,
                trace=trace,
                error=reply.error,
                recorded_at=now,
                config=config.file if config is not None else record.config,
            )
        )
    return out
