"""Precision and recall of a detector on the labelled corpus (corpus/pii_corpus.jsonl).

Each line is ``{"text": ..., "pii": [types]}``; about half the lines are clean, many of
them near-misses (order numbers, dates, versions, Luhn-invalid digits, key prefixes).
A (line, type) pair is a true positive when the type is labelled and found, a false
positive when found but not labelled, a false negative when labelled but not found.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "pii_corpus.jsonl"


@dataclass(frozen=True)
class Labelled:
    text: str
    pii: frozenset[str]


@dataclass(frozen=True)
class Score:
    """Pair counts and the figures from them; ``misses`` lists what went wrong."""

    strings: int
    clean: int
    tp: int
    fp: int
    fn: int
    misses: tuple[str, ...]

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def figures(self) -> dict[str, float | int]:
        return {
            "strings": self.strings,
            "clean": self.clean,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "false_positives": self.fp,
            "false_negatives": self.fn,
        }


def load(path: Path = CORPUS) -> list[Labelled]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [Labelled(row["text"], frozenset(row["pii"])) for row in rows]


def score(
    detect: Callable[[str], Iterable[str]],
    rows: Iterable[Labelled],
    types: Iterable[str] | None = None,
) -> Score:
    """Score ``detect`` (text -> the types it found); only ``types`` count when given."""
    only = None if types is None else frozenset(types)
    tp = fp = fn = strings = clean = 0
    misses: list[str] = []
    for row in rows:
        strings += 1
        clean += not row.pii
        found = set(detect(row.text))
        expected = set(row.pii)
        if only is not None:
            found &= only
            expected &= only
        tp += len(found & expected)
        for kind in sorted(found - expected):
            fp += 1
            misses.append(f"false positive {kind}: {row.text!r}")
        for kind in sorted(expected - found):
            fn += 1
            misses.append(f"missed {kind}: {row.text!r}")
    return Score(strings, clean, tp, fp, fn, tuple(misses))
