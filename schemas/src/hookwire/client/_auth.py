"""Credentials and TLS for a NATS connection, from options or ``HOOKWIRE_NATS_*`` variables.

Every hookwire process and the gateway client connect with a :class:`NatsAuth`: user and
password, a token, an NKEY seed file, a creds file (JWT and seed), and TLS with a CA file
and a client certificate and key (mTLS). Secrets (passwords, tokens, seeds, private keys)
are never part of ``repr`` or of a URL hookwire prints: :func:`redact_url` hides them.
"""

from __future__ import annotations

import base64
import json
import os
import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from hookwire.schemas import HookwireError

__all__ = ["ENV_VARS", "NATS_AUTH_VARS", "NatsAuth", "NatsAuthError", "redact_url"]

#: The variable of each field: ``HOOKWIRE_NATS_<FIELD>``.
ENV_VARS = {
    "user": "HOOKWIRE_NATS_USER",
    "password": "HOOKWIRE_NATS_PASSWORD",
    "token": "HOOKWIRE_NATS_TOKEN",
    "nkey": "HOOKWIRE_NATS_NKEY",
    "creds": "HOOKWIRE_NATS_CREDS",
    "ca": "HOOKWIRE_NATS_CA",
    "cert": "HOOKWIRE_NATS_CERT",
    "key": "HOOKWIRE_NATS_KEY",
    "inbox_prefix": "HOOKWIRE_NATS_INBOX_PREFIX",
}
#: Every credential variable: a child process gets only the ones meant for it.
NATS_AUTH_VARS = frozenset(ENV_VARS.values())
#: Fields naming files (passed to child processes as paths, never as contents).
_FILES = ("nkey", "creds", "ca", "cert", "key")
_INBOX_ALLOW = re.compile(r"^(_INBOX(?:\.[A-Za-z0-9_-]+)*)\.>$")


class NatsAuthError(HookwireError, ValueError):
    """A credential or TLS option that cannot be used (a missing file, a half-given pair)."""


@dataclass(frozen=True, kw_only=True)
class NatsAuth:
    """How to authenticate to NATS. Every field is optional: none means anonymous."""

    user: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    #: file holding an NKEY user seed (``SU...``)
    nkey: str | None = None
    #: creds file: a user JWT and its seed (``nsc``, or ``hookwire security init``)
    creds: str | None = None
    #: CA file to verify the server's certificate (TLS)
    ca: str | None = None
    #: client certificate and its private key (mutual TLS)
    cert: str | None = None
    key: str | None = None
    #: prefix of reply inboxes; default: from the creds' permissions, else ``_INBOX``
    inbox_prefix: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> NatsAuth:
        """The ``HOOKWIRE_NATS_*`` variables that are set (and not empty)."""
        env = os.environ if environ is None else environ
        return cls(**{name: env.get(var) or None for name, var in ENV_VARS.items()})

    def merged(self, other: NatsAuth | None) -> NatsAuth:
        """This, with every field ``other`` sets taking its place."""
        if other is None:
            return self
        given = {f.name: getattr(other, f.name) for f in fields(other)}
        return replace(self, **{k: v for k, v in given.items() if v is not None})

    @property
    def is_empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))

    def wants_tls(self) -> bool:
        return any((self.ca, self.cert, self.key))

    def describe(self) -> str:
        """What this authenticates with, for logs and messages (no secret in it)."""
        parts = []
        if self.creds:
            parts.append(f"creds {self.creds}")
        if self.nkey:
            parts.append(f"nkey seed {self.nkey}")
        if self.user:
            parts.append(f"user {self.user}")
        if self.token:
            parts.append("token")
        if self.ca or self.cert:
            parts.append("mTLS" if self.cert else "TLS")
        return ", ".join(parts) or "anonymous"

    def child_env(self) -> dict[str, str]:
        """``HOOKWIRE_NATS_*`` variables that give a child process these credentials."""
        return {
            ENV_VARS[f.name]: str(getattr(self, f.name))
            for f in fields(self)
            if getattr(self, f.name) is not None
        }

    def options(self) -> dict[str, Any]:
        """Keyword arguments for ``nats.connect``; raises NatsAuthError on a bad option."""
        for name in _FILES:
            path = getattr(self, name)
            if path is not None and not Path(path).is_file():
                raise NatsAuthError(
                    f"NATS {name} file {path} does not exist (from --nats-{name} or "
                    f"{ENV_VARS[name]})"
                )
        if (self.cert is None) != (self.key is None):
            raise NatsAuthError(
                "mutual TLS needs both a client certificate and its key "
                f"({ENV_VARS['cert']} and {ENV_VARS['key']})"
            )
        if self.password is not None and self.user is None:
            raise NatsAuthError(f"a NATS password needs a user ({ENV_VARS['user']})")
        out: dict[str, Any] = {}
        if self.user is not None:
            out["user"] = self.user
            if self.password is not None:
                out["password"] = self.password
        if self.token is not None:
            out["token"] = self.token
        if self.nkey is not None:
            out["nkeys_seed"] = self.nkey
        if self.creds is not None:
            out["user_credentials"] = self.creds
        if self.wants_tls():
            out["tls"] = self.tls_context()
        prefix = self.inbox_prefix or (creds_inbox_prefix(self.creds) if self.creds else None)
        if prefix:
            out["inbox_prefix"] = prefix
        return out

    def tls_context(self) -> ssl.SSLContext:
        """A client TLS context: the CA (else the system's), and the client pair if given."""
        try:
            context = ssl.create_default_context(cafile=self.ca)
            if self.cert is not None:
                context.load_cert_chain(self.cert, self.key)
        except (OSError, ssl.SSLError) as exc:
            raise NatsAuthError(f"cannot load the TLS files ({self.describe()}): {exc}") from exc
        return context


def creds_inbox_prefix(path: str) -> str | None:
    """The reply inbox prefix a creds file's JWT allows (``_INBOX.<role>.>``), if any.

    A role that may only subscribe to its own inboxes must also make them: this reads
    the allowed ``_INBOX...>`` subscription from the JWT (not verified: the server does).
    """
    try:
        text = Path(path).read_text()
        token = next(line for line in text.splitlines() if line.startswith("eyJ"))
        body = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        allowed = claims["nats"]["sub"]["allow"]
    except (OSError, StopIteration, IndexError, KeyError, TypeError, ValueError):
        return None
    for subject in allowed:
        match = _INBOX_ALLOW.match(str(subject).split(" ")[0])
        if match and match.group(1) != "_INBOX":
            return match.group(1)
    return None


def redact_url(url: str) -> str:
    """``url`` (or a comma-separated list) with any password or token shown as ``***``."""
    return ",".join(_redact_one(u.strip()) for u in url.split(","))


def _redact_one(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return "***"
    if "@" not in parts.netloc:
        return url
    userinfo, host = parts.netloc.rsplit("@", 1)
    user, has_password, _ = userinfo.partition(":")
    shown = f"{user}:***" if has_password else "***"
    return urlunsplit(parts._replace(netloc=f"{shown}@{host}"))
