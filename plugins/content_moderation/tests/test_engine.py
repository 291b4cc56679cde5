"""The offline engine: normalization, categories found, near-misses left alone, corpus."""

from __future__ import annotations

import pytest
from content_moderation import Engine, normalize
from content_moderation._corpus import load, score

ENGINE = Engine.build()


def flagged(text: str, threshold: float = 0.5) -> set[str]:
    return {c for c, f in ENGINE.scan(text).items() if f.score >= threshold}


def test_normalize_folds_case_leet_width_repeats_and_zero_width() -> None:
    text, where = normalize("Sh1T \uff46\uff55\uff43\uff4b fuuuuck k\u200bill")
    assert text == "shit fuck fuck kill"
    assert len(where) == len(text)
    assert where[-1] == len("Sh1T \uff46\uff55\uff43\uff4b fuuuuck k\u200bill") - 1


@pytest.mark.parametrize(
    "text,category",
    [
        ("all immigrants are vermin", "hate"),
        ("you are a pathetic loser", "harassment"),
        ("I will kill you", "violence"),
        ("I want to kill myself", "self_harm"),
        ("send nudes", "sexual"),
        ("this is bullsh1t", "profanity"),
    ],
)
def test_each_category_is_found(text: str, category: str) -> None:
    assert category in flagged(text)


@pytest.mark.parametrize(
    "text",
    [
        "kill the process",
        "shoot a photo",
        "breast cancer screening",
        "Scunthorpe",
        "I hate Mondays",
    ],
)
def test_near_misses_are_clean(text: str) -> None:
    assert flagged(text) == set()


def test_several_matches_raise_the_score() -> None:
    one = ENGINE.scan("this is bullshit")["profanity"].score
    two = ENGINE.scan("this is bullshit, what the fuck")["profanity"].score
    assert two > one


def test_spans_point_into_the_original_text() -> None:
    text = "oh fuuuuck, fine"
    [span] = ENGINE.scan(text)["profanity"].spans
    assert text[span[0] : span[1]] == "fuuuuck"


def test_extra_terms_are_added_to_their_category() -> None:
    engine = Engine.build({"profanity": ["frak"], "hate": ["  "]})
    assert engine.scan("oh FRAK")["profanity"].score == 1.0


def test_corpus_is_labelled_and_half_clean_and_the_engine_meets_its_figures() -> None:
    rows = load()
    assert len(rows) >= 150
    assert sum(not cats for _, cats in rows) >= len(rows) // 2 - 5
    result = score(flagged, rows)
    assert result.precision >= 0.95, result.misses
    assert result.recall >= 0.95, result.misses
    assert result.figures()["strings"] == len(rows)


def test_score_counts_misses() -> None:
    result = score(lambda text: {"hate"}, [("x", frozenset()), ("y", frozenset({"sexual"}))])
    assert (result.tp, result.fp, result.fn) == (0, 2, 1)
    assert result.precision == 0.0 and result.recall == 0.0
