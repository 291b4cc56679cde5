"""Pipeline test plugin for the auth hooks: what it answers is set by its config.

``user``      http_auth_resolve_user: the resolved user (a mapping with ``email`` ...)
``grant``     http_auth_check_permission: true grants, false denies (absent: no result)
``reason``    the reason given with a grant or deny
``metadata``  metadata returned with every call
``bad``       return a result that does not fit the hook's result type
"""

from __future__ import annotations

from typing import Any

import msgspec

from hookwire.schemas import (
    HttpAuthCheckPermissionPayload,
    HttpAuthCheckPermissionResultPayload,
    HttpAuthResolveUserPayload,
    HttpAuthResolveUserResultPayload,
)
from hookwire.workers import Context, Continue, HookResult, Plugin


class Authority(Plugin):
    def _metadata(self) -> dict[str, Any] | None:
        return self.config.get("metadata")

    async def http_auth_resolve_user(
        self, payload: HttpAuthResolveUserPayload, ctx: Context
    ) -> HookResult:
        if self.config.get("bad"):
            return Continue(result={"no_email": True})
        user = self.config.get("user")
        result = None if user is None else msgspec.convert(user, HttpAuthResolveUserResultPayload)
        return Continue(result=result, metadata=self._metadata())

    async def http_auth_check_permission(
        self, payload: HttpAuthCheckPermissionPayload, ctx: Context
    ) -> HookResult:
        grant = self.config.get("grant")
        if grant is None:
            return Continue(metadata=self._metadata())
        reason = self.config.get("reason")
        result = HttpAuthCheckPermissionResultPayload(granted=bool(grant), reason=reason)
        return Continue(result=result, metadata=self._metadata())
