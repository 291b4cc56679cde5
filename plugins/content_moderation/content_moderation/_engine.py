"""The offline engine: weighted patterns over normalized text, scores per category.

Text is normalized before matching (lower case; NFKC, so full-width and styled letters
become plain ones; leetspeak folded: ``0→o 1→i 3→e 4→a 5→s 7→t @→a $→s``; a letter
repeated three or more times cut to one; zero-width characters dropped), keeping a map
back to the original characters so a match can be redacted where it stands.

A category's score is ``1 - Π(1 - w)`` over its distinct matches: one match scores its
weight, several raise it towards 1.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ._lexicon import LEXICON, Lexicon

CATEGORIES: tuple[str, ...] = ("hate", "harassment", "violence", "self_harm", "sexual", "profanity")
_LEET = str.maketrans("013457@$", "oieastas")
_ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad")


@dataclass
class Finding:
    """One category's score in one text and the spans (in the original text) that gave it."""

    score: float = 0.0
    spans: list[tuple[int, int]] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)


def normalize(text: str) -> tuple[str, list[int]]:
    """The normalized text and, for each of its characters, its index in ``text``."""
    out: list[str] = []
    where: list[int] = []
    run = 0  # how many times out[-1] repeats at the end
    for i, ch in enumerate(text):
        if ch in _ZERO_WIDTH:
            continue
        for c in unicodedata.normalize("NFKC", ch).lower().translate(_LEET):
            if out and c == out[-1] and c.isalpha():
                run += 1
                if run == 3:  # "fuuuck": an emphatic run becomes one letter
                    out.pop()
                    where.pop()
                if run >= 3:
                    continue
            else:
                run = 1
            out.append(c)
            where.append(i)
    return "".join(out), where


def _compile(pattern: str) -> re.Pattern[str]:
    """``pattern`` without its leading ``\\b`` (``scan`` checks the word start itself): a
    pattern starting with a literal alternation lets ``re`` skip ahead to its first
    letters."""
    return re.compile(pattern.removeprefix(r"\b"))


@dataclass(frozen=True)
class Engine:
    """Compiled patterns per category; ``extra`` adds the operator's own terms."""

    patterns: Mapping[str, Sequence[tuple[re.Pattern[str], float]]]

    @classmethod
    def build(
        cls, extra: Mapping[str, Sequence[str]] | None = None, lexicon: Lexicon = LEXICON
    ) -> Engine:
        compiled: dict[str, list[tuple[re.Pattern[str], float]]] = {}
        for category in CATEGORIES:
            entries = [(_compile(p), w) for p, w in lexicon.get(category, [])]
            terms = [t for t in (extra or {}).get(category, []) if t.strip()]
            if terms:
                words = "|".join(re.escape(normalize(t)[0]) for t in terms)
                entries.append((_compile(rf"\b(?:{words})\b"), 1.0))
            compiled[category] = entries
        return cls(compiled)

    def scan(self, text: str) -> dict[str, Finding]:
        """The categories found in ``text`` with their scores and spans."""
        norm, where = normalize(text)
        found: dict[str, Finding] = {}
        for category, entries in self.patterns.items():
            finding: Finding | None = None
            keep = 1.0
            for pattern, weight in entries:
                for m in pattern.finditer(norm):
                    if m.end() == m.start() or (m.start() and norm[m.start() - 1].isalnum()):
                        continue  # empty, or not at the start of a word
                    if finding is None:
                        finding = Finding()
                    keep *= 1.0 - weight
                    start, end = where[m.start()], where[m.end() - 1] + 1
                    finding.spans.append((start, end))
                    finding.terms.append(m.group())
            if finding is not None:
                finding.score = round(1.0 - keep, 4)
                found[category] = finding
        return found
