"""The NATS credential and TLS options every hookwire command shares.

Each option also comes from its ``HOOKWIRE_NATS_*`` variable (an option given on the
command line wins). ``auth_from_args`` turns them into a :class:`NatsAuth`.
"""

from __future__ import annotations

import argparse

from hookwire.client import NATS_ENV_VARS as ENV_VARS
from hookwire.client import NatsAuth

__all__ = ["AUTH_FIELDS", "add_auth_arguments", "auth_from_args"]

_HELP = {
    "user": "NATS user name (with --nats-password)",
    "password": "NATS password (prefer the variable: options show in `ps`)",
    "token": "NATS token (prefer the variable)",
    "nkey": "file holding an NKEY user seed",
    "creds": "creds file (user JWT and seed)",
    "ca": "CA file that signed the server's TLS certificate",
    "cert": "client certificate for mutual TLS (with --nats-key)",
    "key": "private key of --nats-cert",
}


#: The credential and TLS fields, each an option ``--nats-<field>``.
AUTH_FIELDS = tuple(_HELP)


def add_auth_arguments(parser: argparse.ArgumentParser) -> None:
    """``--nats-user`` ... ``--nats-key``; unset options fall back to the variables."""
    group = parser.add_argument_group("NATS credentials and TLS")
    for name, text in _HELP.items():
        group.add_argument(
            f"--nats-{name}",
            dest=f"nats_{name}",
            metavar="FILE" if name in ("nkey", "creds", "ca", "cert", "key") else name.upper(),
            default=None,
            help=f"{text} [env {ENV_VARS[name]}]",
        )


def auth_from_args(ns: argparse.Namespace) -> NatsAuth:
    """The variables' credentials, with the command line's options taking their place."""
    given = {name: getattr(ns, f"nats_{name}", None) for name in _HELP}
    return NatsAuth.from_env().merged(NatsAuth(**given))
