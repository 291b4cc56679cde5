"""Reading and writing the record stream: export, import, tail; and JSON Lines files."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import msgspec
import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.client import JetStreamContext

from hookwire.router._jetstream import publish_acked
from hookwire.router.errors import RecordFileError
from hookwire.router.record._build import encode_record
from hookwire.schemas import HookwireError, Record, subjects
from hookwire.service import Requests

_decode = msgspec.json.Decoder(Record).decode
#: Records fetched per pull while exporting.
BATCH = 256


@dataclass(frozen=True, slots=True)
class RecordFilter:
    """Which records an export keeps (every field optional)."""

    since: datetime | None = None
    until: datetime | None = None
    hook: str | None = None
    decision: str | None = None
    limit: int | None = None

    def keeps(self, record: Record) -> bool:
        return self.decision is None or record.decision == self.decision

    def past(self, record: Record) -> bool:
        """Whether ``record`` comes after ``until`` (records are stored in time order)."""
        return self.until is not None and datetime.fromisoformat(record.recorded_at) > self.until


def records_in(data: bytes) -> list[Record]:
    """The records of one stream message: one or more, one JSON object per line."""
    return [_decode(line) for line in data.split(b"\n") if line.strip()]


def read_records(path: str | Path) -> Iterator[Record]:
    """The records of a JSON Lines file, one per non-empty line."""
    with Path(path).open("rb") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    yield _decode(line)
                except msgspec.MsgspecError as exc:
                    raise RecordFileError(str(path), n, f"not a hookwire record: {exc}") from None


def write_records(path: str | Path, records: Iterable[Record]) -> int:
    """Write ``records`` as JSON Lines (replacing ``path``); returns how many."""
    n = 0
    tmp = Path(f"{path}.tmp")
    with tmp.open("wb") as f:
        for record in records:
            f.write(encode_record(record) + b"\n")
            n += 1
    tmp.replace(path)
    return n


async def export_records(js: JetStreamContext, keep: RecordFilter) -> AsyncIterator[Record]:
    """The stored records that ``keep`` keeps, oldest first, up to those stored now."""
    config = ConsumerConfig(
        ack_policy=AckPolicy.NONE,
        deliver_policy=DeliverPolicy.BY_START_TIME if keep.since else DeliverPolicy.ALL,
        opt_start_time=keep.since,
        inactive_threshold=30.0,
    )
    try:
        sub = await js.pull_subscribe(
            subjects.record_wildcard(keep.hook), stream=subjects.RECORD_STREAM, config=config
        )
    except nats.js.errors.NotFoundError:
        raise HookwireError(
            f"no record stream {subjects.RECORD_STREAM}: turn on plugin_settings.record"
        ) from None
    sent = 0
    try:
        while keep.limit is None or sent < keep.limit:
            try:
                msgs = await sub.fetch(BATCH, timeout=1.0)
            except nats.errors.TimeoutError:
                return
            for msg in msgs:
                for record in records_in(msg.data):
                    if keep.past(record):
                        return
                    if keep.keeps(record):
                        yield record
                        sent += 1
                        if keep.limit is not None and sent >= keep.limit:
                            return
                if msg.metadata.num_pending == 0:
                    return
    finally:
        await sub.unsubscribe()


async def import_records(nc: Client, records: Iterable[Record]) -> int:
    """Store ``records`` in the record stream (each acknowledged); returns how many."""
    requests = Requests(nc)
    await requests.start()
    n = 0
    try:
        for record in records:
            await publish_acked(
                requests, subjects.record_subject(record.hook), encode_record(record)
            )
            n += 1
    finally:
        await requests.close()
    return n


async def tail_records(nc: Client, hook: str | None = None) -> AsyncIterator[Record]:
    """Each decision as it is recorded, until cancelled."""
    queue: asyncio.Queue[bytes] = asyncio.Queue()

    async def got(msg: object) -> None:
        queue.put_nowait(msg.data)  # type: ignore[attr-defined]

    sub = await nc.subscribe(subjects.record_wildcard(hook), cb=got)
    try:
        while True:
            data = await queue.get()
            try:
                records = records_in(data)
            except msgspec.MsgspecError:
                continue
            for record in records:
                yield record
    finally:
        await sub.unsubscribe()
