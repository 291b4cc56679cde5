"""The bridge's own settings: the ``config:`` mapping of its entry in the gateway's config."""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from hookwire.schemas import HookwireError

__all__ = ["DEFAULT_TIMEOUT", "BridgeSettings", "SettingsError"]

#: Seconds one event may take end to end: well inside cpex's global 30 s plugin timeout,
#: so the bridge answers (and fails closed or open as configured) before cpex gives up.
DEFAULT_TIMEOUT = 10.0
#: cpex's own per-plugin timeout (``PluginManager(timeout=30)``): the bridge stays under it.
CPEX_TIMEOUT = 30.0

OnFailure = Literal["closed", "open"]

#: bridge key -> nats.connect keyword (credentials and identity, passed through as given)
_NATS_KEYS = {
    "credentials": "user_credentials",
    "user_credentials": "user_credentials",
    "nkeys_seed": "nkeys_seed",
    "token": "token",
    "user": "user",
    "password": "password",
    "name": "name",
}
_TLS_KEYS = ("ca_file", "cert_file", "key_file")
_KNOWN = {"nats", "timeout", "on_failure", "tls", "state_key", *_NATS_KEYS}


class SettingsError(HookwireError, ValueError):
    """The bridge's ``config:`` is wrong; the message names the key and how to fix it."""

    def __init__(self, plugin: str, key: str, message: str) -> None:
        self.plugin = plugin
        self.key = key
        super().__init__(f"hookwire bridge {plugin!r}: config.{key}: {message}")


@dataclass(frozen=True, slots=True)
class BridgeSettings:
    """Where hookwire is and what to do when it does not answer."""

    nats: str
    timeout: float = DEFAULT_TIMEOUT
    on_failure: OnFailure = "closed"
    #: keyword arguments for ``nats.connect`` (credentials, TLS ...)
    connect_options: Mapping[str, Any] = field(default_factory=dict)
    #: the key under which hookwire's state rides in the cpex context, pre -> post
    state_key: str = "hookwire"

    @property
    def connection_key(self) -> tuple[str, tuple[tuple[str, str], ...]]:
        """Settings that share one NATS connection in a process."""
        return self.nats, tuple(sorted((k, repr(v)) for k, v in self.connect_options.items()))

    @classmethod
    def parse(cls, plugin: str, config: Mapping[str, Any] | None) -> BridgeSettings:
        """Read the ``config:`` mapping; raise :class:`SettingsError` naming what is wrong."""
        doc = dict(config or {})
        unknown = sorted(set(doc) - _KNOWN)
        if unknown:
            raise SettingsError(
                plugin, unknown[0], f"unknown key; known: {', '.join(sorted(_KNOWN))}"
            )
        url = doc.get("nats")
        if not isinstance(url, str) or not url.startswith(("nats://", "tls://", "ws://", "wss://")):
            raise SettingsError(
                plugin,
                "nats",
                f"expected the NATS URL hookwire runs on (nats://HOST:PORT), got {url!r}",
            )
        timeout = doc.get("timeout", DEFAULT_TIMEOUT)
        if (
            not isinstance(timeout, int | float)
            or isinstance(timeout, bool)
            or not 0 < timeout < CPEX_TIMEOUT
        ):
            raise SettingsError(
                plugin,
                "timeout",
                f"expected seconds between 0 and {CPEX_TIMEOUT:g} (cpex's own plugin timeout), "
                f"got {timeout!r}",
            )
        on_failure = doc.get("on_failure", "closed")
        if on_failure not in ("closed", "open"):
            raise SettingsError(
                plugin,
                "on_failure",
                f"expected 'closed' (block the request when hookwire does not answer) or 'open' "
                f"(let it through), got {on_failure!r}",
            )
        options = {_NATS_KEYS[k]: v for k, v in doc.items() if k in _NATS_KEYS}
        if "tls" in doc:
            options["tls"] = _tls_context(plugin, doc["tls"])
        return cls(
            nats=url,
            timeout=float(timeout),
            on_failure=on_failure,
            connect_options=options,
            state_key=str(doc.get("state_key", "hookwire")),
        )


def _tls_context(plugin: str, tls: Any) -> ssl.SSLContext:
    if not isinstance(tls, Mapping) or set(tls) - set(_TLS_KEYS):
        raise SettingsError(plugin, "tls", f"expected a mapping of {', '.join(_TLS_KEYS)}")
    context = ssl.create_default_context(cafile=tls.get("ca_file"))
    if tls.get("cert_file"):
        context.load_cert_chain(tls["cert_file"], tls.get("key_file"))
    return context
