"""Reading Cedar policies and schemas, with the position of what is wrong.

cedarpy says *what* is wrong with a policy set ("unexpected token `}`") but not where.
So a set that fails to parse is split into its policies (at each ``;`` outside string
literals and comments, which is where Cedar policies end) and each is parsed alone:
the first that fails is reported with its number, its ``@id`` and its line and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import cedarpy

_ID = re.compile(r'@id\s*\(\s*"((?:[^"\\]|\\.)*)"\s*\)')


class CedarConfigError(ValueError):
    """A policy set, policy file or schema that cannot be used; the message says where."""


@dataclass(frozen=True, slots=True)
class Chunk:
    """One policy's text and where it starts in its source (1-based)."""

    text: str
    line: int
    column: int

    @property
    def annotation(self) -> str | None:
        found = _ID.search(self.text)
        return found.group(1) if found else None


def split_policies(text: str) -> list[Chunk]:
    """The policies of ``text``, in order (a trailing part without ``;`` included)."""
    chunks: list[Chunk] = []
    start = i = 0
    in_string = False
    while i < len(text):
        ch = text[i]
        if in_string:
            if ch == "\\":
                i += 1
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = len(text) if end == -1 else end
            continue
        elif ch == ";":
            chunks.append(_chunk(text, start, i + 1))
            start = i + 1
        i += 1
    rest = _chunk(text, start, len(text))
    if _code(rest.text):
        chunks.append(rest)
    return chunks


def _chunk(text: str, start: int, end: int) -> Chunk:
    part = text[start:end]
    lead = len(part) - len(_strip_comments_and_space(part))
    begin = start + lead
    line = text.count("\n", 0, begin) + 1
    column = begin - (text.rfind("\n", 0, begin) + 1) + 1
    return Chunk(text[begin:end], line, column)


def _strip_comments_and_space(part: str) -> str:
    while True:
        stripped = part.lstrip()
        if stripped.startswith("//"):
            newline = stripped.find("\n")
            part = "" if newline == -1 else stripped[newline + 1 :]
            continue
        return stripped


def _code(text: str) -> bool:
    return bool(_strip_comments_and_space(text).strip())


def parse_policies(text: str, source: str) -> cedarpy.PolicySet:
    """The parsed policy set; CedarConfigError naming the failing policy's position."""
    try:
        return cedarpy.PolicySet.from_str(text)
    except ValueError as exc:
        whole = str(exc)
    for number, chunk in enumerate(split_policies(text), 1):
        try:
            cedarpy.PolicySet.from_str(chunk.text)
        except ValueError as exc:
            name = f' (@id "{chunk.annotation}")' if chunk.annotation else ""
            raise CedarConfigError(
                f"{source}:{chunk.line}:{chunk.column}: policy {number}{name} does not parse: {exc}"
            ) from None
    raise CedarConfigError(f"{source}: the policies do not parse: {whole}")


def read_policies(inline: str, policy_file: str | None) -> tuple[str, str]:
    """The policy text (inline, then the file's) and what to call it in messages."""
    if not policy_file:
        return inline, "policies"
    path = Path(policy_file)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CedarConfigError(f"policy_file: cannot read {path}: {exc.strerror}") from None
    if inline.strip():
        return inline + "\n" + text, f"policies + {path}"
    return text, str(path)


def parse_schema(text: str) -> cedarpy.Schema:
    """A Cedar schema in Cedar syntax or JSON; CedarConfigError when it does not parse."""
    try:
        if text.lstrip().startswith("{"):
            return cedarpy.Schema.from_json_str(text)
        return cedarpy.Schema.from_str(text)
    except ValueError as exc:
        raise CedarConfigError(f"schema: {exc}") from None


def validate(text: str, schema: cedarpy.Schema, source: str) -> None:
    """Check the policies against the schema; CedarConfigError listing every error with
    its policy's position."""
    result = cedarpy.validate_policies(text, schema)
    if result.validation_passed:
        return
    chunks = split_policies(text)
    names = result.id_annotations_by_policy_id
    problems = []
    for error in result.errors:
        where = source
        pid = error.policy_id
        if pid.startswith("policy") and pid[6:].isdigit() and int(pid[6:]) < len(chunks):
            chunk = chunks[int(pid[6:])]
            where = f"{source}:{chunk.line}:{chunk.column}"
        label = f'@id "{names[pid]}"' if pid in names else pid or "policies"
        problems.append(f"{where}: {label}: {error.error}")
    raise CedarConfigError("policies do not match the schema:\n  " + "\n  ".join(problems))
