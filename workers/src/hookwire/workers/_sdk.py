"""What a plugin author writes against: ``Plugin``, and the results ``Continue`` and ``Block``.

A hook is an async method named after the hook::

    async def tool_pre_invoke(self, payload: ToolPreInvokePayload, ctx: Context) -> HookResult:
        ...

Built-in hooks get their typed, frozen payload (``hookwire.schemas.HOOK_PAYLOADS``);
custom hooks get a plain ``dict``. Returning ``None`` means ``Continue()``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import KW_ONLY, dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

from hookwire.schemas import subjects

if TYPE_CHECKING:
    from nats.aio.client import Client
    from nats.js.kv import KeyValue

#: Seconds a value stays in a plugin's state bucket after its last write (``key_value``).
STATE_TTL = 2 * 3600.0


class Plugin:
    """Optional base class of a plugin: keeps the instance's config in ``self.config``.

    One object is made per plugin instance (config) and reused for every request of that
    instance, concurrently: keep per-request data in ``ctx.state`` or local variables.
    """

    #: The worker's NATS connection and the plugin's name, set by the worker before
    #: ``setup()`` (``None`` and ``""`` when the plugin is made outside a worker).
    nats: Client | None = None
    plugin_name: str = ""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config

    async def key_value(self) -> KeyValue:
        """The plugin's own JetStream key-value bucket, created on first use.

        Named ``subjects.plugin_bucket(<plugin>)`` (``hookwire-state-<plugin>``), shared
        by every worker of the plugin; a value lives ``STATE_TTL`` seconds after its last
        write. Call it from ``setup()``; raises ``RuntimeError`` outside a worker and
        nats-py's errors when JetStream is unavailable.
        """
        if self.nats is None or not self.plugin_name:
            raise RuntimeError("key_value() needs a worker: this plugin has no NATS connection")
        from nats.js.api import KeyValueConfig  # only plugins that keep state pay for it

        js = self.nats.jetstream()
        bucket = subjects.plugin_bucket(self.plugin_name)
        return await js.create_key_value(KeyValueConfig(bucket=bucket, ttl=STATE_TTL))

    async def setup(self) -> None:
        """Called once per instance, before its first hook call (open clients, load data)."""

    async def close(self) -> None:
        """Called once per instance when the worker stops (close what ``setup`` opened)."""


@dataclass(frozen=True, slots=True)
class Continue:
    """Go on with the event, with ``payload`` replacing the current one if given.

    For a built-in hook ``payload`` is the hook's payload Struct, changed with
    ``msgspec.structs.replace(payload, args=...)``; for a custom hook a dict.
    ``metadata`` reaches the gateway in the reply's ``metadata``, under the plugin's name.
    ``result`` is the hook's answer where it has one (``hookwire.schemas.HOOK_RESULTS``):
    ``HttpAuthResolveUserResultPayload`` for ``http_auth_resolve_user``,
    ``HttpAuthCheckPermissionResultPayload`` for ``http_auth_check_permission``; any
    JSON value for a custom hook. The router checks it and hands it to the gateway.
    ``warnings`` are short reasons the event went on despite something the plugin found
    (``"harassment at args.text (score 0.8)"``); each reaches the gateway in the reply's
    ``warnings``, naming the plugin. The worker sends the first ``MAX_PLUGIN_WARNINGS``
    (8), each cut to ``MAX_WARNING_LENGTH`` (512) characters; empty strings are dropped.
    """

    payload: Any = None
    _: KW_ONLY
    metadata: dict[str, Any] | None = None
    result: Any = None
    warnings: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class Block:
    """Stop the event with a violation; the worker fills in the plugin's name."""

    reason: str
    _: KW_ONLY
    code: str = ""
    description: str = ""
    details: dict[str, Any] | None = None
    http_status_code: int | None = None
    http_headers: dict[str, str] | None = None


#: What a hook method may return.
HookResult: TypeAlias = Continue | Block | None
