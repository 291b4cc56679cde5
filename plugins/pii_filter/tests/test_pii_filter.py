"""pii_filter as a plugin: where it looks, how it masks, blocking, config errors."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from pii_filter import PiiFilter
from pii_filter._mask import partial

from hookwire.schemas import (
    PromptPosthookPayload,
    PromptPrehookPayload,
    RequestContext,
    ResourcePostFetchPayload,
    ToolPostInvokePayload,
    ToolPreInvokePayload,
)
from hookwire.workers import Block, Context, Continue, load_plugin

PLUGIN_DIR = Path(__file__).resolve().parents[1]


def make_ctx(hook: str = "tool_pre_invoke") -> Context:
    request = RequestContext(request_id="req-1", hook=hook)
    return Context(request=request, config={}, state={}, instance="pii-1", hook=hook)


async def run(args: dict[str, Any], **config: Any) -> Continue | Block:
    payload = ToolPreInvokePayload(name="send", args=args)
    return await PiiFilter(config).tool_pre_invoke(payload, make_ctx())


async def masked(text: str, **config: Any) -> str:
    result = await run({"q": text}, **config)
    assert isinstance(result, Continue)
    return text if result.payload is None else str(result.payload.args["q"])


def test_manifest_entry_loads_and_implements_every_hook() -> None:
    loaded = load_plugin(PLUGIN_DIR)
    assert loaded.cls is PiiFilter
    assert loaded.name == "pii_filter"


async def test_nested_args_are_masked_numbers_and_structure_kept() -> None:
    args = {"to": ["bob@example.com"], "meta": {"ip": "10.0.0.7", "n": 5, "ok": True}}
    result = await run(args)
    assert isinstance(result, Continue)
    assert result.payload.args == {"to": ["[EMAIL]"], "meta": {"ip": "[IPV4]", "n": 5, "ok": True}}
    assert result.metadata == {"pii": {"email": 1, "ipv4": 1}}


async def test_pii_in_a_dict_key_is_masked_and_keys_stay_distinct() -> None:
    result = await run({"a@x.io": 1, "b@x.io": 2})
    assert isinstance(result, Continue)
    assert result.payload.args == {"[EMAIL]": 1, "[EMAIL]'": 2}


async def test_a_card_sent_as_a_number_is_masked_as_text() -> None:
    result = await run({"card": 4111111111111111, "qty": 4155552671, "ok": True})
    assert isinstance(result, Continue)
    assert result.payload.args == {"card": "[CREDIT_CARD]", "qty": 4155552671, "ok": True}


async def test_block_paths_name_masked_keys_not_the_pii_in_them() -> None:
    result = await run({"bob@example.com": {"ssn": "123-45-6789"}}, block=True)
    assert isinstance(result, Block)
    assert result.details is not None
    assert "bob@example.com" not in repr(result.details)
    assert result.details["paths"] == ["args (key 0)", "args['[EMAIL]'].ssn"]


async def test_keys_are_left_alone_with_scan_keys_off() -> None:
    assert await run({"a@x.io": 1}, scan_keys=False) == Continue()


async def test_nothing_found_is_a_bare_continue() -> None:
    assert await run({"q": "order 100234 on 2024-01-15", "n": 4155552671}) == Continue()


async def test_tool_result_prompt_and_resource_are_scanned() -> None:
    plugin = PiiFilter({})
    post = await plugin.tool_post_invoke(
        ToolPostInvokePayload(name="crm", result=[{"ssn": "123-45-6789"}]), make_ctx()
    )
    assert isinstance(post, Continue) and post.payload.result == [{"ssn": "[SSN]"}]
    pre = await plugin.prompt_pre_fetch(
        PromptPrehookPayload(prompt_id="p", args={"to": "c@x.org"}), make_ctx()
    )
    assert isinstance(pre, Continue) and pre.payload.args == {"to": "[EMAIL]"}
    prompt = await plugin.prompt_post_fetch(
        PromptPosthookPayload(prompt_id="p", result={"text": "key AKIAIOSFODNN7EXAMPLE"}),
        make_ctx(),
    )
    assert isinstance(prompt, Continue) and prompt.payload.result == {"text": "key [API_KEY]"}
    res = await plugin.resource_post_fetch(
        ResourcePostFetchPayload(uri="file:///a", content="iban DE89370400440532013000"),
        make_ctx(),
    )
    assert isinstance(res, Continue) and res.payload.content == "iban [IBAN]"


async def test_redaction_text_replaces_every_label() -> None:
    assert await masked("a@x.io 123-45-6789", redaction_text="***") == "*** ***"


async def test_partial_keeps_the_last_four_and_the_email_domain() -> None:
    text = "4111 1111 1111 1111 / alice@example.com / +1 415 555 2671 / AKIAIOSFODNN7EXAMPLE"
    assert await masked(text, strategy="partial") == (
        "**** **** **** 1111 / a***@example.com / +* *** *** 2671 / [API_KEY]"
    )


def test_partial_of_a_short_value_keeps_it() -> None:
    assert partial("1.2.3.4", "ipv4") == "1.2.3.4"


async def test_hash_is_stable_for_a_key_and_differs_between_keys() -> None:
    one = await masked("a@x.io", strategy="hash", hash_key="k1")
    again = await masked("a@x.io", strategy="hash", hash_key="k1")
    other = await masked("a@x.io", strategy="hash", hash_key="k2")
    assert re.fullmatch(r"\[EMAIL:[0-9a-f]{12}\]", one)
    assert one == again != other


async def test_hash_without_a_key_uses_a_random_key_per_instance() -> None:
    assert await masked("a@x.io", strategy="hash") != await masked("a@x.io", strategy="hash")


async def test_tokenize_numbers_values_per_call_equal_values_alike() -> None:
    text = "a@x.io b@x.io a@x.io 123-45-6789"
    expected = "[EMAIL_1] [EMAIL_2] [EMAIL_1] [SSN_1]"
    assert await masked(text, strategy="tokenize") == expected


async def test_per_type_strategy_overrides_the_default() -> None:
    text = "a@x.io 4111111111111111"
    out = await masked(text, strategies={"credit_card": "partial"})
    assert out == "[EMAIL] ************1111"


async def test_custom_pattern_is_detected_with_its_own_strategy() -> None:
    config = {"custom_patterns": [{"name": "employee_id", "pattern": r"\bEMP-\d{6}\b"}]}
    assert await masked("badge EMP-004211", **config) == "badge [EMPLOYEE_ID]"
    config["custom_patterns"][0]["strategy"] = "tokenize"
    assert await masked("badge EMP-004211", **config) == "badge [EMPLOYEE_ID_1]"


async def test_allow_patterns_let_matching_values_through() -> None:
    out = await masked("a@example.com b@corp.io", allow=[r".*@example\.com"])
    assert out == "a@example.com [EMAIL]"


async def test_block_names_types_counts_and_paths_never_values() -> None:
    result = await run({"to": "a@x.io", "body": {"text": "ssn 123-45-6789"}}, block=True)
    assert isinstance(result, Block)
    assert result.code == "pii_detected"
    assert result.reason == "args contains PII: email, ssn"
    assert result.details == {
        "field": "args",
        "types": ["email", "ssn"],
        "counts": {"email": 1, "ssn": 1},
        "paths": ["args.to", "args.body.text"],
    }
    assert "123-45-6789" not in repr(result)


async def test_block_lets_clean_payloads_through() -> None:
    assert await run({"q": "hello"}, block=True) == Continue()


@pytest.mark.parametrize(
    "config,message",
    [
        ({"detect": {"passport": True}}, r"unknown detect keys \['passport'\]"),
        ({"strategy": "shred"}, r"strategy must be one of"),
        ({"strategies": {"dob": "hash"}}, r"strategies.dob: not a PII type"),
        ({"strategies": {"email": "x"}}, r"strategies.email must be one of"),
        ({"custom_patterns": ["EMP"]}, r"custom_patterns\[0\] must be a mapping"),
        ({"custom_patterns": [{"name": "email", "pattern": "x"}]}, r"not a built-in type"),
        ({"custom_patterns": [{"name": "emp", "pattern": "("}]}, r"pattern is not a valid"),
        ({"custom_patterns": [{"name": "emp", "pattern": ""}]}, r"must be a non-empty"),
        ({"allow": ["["]}, r"allow\[0\] is not a valid regular expression"),
    ],
)
def test_bad_config_is_refused_naming_the_key(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PiiFilter(config)
