"""The router's recorder: each decision to the ``HOOKWIRE_RECORD`` stream, after the reply.

Recording never delays a reply: the router hands the event and its reply over once the
reply is encoded, and the record is built and stored in the background. A failure is
counted (``hookwire status``) and logged; the decision itself is never affected.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections import Counter, deque
from collections.abc import Iterator, Sequence

import structlog
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.client import JetStreamContext

from hookwire.router._jetstream import ACK_TIMEOUT, ensure_stream
from hookwire.router.config._load import Config
from hookwire.router.config._model import RecordSettings
from hookwire.router.record._build import build_record, encode_record, plugin_versions
from hookwire.router.routing._instances import ResolvedPlugin
from hookwire.schemas import GatewayReply, GatewayRequest, Keep, RecordStats, subjects

log = structlog.get_logger("hookwire.record")
#: Records queued or awaiting their ack; past this a record is dropped (and counted).
MAX_PENDING = 10_000
#: Seconds the writer gathers records before it publishes them (never on a reply's path).
BATCH_WINDOW = 0.002
#: Most bytes of records in one message (and at most half the server's max_payload).
BATCH_BYTES = 256 * 1024


def _chunks(records: list[tuple[str, bytes]], limit: int) -> Iterator[list[tuple[str, bytes]]]:
    """``records`` in runs whose data (joined by newlines) stays under ``limit`` bytes;
    a record bigger than that goes alone."""
    chunk: list[tuple[str, bytes]] = []
    size = 0
    for record in records:
        n = len(record[1]) + 1
        if chunk and size + n > limit:
            yield chunk
            chunk, size = [], 0
        chunk.append(record)
        size += n
    if chunk:
        yield chunk


def record_stream_config(settings: RecordSettings) -> StreamConfig:
    return StreamConfig(
        name=subjects.RECORD_STREAM,
        description="hookwire: every event and its outcome (plugin_settings.record)",
        subjects=[subjects.record_wildcard()],
        retention=RetentionPolicy.LIMITS,
        discard=DiscardPolicy.OLD,
        storage=StorageType.FILE,
        max_age=settings.max_age_seconds,
        max_bytes=settings.max_bytes_int,
        num_replicas=settings.replicas,
    )


async def ensure_record_stream(js: JetStreamContext, settings: RecordSettings) -> None:
    await ensure_stream(js, record_stream_config(settings))


class Recorder:
    """Stores records of the decisions of one config (``use`` swaps the config).

    One writer task publishes what ``record`` queued: the records of a 2 ms window and
    one hook go in one message, one JSON record per line (JSON Lines), so a busy router
    pays JetStream's per-message cost once per batch. Each message has a reply subject
    on one acknowledgement inbox; the acknowledgement (or its absence after
    ``ack_timeout`` seconds, swept once a second) settles every record in it. No task
    or future per record.
    """

    def __init__(
        self,
        nc: Client,
        config: Config,
        revision: int | None = None,
        ack_timeout: float = ACK_TIMEOUT,
    ) -> None:
        self.nc = nc
        self.ack_timeout = ack_timeout
        #: ``written``, ``failed`` (JetStream did not store it), ``dropped`` (too many pending)
        self.counts: Counter[str] = Counter()
        self.last_error: str | None = None
        self._queue: deque[tuple[str, str, bytes]] = deque()
        #: token -> (deadline, request ids of the records in that message)
        self._waiting: dict[str, tuple[float, list[str]]] = {}
        self._unacked_count = 0  # records in ``_waiting``
        self._tokens = itertools.count()
        self._wake = asyncio.Event()
        self._prefix = ""
        self._writer: asyncio.Task[None] | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._acks: Subscription | None = None
        self.use(config, revision)

    def use(self, config: Config, revision: int | None) -> None:
        settings = config.settings.record
        self.enabled = settings is not None and settings.enabled
        self.keep: Keep = settings.keep if settings is not None else "full"
        self.versions = plugin_versions(config)
        self.revision = revision
        self.file = config.file

    async def start(self) -> None:
        self._prefix = self.nc.new_inbox() + "."
        self._acks = await self.nc.subscribe(self._prefix + "*", cb=self._on_ack)
        loop = asyncio.get_running_loop()
        self._writer = loop.create_task(self._write())
        self._sweeper = loop.create_task(self._sweep())

    def record(
        self,
        event: GatewayRequest,
        reply: GatewayReply,
        plugins: Sequence[ResolvedPlugin],
        received: bytes | None = None,
    ) -> None:
        """Build the record and queue it; never raises, never waits. ``received``: the
        event's bytes as they arrived (kept as they are by ``keep: full``)."""
        if len(self._queue) + self._unacked_count >= MAX_PENDING:
            self.counts["dropped"] += 1
            return
        try:
            record = build_record(
                event,
                reply,
                plugins,
                keep=self.keep,
                versions=self.versions,
                revision=self.revision,
                config_file=self.file,
                received=received,
            )
            data = encode_record(record)
        except Exception as exc:  # a record that cannot be built is a counted failure
            self._failed([event.request_id], f"cannot encode the record: {exc!r}")
            return
        self._queue.append((event.request_id, subjects.record_subject(event.hook), data))
        self._wake.set()

    async def _write(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await asyncio.sleep(BATCH_WINDOW)  # let the events of the next moments add theirs
            batches: dict[str, list[tuple[str, bytes]]] = {}
            while self._queue:
                request_id, subject, data = self._queue.popleft()
                batches.setdefault(subject, []).append((request_id, data))
            for subject, records in batches.items():
                for chunk in _chunks(records, self._batch_bytes()):
                    await self._publish(subject, chunk)

    def _batch_bytes(self) -> int:
        return max(1024, min(BATCH_BYTES, self.nc.max_payload // 2))

    async def _publish(self, subject: str, chunk: list[tuple[str, bytes]]) -> None:
        token = str(next(self._tokens))
        ids = [request_id for request_id, _ in chunk]
        deadline = asyncio.get_running_loop().time() + self.ack_timeout
        self._waiting[token] = (deadline, ids)
        self._unacked_count += len(ids)
        try:
            data = b"\n".join(d for _, d in chunk)
            await self.nc.publish(subject, data, reply=self._prefix + token)
        except Exception as exc:
            self._waiting.pop(token, None)
            self._unacked_count -= len(ids)
            self._failed(ids, f"cannot publish the record: {exc!r}")

    async def _on_ack(self, msg: Msg) -> None:
        entry = self._waiting.pop(msg.subject[len(self._prefix) :], None)
        if entry is None:
            return
        self._unacked_count -= len(entry[1])
        if not msg.data or (msg.headers and msg.headers.get("Status") == "503"):
            self._failed(entry[1], f"no JetStream stream takes {subjects.record_wildcard()}")
        elif b'"error"' in msg.data:
            self._failed(entry[1], f"JetStream refused the record: {msg.data[:300]!r}")
        else:
            self.counts["written"] += len(entry[1])
            self.counts["messages"] += 1

    async def _sweep(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(1.0)
            now = loop.time()
            late = [t for t, (deadline, _) in self._waiting.items() if deadline < now]
            for token in late:
                _, ids = self._waiting.pop(token)
                self._unacked_count -= len(ids)
                why = f"JetStream did not acknowledge within {self.ack_timeout}s"
                self._failed(ids, why)

    def _failed(self, ids: list[str], error: str) -> None:
        self.counts["failed"] += len(ids)
        self.last_error = error
        log.warning("record.failed", request_ids=ids[:10], records=len(ids), error=error)

    def stats(self) -> RecordStats:
        return RecordStats(
            enabled=self.enabled,
            keep=self.keep,
            written=self.counts["written"],
            failed=self.counts["failed"],
            dropped=self.counts["dropped"],
            messages=self.counts["messages"],
            pending=len(self._queue) + self._unacked_count,
            last_error=self.last_error,
        )

    async def stop(self, timeout: float) -> None:
        """Wait up to ``timeout`` s for the queued records to be acknowledged, then stop."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while (self._queue or self._waiting) and loop.time() < end:
            await asyncio.sleep(0.01)
        for task in (self._writer, self._sweeper):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._acks is not None:
            with contextlib.suppress(Exception):
                await self._acks.unsubscribe()
