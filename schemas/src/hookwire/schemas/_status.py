"""What hookwire services say about themselves: router and worker stats, pool status.

Routers and workers put their stats in the ``data`` of each endpoint of their NATS micro
``$SRV.STATS`` answer; ``MicroStats`` and ``MicroPing`` read those answers (NATS's own
``io.nats.micro.v1`` formats, only the fields hookwire reads). Supervisors answer
``hookwire.supervisor.status`` with a ``PoolsStatus``, announce a worker's exit with a
``WorkerExited``; workers tell the calls they hold with a ``WorkerCalls``.

Evolution as for every wire type: new fields get defaults and are appended, a field's
type never changes. Stats show every field, defaults included.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

from ._messages import _tag

T = TypeVar("T")


class _Status(msgspec.Struct, frozen=True, kw_only=True):
    """Base of every part of a status message (defaults are encoded too)."""


class LiveState(_Status, frozen=True, kw_only=True):
    """Where a router is with the live config (``hookwire apply``)."""

    #: whether the router follows the live config at all
    following: bool = False
    #: the live revision it runs (None: the config file it was started with)
    revision: int | None = None
    #: events still running that began on an older revision
    older_in_flight: int = 0


class RouteCacheInfo(_Status, frozen=True, kw_only=True):
    """The router's resolution cache."""

    size: int = 0
    maxsize: int = 0
    hits: int = 0
    misses: int = 0


class RecordStats(_Status, frozen=True, kw_only=True):
    """A router's recording (``plugin_settings.record``)."""

    enabled: bool = False
    keep: str = "full"
    #: records JetStream acknowledged; failed to store; dropped (too many waiting)
    written: int = 0
    failed: int = 0
    dropped: int = 0
    #: stream messages those records went in (a busy router batches them)
    messages: int = 0
    #: records queued or waiting for their acknowledgement
    pending: int = 0
    last_error: str | None = None


class RouterStats(_Status, frozen=True, kw_only=True):
    """The ``data`` of a router's ``events`` endpoint in its micro STATS answer."""

    #: events answered, by decision (``allow``, ``block``, ``error``) or rejection
    events: dict[str, int] = {}
    config: str = ""
    rules: int = 0
    cache: RouteCacheInfo = RouteCacheInfo()
    when_errors: int = 0
    disabled_instances: list[str] = []
    live: LiveState = LiveState()
    record: RecordStats = RecordStats()
    #: durable fire_and_forget calls: ``stored``, ``failed``, ``not_durable``
    fire_and_forget: dict[str, int] = {}
    #: plugin calls ended at once because the worker serving them died
    calls_lost_with_worker: int = 0


class WorkerStats(_Status, frozen=True, kw_only=True):
    """The ``data`` of a worker's ``hooks`` endpoint in its micro STATS answer."""

    instances: int = 0
    #: error replies by kind: request, deadline, plugin, timeout
    errors: dict[str, int] = {}
    #: durable fire_and_forget calls: ``acked``, ``retried``, ``dead_letters``
    fire_and_forget: dict[str, int] = {}
    #: instances whose construction or ``setup()`` failed, with the error: each call of
    #: theirs is answered with it, until a config change or a retry makes them work
    failed_instances: dict[str, str] = {}


class PoolStatus(_Status, frozen=True, kw_only=True):
    """One supervised worker pool."""

    plugin: str
    workers: int
    alive: int
    restarts: int = 0
    failed: bool = False
    last_error: str | None = None
    pids: list[int] = []
    python: str = ""
    #: ``ok``, ``failed`` (waiting for a retry) or ``half-open`` (one worker trying again)
    state: str = "ok"
    #: while failed: when one worker tries again (Unix time)
    next_retry: float | None = None
    #: which supervisor runs it: ``host:pid``
    supervisor: str = ""


class PoolsStatus(_Status, frozen=True, kw_only=True, tag_field="type", tag=_tag("pools_status")):
    """A supervisor's answer on ``hookwire.supervisor.status``: each of its pools."""

    pools: list[PoolStatus] = []


class WorkerExited(_Status, frozen=True, kw_only=True, tag_field="type", tag=_tag("worker_exited")):
    """A supervisor's notice on ``hookwire.worker.exited.<plugin>``: a worker died."""

    plugin: str
    pid: int
    #: its exit code (negative: the signal that ended it); None when it never started
    code: int | None = None
    #: workers of that supervisor's pool still running (answers a router may wait for)
    alive: int = 0


class WorkerCalls(_Status, frozen=True, kw_only=True, tag_field="type", tag=_tag("worker_calls")):
    """A worker's answer on ``hookwire.worker.inflight.<plugin>``: the calls it serves."""

    pid: int
    #: the reply subject of each request it is handling now
    replies: list[str] = []


class MicroEndpointStats(_Status, frozen=True, kw_only=True):
    """One endpoint of a NATS micro STATS answer; ``data`` is the service's own."""

    name: str = ""
    subject: str = ""
    queue_group: str = ""
    num_requests: int = 0
    num_errors: int = 0
    data: Any = None
    #: total time spent answering, in nanoseconds (NATS micro's own figure)
    processing_time: int = 0


class MicroStats(
    _Status,
    frozen=True,
    kw_only=True,
    tag_field="type",
    tag="io.nats.micro.v1.stats_response",
):
    """A NATS micro ``$SRV.STATS`` answer (the fields hookwire reads)."""

    name: str
    id: str
    version: str = ""
    metadata: dict[str, str] = {}
    endpoints: list[MicroEndpointStats] = []

    def endpoint_data(self, tp: type[T]) -> T:
        """The first endpoint's ``data`` as ``tp`` (e.g. RouterStats); ``msgspec.ValidationError``
        when it does not fit."""
        data = self.endpoints[0].data if self.endpoints else None
        return msgspec.convert({} if data is None else data, tp)

    @property
    def num_requests(self) -> int:
        return sum(e.num_requests for e in self.endpoints)

    @property
    def num_errors(self) -> int:
        return sum(e.num_errors for e in self.endpoints)


class MicroPing(
    _Status, frozen=True, kw_only=True, tag_field="type", tag="io.nats.micro.v1.ping_response"
):
    """A NATS micro ``$SRV.PING`` answer (the fields hookwire reads)."""

    name: str
    id: str
    version: str = ""
    metadata: dict[str, str] = {}
