"""Masking strategies: what a detected value is replaced with.

- ``redact``: a label per type (``[EMAIL]``), or ``redaction_text`` when it is set;
- ``partial``: the last four letters or digits kept, the rest ``*`` (separators kept);
  an email keeps its first character and its domain (``j***@example.com``); a key or
  token keeps nothing but its length class (``[API_KEY]``): part of a secret is a secret;
- ``hash``: ``[EMAIL:1f2e3d4c5b6a]``, 12 hex digits of HMAC-SHA256 under ``hash_key``, so
  equal values hash alike across calls and workers without a table to reverse them;
- ``tokenize``: ``[EMAIL_1]``, ``[EMAIL_2]`` ... numbered per call, equal values alike.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field

STRATEGIES: tuple[str, ...] = ("redact", "partial", "hash", "tokenize")
SECRET_TYPES = frozenset({"api_key", "jwt"})


def label(kind: str) -> str:
    return kind.upper()


def partial(value: str, kind: str) -> str:
    """``value`` with all but its last four letters or digits starred."""
    if kind in SECRET_TYPES:
        return f"[{label(kind)}]"
    if kind == "email":
        local, _, domain = value.rpartition("@")
        return f"{local[:1]}***@{domain}"
    keep = 4
    out = []
    for ch in reversed(value):
        if ch.isalnum():
            out.append(ch if keep > 0 else "*")
            keep -= 1
        else:
            out.append(ch)
    return "".join(reversed(out))


@dataclass
class Masker:
    """Replaces values by strategy; one per call (``tokenize`` numbers within it)."""

    strategies: Mapping[str, str]
    redaction_text: str | None
    hash_key: bytes
    tokens: dict[tuple[str, str], str] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)

    def __call__(self, value: str, kind: str) -> str:
        strategy = self.strategies.get(kind, "redact")
        if strategy == "partial":
            return partial(value, kind)
        if strategy == "hash":
            digest = hmac.new(self.hash_key, value.encode(), hashlib.sha256).hexdigest()
            return f"[{label(kind)}:{digest[:12]}]"
        if strategy == "tokenize":
            token = self.tokens.get((kind, value))
            if token is None:
                n = self.counters.get(kind, 0) + 1
                self.counters[kind] = n
                token = self.tokens[(kind, value)] = f"[{label(kind)}_{n}]"
            return token
        return self.redaction_text if self.redaction_text is not None else f"[{label(kind)}]"
