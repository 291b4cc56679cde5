"""NATS JWTs and creds files made with the ``nkeys`` package (no ``nsc`` needed).

A NATS decentralised-auth chain: an operator signs accounts, an account signs its users.
Each JWT is ``header.claims.signature``, the signature an ed25519 one by the issuer's NKEY.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from typing import Any

import nkeys

__all__ = ["KeyPair", "creds_text", "encode_jwt", "new_seed"]

OPERATOR = nkeys.PREFIX_BYTE_OPERATOR
ACCOUNT = nkeys.PREFIX_BYTE_ACCOUNT
USER = nkeys.PREFIX_BYTE_USER


class KeyPair:
    """An NKEY seed and its public key."""

    def __init__(self, seed: bytes) -> None:
        self.seed = seed
        self._kp = nkeys.from_seed(bytearray(seed))
        self.public = bytes(self._kp.public_key).decode()

    def sign(self, data: bytes) -> bytes:
        return bytes(self._kp.sign(data))


def new_seed(prefix: int) -> bytes:
    """A fresh NKEY seed (``SO...``, ``SA...``, ``SU...``) of the given kind."""
    return bytes(nkeys.encode_seed(os.urandom(32), prefix))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def encode_jwt(subject: str, name: str, nats: dict[str, Any], issuer: KeyPair) -> str:
    """A JWT for ``subject`` (a public key) signed by ``issuer``."""
    claims: dict[str, Any] = {
        "iat": int(time.time()),
        "iss": issuer.public,
        "name": name,
        "sub": subject,
        "nats": nats,
    }
    digest = hashlib.sha256(json.dumps(claims, sort_keys=True).encode()).digest()
    claims["jti"] = base64.b32encode(digest).rstrip(b"=").decode()
    header = _b64(json.dumps({"typ": "JWT", "alg": "ed25519-nkey"}).encode())
    body = _b64(json.dumps(claims, separators=(",", ":")).encode())
    signature = _b64(issuer.sign(f"{header}.{body}".encode()))
    return f"{header}.{body}.{signature}"


def creds_text(jwt: str, seed: bytes) -> str:
    """A creds file: the user JWT and its seed, as ``nsc`` writes them."""
    return (
        "-----BEGIN NATS USER JWT-----\n"
        f"{jwt}\n"
        "------END NATS USER JWT------\n\n"
        "************************* IMPORTANT *************************\n"
        "NKEY Seed printed below can be used to sign and prove identity.\n"
        "NKEYs are sensitive and should be treated as secrets.\n\n"
        "-----BEGIN USER NKEY SEED-----\n"
        f"{seed.decode()}\n"
        "------END USER NKEY SEED------\n"
    )
