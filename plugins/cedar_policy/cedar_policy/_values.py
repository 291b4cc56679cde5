"""JSON values as Cedar values, without letting data pose as Cedar syntax.

Cedar's JSON reads ``{"__entity": {...}}`` as an entity reference and ``{"__extn": ...}``
as an extension value: an argument ``{"__entity": {"type": "User", "id": "admin"}}``
would compare equal to ``User::"admin"`` in a policy. Such keys are dropped. Cedar has
no null and no floating point: nulls are dropped (``context has x`` is then false),
floats and integers outside 64 bits become strings.
"""

from __future__ import annotations

from typing import Any

#: Keys Cedar's JSON format gives a meaning to.
RESERVED = frozenset({"__entity", "__extn", "__expr"})
_LONG = (-(2**63), 2**63 - 1)


def to_cedar(value: Any) -> Any:
    """``value`` as Cedar JSON (None when Cedar has nothing for it: drop it)."""
    if value is None:
        return None
    if isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value if _LONG[0] <= value <= _LONG[1] else str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict):
        return record(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [v for v in (to_cedar(item) for item in value) if v is not None]
    return str(value)


def record(mapping: dict[Any, Any]) -> dict[str, Any]:
    """A Cedar record: string keys, reserved keys and null values dropped."""
    out = {}
    for key, item in mapping.items():
        name = str(key)
        if name in RESERVED:
            continue
        converted = to_cedar(item)
        if converted is not None:
            out[name] = converted
    return out
