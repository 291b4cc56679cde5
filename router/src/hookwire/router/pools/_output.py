"""A worker's stdout and stderr, relayed to the supervisor's stderr safely.

Lines of any length are read (asyncio's ``StreamReader`` iteration stops at 64 KiB and
raises); each relayed line is cut to ``MAX_LINE`` characters, with control characters
and invalid UTF-8 escaped (a plugin printing binary or ANSI codes cannot drive the
supervisor's terminal), and at most ``MAX_LINES_PER_SECOND`` lines a second are relayed
per stream: the rest are counted and reported as suppressed.
"""

from __future__ import annotations

import asyncio
import collections
import sys
import time

#: Characters of one relayed line; the rest is dropped, saying how much.
MAX_LINE = 2000
#: Lines relayed per second and stream; more are counted, not printed.
MAX_LINES_PER_SECOND = 200
_CHUNK = 64 * 1024


def clean(raw: bytes, limit: int = MAX_LINE) -> str:
    """One line for a log: cut to ``limit`` characters, control characters escaped."""
    cut = len(raw) > limit * 4
    text = raw[: limit * 4].decode(errors="backslashreplace").rstrip("\r\n")
    text = "".join(c if c.isprintable() or c == "\t" else repr(c)[1:-1] for c in text)
    if len(text) > limit or cut:
        text = f"{text[:limit]}... [line cut at {limit} characters]"
    return text


class Relay:
    """Copies one stream line by line, keeping the last lines for ``last_error``."""

    def __init__(self, prefix: str = "", keep: int = 20) -> None:
        self.prefix = prefix
        self.tail: collections.deque[str] = collections.deque(maxlen=keep)
        self.suppressed = 0
        self._window = 0.0
        self._count = 0

    async def copy(self, stream: asyncio.StreamReader) -> None:
        """Until end of stream: split into lines whatever their length, relay each."""
        pending = b""
        while chunk := await stream.read(_CHUNK):
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                self.line(line)
            if len(pending) > MAX_LINE * 4:  # a line longer than we print: keep its head
                head, pending = pending[: MAX_LINE * 4 + 1], b""
                self.line(head)
                while chunk := await stream.read(_CHUNK):  # skip to the end of that line
                    if b"\n" in chunk:
                        pending = chunk.split(b"\n", 1)[1]
                        break
                else:
                    break
        if pending:
            self.line(pending)
        self._flush_suppressed()

    def line(self, raw: bytes) -> None:
        text = clean(raw)
        self.tail.append(text)
        now = time.monotonic()
        if now - self._window >= 1.0:
            self._flush_suppressed()
            self._window, self._count = now, 0
        self._count += 1
        if self._count > MAX_LINES_PER_SECOND:
            self.suppressed += 1
            return
        print(self.prefix + text, file=sys.stderr, flush=True)

    def _flush_suppressed(self) -> None:
        if self.suppressed:
            print(
                f"{self.prefix}[{self.suppressed} lines suppressed: over "
                f"{MAX_LINES_PER_SECOND} lines/s]",
                file=sys.stderr,
                flush=True,
            )
            self.suppressed = 0
