"""Durations (``7d``, ``90s``) and sizes (``1GB``, ``512MiB``) as config values."""

from __future__ import annotations

import re

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$")
_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b?|b)?\s*$", re.IGNORECASE)
_POWERS = {"k": 1, "m": 2, "g": 3, "t": 4}


def parse_duration(value: str | float) -> float:
    """Seconds in ``value``: a number (seconds) or ``<n><ms|s|m|h|d|w>``."""
    if isinstance(value, int | float):
        return float(value)
    match = _DURATION.match(value)
    if match is None:
        raise ValueError(f"{value!r} is not a duration; write e.g. 90s, 15m, 12h or 7d")
    return float(match.group(1)) * _SECONDS[match.group(2) or "s"]


def parse_size(value: str | int) -> int:
    """Bytes in ``value``: a number or ``<n><KB|MB|GB|TB>`` (``KiB`` ... are powers of 1024
    as well: storage limits are never meant in thousands)."""
    if isinstance(value, int):
        return value
    match = _SIZE.match(value)
    if match is None:
        raise ValueError(f"{value!r} is not a size; write e.g. 512MB or 1GB")
    unit = (match.group(2) or "b").lower()
    return int(float(match.group(1)) * 1024 ** _POWERS.get(unit[0], 0))
