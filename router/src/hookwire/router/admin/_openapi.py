"""The OpenAPI 3.1 document of the JSON API (``GET /admin/openapi.json``). The registry's
answers are described from the very Structs the registry service sends."""

from __future__ import annotations

from typing import Any

import msgspec

from hookwire.router.admin._api import ExplainRequest, RollbackRequest
from hookwire.schemas import PluginDetail, PluginSummary, SearchHit

_ERROR = {"$ref": "#/components/schemas/Error"}
_OBJECT = {"type": "object"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    text = {
        401: "no credentials (checked before the body is read)",
        403: "wrong credentials (checked before the body is read)",
        404: "not found",
        409: "refused: the live config does not allow it",
        413: "the body is too large",
        422: "the request or the config has problems",
        503: "the deployment did not answer (no router, no JetStream)",
    }
    return {str(c): _json(_ERROR, text[c]) for c in codes}


def _query(name: str, description: str, kind: str = "string") -> dict[str, Any]:
    return {"name": name, "in": "query", "description": description, "schema": {"type": kind}}


def _get(summary: str, schema: dict[str, Any], *codes: int, **extra: Any) -> dict[str, Any]:
    return {
        "get": {"summary": summary, "responses": {"200": _json(schema), **_errors(*codes)}, **extra}
    }


def _post(summary: str, body: dict[str, Any], *codes: int) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "security": [{"bearer": []}],
            "requestBody": body,
            "responses": {"200": _json(_OBJECT), **_errors(401, 403, *codes)},
        }
    }


def document() -> dict[str, Any]:
    (summary, detail, hit, explain, rollback), components = msgspec.json.schema_components(
        [PluginSummary, PluginDetail, SearchHit, ExplainRequest, RollbackRequest],
        ref_template="#/components/schemas/{name}",
    )
    components["Error"] = {
        "type": "object",
        "properties": {
            "error": {"type": "string"},
            "problems": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["error"],
    }
    listing = {
        "type": "object",
        "properties": {
            "plugins": {"type": "array", "items": summary},
            "hits": {"type": "array", "items": hit},
        },
    }
    rev = {
        "name": "rev",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    }
    name = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "hookwire admin API",
            "version": "1",
            "description": "The registry, the routing rules, explain, live status and the "
            "live config of a running hookwire deployment. Writes need the write token "
            "(Authorization: Bearer TOKEN); reads need a token only when the service "
            "was started with a read token.",
        },
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "paths": {
            "/admin/plugins/registry": _get(
                "Plugins, filtered; with q, ranked by relevance",
                listing,
                422,
                503,
                parameters=[
                    _query("maturity", "alpha, beta, stable or deprecated"),
                    _query("capability", "only plugins with this capability"),
                    _query("hook", "only plugins implementing this hook"),
                    _query("q", "words: ranked search"),
                ],
            ),
            "/admin/plugins/registry/{name}": _get(
                "A plugin: manifest, config schema with defaults, dependencies, quality, "
                "deprecation",
                detail,
                404,
                503,
                parameters=[name],
            ),
            "/admin/rules": _get("The live config's routing rules", _OBJECT, 404, 503),
            "/admin/explain": _post(
                "How an event resolves: the answer of `hookwire explain --json`",
                {"required": True, "content": {"application/json": {"schema": explain}}},
                404,
                422,
            ),
            "/admin/status": _get("Routers, pools, workers, restarts, failures, stats", _OBJECT),
            "/admin/config/history": _get("The revisions kept, oldest first", _OBJECT, 404),
            "/admin/config/diff": _get(
                "A unified diff of two revisions",
                _OBJECT,
                404,
                422,
                parameters=[
                    _query("from", "revision", "integer"),
                    _query("to", "revision", "integer"),
                ],
            ),
            "/admin/config/{rev}": _get(
                "One revision, with its YAML", _OBJECT, 404, 422, parameters=[rev]
            ),
            "/admin/config": _post(
                "Check YAML and make it the live config (query: message=why)",
                {"required": True, "content": {"application/yaml": {"schema": {"type": "string"}}}},
                404,
                413,
                422,
            ),
            "/admin/config/rollback": _post(
                "Make an earlier revision live again (none given: the one before the live one)",
                {"required": False, "content": {"application/json": {"schema": rollback}}},
                404,
                409,
            ),
        },
    }
