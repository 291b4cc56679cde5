"""Relevance ranking for the plugin registry: BM25F over a few weighted fields.

Each document is a few fields of text (a plugin's name, capabilities, hooks and
description). A term's frequency in a document is the weighted sum of its
length-normalised frequency in each field (BM25F), so a match in the name counts more
than one in the description, a term few documents hold counts more than a common one
(IDF), and a long description does not win by length. Ties are broken by document id.

Tokens are lower-cased words split on anything but letters and digits (so ``rate_limiter``
is ``rate limiter``), without a few stop words, and lightly stemmed: a plural ``s``,
then ``ing`` or ``ed``, then ``er`` come off (``limits``, ``limiter`` and ``limiting``
are all ``limit``).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

#: BM25 saturation and length normalisation.
K1 = 1.2
B = 0.75
STOP_WORDS = frozenset(
    {"a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "into", "is"}
    | {"it", "its", "of", "on", "or", "the", "to", "with"}
)
_WORD = re.compile(r"[a-z0-9]+")


def _stem(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    if word.endswith("er") and len(word) - 2 >= 3:
        word = word[:-2]
    return word


def tokenize(text: str) -> list[str]:
    """Lower-cased, stop-word-free, stemmed words of ``text``."""
    return [_stem(w) for w in _WORD.findall(text.lower()) if w not in STOP_WORDS]


@dataclass(frozen=True, slots=True)
class Hit:
    """A document that matched, its score and the fields a query term was found in."""

    doc: str
    score: float
    fields: tuple[str, ...]


class BM25Index:
    """Built once over ``docs`` (id -> field -> text); ``search`` ranks them for a query."""

    def __init__(self, docs: Mapping[str, Mapping[str, str]], weights: Mapping[str, float]) -> None:
        self.weights = dict(weights)
        self.tokens: dict[str, dict[str, Counter[str]]] = {}
        self.lengths: dict[str, dict[str, int]] = {}
        for doc_id, fields in docs.items():
            bags = {f: Counter(tokenize(fields.get(f, ""))) for f in self.weights}
            self.tokens[doc_id] = bags
            self.lengths[doc_id] = {f: sum(bag.values()) for f, bag in bags.items()}
        count = max(len(docs), 1)
        self.average = {
            f: (sum(lengths[f] for lengths in self.lengths.values()) / count) or 1.0
            for f in self.weights
        }
        df: Counter[str] = Counter()
        for bags in self.tokens.values():
            df.update({t for bag in bags.values() for t in bag})
        self.idf = {t: math.log(1 + (len(docs) - n + 0.5) / (n + 0.5)) for t, n in df.items()}

    def _tf(self, doc_id: str, term: str) -> tuple[float, list[str]]:
        """BM25F pseudo-frequency of ``term`` in ``doc_id`` and the fields holding it."""
        total, found = 0.0, []
        for f, weight in self.weights.items():
            n = self.tokens[doc_id][f].get(term, 0)
            if n:
                norm = 1 - B + B * self.lengths[doc_id][f] / self.average[f]
                total += weight * n / norm
                found.append(f)
        return total, found

    def search(self, query: str, limit: int | None = None) -> list[Hit]:
        """Documents holding at least one query term, best first (ties: by id)."""
        terms = list(dict.fromkeys(tokenize(query)))
        hits = []
        for doc_id in self.tokens:
            score, fields = 0.0, set()
            for term in terms:
                tf, found = self._tf(doc_id, term)
                if tf:
                    score += self.idf[term] * tf * (K1 + 1) / (tf + K1)
                    fields.update(found)
            if score > 0:
                ordered = tuple(f for f in self.weights if f in fields)
                hits.append(Hit(doc_id, score, ordered))
        hits.sort(key=lambda h: (-h.score, h.doc))
        return hits[:limit] if limit is not None else hits


def field_text(values: Sequence[str]) -> str:
    """A list field (capabilities, hooks) as text: ``content_filtering`` reads as two words."""
    return " ".join(values)
