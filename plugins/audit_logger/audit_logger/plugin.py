"""The audit_logger plugin: appends one JSON line per event to a file.

Each line is written with a single ``write(2)`` on a descriptor opened with
``O_APPEND``, so several worker processes can append to one local file and every line
stays whole. The file is opened per line, so rotating it (rename, then a new file
appears) needs no signal. The plugin never blocks an event: a write error is logged
and reported in the reply's metadata.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

from hookwire.schemas import (
    HttpPreRequestPayload,
    PromptPosthookPayload,
    PromptPrehookPayload,
    ResourcePostFetchPayload,
    ResourcePreFetchPayload,
    ToolPostInvokePayload,
    ToolPreInvokePayload,
)
from hookwire.workers import Context, Continue, Plugin

DEFAULT_PATH = "hookwire-audit.jsonl"
DATA_DIR_ENV = "HOOKWIRE_DATA_DIR"
_FLAGS = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
_ENCODER = msgspec.json.Encoder()

log = logging.getLogger("hookwire.plugins.audit_logger")


class EntityRef(msgspec.Struct, frozen=True, kw_only=True):
    """The entity an event is about."""

    type: str
    name: str


class AuditRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One line of the audit file; ``payload`` is left out unless configured."""

    ts: datetime
    hook: str
    request_id: str
    user: str | None
    tenant_id: str | None
    entity: EntityRef | None
    instance: str
    payload: Any = msgspec.UNSET


def resolve_path(path: str | os.PathLike[str]) -> Path:
    """``path`` made absolute against ``$HOOKWIRE_DATA_DIR`` if set, else the cwd."""
    resolved = Path(path).expanduser()
    if resolved.is_absolute():
        return resolved
    base = os.environ.get(DATA_DIR_ENV)
    return (Path(base) if base else Path.cwd()) / resolved


def append_line(path: Path, line: bytes | bytearray) -> None:
    """Append ``line`` to ``path`` with one write on an O_APPEND descriptor.

    The parent folder is made if missing. A local file gets the line in one piece
    whatever other processes append at the same time.
    """
    try:
        fd = os.open(path, _FLAGS, 0o640)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, _FLAGS, 0o640)
    try:
        view = memoryview(line)
        written = os.write(fd, view)
        while written < len(view):  # a short write (rare: a signal, a quota): finish the line
            written += os.write(fd, view[written:])
    finally:
        os.close(fd)


class AuditLogger(Plugin):
    """Writes ``{ts, hook, request_id, user, tenant_id, entity, instance[, payload]}``."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        path = config.get("path", DEFAULT_PATH)
        if not isinstance(path, str) or not path:
            raise ValueError(f"path must be a non-empty string, got {path!r}")
        self.path = resolve_path(path)
        self.include_payload = bool(config.get("include_payload", False))

    async def tool_pre_invoke(self, payload: ToolPreInvokePayload, ctx: Context) -> Continue | None:
        return self._record(payload, ctx)

    async def tool_post_invoke(
        self, payload: ToolPostInvokePayload, ctx: Context
    ) -> Continue | None:
        return self._record(payload, ctx)

    async def prompt_pre_fetch(
        self, payload: PromptPrehookPayload, ctx: Context
    ) -> Continue | None:
        return self._record(payload, ctx)

    async def prompt_post_fetch(
        self, payload: PromptPosthookPayload, ctx: Context
    ) -> Continue | None:
        return self._record(payload, ctx)

    async def resource_pre_fetch(
        self, payload: ResourcePreFetchPayload, ctx: Context
    ) -> Continue | None:
        return self._record(payload, ctx)

    async def resource_post_fetch(
        self, payload: ResourcePostFetchPayload, ctx: Context
    ) -> Continue | None:
        return self._record(payload, ctx)

    async def http_pre_request(
        self, payload: HttpPreRequestPayload, ctx: Context
    ) -> Continue | None:
        return self._record(payload, ctx)

    def _record(self, payload: msgspec.Struct, ctx: Context) -> Continue | None:
        """Append this event's line; on a write error log it and say so in metadata."""
        request = ctx.request
        entity = request.entity
        record = AuditRecord(
            ts=datetime.now(UTC),
            hook=ctx.hook or request.hook,
            request_id=request.request_id,
            user=request.user,
            tenant_id=request.tenant_id,
            entity=None if entity is None else EntityRef(type=entity.type, name=entity.name),
            instance=ctx.instance,
            payload=payload if self.include_payload else msgspec.UNSET,
        )
        line = bytearray()
        _ENCODER.encode_into(record, line)
        line += b"\n"
        try:
            append_line(self.path, line)
        except OSError as exc:
            log.warning(
                "audit_logger.write_failed path=%s request_id=%s error=%s",
                self.path,
                request.request_id,
                exc,
            )
            return Continue(metadata={"audit_error": f"{type(exc).__name__}: {exc}"})
        return None
