"""The server-rendered pages (``/admin/`` and ``/admin/ui/...``): each reads what it
shows through the same ``Deployment`` calls as the JSON API."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from hookwire.router.admin._api import ApiError, ExplainRequest
from hookwire.router.admin._api import plugins as api_plugins
from hookwire.router.admin._deployment import Deployment
from hookwire.router.catalog._maturity import LEVELS
from hookwire.router.errors import ConfigError, LiveConfigError, SourceError
from hookwire.schemas import ENTITY_TYPES

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

NAV = [
    ("/admin/ui/plugins", "Plugins"),
    ("/admin/ui/rules", "Rules"),
    ("/admin/ui/explain", "Explain"),
    ("/admin/ui/status", "Status"),
    ("/admin/ui/config", "Config"),
]
#: seconds between two refreshes of the status page
REFRESH = 2

Page = Callable[[Request, Deployment], Awaitable[dict[str, Any]]]


def page(template: str, title: str, fill: Page) -> Callable[[Request], Awaitable[Response]]:
    """A page: ``fill`` gives the template's values; a failure it knows is shown in the
    page with its reason (status 200 stays for what could be read)."""

    async def run(request: Request) -> Response:
        deployment: Deployment = request.app.state.deployment
        values: dict[str, Any] = {"title": title, "nav": NAV, "error": None, "refresh": None}
        status = 200
        try:
            values.update(await fill(request, deployment))
        except ApiError as exc:
            values["error"], status = str(exc), exc.status
        except ConfigError as exc:
            values["error"] = "; ".join(str(p) for p in exc.problems)
            status = 422
        except (LiveConfigError, SourceError) as exc:
            values["error"], status = str(exc), 503
        return templates.TemplateResponse(request, template, values, status_code=status)

    return run


async def index(request: Request, d: Deployment) -> dict[str, Any]:
    return {"title": "hookwire admin"}


async def plugins(request: Request, d: Deployment) -> dict[str, Any]:
    everything = await d.plugins(None, None, None)
    shown = await api_plugins(request, d)
    every = everything.plugins
    return {
        "plugins": shown["plugins"],
        "q": request.query_params.get("q", ""),
        "sel": {k: request.query_params.get(k) for k in ("maturity", "capability", "hook")},
        "levels": LEVELS,
        "capabilities": sorted({c for p in every for c in p.capabilities}),
        "hooks": sorted({h for p in every for h in p.hooks}),
    }


async def plugin(request: Request, d: Deployment) -> dict[str, Any]:
    name = request.path_params["name"]
    reply = await d.plugin(name)
    if reply.error is not None:
        raise ApiError(404, reply.error.message)
    return {"title": name, "p": reply.plugin}


async def rules(request: Request, d: Deployment) -> dict[str, Any]:
    return {"data": await d.rules(), "entity_types": [*ENTITY_TYPES, "http"]}


async def explain(request: Request, d: Deployment) -> dict[str, Any]:
    form = dict(request.query_params)
    everything = await d.plugins(None, None, None)
    values: dict[str, Any] = {
        "f": form,
        "entity_types": ENTITY_TYPES,
        "hooks": sorted({h for p in everything.plugins for h in p.hooks}),
        "result": None,
    }
    if not form.get("hook"):
        return values
    try:
        args = json.loads(form["args"]) if form.get("args", "").strip() else None
    except json.JSONDecodeError as exc:
        raise ApiError(422, f"args: not JSON: {exc}") from None
    fields = {k: v for k, v in form.items() if v and k != "args"}
    try:
        event = msgspec.convert({**fields, "args": args}, ExplainRequest)
    except msgspec.ValidationError as exc:
        raise ApiError(422, f"the event: {exc}") from None
    values["result"] = await d.explain(event.event)
    return values


async def status(request: Request, d: Deployment) -> dict[str, Any]:
    try:  # ?every=SECONDS: a faster or slower refresh (0.5 to 60)
        every = min(60.0, max(0.5, float(request.query_params.get("every", REFRESH))))
    except ValueError:
        every = REFRESH
    return {"report": await d.status(), "refresh": f"{every:g}"}


def _rev(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name, "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else None


async def config(request: Request, d: Deployment) -> dict[str, Any]:
    revisions = await d.history()
    values: dict[str, Any] = {"revisions": revisions, "diff": None, "live_text": ""}
    if revisions:
        values["live_text"] = (await d.revision(revisions[-1]["revision"]))["text"]
    old, new = _rev(request, "from"), _rev(request, "to")
    values.update(dfrom=old, dto=new)
    if old is not None and new is not None:
        values["diff"] = (await d.diff(old, new))["diff"]
    return values


ROUTES = [
    Route("/admin/", page("index.html", "hookwire admin", index)),
    Route("/admin/ui/plugins", page("plugins.html", "Plugins", plugins)),
    Route("/admin/ui/plugins/{name}", page("plugin.html", "Plugin", plugin)),
    Route("/admin/ui/rules", page("rules.html", "Rules", rules)),
    Route("/admin/ui/explain", page("explain.html", "Explain", explain)),
    Route("/admin/ui/status", page("status.html", "Status", status)),
    Route("/admin/ui/config", page("config.html", "Config", config)),
]
