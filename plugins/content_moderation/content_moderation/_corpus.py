"""Precision and recall of the offline engine on the labelled corpus
(corpus/moderation_corpus.jsonl): ``{"text": ..., "categories": [...]}`` per line, about
half of them clean near-misses ("kill the process", "breast cancer screening").

A (line, category) pair is a true positive when labelled and scored at or over the
threshold, a false positive when scored but not labelled, a false negative when
labelled but not scored.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "moderation_corpus.jsonl"


@dataclass(frozen=True)
class Score:
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


def load(path: Path = CORPUS) -> list[tuple[str, frozenset[str]]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [(row["text"], frozenset(row["categories"])) for row in rows]


def score(
    detect: Callable[[str], Iterable[str]], rows: Iterable[tuple[str, frozenset[str]]]
) -> Score:
    tp = fp = fn = strings = clean = 0
    misses: list[str] = []
    for text, expected in rows:
        strings += 1
        clean += not expected
        found = set(detect(text))
        tp += len(found & expected)
        for category in sorted(found - expected):
            fp += 1
            misses.append(f"false positive {category}: {text!r}")
        for category in sorted(expected - found):
            fn += 1
            misses.append(f"missed {category}: {text!r}")
    return Score(strings, clean, tp, fp, fn, tuple(misses))
