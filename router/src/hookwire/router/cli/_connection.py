"""Which NATS a command talks to, and as whom: options, variables, or a running ``up``.

A client command (send, status, apply, rollback, config, plugins) uses, in order:
``--nats`` (``HOOKWIRE_NATS_URL``), else the URL of the ``hookwire up`` running with
the data folder (``--data-dir``, ``HOOKWIRE_DATA_DIR``, else ``.hookwire`` in the
current folder). Its credentials are the options and ``HOOKWIRE_NATS_*`` variables,
else its role's creds file in that data folder. It never guesses a server.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from hookwire.router.cli._options import add_nats_options
from hookwire.router.config._load import Config
from hookwire.router.errors import NoTarget
from hookwire.router.live._running import read_running
from hookwire.router.security import Credentials
from hookwire.service import NatsAuth, auth_from_args

__all__ = [
    "NoTarget",
    "Target",
    "add_client_options",
    "resolve_target",
    "service_connection",
]

DEFAULT_DATA_DIR = ".hookwire"


@dataclass(frozen=True)
class Target:
    url: str
    auth: NatsAuth
    #: the data folder whose ``up`` or creds were used, if any
    data_dir: Path | None = None


def add_client_options(p: argparse.ArgumentParser) -> None:
    """``--nats``, ``--data-dir`` and the credential options of a client command."""
    add_nats_options(
        p,
        default=None,
        help_text="NATS server URL (default: the running `hookwire up` of the data folder)",
    )
    p.add_argument(
        "--data-dir",
        metavar="DIR",
        help=f"data folder of a running `hookwire up` (default: ./{DEFAULT_DATA_DIR})",
    )


def service_connection(
    ns: argparse.Namespace, config: Config, fallback: str | None = None
) -> tuple[str | None, NatsAuth]:
    """A service's URL and credentials: options and variables first, then the config's
    ``nats:`` section, then ``fallback``."""
    section = config.nats
    from_file = NatsAuth()
    if section is not None:
        given = section.model_dump(exclude={"url"}, exclude_none=True)
        from_file = NatsAuth(**given)
    auth = from_file.merged(auth_from_args(ns))
    url = ns.nats or (section.url if section is not None else None) or fallback
    return url, auth


def data_dir_of(ns: argparse.Namespace) -> Path:
    chosen = getattr(ns, "data_dir", None)  # the option layer read HOOKWIRE_DATA_DIR
    return Path(chosen).expanduser() if chosen else Path.cwd() / DEFAULT_DATA_DIR


def resolve_target(ns: argparse.Namespace, role: str) -> Target:
    """Where and as whom ``role``'s command connects; raises NoTarget with the reason."""
    auth = auth_from_args(ns)
    data_dir = data_dir_of(ns)
    running = read_running(data_dir)
    url = ns.nats or (running.url if running is not None else None)
    if url is None:
        raise NoTarget(
            "no NATS server given (--nats or HOOKWIRE_NATS_URL) and no running `hookwire up` "
            f"found in {data_dir} (give its data folder with --data-dir or "
            "HOOKWIRE_DATA_DIR, or run the command from the folder `up` runs in)"
        )
    creds = Credentials.creds_file(data_dir, role)
    if auth.is_empty and creds.is_file():
        auth = NatsAuth(creds=str(creds))
    return Target(url, auth, data_dir if running is not None or creds.is_file() else None)
