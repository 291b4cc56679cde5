"""Bounded arithmetic for ``when``: no expression can build a huge number or string.

A sender chooses the values a rule computes with (``args.n ** args.e``), so every
operator that can grow its result checks the size first, in constant time, and
raises ``LimitExceeded`` instead of computing. Operands are checked too, so a
number made by ``int()`` from a long string cannot slow the others down.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from typing import Any

from hookwire.schemas import HookwireError

#: Largest integer a ``when`` expression may compute with, in bits.
MAX_INT_BITS = 4096
#: Longest string, list or tuple ``+`` or ``*`` may build, in items (characters).
MAX_LENGTH = 100_000

_SEQUENCES = (str, bytes, list, tuple)


class LimitExceeded(HookwireError, ArithmeticError):
    """An operation in a ``when`` expression would go over one of the bounds."""


def _bits(value: Any) -> int:
    """Size of an integer operand in bits (0 for anything else); too large raises."""
    if isinstance(value, int) and not isinstance(value, bool):
        bits = value.bit_length()
        if bits > MAX_INT_BITS:
            raise LimitExceeded(f"an integer of {bits} bits is over the {MAX_INT_BITS}-bit limit")
        return bits
    return 0


def _length(total: int, what: str) -> None:
    if total > MAX_LENGTH:
        raise LimitExceeded(f"{what} would make {total} items, over the limit of {MAX_LENGTH}")


def _int_result(bits: int, what: str) -> None:
    if bits > MAX_INT_BITS:
        raise LimitExceeded(
            f"{what} would make an integer of about {bits} bits, over the {MAX_INT_BITS}-bit limit"
        )


def add(a: Any, b: Any) -> Any:
    _bits(a), _bits(b)
    if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES):
        _length(len(a) + len(b), "+")
    return a + b


def mult(a: Any, b: Any) -> Any:
    bits_a, bits_b = _bits(a), _bits(b)
    seq, times = (a, b) if isinstance(a, _SEQUENCES) else (b, a)
    if isinstance(seq, _SEQUENCES) and isinstance(times, int):
        if not isinstance(seq, str | bytes):
            # a list of n copies of a long string is cheap, but str() of it is not
            raise LimitExceeded("repeating a list or tuple with * is not allowed")
        _length(len(seq) * max(times, 0), "repetition")
    else:
        _int_result(bits_a + bits_b, "*")
    return a * b


def mod(a: Any, b: Any) -> Any:
    _bits(a), _bits(b)
    if isinstance(a, str | bytes):
        # "%999999999d" % 1 would build a gigabyte
        raise LimitExceeded("string formatting with % is not allowed")
    return a % b


def power(a: Any, b: Any) -> Any:
    bits_a, _ = _bits(a), _bits(b)
    if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1:
        _int_result(bits_a * b, f"{a} ** {b}")
    try:
        return a**b
    except OverflowError as exc:  # a float power too large
        raise LimitExceeded(f"{a!r} ** {b!r}: {exc}") from None


def lshift(a: Any, b: Any) -> Any:
    bits_a, _ = _bits(a), _bits(b)
    if isinstance(b, int) and b > 0:
        _int_result(bits_a + b, "<<")
    return a << b


def _checked(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """``op`` with its operands checked: its result is never larger than they are."""

    def apply(a: Any, b: Any) -> Any:
        _bits(a), _bits(b)
        return op(a, b)

    apply.__name__ = op.__name__
    return apply


#: simpleeval operators replaced by bounded ones.
BOUNDED_OPERATORS: dict[type, Callable[..., Any]] = {
    ast.Add: add,
    ast.Mult: mult,
    ast.Pow: power,
    ast.LShift: lshift,
    ast.Sub: _checked(operator.sub),
    ast.Div: _checked(operator.truediv),
    ast.FloorDiv: _checked(operator.floordiv),
    ast.Mod: mod,
    ast.RShift: _checked(operator.rshift),
    ast.BitAnd: _checked(operator.and_),
    ast.BitOr: _checked(operator.or_),
    ast.BitXor: _checked(operator.xor),
}
