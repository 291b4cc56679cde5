"""hookwire worker runtime and plugin SDK.

A plugin is a class with one async method per hook it implements::

    from hookwire.workers import Block, Context, Continue, Plugin

    class NoDrop(Plugin):
        async def tool_pre_invoke(self, payload, ctx: Context) -> Continue | Block | None:
            if payload.name == "drop_table":
                return Block("dropping tables is not allowed", code="NO_DROP")
            return None

``python -m hookwire.workers --plugin DIR`` serves it on NATS (``hookwire worker``).
"""

from ._context import Context
from ._errors import ManifestError, PluginLoadError, WorkerError
from ._loader import LoadedPlugin, load_plugin, load_plugin_class
from ._manifest import MANIFEST_FILE, Manifest, read_manifest
from ._runtime import DEFAULT_CONCURRENCY, Worker, service_name
from ._sdk import STATE_TTL, Block, Continue, HookResult, Plugin

__all__ = [
    "DEFAULT_CONCURRENCY",
    "MANIFEST_FILE",
    "STATE_TTL",
    "Block",
    "Context",
    "Continue",
    "HookResult",
    "LoadedPlugin",
    "Manifest",
    "ManifestError",
    "Plugin",
    "PluginLoadError",
    "Worker",
    "WorkerError",
    "load_plugin",
    "load_plugin_class",
    "read_manifest",
    "service_name",
]
