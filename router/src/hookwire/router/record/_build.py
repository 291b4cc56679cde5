"""Making a Record from an event's run and its reply."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import msgspec

from hookwire.router.config._load import Config
from hookwire.router.routing._instances import ResolvedPlugin
from hookwire.schemas import (
    NO_PAYLOAD,
    Decision,
    ExecutionRecord,
    GatewayReply,
    GatewayRequest,
    Keep,
    Record,
    RecordedCall,
)

#: Modes whose block does not stop the event: a record says what they would have decided.
_ADVISORY = frozenset({"audit", "transform"})


class _Clock:
    """RFC 3339 UTC time to the millisecond, formatting the date and time once a second."""

    __slots__ = ("_prefix", "_second")

    def __init__(self) -> None:
        self._second = -1
        self._prefix = ""

    def now(self) -> str:
        t = time.time()
        second = int(t)
        if second != self._second:
            self._second = second
            self._prefix = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        return f"{self._prefix}.{int((t - second) * 1000):03d}+00:00"


utc_now = _Clock().now


def plugin_versions(config: Config) -> dict[str, str]:
    """Configured plugin name -> its manifest version ("" when unknown)."""
    return {
        name: (p.manifest.version if p.manifest is not None else p.entry.version or "")
        for name, p in config.plugins.items()
    }


def _would_decide(step: ExecutionRecord) -> Decision | None:
    if step.mode not in _ADVISORY:
        return None
    if step.status == "blocked":
        return "block"
    return "allow" if step.status == "completed" else None


def recorded_calls(
    trace: Sequence[ExecutionRecord],
    versions: Mapping[str, str],
    rules: Mapping[str, int],
) -> list[RecordedCall]:
    return [
        RecordedCall(
            plugin=step.plugin,
            instance=step.instance,
            version=versions.get(step.plugin, ""),
            mode=step.mode,
            status=step.status,
            duration_ms=step.duration_ms,
            modified=step.payload_modified,
            would_decide=_would_decide(step),
            rule=rules.get(step.instance),
        )
        for step in trace
    ]


_encode = msgspec.json.Encoder().encode
_any = msgspec.json.Decoder().decode


def _with_raw_event() -> type[msgspec.Struct]:
    """``Record`` with ``event`` as raw JSON: a ``keep: full`` record holds the event's
    bytes as received, not decoded and encoded again (same JSON, same schema)."""
    fields: list[tuple[str, object, object]] = []
    for f in msgspec.structs.fields(Record):
        tp = msgspec.Raw if f.name == "event" else f.type
        if f.default is not msgspec.NODEFAULT:
            fields.append((f.name, tp, f.default))
        elif f.default_factory is not msgspec.NODEFAULT:
            fields.append((f.name, tp, msgspec.field(default_factory=f.default_factory)))
        else:
            fields.append((f.name, tp, msgspec.field()))
    config = Record.__struct_config__
    return msgspec.defstruct(
        "RawEventRecord",
        fields,
        kw_only=True,
        frozen=True,
        omit_defaults=True,
        tag_field=config.tag_field,
        tag=config.tag,
    )


_RawEventRecord = _with_raw_event()


def encode_record(record: msgspec.Struct) -> bytes:
    """``record`` as one line of JSON: a payload passed on as received may hold newlines
    (pretty-printed by its gateway); such a record is re-encoded compactly."""
    data = _encode(record)
    return _encode(_any(data)) if b"\n" in data else data


def build_record(
    event: GatewayRequest,
    reply: GatewayReply,
    plugins: Sequence[ResolvedPlugin],
    *,
    keep: Keep,
    versions: Mapping[str, str],
    revision: int | None,
    config_file: str = "",
    received: bytes | None = None,
) -> msgspec.Struct:
    """The record of ``event`` answered with ``reply``, keeping what ``keep`` says
    (a ``Record``; with ``received``, the event's bytes, a ``keep: full`` record holds
    them as they are: it encodes to the same JSON)."""
    payload = reply.payload
    cls: type[msgspec.Struct] = Record
    stored: object = event
    if keep == "output":
        stored = msgspec.structs.replace(event, payload=reply.payload)
    elif keep == "metadata":
        stored = msgspec.structs.replace(event, payload=NO_PAYLOAD, state={})
        payload = NO_PAYLOAD
    elif received is not None:
        cls, stored = _RawEventRecord, msgspec.Raw(received)
    rules = {r.instance.id: r.rule for r in plugins}
    return cls(
        request_id=reply.request_id or event.request_id,
        hook=event.hook,
        keep=keep,
        recorded_at=utc_now(),
        event=stored,
        decision=reply.decision,
        payload=payload,
        modified=reply.modified,
        violation=reply.violation,
        warnings=reply.warnings,
        trace=recorded_calls(reply.trace, versions, rules),
        error=reply.error,
        revision=revision,
        config=config_file,
    )
