"""Who may do what on the bus: roles, their NATS permissions, and their credentials."""

from hookwire.router.security._jwt import encode_jwt, new_seed
from hookwire.router.security._roles import (
    ROLES,
    Permissions,
    inbox_prefix,
    permissions,
    worker_role,
)
from hookwire.router.security._store import Credentials, SecurityError, write_private

__all__ = [
    "ROLES",
    "Credentials",
    "Permissions",
    "SecurityError",
    "encode_jwt",
    "inbox_prefix",
    "new_seed",
    "permissions",
    "worker_role",
    "write_private",
]
