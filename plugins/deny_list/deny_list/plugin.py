"""The deny_list plugin: blocks when any string in the arguments contains a denied term."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from hookwire.schemas import PromptPrehookPayload, ToolPreInvokePayload
from hookwire.workers import Block, Context, Plugin

DEFAULT_WORDS: tuple[str, ...] = ("drop table", "rm -rf")
MATCH_MODES: tuple[str, ...] = ("word", "substring")


def child_path(path: str, key: object) -> str:
    """``args.query`` for an identifier key, ``args['odd key']`` or ``args[0]`` otherwise."""
    if isinstance(key, str) and key.isidentifier():
        return f"{path}.{key}"
    return f"{path}[{key!r}]"


def iter_strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every string nested in ``value`` (dict values, list items) with its path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from iter_strings(item, child_path(path, key))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from iter_strings(item, child_path(path, i))


def compile_term(term: str, match: str, flags: int) -> re.Pattern[str]:
    """The pattern of one term: its words joined by any whitespace, bounded in word mode."""
    body = r"\s+".join(re.escape(part) for part in term.split())
    if match == "word":
        body = rf"(?<!\w){body}(?!\w)"
    return re.compile(body, flags)


class DenyList(Plugin):
    """Blocks with code ``denied_term`` naming the term and where it was found."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        words = config.get("words", DEFAULT_WORDS)
        if isinstance(words, str) or not all(isinstance(w, str) for w in words):
            raise ValueError(f"words must be a list of strings, got {words!r}")
        match = config.get("match", "word")
        if match not in MATCH_MODES:
            raise ValueError(f"match must be one of {list(MATCH_MODES)}, got {match!r}")
        flags = 0 if config.get("case_sensitive", False) else re.IGNORECASE
        self.terms: list[tuple[str, re.Pattern[str]]] = [
            (word, compile_term(word, match, flags)) for word in words if word.strip()
        ]

    async def tool_pre_invoke(self, payload: ToolPreInvokePayload, ctx: Context) -> Block | None:
        return self._check(payload.args, "args")

    async def prompt_pre_fetch(self, payload: PromptPrehookPayload, ctx: Context) -> Block | None:
        return self._check(payload.args, "args")

    def _check(self, value: Any, root: str) -> Block | None:
        """A Block for the first denied term in the first string that holds one."""
        if not self.terms:
            return None
        for path, text in iter_strings(value, root):
            for term, pattern in self.terms:
                found = pattern.search(text)
                if found is not None:
                    return Block(
                        f"{path} contains denied term {term!r}",
                        code="denied_term",
                        description="The arguments contain a term this deployment denies.",
                        details={"term": term, "path": path, "matched": found.group()},
                    )
        return None
