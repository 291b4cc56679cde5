"""pii_masker: what gets masked, what is left alone, and block_instead."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pii_masker import PiiMasker, luhn_valid

from hookwire.schemas import (
    PromptPrehookPayload,
    RequestContext,
    ResourcePostFetchPayload,
    ToolPostInvokePayload,
    ToolPreInvokePayload,
)
from hookwire.workers import Block, Context, Continue, load_plugin

PLUGIN_DIR = Path(__file__).resolve().parents[1]


def make_ctx(hook: str = "tool_pre_invoke") -> Context:
    """The one Context helper of these tests."""
    request = RequestContext(request_id="req-1", hook=hook)
    return Context(request=request, config={}, state={}, instance="pii-1", hook=hook)


async def mask_args(args: dict[str, Any], **config: Any) -> Continue | Block:
    payload = ToolPreInvokePayload(name="search", args=args)
    result = await PiiMasker(config).tool_pre_invoke(payload, make_ctx())
    assert result is not None
    return result


async def masked_text(text: str, **config: Any) -> str:
    """``text`` as the plugin leaves it (unchanged when it returns a bare Continue)."""
    result = await mask_args({"q": text}, **config)
    assert isinstance(result, Continue)
    if result.payload is None:
        return text
    value: str = result.payload.args["q"]
    return value


def test_manifest_entry_loads_and_implements_every_hook() -> None:
    loaded = load_plugin(PLUGIN_DIR)
    assert loaded.cls is PiiMasker
    assert loaded.name == "pii_masker"


async def test_email_deep_in_args_is_masked_keys_and_numbers_kept() -> None:
    args = {"filters": [{"owner": "mail alice.smith@example.co.uk now", "limit": 5}]}
    result = await mask_args(args)
    assert isinstance(result, Continue)
    assert result.payload.args == {"filters": [{"owner": "mail [EMAIL] now", "limit": 5}]}
    assert result.payload.name == "search"


async def test_pii_in_dict_keys_is_not_masked() -> None:
    result = await mask_args({"bob@example.com": 1})
    assert isinstance(result, Continue)
    assert result.payload is None


async def test_tool_result_is_masked() -> None:
    payload = ToolPostInvokePayload(
        name="crm", result={"rows": [["Bob", "bob@example.com", "415-555-2671"]]}
    )
    result = await PiiMasker({}).tool_post_invoke(payload, make_ctx("tool_post_invoke"))
    assert isinstance(result, Continue)
    assert result.payload.result == {"rows": [["Bob", "[EMAIL]", "[PHONE]"]]}


async def test_resource_content_string_is_masked() -> None:
    payload = ResourcePostFetchPayload(uri="file:///a.txt", content="SSN: 123-45-6789.")
    result = await PiiMasker({}).resource_post_fetch(payload, make_ctx("resource_post_fetch"))
    assert isinstance(result, Continue)
    assert result.payload.content == "SSN: [SSN]."


async def test_prompt_args_are_masked() -> None:
    payload = PromptPrehookPayload(prompt_id="greet", args={"to": "carol@example.org"})
    result = await PiiMasker({}).prompt_pre_fetch(payload, make_ctx("prompt_pre_fetch"))
    assert isinstance(result, Continue)
    assert result.payload.args == {"to": "[EMAIL]"}


@pytest.mark.parametrize(
    "card",
    ["4111111111111111", "4111 1111 1111 1111", "5555-5555-5555-4444", "3782 822463 10005"],
)
async def test_luhn_valid_card_is_masked(card: str) -> None:
    assert await masked_text(f"pay with {card} today") == "pay with [CREDIT_CARD] today"


async def test_luhn_invalid_sixteen_digits_are_untouched() -> None:
    assert not luhn_valid("4111111111111112")
    assert await masked_text("order 4111111111111112") == "order 4111111111111112"


async def test_card_followed_by_expiry_masks_only_the_card() -> None:
    assert await masked_text("4111 1111 1111 1111 12/29") == "[CREDIT_CARD] 12/29"


async def test_longer_digit_run_is_not_cut_into_a_card() -> None:
    text = "id 41111111111111110000000"  # 25 digits: a prefix passes Luhn, the run is no card
    assert await masked_text(text) == text


async def test_uuid_is_untouched() -> None:
    text = "ref 123e4567-e89b-12d3-8456-426614174000"
    assert await masked_text(text) == text


@pytest.mark.parametrize("ssn", ["123-45-6789", "078-05-1120", "899-99-9999"])
async def test_valid_ssn_is_masked(ssn: str) -> None:
    assert await masked_text(f"ssn {ssn}") == "ssn [SSN]"


@pytest.mark.parametrize("ssn", ["000-12-3456", "666-12-3456", "912-34-5678", "123-00-4567"])
async def test_ssn_with_unissued_area_or_group_is_untouched(ssn: str) -> None:
    assert await masked_text(f"ssn {ssn}") == f"ssn {ssn}"


@pytest.mark.parametrize(
    "phone",
    [
        "+44 20 7946 0958",
        "+1 (415) 555-2671",
        "+4915112345678",
        "+33 1 42 68 53 00",
        "(415) 555-2671",
        "415-555-2671",
        "415.555.2671",
        "1-800-555-0199",
    ],
)
async def test_phone_number_is_masked(phone: str) -> None:
    assert await masked_text(f"call {phone} now") == "call [PHONE] now"


@pytest.mark.parametrize(
    "text",
    [
        "limit 12345 rows",
        "on 2024-01-15 at 10:30",
        "ts 1700000000",
        "pi is 3.14159265",
        "version 10.2.3",
        "score +5 points",
    ],
)
async def test_plain_numbers_and_dates_are_not_phones(text: str) -> None:
    assert await masked_text(text) == text


async def test_digits_inside_an_email_are_masked_once_as_email() -> None:
    result = await mask_args({"q": "john.4155552671@example.com"})
    assert isinstance(result, Continue)
    assert result.payload.args["q"] == "[EMAIL]"
    assert result.metadata == {"pii": {"email": 1}}


async def test_metadata_counts_each_type() -> None:
    text = "a@x.io b@y.io 415-555-2671 4111111111111111"
    result = await mask_args({"q": text, "more": ["123-45-6789"]})
    assert isinstance(result, Continue)
    assert result.metadata == {"pii": {"email": 2, "credit_card": 1, "ssn": 1, "phone": 1}}


async def test_nothing_found_returns_a_bare_continue() -> None:
    result = await mask_args({"q": "no personal data here", "n": 4155552671})
    assert result == Continue()


async def test_fixed_style_uses_the_mask_for_every_type() -> None:
    text = await masked_text("a@x.io 415-555-2671", style="fixed", mask="***")
    assert text == "*** ***"


async def test_disabled_detector_leaves_its_type_alone() -> None:
    text = await masked_text("a@x.io 123-45-6789", detect={"email": False})
    assert text == "a@x.io [SSN]"


async def test_block_instead_blocks_and_lists_the_types_found() -> None:
    result = await mask_args({"q": "a@x.io 123-45-6789"}, block_instead=True)
    assert isinstance(result, Block)
    assert result.code == "pii_detected"
    assert result.details == {
        "field": "args",
        "types": ["email", "ssn"],
        "counts": {"email": 1, "ssn": 1},
    }
    assert "email, ssn" in result.reason


async def test_block_instead_lets_clean_payloads_through() -> None:
    assert await mask_args({"q": "hello"}, block_instead=True) == Continue()


def test_unknown_style_is_refused() -> None:
    with pytest.raises(ValueError, match="style must be 'label' or 'fixed'"):
        PiiMasker({"style": "stars"})
