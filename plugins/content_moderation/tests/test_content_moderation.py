"""content_moderation as a plugin: actions per category, where it looks, provider backends
against a fake HTTP server on loopback, fail open or closed."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from content_moderation import ContentModeration
from content_moderation.plugin import reply_warnings

from hookwire.schemas import (
    MAX_PLUGIN_WARNINGS,
    PromptPosthookPayload,
    PromptPrehookPayload,
    RequestContext,
    ToolPostInvokePayload,
    ToolPreInvokePayload,
)
from hookwire.workers import Block, Context, Continue, load_plugin

PLUGIN_DIR = Path(__file__).resolve().parents[1]


# -- a fake moderation provider on loopback: answers what a test says, records bodies


@dataclass
class Fake:
    url: str
    status: int = 200
    answer: Any = None  # a dict, or a callable(body) -> dict
    raw: bytes | None = None
    hang: bool = False
    release: threading.Event = field(default_factory=threading.Event)
    requests: list[tuple[str, dict[str, Any], dict[str, str]]] = field(default_factory=list)


@contextmanager
def fake_provider() -> Iterator[Fake]:
    holder: list[Fake] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            fake = holder[0]
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            fake.requests.append((self.path, body, dict(self.headers)))
            if fake.hang:
                fake.release.wait(30)
            data = fake.raw
            if data is None:
                answer = fake.answer(body) if callable(fake.answer) else fake.answer
                data = json.dumps(answer).encode()
            self.send_response(fake.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    holder.append(Fake(url=f"http://127.0.0.1:{server.server_port}"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder[0]
    finally:
        holder[0].release.set()
        server.shutdown()
        server.server_close()


def make_ctx() -> Context:
    request = RequestContext(request_id="r", hook="tool_pre_invoke")
    return Context(request=request, config={}, state={}, instance="cm", hook="tool_pre_invoke")


async def run(args: dict[str, Any], **config: Any) -> Continue | Block:
    payload = ToolPreInvokePayload(name="chat", args=args)
    return await ContentModeration(config).tool_pre_invoke(payload, make_ctx())


@pytest.fixture
def fake() -> Iterator[Fake]:
    with fake_provider() as server:
        yield server


def openai_answer(body: dict[str, Any]) -> dict[str, Any]:
    """Flags texts containing 'nasty' as harassment/threatening 0.9."""
    results = []
    for text in body["input"]:
        score = 0.9 if "nasty" in text else 0.01
        results.append(
            {
                "category_scores": {
                    "harassment/threatening": score,
                    "harassment": 0.1,
                    "self-harm": 0.0,
                }
            }
        )
    return {"results": results}


def test_manifest_entry_loads_and_implements_every_hook() -> None:
    assert load_plugin(PLUGIN_DIR).cls is ContentModeration


async def test_clean_text_is_a_bare_continue() -> None:
    assert await run({"q": "kill the zombie process", "n": 3}) == Continue()


async def test_block_names_path_category_and_score() -> None:
    result = await run({"msg": {"text": "all immigrants are vermin"}})
    assert isinstance(result, Block)
    assert result.code == "content_moderation"
    assert result.reason == "args.msg.text: hate (score 0.9 >= 0.5)"
    assert result.details == {
        "categories": ["hate"],
        "flags": [{"path": "args.msg.text", "category": "hate", "score": 0.9}],
    }


async def test_warn_lets_the_event_go_on_with_the_reason() -> None:
    result = await run({"q": "you are a pathetic loser"})
    assert isinstance(result, Continue)
    assert result.payload is None
    assert result.metadata == {
        "moderation": {
            "warnings": ["args.q: harassment (score 0.8)"],
            "flags": [{"path": "args.q", "category": "harassment", "score": 0.8}],
        }
    }
    assert result.warnings == ["args.q: harassment (score 0.8)"]


def test_many_warnings_are_folded_into_the_reply_cap() -> None:
    reasons = [f"args.a[{i}]: harassment (score 0.8)" for i in range(MAX_PLUGIN_WARNINGS + 3)]
    folded = reply_warnings(reasons)
    assert len(folded) == MAX_PLUGIN_WARNINGS
    assert folded[:-1] == reasons[: MAX_PLUGIN_WARNINGS - 1]
    assert folded[-1] == "and 4 more warnings (metadata moderation.flags lists them all)"
    assert reply_warnings(reasons[:2]) == reasons[:2]


async def test_redact_replaces_only_the_matched_words() -> None:
    result = await run({"q": "oh fuuuuck, the build broke", "n": 1})
    assert isinstance(result, Continue)
    assert result.payload.args == {"q": "oh [REDACTED], the build broke", "n": 1}
    assert result.metadata == {"moderation": {"redacted": ["args.q"]}}


async def test_threshold_and_action_are_per_category() -> None:
    config = {"categories": {"profanity": {"action": "block", "threshold": 0.3}}}
    assert isinstance(await run({"q": "damn it"}, **config), Block)
    assert await run({"q": "damn it"}) == Continue()  # 0.35 is under the default 0.5


async def test_a_block_wins_over_warn_and_redact() -> None:
    result = await run({"a": "you are a loser", "b": "shit", "c": "I will kill you"})
    assert isinstance(result, Block)
    assert result.details is not None and result.details["categories"] == ["violence"]


async def test_results_and_prompts_are_moderated() -> None:
    plugin = ContentModeration({})
    post = await plugin.tool_post_invoke(
        ToolPostInvokePayload(name="t", result=["fine", "send nudes"]), make_ctx()
    )
    assert isinstance(post, Block)
    pre = await plugin.prompt_pre_fetch(
        PromptPrehookPayload(prompt_id="p", args={"x": "bullshit"}), make_ctx()
    )
    assert isinstance(pre, Continue) and pre.payload.args == {"x": "[REDACTED]"}
    prompt = await plugin.prompt_post_fetch(
        PromptPosthookPayload(prompt_id="p", result={"m": "I want to die"}), make_ctx()
    )
    assert isinstance(prompt, Continue) and prompt.metadata is not None


async def test_redaction_text_is_configurable_and_overlaps_merge() -> None:
    result = await run({"q": "wtf, fucking hell"}, redaction_text="#")
    assert isinstance(result, Continue)
    assert result.payload.args["q"] == "#, # hell"


@pytest.mark.parametrize(
    "config,message",
    [
        ({"categories": {"spam": {}}}, r"unknown categories \['spam'\]"),
        ({"categories": {"hate": {"action": "ban"}}}, r"categories.hate.action must be one of"),
        ({"categories": {"hate": {"threshold": 0}}}, r"categories.hate.threshold must be in"),
        ({"extra_terms": {"spam": ["x"]}}, r"extra_terms: unknown categories"),
        ({"provider": {"type": "azure"}}, r"provider.type must be one of"),
        ({"provider": {"type": "openai", "url": "ftp://x"}}, r"provider.url must be an http"),
    ],
)
def test_bad_config_is_refused_naming_the_key(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ContentModeration(config)


async def test_openai_backend_scores_every_string_in_one_call(
    fake: Fake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOD_KEY", "sk-test")
    fake.answer = openai_answer
    provider = {"type": "openai", "url": fake.url + "/v1", "api_key_env": "MOD_KEY", "model": "m"}
    result = await run({"a": "you nasty one", "b": "hello"}, provider=provider)
    assert isinstance(result, Continue)
    assert result.metadata is not None
    assert result.metadata["moderation"]["warnings"] == ["args.a: harassment (score 0.9)"]
    [(path, body, headers)] = fake.requests
    assert path == "/v1/moderations"
    assert body == {"model": "m", "input": ["you nasty one", "hello"]}
    assert headers["Authorization"] == "Bearer sk-test"


async def test_a_provider_only_flag_with_redact_redacts_the_whole_string(fake: Fake) -> None:
    fake.answer = openai_answer
    config = {
        "provider": {"type": "openai", "url": fake.url},
        "categories": {"harassment": {"action": "redact"}},
    }
    result = await run({"a": "you nasty one"}, **config)
    assert isinstance(result, Continue)
    assert result.payload.args == {"a": "[REDACTED]"}


async def test_llm_guard_backend_maps_scanners_to_categories(fake: Fake) -> None:
    fake.answer = lambda body: {
        "is_valid": False,
        "scanners": {"Toxicity": 0.2, "BanTopics": 0.97 if "attack" in body["prompt"] else 0.0},
    }
    provider = {"type": "llm_guard", "url": fake.url + "/analyze/prompt"}
    result = await run({"a": "plan the attack", "b": "hi"}, provider=provider)
    assert isinstance(result, Block)
    assert result.details is not None and result.details["categories"] == ["violence"]
    assert sorted(body["prompt"] for _, body, _ in fake.requests) == ["hi", "plan the attack"]


@pytest.mark.parametrize("failure", ["status", "body", "shape", "hang"])
async def test_a_failing_provider_blocks_when_closed(fake: Fake, failure: str) -> None:
    if failure == "status":
        fake.status, fake.answer = 500, {"error": "boom"}
    elif failure == "body":
        fake.raw = b"not json"
    elif failure == "shape":
        fake.answer = {"results": [{"nope": 1}]}
    else:
        fake.hang = True
    provider = {"type": "openai", "url": fake.url, "timeout": 0.5}
    result = await run({"a": "hello"}, provider=provider)
    assert isinstance(result, Block)
    assert result.code == "moderation_unavailable"
    assert result.details == {"provider": "openai"}


async def test_a_failing_provider_falls_back_to_the_offline_engine_when_open(fake: Fake) -> None:
    fake.status, fake.answer = 503, {}
    provider = {"type": "llm_guard", "url": fake.url, "on_failure": "open"}
    clean = await run({"a": "hello"}, provider=provider)
    assert isinstance(clean, Continue)
    assert clean.metadata is not None
    assert "HTTP 503" in clean.metadata["moderation"]["provider_failed"]
    assert isinstance(await run({"a": "I will kill you"}, provider=provider), Block)


async def test_an_unreachable_provider_is_a_failure() -> None:
    provider = {"type": "openai", "url": "http://127.0.0.1:9", "timeout": 2}
    result = await run({"a": "hello"}, provider=provider)
    assert isinstance(result, Block) and result.code == "moderation_unavailable"


async def test_wrong_result_count_is_a_failure(fake: Fake) -> None:
    fake.answer = {"results": []}
    result = await run({"a": "hello"}, provider={"type": "openai", "url": fake.url})
    assert isinstance(result, Block)
