"""``{{ env.NAME }}`` in config files, rendered as ContextForge renders its plugin config.

ContextForge renders the whole file with Jinja before parsing it; hookwire reads the
same files without Jinja and supports what they use: ``env.NAME`` (or ``env['NAME']``),
string literals and the ``default(...)`` filter, nested. A name that is not defined
renders empty, as Jinja renders it (the gateway's own config has ``{{event}}`` inside
webhook templates, which come out empty there too). Anything else is an error naming
the line, never a silent change.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from hookwire.router.errors import ConfigError, Problem
from hookwire.schemas import HookwireError

__all__ = ["TemplateError", "render_env"]

_BLOCK = re.compile(r"\{\{(.*?)\}\}")
_TOKEN = re.compile(
    r"""\s*(?:(?P<str>'[^']*'|"[^"]*")|(?P<name>[A-Za-z_]\w*)|(?P<op>[.|(),\[\]]))"""
)


class TemplateError(HookwireError, ValueError):
    """An expression the renderer does not support."""


class _Parser:
    def __init__(self, text: str, env: Mapping[str, str]) -> None:
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if m is None or m.end() == pos:
                raise TemplateError(f"cannot read {text[pos:]!r}")
            kind = m.lastgroup or ""
            self.tokens.append((kind, m.group(kind)))
            pos = m.end()
        self.env = env
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (value is not None and tok[1] != value):
            raise TemplateError(f"expected {value or 'more'}")
        self.i += 1
        return tok

    def expr(self) -> str | None:
        value = self.atom()
        while self.peek() == ("op", "|"):
            self.take("|")
            kind, name = self.take()
            if name != "default" or kind != "name":
                raise TemplateError(f"filter {name!r} is not supported (only default(...))")
            self.take("(")
            fallback = self.expr()
            if self.peek() == ("op", ","):  # default(x, true): also replace an empty value
                self.take(",")
                self.take()
                value = value or None
            self.take(")")
            value = fallback if value is None else value
        return value

    def atom(self) -> str | None:
        kind, text = self.take()
        if kind == "str":
            return text[1:-1]
        if kind != "name":
            raise TemplateError(f"unexpected {text!r}")
        if text != "env":
            return None  # undefined in the gateway's Jinja context: renders empty
        if self.peek() == ("op", "."):
            self.take(".")
            return self.env.get(self.take()[1])
        self.take("[")
        kind, key = self.take()
        self.take("]")
        if kind != "str":
            raise TemplateError("env[...] takes a quoted name")
        return self.env.get(key[1:-1])

    def render(self) -> str:
        value = self.expr()
        if self.peek() is not None:
            raise TemplateError(f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return "" if value is None else value


def render_env(text: str, file: str, env: Mapping[str, str] | None = None) -> str:
    """``text`` with every ``{{ ... }}`` rendered; raises ConfigError naming the line."""
    if "{{" not in text:
        return text
    environ = os.environ if env is None else env
    out = []
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        if "{{" not in line:
            out.append(line)
            continue
        try:
            out.append(_BLOCK.sub(lambda m: _Parser(m.group(1), environ).render(), line))
        except TemplateError as exc:
            raise ConfigError(
                [
                    Problem(
                        file,
                        (),
                        f"template not supported: {exc}",
                        "use {{ env.NAME }} or {{ env.NAME | default('value') }}",
                        number,
                    )
                ]
            ) from None
    return "".join(out)
