"""The admin service's ASGI app: the JSON API, its OpenAPI document, the pages."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from hookwire.router.admin import _api, _pages
from hookwire.router.admin._auth import AuthMiddleware, Tokens
from hookwire.router.admin._deployment import Deployment
from hookwire.router.admin._openapi import document

STATIC = Path(__file__).parent / "static"


async def _openapi(request: Request) -> Response:
    return _api.Json(request.app.state.openapi)


async def _root(request: Request) -> Response:
    return RedirectResponse("/admin/")


def create_app(deployment: Deployment, tokens: Tokens) -> Starlette:
    """The app over ``deployment``; ``tokens`` say who may read and write (``_auth``)."""
    routes = [
        Route("/", _root),
        Route("/admin", _root),
        Route("/admin/openapi.json", _openapi),
        Mount("/admin/static", StaticFiles(directory=STATIC), name="static"),
        *_api.ROUTES,
        *_pages.ROUTES,
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(AuthMiddleware, tokens=tokens, open_paths=("/admin/static/",))],
    )
    app.state.deployment = deployment
    app.state.openapi = document()
    return app
