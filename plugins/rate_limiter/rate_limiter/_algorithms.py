"""The three counting algorithms, as pure functions of (state, now) -> (new state, outcome).

State is a short JSON list kept under one key per (instance, dimension, identity):

- ``fixed_window``: ``[window_index, count]``. Exact within a window; a client may get up
  to 2 x count across a window boundary (count at the end of one, count at the start
  of the next).
- ``sliding_window``: ``[window_index, previous_count, current_count]``, the sliding
  window counter: the estimate ``previous x (1 - elapsed fraction) + current`` must stay
  under the limit. No boundary burst; it assumes the previous window's requests were
  spread evenly (the estimate errs in either direction by at most the previous
  window's unevenness).
- ``token_bucket``: ``[tokens, last_refill]``: a bucket of ``count`` tokens refilled at
  ``count/window`` per second; a request takes one. A client idle for a window may burst
  ``count`` requests at once, then gets one every ``window/count`` seconds.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ._rates import Rate

State = list[float] | None


@dataclass(frozen=True, slots=True)
class Outcome:
    """One dimension's answer: ``remaining`` after this request, when it resets (Unix
    seconds) and, when refused, in how many seconds a retry can succeed."""

    allowed: bool
    limit: int
    remaining: int
    reset_at: float
    retry_after: float = 0.0


Decide = Callable[[State, Rate, float], tuple[State, Outcome]]


def fixed_window(state: State, rate: Rate, now: float) -> tuple[State, Outcome]:
    index = math.floor(now / rate.window)
    count = int(state[1]) if state and int(state[0]) == index else 0
    reset_at = float((index + 1) * rate.window)
    if count >= rate.count:
        return None, Outcome(False, rate.count, 0, reset_at, reset_at - now)
    return [index, count + 1], Outcome(True, rate.count, rate.count - count - 1, reset_at)


def sliding_window(state: State, rate: Rate, now: float) -> tuple[State, Outcome]:
    index = math.floor(now / rate.window)
    previous, current = _slide(state, index)
    start = index * rate.window
    elapsed = (now - start) / rate.window
    used = previous * (1 - elapsed) + current
    limit = rate.count
    if used + 1 > limit:
        wait = _sliding_wait(previous, current, limit, rate.window, start) - now
        return None, Outcome(False, limit, 0, now + max(wait, 0.0), max(wait, 0.0))
    remaining = max(0, math.floor(limit - used - 1))
    reset_at = float(start + rate.window)
    return [index, previous, current + 1], Outcome(True, limit, remaining, reset_at)


def _slide(state: State, index: int) -> tuple[float, float]:
    if not state:
        return 0.0, 0.0
    seen = int(state[0])
    if seen == index:
        return float(state[1]), float(state[2])
    if seen == index - 1:
        return float(state[2]), 0.0
    return 0.0, 0.0


def _sliding_wait(previous: float, current: float, limit: int, window: int, start: float) -> float:
    """When (Unix seconds) one more request fits under the estimate."""
    room = limit - 1 - current
    if room >= 0 and previous > 0:  # later in this window, as ``previous`` fades out
        return start + window * (1 - room / previous)
    # next window: ``current`` becomes the previous count and fades from there
    nxt = start + window
    if current <= limit - 1:
        return float(nxt)
    return nxt + window * (1 - (limit - 1) / current)


def token_bucket(state: State, rate: Rate, now: float) -> tuple[State, Outcome]:
    capacity = float(rate.count)
    per_second = rate.count / rate.window
    if state:
        tokens = min(capacity, float(state[0]) + max(0.0, now - float(state[1])) * per_second)
    else:
        tokens = capacity
    if tokens < 1:
        wait = (1 - tokens) / per_second
        full = now + (capacity - tokens) / per_second
        return None, Outcome(False, rate.count, 0, full, wait)
    tokens -= 1
    full = now + (capacity - tokens) / per_second
    return [tokens, now], Outcome(True, rate.count, math.floor(tokens), full)


ALGORITHMS: dict[str, Decide] = {
    "fixed_window": fixed_window,
    "sliding_window": sliding_window,
    "token_bucket": token_bucket,
}
#: How many numbers each algorithm's state holds.
STATE_SIZES: dict[Decide, int] = {fixed_window: 2, sliding_window: 3, token_bucket: 2}


def decode_state(raw: bytes | None, size: int) -> State:
    """A stored state of ``size`` numbers, or None for a value that is not one (the
    count then starts over)."""
    import json

    if not raw:
        return None
    try:
        value: Any = json.loads(raw)
    except ValueError:
        return None
    if (
        isinstance(value, list)
        and len(value) == size
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    ):
        return [float(v) for v in value]
    return None
