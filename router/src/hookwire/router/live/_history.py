"""Operations on the live config's history shared by the CLI and the admin service:
the rows of ``config history``, a rollback, an apply of YAML text, a diff."""

from __future__ import annotations

import difflib
from typing import Any

import msgspec

from hookwire.router.config._load import Config
from hookwire.router.errors import ConfigError, LiveConfigError
from hookwire.router.live._store import (
    ConfigRecord,
    ConfigStore,
    Revision,
    load_record,
    new_record,
    same_config,
)


def history_row(rev: Revision, live: bool) -> dict[str, Any]:
    """One revision as ``hookwire config history --json`` prints it (without the text)."""
    record = msgspec.to_builtins(rev.record)
    record.pop("text", None)
    record.pop("type", None)
    return {"revision": rev.revision, "live": live, **record}


def history_rows(history: list[Revision]) -> list[dict[str, Any]]:
    return [history_row(r, i == len(history) - 1) for i, r in enumerate(history)]


def what(record: ConfigRecord) -> str:
    """``apply``, ``up``, or ``rollback to N``."""
    if record.action == "rollback" and record.rollback_of is not None:
        return f"rollback to {record.rollback_of}"
    return record.action


async def rollback_target(store: ConfigStore, revision: int | None) -> Revision:
    """The revision a rollback to ``revision`` restores; without one, the latest earlier
    revision that configures something else than the live one. LiveConfigError says why
    there is none: no history, the live revision itself, or the same config as the live
    one (nothing would change)."""
    history = await store.history()
    if not history:
        raise LiveConfigError("no config has been applied yet")
    live = history[-1]
    earlier = [r for r in history[:-1] if not same_config(r.record, live.record)]
    if revision is None and not earlier:
        raise LiveConfigError(
            f"nothing to roll back to: no revision kept before {live.revision} differs from it"
        )
    if revision == live.revision:
        raise LiveConfigError(f"revision {live.revision} is the live config")
    target = earlier[-1] if revision is None else await store.get(revision)
    if same_config(target.record, live.record):
        raise LiveConfigError(
            f"unchanged: revision {target.revision} is the same config "
            f"as the live revision {live.revision}; nothing stored"
        )
    return target


def rollback_record(target: Revision, message: str = "") -> tuple[ConfigRecord, Config]:
    """The record restoring ``target`` and its config as it loads here. LiveConfigError
    when it no longer loads (nothing is stored)."""
    try:
        config = load_record(target.record)
    except ConfigError as exc:
        raise LiveConfigError(
            f"revision {target.revision} no longer loads here; nothing stored\n{exc}"
        ) from None
    old = target.record
    record = new_record(
        old.text,
        old.file,
        old.base_dir,
        action="rollback",
        rollback_of=target.revision,
        message=message,
    )
    return record, config


def text_record(
    text: str, beside: ConfigRecord, *, message: str = "", applied_by: str | None = None
) -> tuple[ConfigRecord, Config]:
    """The record of new YAML ``text`` replacing the live ``beside``: the same file name
    and folder, so its relative paths resolve as the live config's do. Raises ConfigError."""
    record = new_record(text, beside.file, beside.base_dir, message=message)
    if applied_by:
        record = msgspec.structs.replace(record, applied_by=applied_by)
    return record, load_record(record)


def diff(old: Revision, new: Revision) -> str:
    """A unified diff of two revisions' YAML."""
    lines = difflib.unified_diff(
        old.record.text.splitlines(keepends=True),
        new.record.text.splitlines(keepends=True),
        fromfile=f"revision {old.revision}",
        tofile=f"revision {new.revision}",
    )
    return "".join(lines)
