"""The labelled corpus: at least 200 strings, half clean; recall and precision >= 0.95."""

from __future__ import annotations

from pii_filter._config import settings_from
from pii_filter._corpus import load, score
from pii_filter._detect import find


def detect(text: str) -> set[str]:
    s = settings_from({})
    return {span.kind for span in find(text, s.detectors, s.rank)}


def test_corpus_is_large_enough_and_half_clean() -> None:
    rows = load()
    assert len(rows) >= 200
    assert sum(not row.pii for row in rows) >= len(rows) // 2 - 5


def test_default_config_reaches_the_targets_on_the_corpus() -> None:
    result = score(detect, load())
    assert result.recall >= 0.95, result.misses
    assert result.precision >= 0.95, result.misses


def test_score_counts_false_positives_and_misses_per_type() -> None:
    rows = load()[:3]
    result = score(lambda text: {"ssn"}, rows, types=["email", "ssn"])
    assert result.fp == 3 and result.fn == 3 and result.tp == 0
    assert result.figures()["precision"] == 0.0
