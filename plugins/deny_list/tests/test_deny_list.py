"""deny_list: word and substring matching, case, and a reason that says what and where."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from deny_list import DenyList

from hookwire.schemas import PromptPrehookPayload, RequestContext, ToolPreInvokePayload
from hookwire.workers import Block, Context, load_plugin

PLUGIN_DIR = Path(__file__).resolve().parents[1]


def make_ctx(hook: str = "tool_pre_invoke") -> Context:
    """The one Context helper of these tests."""
    request = RequestContext(request_id="req-1", hook=hook)
    return Context(request=request, config={}, state={}, instance="deny-1", hook=hook)


async def check(args: dict[str, Any], **config: Any) -> Block | None:
    payload = ToolPreInvokePayload(name="sql", args=args)
    return await DenyList(config).tool_pre_invoke(payload, make_ctx())


def test_manifest_entry_loads_and_implements_every_hook() -> None:
    loaded = load_plugin(PLUGIN_DIR)
    assert loaded.cls is DenyList


async def test_default_term_blocks_with_code_and_a_reason_naming_term_and_path() -> None:
    result = await check({"query": "DROP TABLE users;"})
    assert isinstance(result, Block)
    assert result.code == "denied_term"
    assert result.reason == "args.query contains denied term 'drop table'"
    assert result.details == {"term": "drop table", "path": "args.query", "matched": "DROP TABLE"}


async def test_clean_args_pass() -> None:
    assert await check({"query": "select * from users", "limit": 10}) is None


async def test_path_names_nested_dicts_and_list_indexes() -> None:
    result = await check({"steps": [{"sql": "ok"}, {"sql": "then rm -rf /"}]})
    assert isinstance(result, Block)
    assert result.details is not None
    assert result.details["path"] == "args.steps[1].sql"


async def test_path_quotes_keys_that_are_not_identifiers() -> None:
    result = await check({"shell command": "rm -rf /tmp"})
    assert isinstance(result, Block)
    assert result.reason == "args['shell command'] contains denied term 'rm -rf'"


async def test_word_mode_ignores_the_term_inside_a_longer_word() -> None:
    assert await check({"q": "the backdrop tables"}, words=["drop table"]) is None


async def test_substring_mode_finds_the_term_inside_a_longer_word() -> None:
    result = await check({"q": "the backdrop tables"}, words=["drop table"], match="substring")
    assert isinstance(result, Block)
    assert result.details is not None
    assert result.details["matched"] == "drop table"


async def test_whitespace_inside_a_term_matches_any_whitespace_run() -> None:
    result = await check({"q": "drop \n  table x"})
    assert isinstance(result, Block)


async def test_matching_ignores_case_by_default() -> None:
    assert isinstance(await check({"q": "Eval(x)"}, words=["eval"]), Block)


async def test_case_sensitive_requires_the_exact_case() -> None:
    config: dict[str, Any] = {"words": ["eval"], "case_sensitive": True}
    assert await check({"q": "Eval(x)"}, **config) is None
    assert isinstance(await check({"q": "eval(x)"}, **config), Block)


async def test_keys_and_non_string_values_are_not_checked() -> None:
    assert await check({"drop table": 1, "n": 2}) is None


async def test_empty_word_list_never_blocks() -> None:
    assert await check({"q": "drop table users"}, words=[]) is None


async def test_prompt_args_are_checked() -> None:
    payload = PromptPrehookPayload(prompt_id="p", args={"topic": "how to rm -rf everything"})
    result = await DenyList({}).prompt_pre_fetch(payload, make_ctx("prompt_pre_fetch"))
    assert isinstance(result, Block)
    assert result.reason == "args.topic contains denied term 'rm -rf'"


def test_unknown_match_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="match must be one of"):
        DenyList({"match": "regex"})


def test_a_string_instead_of_a_word_list_is_refused() -> None:
    with pytest.raises(ValueError, match="words must be a list of strings"):
        DenyList({"words": "drop table"})
