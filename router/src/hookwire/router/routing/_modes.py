"""Plugin modes and error policies, with cpex's older names as aliases."""

from __future__ import annotations

from enum import StrEnum


class Mode(StrEnum):
    """How a plugin runs within an event (docs/pipeline.md, Modes; in phase order)."""

    SEQUENTIAL = "sequential"
    TRANSFORM = "transform"
    AUDIT = "audit"
    CONCURRENT = "concurrent"
    FIRE_AND_FORGET = "fire_and_forget"
    DISABLED = "disabled"


class OnError(StrEnum):
    """What a plugin's error, timeout or missing worker does to the event."""

    FAIL = "fail"
    IGNORE = "ignore"
    DISABLE = "disable"


#: Older cpex names: alias -> (mode, on_error it implies or None).
MODE_ALIASES: dict[str, tuple[Mode, OnError | None]] = {
    "enforce": (Mode.SEQUENTIAL, None),
    "permissive": (Mode.TRANSFORM, None),
    "enforce_ignore_error": (Mode.SEQUENTIAL, OnError.IGNORE),
}

MODE_NAMES: tuple[str, ...] = (*(m.value for m in Mode), *MODE_ALIASES)


def parse_mode(name: str) -> tuple[Mode, OnError | None]:
    """``"permissive"`` -> ``(Mode.TRANSFORM, None)``; raises ValueError on an unknown name."""
    alias = MODE_ALIASES.get(name)
    if alias is not None:
        return alias
    try:
        return Mode(name), None
    except ValueError:
        raise ValueError(f"unknown mode {name!r}; use one of: {', '.join(MODE_NAMES)}") from None
