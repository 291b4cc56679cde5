"""Where two JSON values differ, as JSON paths (``$.args.to``)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class PathChange:
    """One place where the payload differs: its path and the value before and after
    (``None`` also stands for a missing key: ``missing`` says which side lacks it)."""

    path: str
    before: Any
    after: Any
    missing: str | None = None


def _key(path: str, key: str) -> str:
    return f"{path}.{key}" if key.isidentifier() else f"{path}[{key!r}]"


def json_diff(
    before: Any, after: Any, ignore: Collection[str] = (), path: str = "$"
) -> list[PathChange]:
    """Every path where ``before`` and ``after`` differ, skipping those in ``ignore``
    (and below them)."""
    if path in ignore:
        return []
    if isinstance(before, dict) and isinstance(after, dict):
        out: list[PathChange] = []
        for key in sorted(before.keys() | after.keys()):
            sub = _key(path, str(key))
            if key not in after:
                out += [] if sub in ignore else [PathChange(sub, before[key], None, "after")]
            elif key not in before:
                out += [] if sub in ignore else [PathChange(sub, None, after[key], "before")]
            else:
                out += json_diff(before[key], after[key], ignore, sub)
        return out
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        out = []
        for i, (b, a) in enumerate(zip(before, after, strict=True)):
            out += json_diff(b, a, ignore, f"{path}[{i}]")
        return out
    if before == after and type(before) is type(after):
        return []
    return [PathChange(path, before, after)]


def ignore_paths(dotted: Collection[str]) -> set[str]:
    """Manifest ``replay_ignore`` entries (``args.sent_at``) as JSON paths (``$.args.sent_at``)."""
    out = set()
    for entry in dotted:
        path = "$"
        for part in entry.strip().removeprefix("$").strip(".").split("."):
            if part:
                path = _key(path, part)
        out.add(path)
    return out
