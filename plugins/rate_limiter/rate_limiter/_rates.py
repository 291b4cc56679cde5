"""Rate strings: ``"N/s"``, ``"N/m"``, ``"N/h"`` (cpex-rate-limiter's format)."""

from __future__ import annotations

from dataclasses import dataclass

#: Seconds of each unit; the long forms are accepted as cpex-rate-limiter accepts them.
UNITS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hr": 3600,
    "hour": 3600,
}
#: The largest count accepted: more is a typo or an attempt to switch the limit off.
MAX_COUNT = 1_000_000


@dataclass(frozen=True, slots=True)
class Rate:
    """``count`` requests per ``window`` seconds."""

    count: int
    window: int

    def __str__(self) -> str:
        return f"{self.count}/{self.window}s"


def parse_rate(text: str, where: str = "rate") -> Rate:
    """``"30/m"`` -> Rate(30, 60); a ValueError naming ``where`` for anything else."""
    count_text, sep, unit = str(text).strip().partition("/")
    unit = unit.strip().lower()
    if not sep or unit not in UNITS or not count_text.strip().isdigit():
        raise ValueError(
            f"{where}: {text!r} is not a rate; expected '<count>/<unit>' with unit "
            "s, m or h (e.g. '60/m')"
        )
    count = int(count_text)
    if not 1 <= count <= MAX_COUNT:
        raise ValueError(f"{where}: count {count} is out of range 1..{MAX_COUNT}")
    return Rate(count, UNITS[unit])
