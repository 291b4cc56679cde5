"""Finding and masking emails, phone numbers, US SSNs and Luhn-valid card numbers.

Detectors run in a fixed order (email, credit_card, ssn, phone) on each string, so a
later detector never sees digits an earlier one has already replaced.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

Masker = Callable[[str, str], tuple[str, int]]

PII_TYPES: tuple[str, ...] = ("email", "credit_card", "ssn", "phone")
LABELS: dict[str, str] = {
    "email": "[EMAIL]",
    "credit_card": "[CREDIT_CARD]",
    "ssn": "[SSN]",
    "phone": "[PHONE]",
}

EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,63}(?![A-Za-z0-9-])"
)
# A maximal run of digit groups joined by single spaces or dashes; cards are found in it.
DIGIT_RUN_RE = re.compile(r"(?<![\w+-])(?<!\d[ -])\d+(?:[ -]\d+)*(?!\w)", re.ASCII)
# Area 000, 666 and 9xx, group 00 and serial 0000 are never issued.
SSN_RE = re.compile(
    r"(?<![\w-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w-])", re.ASCII
)
# "+" and a country code, then digit groups split by one separator or a "(..)" part.
INTL_PHONE_RE = re.compile(r"(?<![\w+])\+\d+(?:(?:[ .-]|[ .-]?\(\d+\)[ .-]?)\d+)*(?!\w)", re.ASCII)
# NANP: optional leading 1, then (415) 555-2671 / 415-555-2671 / 415.555.2671 / 415 555 2671.
US_PHONE_RE = re.compile(
    r"(?<![\w+(.-])(?:1[ .-])?(?:\(\d{3}\)[ .-]?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w-]|\.\d)",
    re.ASCII,
)


_DOUBLED = str.maketrans("0123456789", "0246813579")  # 2*d with its digits summed


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check of a string of ASCII digits."""
    rev = digits[::-1]
    doubled = rev[1::2].translate(_DOUBLED)
    return (sum(map(int, rev[0::2])) + sum(map(int, doubled))) % 10 == 0


def _card_end(groups: list[str], start: int) -> int | None:
    """Index of the last group of the longest card number starting at ``groups[start]``.

    Cards are written in groups of 3+ digits (4-4-4-4, 4-6-5, 4-4-4-4-3) or unbroken.
    """
    digits, best = "", None
    for end in range(start, len(groups)):
        digits += groups[end]
        if len(groups[end]) < 3 or len(digits) > 19:
            break
        if len(digits) >= 13 and digits[0] != "0" and luhn_valid(digits):
            best = end
    return best


def _mask_cards(text: str, label: str) -> tuple[str, int]:
    count = 0

    def repl(m: re.Match[str]) -> str:
        nonlocal count
        run = m.group()
        if sum(ch.isdigit() for ch in run) < 13:
            return run
        parts = re.split(r"([ -])", run)
        groups, seps = parts[0::2], parts[1::2]
        out: list[str] = []
        i = 0
        while i < len(groups):
            end = _card_end(groups, i)
            if end is None:
                out.append(groups[i])
                end = i
            else:
                out.append(label)
                count += 1
            if end < len(seps):
                out.append(seps[end])
            i = end + 1
        return "".join(out)

    return DIGIT_RUN_RE.sub(repl, text), count


def _regex_masker(*patterns: re.Pattern[str], digits: tuple[int, int] | None = None) -> Masker:
    """A masker replacing every match of ``patterns`` (with a digit count in ``digits``)."""

    def mask(text: str, label: str) -> tuple[str, int]:
        total = 0

        def repl(m: re.Match[str]) -> str:
            nonlocal total
            if digits is not None:
                n = sum(ch.isdigit() for ch in m.group())
                if not digits[0] <= n <= digits[1]:
                    return m.group()
            total += 1
            return label

        for pattern in patterns:
            text = pattern.sub(repl, text)
        return text, total

    return mask


MASKERS: dict[str, Masker] = {
    "email": _regex_masker(EMAIL_RE),
    "credit_card": _mask_cards,
    "ssn": _regex_masker(SSN_RE),
    "phone": _regex_masker(INTL_PHONE_RE, US_PHONE_RE, digits=(8, 15)),
}


def mask_text(text: str, labels: Mapping[str, str], counts: Counter[str]) -> str:
    """``text`` with every PII type in ``labels`` replaced by its label; tallies ``counts``."""
    if "@" not in text and not any(ch.isdigit() for ch in text):
        return text
    for kind in PII_TYPES:
        label = labels.get(kind)
        if label is not None:
            text, n = MASKERS[kind](text, label)
            counts[kind] += n
    return text


def mask_value(value: Any, labels: Mapping[str, str], counts: Counter[str]) -> Any:
    """``value`` with every nested string masked; keys and non-strings are left alone."""
    if isinstance(value, str):
        return mask_text(value, labels, counts)
    if isinstance(value, dict):
        return {k: mask_value(v, labels, counts) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_value(v, labels, counts) for v in value]
    return value
