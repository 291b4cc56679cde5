"""Printing decisions for people (``hookwire send`` and ``hookwire demo``)."""

from __future__ import annotations

import json
from typing import Any

import msgspec

from hookwire.client import HookResult


def count(n: int, word: str, plural: str | None = None) -> str:
    """``1 rule``, ``2 rules``, ``0 rules``."""
    return f"{n} {word if n == 1 else plural or word + 's'}"


def _short(value: Any, limit: int = 160) -> str:
    text = json.dumps(msgspec.to_builtins(value), ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def render_result(result: HookResult[Any]) -> list[str]:
    """A few aligned lines: the decision, why, the payload as it now stands, the trace."""
    decision = result.decision.upper()
    lines = []
    if result.blocked and result.violation is not None:
        v = result.violation
        lines.append(
            f"  decision  {decision} by {v.plugin_name}: {v.reason}"
            + (f" [{v.code}]" if v.code else "")
        )
    elif result.decision == "error" and result.error is not None:
        lines.append(f"  decision  {decision} [{result.error.code}] {result.error.message}")
    else:
        lines.append(f"  decision  {decision}" + (" (payload modified)" if result.modified else ""))
    if result.allowed:
        lines.append(f"  payload   {_short(result.payload)}")
    for w in result.warnings:
        lines.append(f"  warning   {w.plugin}: {w.message}")
    steps = [
        f"{r.plugin} {r.status} {r.duration_ms:.1f}ms"
        + (" (modified)" if r.payload_modified else "")
        for r in result.trace
    ]
    if steps:
        lines.append("  plugins   " + ", ".join(steps))
    return lines
