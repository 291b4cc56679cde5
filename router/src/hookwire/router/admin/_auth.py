"""Who may read and write, checked on the request's headers before its body is read.

Writes (every method but GET and HEAD) need the write token as ``Authorization: Bearer
TOKEN``: a header, never a cookie, so another site's page cannot write through a
visitor's browser. Reads are open unless a read token is set; then the read or the
write token is needed, as that header or as the ``hookwire-token`` cookie the pages set.
Missing credentials get 401, wrong ones 403, before any of the body is received.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from http.cookies import SimpleCookie

from starlette.types import ASGIApp, Receive, Scope, Send

COOKIE = "hookwire-token"
READS = ("GET", "HEAD")


@dataclass(frozen=True, slots=True)
class Tokens:
    """``write``: needed to write; ``read``: needed to read, when set."""

    write: str
    read: str | None = None


def _bearer(headers: dict[bytes, bytes]) -> str | None:
    value = headers.get(b"authorization", b"").decode("latin-1")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _cookie(headers: dict[bytes, bytes]) -> str | None:
    raw = headers.get(b"cookie")
    if not raw:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw.decode("latin-1"))
    except Exception:
        return None
    morsel = jar.get(COOKIE)
    return morsel.value if morsel is not None and morsel.value else None


def _same(given: str, wanted: str | None) -> bool:
    return wanted is not None and hmac.compare_digest(given.encode(), wanted.encode())


def verdict(tokens: Tokens, method: str, headers: dict[bytes, bytes]) -> tuple[int, str] | None:
    """None when the request may go on, else the status and the reason."""
    if method in READS:
        if tokens.read is None:
            return None
        given = _bearer(headers) or _cookie(headers)
        if given is None:
            return 401, "reading needs the read token (Authorization: Bearer TOKEN)"
        if _same(given, tokens.read) or _same(given, tokens.write):
            return None
        return 403, "the token given is not a read or write token of this service"
    given = _bearer(headers)
    if given is None:
        return 401, "writing needs the write token (Authorization: Bearer TOKEN)"
    if _same(given, tokens.write):
        return None
    return 403, "the token given is not the write token of this service"


class AuthMiddleware:
    """Answers 401/403 from the headers alone; the app (and its body) is never reached."""

    def __init__(self, app: ASGIApp, tokens: Tokens, open_paths: tuple[str, ...] = ()) -> None:
        self.app = app
        self.tokens = tokens
        self.open_paths = open_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.open_paths):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        refused = verdict(self.tokens, scope["method"], headers)
        if refused is None:
            await self.app(scope, receive, send)
            return
        status, reason = refused
        body = json.dumps({"error": reason}).encode()
        response_headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),  # the unread body is not kept for another request
        ]
        if status == 401:
            response_headers.append((b"www-authenticate", b'Bearer realm="hookwire"'))
        await send({"type": "http.response.start", "status": status, "headers": response_headers})
        await send({"type": "http.response.body", "body": body})
