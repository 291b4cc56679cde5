"""The JSON API (``/admin/...``; the OpenAPI document: ``_openapi.py``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hookwire.router.admin._deployment import Deployment
from hookwire.router.catalog._maturity import LEVELS
from hookwire.router.errors import ConfigError, LiveConfigError, SourceError
from hookwire.router.live._store import who
from hookwire.router.routing._explain import ExplainRefused, explain_event
from hookwire.schemas import ENTITY_TYPES, GatewayRequest, HookwireError

#: The most a config body may hold (bytes).
MAX_CONFIG = 1 << 20


class Json(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return msgspec.json.encode(content)


class ApiError(HookwireError):
    """A request the API refuses: the HTTP status and why."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.extra = extra


class ExplainRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The event of ``POST /admin/explain``: the options of ``hookwire explain``."""

    hook: str
    entity_type: str | None = None
    name: str | None = None
    entity_id: str | None = None
    tags: list[str] | str = []
    metadata: dict[str, Any] = {}
    args: dict[str, Any] | None = None
    payload: dict[str, Any] | None = None
    server_name: str | None = None
    server_id: str | None = None
    gateway_id: str | None = None
    user: str | None = None
    tenant_id: str | None = None
    agent: str | None = None

    def event(self, known_hooks: Collection[str]) -> GatewayRequest:
        """The event ``hookwire explain`` would resolve from the same options."""
        if self.entity_type is not None and self.entity_type not in ENTITY_TYPES:
            raise ApiError(422, f"entity_type {self.entity_type!r} is not one of {ENTITY_TYPES}")
        tags = self.tags.split(",") if isinstance(self.tags, str) else self.tags
        try:
            return explain_event(
                known_hooks,
                self.hook,
                entity_type=self.entity_type or None,
                name=self.name,
                entity_id=self.entity_id,
                tags=tags,
                metadata=self.metadata,
                args=self.args,
                payload=self.payload,
                server_name=self.server_name,
                server_id=self.server_id,
                gateway_id=self.gateway_id,
                user=self.user,
                tenant_id=self.tenant_id,
                agent=self.agent,
            )
        except ExplainRefused as exc:
            raise ApiError(422, str(exc)) from None


class RollbackRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    revision: int | None = None
    message: str = ""


Handler = Callable[[Request, Deployment], Awaitable[Any]]


def endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """A handler's answer as JSON; its known failures as ``{"error": ...}``."""

    async def run(request: Request) -> Response:
        deployment: Deployment = request.app.state.deployment
        try:
            return Json(await handler(request, deployment))
        except ApiError as exc:
            return Json({"error": str(exc), **exc.extra}, status_code=exc.status)
        except ConfigError as exc:
            problems = [str(p) for p in exc.problems]
            return Json({"error": "the config has problems", "problems": problems}, 422)
        except LiveConfigError as exc:
            status = 404 if "not in the history" in str(exc) or "no config" in str(exc) else 409
            return Json({"error": str(exc)}, status_code=status)
        except SourceError as exc:
            return Json({"error": str(exc)}, status_code=503)

    return run


def _param(request: Request, name: str) -> str | None:
    value = request.query_params.get(name, "").strip()
    return value or None


def _int(request: Request, name: str) -> int:
    raw = request.query_params.get(name) or request.path_params.get(name)
    try:
        value = int(raw) if raw is not None else 0
    except ValueError:
        value = 0
    if value < 1:
        raise ApiError(422, f"{name} must be a revision number (1 or more), not {raw!r}")
    return value


async def plugins(request: Request, d: Deployment) -> Any:
    maturity = _param(request, "maturity")
    if maturity is not None and maturity not in LEVELS:
        raise ApiError(422, f"maturity {maturity!r} is not one of {list(LEVELS)}")
    capability, hook, q = (_param(request, k) for k in ("capability", "hook", "q"))
    listed = await d.plugins(maturity, capability, hook)
    if listed.error is not None:
        raise ApiError(502, listed.error.message)
    if q is None:
        return {"plugins": listed.plugins}
    found = await d.search(q)
    if found.error is not None:
        raise ApiError(502, found.error.message)
    wanted = {p.name for p in listed.plugins}  # the filters apply to the ranked hits too
    hits = [h for h in found.hits if h.plugin.name in wanted]
    return {"plugins": [h.plugin for h in hits], "hits": hits}


async def plugin(request: Request, d: Deployment) -> Any:
    reply = await d.plugin(request.path_params["name"])
    if reply.error is not None:
        raise ApiError(404 if reply.error.code == "not_found" else 502, reply.error.message)
    return reply.plugin


async def rules(request: Request, d: Deployment) -> Any:
    return await d.rules()


async def explain(request: Request, d: Deployment) -> Any:
    try:
        body = msgspec.json.decode(await request.body(), type=ExplainRequest)
    except msgspec.DecodeError as exc:
        raise ApiError(422, f"the event: {exc}") from None
    return await d.explain(body.event)


async def status(request: Request, d: Deployment) -> Any:
    return await d.status()


async def history(request: Request, d: Deployment) -> Any:
    return {"revisions": await d.history()}


async def revision(request: Request, d: Deployment) -> Any:
    return await d.revision(_int(request, "rev"))


async def diff(request: Request, d: Deployment) -> Any:
    return await d.diff(_int(request, "from"), _int(request, "to"))


def _client(request: Request) -> str:
    host = request.client.host if request.client else "?"
    return f"{who()} (admin, from {host})"


async def apply(request: Request, d: Deployment) -> Any:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_CONFIG:
        raise ApiError(413, f"a config may hold {MAX_CONFIG} bytes at most")
    data = await request.body()
    if len(data) > MAX_CONFIG:
        raise ApiError(413, f"a config may hold {MAX_CONFIG} bytes at most")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(422, "the config is not UTF-8 text") from None
    if not text.strip():
        raise ApiError(422, "the body is empty: send the config's YAML")
    message = request.query_params.get("message", "")
    return await d.apply(text, message, _client(request))


async def rollback(request: Request, d: Deployment) -> Any:
    data = await request.body()
    try:
        body = msgspec.json.decode(data, type=RollbackRequest) if data.strip() else None
    except msgspec.DecodeError as exc:
        raise ApiError(422, f"the rollback request: {exc}") from None
    body = body or RollbackRequest()
    if body.revision is not None and body.revision < 1:
        raise ApiError(422, "revision must be 1 or more")
    return await d.rollback(body.revision, body.message)


ROUTES = [
    Route("/admin/plugins/registry", endpoint(plugins), methods=["GET"]),
    Route("/admin/plugins/registry/{name}", endpoint(plugin), methods=["GET"]),
    Route("/admin/rules", endpoint(rules), methods=["GET"]),
    Route("/admin/explain", endpoint(explain), methods=["POST"]),
    Route("/admin/status", endpoint(status), methods=["GET"]),
    Route("/admin/config/history", endpoint(history), methods=["GET"]),
    Route("/admin/config/diff", endpoint(diff), methods=["GET"]),
    Route("/admin/config/rollback", endpoint(rollback), methods=["POST"]),
    Route("/admin/config/{rev}", endpoint(revision), methods=["GET"]),
    Route("/admin/config", endpoint(apply), methods=["POST"]),
]
