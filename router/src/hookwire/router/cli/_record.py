"""``hookwire record export|import|tail`` and ``hookwire replay``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hookwire.router._stack import Stack
from hookwire.router.cli._connection import NoTarget, add_client_options, resolve_target
from hookwire.router.cli._options import add_commands, add_nats_options, positive
from hookwire.router.config._load import Config, load_config
from hookwire.router.errors import ConfigError, RecordFileError, ReplayError, StackError
from hookwire.router.record import (
    RecordFilter,
    ReplayReport,
    accepted,
    check_replayable,
    encode_record,
    export_records,
    import_records,
    nats_sender,
    read_records,
    render_report,
    replay,
    tail_records,
    write_records,
)
from hookwire.schemas import HookwireError, Record
from hookwire.service import configure_logging, connect


def _time(text: str) -> datetime:
    """An RFC 3339 time (``2026-11-30T18:00:00Z``; no zone means UTC)."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time like 2026-11-30T18:00Z") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("record", help="export, import or follow recorded decisions")
    rec = add_commands(p, "record_command")
    q = rec.add_parser("export", help="write recorded decisions as JSON Lines")
    add_client_options(q)
    q.add_argument("--since", type=_time, help="recorded at or after this time (RFC 3339)")
    q.add_argument("--until", type=_time, help="recorded at or before this time")
    q.add_argument("--hook", help="only this hook")
    q.add_argument("--decision", choices=["allow", "block", "error"], help="only this decision")
    q.add_argument("--limit", type=positive(int), help="at most this many records")
    q.add_argument("-o", "--output", help="file to write (default: stdout)")
    q.set_defaults(func=cmd_export)
    q = rec.add_parser("import", help="store the records of a JSON Lines file")
    q.add_argument("file", help="JSON Lines file (from `hookwire record export`)")
    add_client_options(q)
    q.set_defaults(func=cmd_import)
    q = rec.add_parser("tail", help="print decisions as they are recorded")
    add_client_options(q)
    q.add_argument("--hook", help="only this hook")
    q.add_argument("--json", action="store_true", help="one JSON record per line")
    q.set_defaults(func=cmd_tail)

    p = sub.add_parser(
        "replay",
        help="replay recorded events and report what changed",
        description="Send every recorded event through a pipeline and compare each outcome "
        "with the recorded one. Without --nats it starts one embedded from --config (its own "
        "NATS, router and plugin venvs). Exits 1 when anything differs.",
    )
    p.add_argument("file", help="JSON Lines records (keep: full)")
    p.add_argument("--config", dest="candidate", help="candidate config (required without --nats)")
    add_nats_options(p, default=None, help_text="replay through the pipeline on this server")
    p.add_argument(
        "--data-dir",
        metavar="DIR",
        help="replay through the running `hookwire up` of this data folder (as the gateway)",
    )
    p.add_argument(
        "--concurrency", type=positive(int), default=32, help="events in flight (default 32)"
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--accept", action="store_true", help="rewrite FILE with the new outcomes")
    p.set_defaults(func=cmd_replay)


async def _connect(ns: argparse.Namespace, name: str, role: str = "recorder") -> Any:
    """``role``'s connection to the server of ``--nats``, or of the running ``up``."""
    target = resolve_target(ns, role)
    return await connect(
        target.url, name, attempts=2, reconnect_time_wait=0.1, auth=target.auth, deadline=10
    )


def cmd_export(ns: argparse.Namespace) -> int:
    configure_logging()
    keep = RecordFilter(ns.since, ns.until, ns.hook, ns.decision, ns.limit)

    async def run() -> int:
        nc = await _connect(ns, "hookwire-record-export")
        n = 0
        with contextlib.ExitStack() as files:
            out = files.enter_context(Path(ns.output).open("wb")) if ns.output else None
            try:
                async for record in export_records(nc.jetstream(), keep):
                    (out or sys.stdout.buffer).write(encode_record(record) + b"\n")
                    n += 1
            finally:
                await nc.close()
        print(f"exported {n} record(s)", file=sys.stderr)
        return 0

    return _guard("record export", run)


def cmd_import(ns: argparse.Namespace) -> int:
    configure_logging()

    async def run() -> int:
        records = list(read_records(ns.file))
        nc = await _connect(ns, "hookwire-record-import")
        try:
            n = await import_records(nc, records)
        finally:
            await nc.close()
        print(f"imported {n} record(s) from {ns.file}", file=sys.stderr)
        return 0

    return _guard("record import", run)


def cmd_tail(ns: argparse.Namespace) -> int:
    configure_logging()

    async def run() -> int:
        nc = await _connect(ns, "hookwire-record-tail")
        try:
            async for record in tail_records(nc, ns.hook):
                print(encode_record(record).decode() if ns.json else _line(record), flush=True)
        finally:
            await nc.close()
        return 0

    return _guard("record tail", run)


def _line(r: Record) -> str:
    why = f" by {r.violation.plugin_name}: {r.violation.reason}" if r.violation else ""
    return f"{r.recorded_at}  {r.hook:<22} {r.decision.upper():<5} {r.request_id}{why}"


def _guard(what: str, run: Any) -> int:
    try:
        code: int = asyncio.run(run())
    except (HookwireError, OSError, NoTarget) as exc:
        print(f"hookwire {what}: {exc}", file=sys.stderr)
        return 2
    return code


def cmd_replay(ns: argparse.Namespace) -> int:
    configure_logging()
    if ns.nats is None and ns.candidate is None and ns.data_dir is None:
        print(
            "hookwire replay: give --config CANDIDATE (or --nats URL, or --data-dir of a "
            "running `hookwire up`)",
            file=sys.stderr,
        )
        return 2
    try:
        config = load_config(ns.candidate) if ns.candidate else None
        records = list(read_records(ns.file))
        check_replayable(records)
    except (ConfigError, RecordFileError, ReplayError, OSError) as exc:
        print(f"hookwire replay: {exc}", file=sys.stderr)
        return 2
    try:
        report, replies = asyncio.run(_replay(ns, config, records))
    except (ReplayError, StackError, OSError, NoTarget, HookwireError) as exc:
        print(f"hookwire replay: {exc}", file=sys.stderr)
        return 2
    if ns.json:
        print(json.dumps(report.summary(), indent=2))
    else:
        print("\n".join(render_report(report)))
    if ns.accept:
        write_records(ns.file, accepted(records, replies, config))
        print(f"accepted: {ns.file} now holds the new outcomes", file=sys.stderr)
        return 0
    return 1 if report.changed else 0


async def _replay(
    ns: argparse.Namespace, config: Config | None, records: list[Record]
) -> tuple[ReplayReport, Any]:
    progress = _progress(len(records)) if sys.stderr.isatty() and not ns.json else None
    async with contextlib.AsyncExitStack() as stack:
        if ns.nats is not None or config is None:
            nc = await _connect(ns, "hookwire-replay", role="gateway")  # it sends events
        else:
            data = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hw-replay-")))
            up = await stack.enter_async_context(Stack(config, data_dir=data))
            nc = await connect(up.url, "hookwire-replay", auth=up.auth_for("gateway"))
        stack.push_async_callback(nc.close)
        send = await nats_sender(nc)()
        result = await replay(
            records, send, config=config, concurrency=ns.concurrency, progress=progress
        )
    if progress is not None:
        print(file=sys.stderr)
    return result


def _progress(total: int) -> Any:
    def show(done: int) -> None:
        if done % 25 and done != total:
            return
        width = 30
        filled = width * done // max(total, 1)
        bar = "#" * filled + "-" * (width - filled)
        print(f"\r  [{bar}] {done}/{total}", end="", file=sys.stderr, flush=True)

    return show
