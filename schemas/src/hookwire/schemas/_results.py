"""Per-hook result types: what a hook answers beyond allow/block (names follow cpex).

A plugin gives a result with ``Continue(result=...)``; the router checks it against
the hook's result type (``HOOK_RESULTS``) and hands it to the gateway in the reply's
``result``. Hooks not listed here (and custom hooks) take any JSON value.
"""

from __future__ import annotations

import msgspec


class HttpAuthResolveUserResultPayload(msgspec.Struct, frozen=True, kw_only=True):
    """The user ``http_auth_resolve_user`` resolved from the credentials.

    The fields of cpex's user record (``EmailUser``); other fields are passed on to
    the gateway as sent.
    """

    email: str
    full_name: str | None = None
    is_admin: bool = False
    is_active: bool = True
    auth_provider: str | None = None


class HttpAuthCheckPermissionResultPayload(msgspec.Struct, frozen=True, kw_only=True):
    """``http_auth_check_permission``'s answer: whether the permission is granted, and why."""

    granted: bool
    reason: str | None = None


#: The result type of every hook that has one.
HOOK_RESULTS: dict[str, type[msgspec.Struct]] = {
    "http_auth_resolve_user": HttpAuthResolveUserResultPayload,
    "http_auth_check_permission": HttpAuthCheckPermissionResultPayload,
}
