"""hookwire for the ContextForge gateway: a cpex plugin that forwards hooks to hookwire.

In the gateway's plugins config::

    - name: hookwire
      kind: hookwire_cpex.Bridge
      hooks: [tool_pre_invoke, tool_post_invoke, prompt_pre_fetch, prompt_post_fetch]
      mode: sequential
      priority: 10
      config:
        nats: nats://hookwire-nats:4222
        timeout: 10          # seconds per event, below cpex's own 30 s
        on_failure: closed   # or open

Only cpex, nats-py and hookwire's client are needed in the gateway's environment.
"""

from ._bridge import Bridge
from ._connections import Connections, connections
from ._settings import DEFAULT_TIMEOUT, BridgeSettings, SettingsError

__all__ = [
    "DEFAULT_TIMEOUT",
    "Bridge",
    "BridgeSettings",
    "Connections",
    "SettingsError",
    "connections",
]
