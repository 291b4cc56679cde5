"""The credentials of one deployment, kept in its data folder.

``<data dir>/creds/<role>.creds`` holds each role's creds file (``worker-<plugin>.creds``
for each pool), and ``<data dir>/nats-auth/`` the operator and account seeds that sign
them and ``nats-server.conf``, which makes a nats-server trust exactly these users.
Every file is written with mode 0600, in folders of mode 0700.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from hookwire.router.errors import SecurityError
from hookwire.router.security._jwt import (
    ACCOUNT,
    OPERATOR,
    USER,
    KeyPair,
    creds_text,
    encode_jwt,
    new_seed,
)
from hookwire.router.security._roles import ROLES, permissions, worker_role

__all__ = ["Credentials", "SecurityError", "write_private"]

CREDS_DIR = "creds"
AUTH_DIR = "nats-auth"
SERVER_CONFIG = "nats-server.conf"
#: An account that may use JetStream without limits (the live config needs it).
_ACCOUNT_LIMITS = {
    "subs": -1,
    "data": -1,
    "payload": -1,
    "imports": -1,
    "exports": -1,
    "wildcards": True,
    "conn": -1,
    "leaf": -1,
    "mem_storage": -1,
    "disk_storage": -1,
    "streams": -1,
    "consumer": -1,
}
_PLUGIN_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` with mode 0600 (the file is never readable by others)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


class Credentials:
    """Load or make a deployment's keys; mint creds per role on demand."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.creds_dir = self.data_dir / CREDS_DIR
        self.auth_dir = self.data_dir / AUTH_DIR
        self.operator = KeyPair(self._seed("operator.nk", OPERATOR))
        self.account = KeyPair(self._seed("account.nk", ACCOUNT))
        #: nats-server's own system account (JetStream needs one); no hookwire user in it
        self.system = KeyPair(self._seed("system.nk", ACCOUNT))

    @classmethod
    def ensure(cls, data_dir: Path, plugins: tuple[str, ...] = ()) -> Credentials:
        """The folder's credentials, made where missing: every fixed role, each plugin's
        worker role, and the server config."""
        self = cls(data_dir)
        for role in (*ROLES, *(worker_role(p) for p in plugins)):
            self.creds(role)
        self.write_server_config()
        return self

    def _seed(self, name: str, prefix: int) -> bytes:
        path = self.auth_dir / name
        if path.is_file():
            return path.read_bytes().strip()
        seed = new_seed(prefix)
        write_private(path, seed.decode() + "\n")
        return seed

    def creds_path(self, role: str) -> Path:
        return self.creds_file(self.data_dir, role)

    @staticmethod
    def creds_file(data_dir: Path, role: str) -> Path:
        """Where ``role``'s creds file is in ``data_dir`` (it may not exist)."""
        return Path(data_dir) / CREDS_DIR / f"{role}.creds"

    def creds(self, role: str) -> Path:
        """The creds file of ``role`` (made on first use; a worker role per plugin)."""
        if role.startswith("worker-") and not _PLUGIN_NAME.match(role.removeprefix("worker-")):
            raise SecurityError(f"plugin name {role.removeprefix('worker-')!r} cannot be a role")
        path = self.creds_path(role)
        if path.is_file():
            return path
        seed = new_seed(USER)
        user = KeyPair(seed)
        claims = permissions(role).jwt_claims()
        nats = {**claims, "subs": -1, "data": -1, "payload": -1, "type": "user", "version": 2}
        jwt = encode_jwt(user.public, f"hookwire-{role}", nats, self.account)
        write_private(path, creds_text(jwt, seed))
        return path

    def server_config_text(self) -> str:
        """A nats-server config (operator mode, in-memory resolver) that trusts these keys."""
        operator_jwt = encode_jwt(
            self.operator.public,
            "hookwire",
            {"system_account": self.system.public, "type": "operator", "version": 2},
            self.operator,
        )
        system_jwt = encode_jwt(
            self.system.public,
            "SYS",
            {
                "limits": {**_ACCOUNT_LIMITS, "mem_storage": 0, "disk_storage": 0},
                "type": "account",
                "version": 2,
            },
            self.operator,
        )
        account_jwt = encode_jwt(
            self.account.public,
            "HOOKWIRE",
            {"limits": _ACCOUNT_LIMITS, "type": "account", "version": 2},
            self.operator,
        )
        return (
            "# hookwire roles: made by `hookwire security init`; every user is a creds file\n"
            "# signed by the account below (no anonymous access).\n"
            f"operator: {operator_jwt}\n"
            f"system_account: {self.system.public}\n"
            "resolver: MEMORY\n"
            "resolver_preload: {\n"
            f"  {self.account.public}: {account_jwt}\n"
            f"  {self.system.public}: {system_jwt}\n"
            "}\n"
        )

    def write_server_config(self) -> Path:
        path = self.auth_dir / SERVER_CONFIG
        write_private(path, self.server_config_text())
        return path

    @property
    def server_config(self) -> Path:
        return self.auth_dir / SERVER_CONFIG
