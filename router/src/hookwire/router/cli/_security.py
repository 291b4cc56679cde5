"""CLI command ``hookwire security init``: the roles' creds and a nats-server config."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from hookwire.router.cli._connection import DEFAULT_DATA_DIR
from hookwire.router.cli._options import add_commands
from hookwire.router.config._load import load_config
from hookwire.router.errors import ConfigError
from hookwire.router.security import ROLES, Credentials, permissions, worker_role


def add_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "security",
        help="make the roles' credentials and a nats-server config (docs/security.md)",
        description="Credentials of the hookwire roles, one creds file each, signed by an "
        "account of this data folder (made with the nkeys package), and a nats-server "
        "config that trusts exactly them.",
    )
    ssub = add_commands(p, "security_command")
    q = ssub.add_parser(
        "init",
        help="make (or complete) <data dir>/creds and <data dir>/nats-auth/nats-server.conf",
        description="Make the creds of every role (gateway, router, supervisor, operator, "
        "observer, recorder) and of each plugin's workers (from --config and --plugin) where "
        "missing, with mode 0600. Existing creds and keys are kept.",
    )
    q.add_argument("--config", metavar="FILE", help="config whose plugins get worker creds")
    q.add_argument(
        "--data-dir",
        metavar="DIR",
        help=f"data folder (default: {DEFAULT_DATA_DIR} beside the config, "
        "else in the current folder)",
    )
    q.add_argument("--plugin", action="append", default=[], help="a plugin name (repeatable)")
    q.set_defaults(func=cmd_init)
    q = ssub.add_parser("roles", help="print each role's NATS permissions as JSON")
    q.add_argument("--plugin", action="append", default=[], help="a plugin name (repeatable)")
    q.set_defaults(func=cmd_roles)


def cmd_init(ns: argparse.Namespace) -> int:
    plugins = list(ns.plugin)
    base = Path.cwd()
    if ns.config:
        try:
            config = load_config(ns.config)
        except ConfigError as exc:
            print(str(exc), file=sys.stderr)
            return 1
        base = Path(config.file).parent
        plugins += [p.manifest.name for p in config.plugins.values() if p.manifest is not None]
    data_dir = Path(ns.data_dir).expanduser() if ns.data_dir else base / DEFAULT_DATA_DIR
    creds = Credentials.ensure(data_dir, tuple(sorted(set(plugins))))
    print(f"creds        {creds.creds_dir}/<role>.creds (mode 0600)")
    for path in sorted(creds.creds_dir.glob("*.creds")):
        print(f"  {path.name}")
    print(f"server conf  {creds.server_config}")
    print(f"keys         {creds.auth_dir} (operator and account seeds: keep them private)")
    print("run a server with them:  nats-server -js -c " + str(creds.server_config))
    return 0


def cmd_roles(ns: argparse.Namespace) -> int:
    roles = [*ROLES, *(worker_role(p) for p in ns.plugin or ["P"])]
    print(json.dumps({role: permissions(role).jwt_claims() for role in roles}, indent=2))
    return 0
