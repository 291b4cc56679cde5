"""Search ranks plugins by relevance (BM25F over name, capabilities, hooks, description)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hookwire.router.catalog._registry import Registry
from hookwire.router.catalog._search import BM25Index, tokenize
from hookwire.schemas import SearchRequest

from .conftest import registry_of

WEIGHTS = {"name": 3.0, "description": 1.0}


@pytest.fixture(scope="module")
def registry() -> Registry:
    return registry_of()


def ranked(registry: Registry, query: str) -> list[str]:
    reply = registry.search(SearchRequest(query=query))
    assert reply.error is None
    return [hit.plugin.name for hit in reply.hits]


@pytest.mark.parametrize(
    "query,top",
    [
        ("content moderation", "content_moderator"),
        ("pii email", "pii_redactor"),
        ("rate limit", "rate_limiter"),
        ("authorization policy", "opa_authz"),
        ("json schema validation", "schema_guard"),
        ("secrets api keys", "secrets_scanner"),
        ("prompt injection", "prompt_shield"),
        ("data protection", "pii_redactor"),
        ("block harmful content", "content_moderator"),
    ],
)
def test_query_ranks_the_expected_plugin_first(registry: Registry, query: str, top: str) -> None:
    assert ranked(registry, query)[0] == top


def test_content_moderation_ranks_the_moderator_then_the_toxicity_filter(
    registry: Registry,
) -> None:
    assert ranked(registry, "content moderation") == ["content_moderator", "toxicity_filter"]


def test_order_is_relevance_not_alphabetical(registry: Registry) -> None:
    """content_moderator sorts first by name and matches too, but ranks below prompt_shield."""
    result = ranked(registry, "prompt injection")
    assert result[0] == "prompt_shield"
    assert "content_moderator" in result[1:]


def test_a_deprecated_plugin_ranks_below_its_replacement(registry: Registry) -> None:
    result = ranked(registry, "pii email")
    assert result.index("pii_redactor") < result.index("legacy_pii_filter")


def test_hits_say_which_fields_matched(registry: Registry) -> None:
    [hit] = registry.search(SearchRequest(query="rate limit", limit=1)).hits
    assert hit.matched == ["name", "capabilities", "description"]
    assert hit.score > 0


def test_limit_caps_the_results(registry: Registry) -> None:
    assert len(registry.search(SearchRequest(query="tool", limit=3)).hits) == 3


def test_a_query_matching_nothing_has_no_hits(registry: Registry) -> None:
    assert ranked(registry, "kubernetes autoscaling") == []


def test_an_empty_query_is_an_error(registry: Registry) -> None:
    reply = registry.search(SearchRequest(query="  "))
    assert reply.error is not None
    assert reply.error.code == "bad_request"


# -- the ranking function itself -------------------------------------------------------------


def test_a_name_match_outweighs_a_description_match() -> None:
    index = BM25Index(
        {
            "a_other": {"name": "other", "description": "audit trail for the audit team"},
            "z_audit": {"name": "audit", "description": "keeps records"},
        },
        WEIGHTS,
    )
    assert [h.doc for h in index.search("audit")] == ["z_audit", "a_other"]


def test_a_rare_term_counts_more_than_a_common_one() -> None:
    docs = {f"d{i}": {"name": f"p{i}", "description": "tool guard"} for i in range(5)}
    docs["a"] = {"name": "a", "description": "tool"}
    docs["z"] = {"name": "z", "description": "regex"}
    index = BM25Index(docs, WEIGHTS)
    assert index.search("tool regex")[0].doc == "z"


def test_a_long_description_does_not_win_by_length() -> None:
    index = BM25Index(
        {
            "a_long": {"name": "x", "description": "mask " + "other words here " * 20},
            "z_short": {"name": "y", "description": "mask values"},
        },
        WEIGHTS,
    )
    assert [h.doc for h in index.search("mask")] == ["z_short", "a_long"]


def test_equal_scores_are_ordered_by_name() -> None:
    same = {"name": "x", "description": "masks data"}
    index = BM25Index({"b": same, "c": same, "a": same}, WEIGHTS)
    assert [h.doc for h in index.search("data")] == ["a", "b", "c"]


@pytest.mark.parametrize(
    "text,tokens",
    [
        ("rate_limiter", ["rate", "limit"]),
        ("Limits requests", ["limit", "request"]),
        ("the filtering of policies", ["filt", "policy"]),
        ("masked email addresses", ["mask", "email", "address"]),
        ("tool_pre_invoke", ["tool", "pre", "invoke"]),
    ],
)
def test_tokenize(text: str, tokens: list[str]) -> None:
    assert tokenize(text) == tokens


def test_content_moderation_ranks_first_among_the_shipped_plugins() -> None:
    """The repository's own plugins/ folder, as `hookwire plugins search` reads it."""
    shipped = registry_of(Path(__file__).resolve().parents[2] / "plugins")
    assert ranked(shipped, "content moderation")[0] == "content_moderation"
