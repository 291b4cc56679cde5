"""Hosting a cpex plugin (ContextForge's plugin framework) unchanged in a hookwire worker.

``host_class(name, hooks, kind)`` makes a hookwire plugin class whose instances build
the cpex plugin ``kind`` from their config (cpex's ``PluginConfig``), and whose hook
methods convert each wire payload to cpex's payload model for the hook, call the cpex
plugin, and turn its ``PluginResult`` back into ``Continue`` or ``Block``. cpex's local
plugin context travels from the pre hook to the post hook in the request's state.

cpex is imported here only: it is the hosted plugin's dependency, installed in its venv.
"""

from __future__ import annotations

import importlib
import importlib.resources
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

import msgspec
import yaml

from hookwire.schemas import HOOK_PAYLOADS

from ._context import Context
from ._sdk import Block, Continue, HookResult

__all__ = ["CpexHost", "host_class", "package_defaults"]

#: The state key that carries cpex's local plugin context from pre to post hook.
LOCAL_STATE = "cpex_local"
_MANIFEST = "plugin-manifest.yaml"


def package_defaults(kind: str) -> dict[str, Any]:
    """``default_config`` (or ``default_configs``) of the manifest the cpex package ships."""
    package = kind.split(".", 1)[0]
    try:
        text = importlib.resources.files(package).joinpath(_MANIFEST).read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError, OSError):
        return {}
    doc = yaml.safe_load(text) or {}
    found = doc.get("default_config", doc.get("default_configs")) if isinstance(doc, dict) else None
    return dict(found) if isinstance(found, dict) else {}


def _import_kind(kind: str) -> type:
    module, _, cls = kind.rpartition(".")
    found = getattr(importlib.import_module(module), cls, None)
    if not isinstance(found, type):
        raise ImportError(f"cpex plugin class {kind!r} not found (module {module!r})")
    return found


class CpexHost:
    """One instance of a hosted cpex plugin; subclasses are made by :func:`host_class`."""

    plugin_name = ""
    hooks: tuple[str, ...] = ()
    kind = ""

    def __init__(self, config: Mapping[str, Any]) -> None:
        from cpex.framework.models import PluginConfig

        settings = {**package_defaults(self.kind), **dict(config)}
        self.plugin_config = PluginConfig(
            name=self.plugin_name,
            kind=self.kind,
            hooks=list(self.hooks),
            mode="sequential",
            config=settings,
        )
        self.cpex = _import_kind(self.kind)(self.plugin_config)

    async def setup(self) -> None:
        await self.cpex.initialize()

    async def close(self) -> None:
        await self.cpex.shutdown()

    async def call(self, hook: str, payload: Any, ctx: Context) -> HookResult:
        """Run ``hook`` of the cpex plugin on ``payload`` (the hook's wire Struct)."""
        from cpex.framework.hooks.registry import get_hook_registry
        from cpex.framework.models import GlobalContext, PluginContext

        registry = get_hook_registry()
        model = registry.get_payload_type(hook)
        data = msgspec.to_builtins(payload)
        cpex_payload = model.model_validate(data) if model is not None else data
        req = ctx.request
        metadata: dict[str, Any] = {}
        if req.entity is not None:
            metadata[req.entity.type] = {"name": req.entity.name, "id": req.entity.id}
        if req.gateway_id:
            metadata["gateway"] = {"id": req.gateway_id}
        global_context = GlobalContext(
            request_id=req.request_id or "hookwire",
            user=req.user,
            tenant_id=req.tenant_id,
            server_id=req.server_id,
            metadata=metadata,
        )
        local = PluginContext(
            state=dict(ctx.state.get(LOCAL_STATE) or {}), global_context=global_context
        )
        result = await getattr(self.cpex, hook)(cpex_payload, local)
        if local.state:
            ctx.state[LOCAL_STATE] = local.state
        else:
            ctx.state.pop(LOCAL_STATE, None)
        return _hook_result(hook, result)


def _hook_result(hook: str, result: Any) -> HookResult:
    """cpex's ``PluginResult`` as ``Continue`` / ``Block``."""
    if result is None:
        return None
    metadata = dict(result.metadata or {}) or None
    if not result.continue_processing:
        v = result.violation
        if v is None:
            return Block("blocked by cpex plugin", code="BLOCKED")
        return Block(
            v.reason,
            code=v.code,
            description=v.description,
            details=dict(v.details or {}),
            http_status_code=v.http_status_code,
            http_headers=v.http_headers,
        )
    modified = result.modified_payload
    if modified is None:
        return Continue(metadata=metadata)
    data = modified.model_dump(mode="json") if hasattr(modified, "model_dump") else modified
    wire_type = HOOK_PAYLOADS.get(hook)
    out = msgspec.convert(data, wire_type) if wire_type is not None else data
    return Continue(out, metadata=metadata)


def _hook_method(hook: str) -> Callable[[CpexHost, Any, Context], Coroutine[Any, Any, HookResult]]:
    async def method(self: CpexHost, payload: Any, ctx: Context) -> HookResult:
        return await self.call(hook, payload, ctx)

    method.__name__ = hook
    return method


def host_class(name: str, hooks: tuple[str, ...], kind: str) -> type[CpexHost]:
    """A hookwire plugin class hosting cpex plugin ``kind`` on ``hooks``."""
    namespace: dict[str, Any] = {"plugin_name": name, "hooks": hooks, "kind": kind}
    namespace.update({hook: _hook_method(hook) for hook in hooks})
    return type(f"CpexHost_{name}", (CpexHost,), namespace)
