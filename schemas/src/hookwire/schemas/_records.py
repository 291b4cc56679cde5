"""A recorded decision: one event and its outcome, as the router stored it.

Records are JSON, one object per line in an export (JSON Lines). The same schema
evolution rules as the wire messages hold: new fields get defaults and are appended.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from ._messages import (
    NO_PAYLOAD,
    Decision,
    ErrorInfo,
    ExecutionStatus,
    GatewayRequest,
    PluginWarning,
    Violation,
    _tag,
    _Wire,
)

#: What a record keeps of the payloads: ``full`` the event as received (replayable),
#: ``output`` the event with the payload as it left the chain, ``metadata`` no payloads.
Keep = Literal["full", "output", "metadata"]


class RecordedCall(_Wire, frozen=True, kw_only=True):
    """One plugin instance's part in a recorded decision.

    ``would_decide`` is what an ``audit`` (or ``transform``) plugin would have decided
    had it been ``sequential``: ``block`` when it returned a violation, else ``allow``.
    """

    plugin: str
    instance: str
    version: str = ""
    mode: str
    status: ExecutionStatus
    duration_ms: float = 0.0
    modified: bool = False
    would_decide: Decision | None = None
    rule: int | None = None


class Record(_Wire, frozen=True, kw_only=True, tag_field="type", tag=_tag("record")):
    """One event and its outcome (``hookwire record export`` writes one per line).

    ``event`` is the event as received (``keep: full``), with the final payload
    (``output``) or with neither payload nor state (``metadata``); ``payload`` is the
    final payload (absent for ``metadata``); ``revision`` the live config revision
    that decided (absent: a config file); ``recorded_at`` is RFC 3339, UTC.
    """

    request_id: str
    hook: str
    keep: Keep
    recorded_at: str
    event: GatewayRequest
    decision: Decision
    payload: msgspec.Raw = NO_PAYLOAD
    modified: bool = False
    violation: Violation | None = None
    warnings: list[PluginWarning] = []
    trace: list[RecordedCall] = []
    error: ErrorInfo | None = None
    revision: int | None = None
    config: str = ""
