"""``hookwire admin``: the admin web service (JSON API and pages) over a running deployment."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from typing import Any

from nats.aio.client import Client

from hookwire.router._stack import Stack
from hookwire.router.admin._auth import Tokens
from hookwire.router.admin._server import (
    DEFAULT_LISTEN,
    AdminServer,
    is_loopback,
    new_token,
    parse_listen,
)
from hookwire.router.cli._connection import NoTarget, add_client_options, resolve_target
from hookwire.router.cli._options import add_logging_options
from hookwire.router.cli._service import log_settings
from hookwire.router.errors import StackError
from hookwire.service import SignalQueue, connect


def add_admin_token_options(p: argparse.ArgumentParser) -> None:
    """``--admin-token`` and ``--admin-read-token`` (one variable each whatever the
    command: ``HOOKWIRE_ADMIN_TOKEN``, ``HOOKWIRE_ADMIN_READ_TOKEN``)."""
    p.add_argument(
        "--admin-token",
        metavar="TOKEN",
        help="token the admin service asks of writes (default: a new one, printed)",
    )
    p.add_argument(
        "--admin-read-token",
        metavar="TOKEN",
        help="token the admin service asks of reads too (default: reads are open)",
    )


def tokens_from(ns: argparse.Namespace) -> Tokens:
    return Tokens(write=ns.admin_token or new_token(), read=ns.admin_read_token or None)


def check_listen(listen: str, tokens: Tokens, open_reads: bool = False) -> str | None:
    """Why ``listen`` is refused, or None: beyond loopback, reads need a token."""
    try:
        host, _ = parse_listen(listen)
    except ValueError as exc:
        return str(exc)
    if not is_loopback(host) and tokens.read is None and not open_reads:
        return (
            f"--listen {listen} is reachable from other hosts: give --admin-read-token "
            "(or --open-reads to serve reads to anyone who can reach it)"
        )
    return None


def add_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "admin",
        help="serve the admin web pages and JSON API of a running deployment",
        description="A web service over a running deployment, reached through NATS only "
        "(the registry service, the status answers, the live config): it keeps no state, "
        "so any number can run. Pages at /admin/, the API's OpenAPI document at "
        "/admin/openapi.json. Writes need the write token (Authorization: Bearer TOKEN). "
        "Without credential options it reads as the observer and writes as the operator, "
        "with their creds in the data folder of the running `hookwire up`.",
    )
    add_client_options(p)
    p.add_argument(
        "--listen",
        metavar="HOST:PORT",
        default=DEFAULT_LISTEN,
        help=f"where to serve (default {DEFAULT_LISTEN})",
    )
    add_admin_token_options(p)
    p.add_argument(
        "--open-reads",
        action="store_true",
        help="beyond loopback, serve reads without a token",
    )
    add_logging_options(p)
    p.set_defaults(func=cmd_admin)


async def start_admin(stack: Stack, ns: argparse.Namespace) -> AdminServer | None:
    """The admin service of ``hookwire up``/``demo``, its URL printed (``--admin-listen
    off``: none; the default port taken: a free one). On the secured embedded server it
    reads as the observer and applies and rolls back as the operator (their creds in the
    data folder); otherwise it shares the stack's connection."""
    if ns.admin_listen == "off":
        return None
    assert stack.nc is not None
    tokens = tokens_from(ns)
    reader, writer = stack.nc, stack.nc
    owned: tuple[Client, ...] = ()
    if stack.credentials is not None:
        try:
            reader = await connect(
                stack.url, "hookwire-admin", auth=stack.auth_for("observer"), deadline=10
            )
            writer = await connect(
                stack.url, "hookwire-admin-operator", auth=stack.auth_for("operator"), deadline=10
            )
        except Exception as exc:
            raise StackError(f"admin: cannot connect to NATS: {exc}") from None
        owned = (reader, writer)

    def server_on(listen: str) -> AdminServer:
        return AdminServer(reader, listen, tokens, writer=writer, owned=owned)

    server = server_on(ns.admin_listen)
    try:
        await server.start()
    except StackError:
        if ns.admin_listen != DEFAULT_LISTEN:
            await server.stop()
            raise
        server = server_on("127.0.0.1:0")  # 8080 is taken: a free port
        await server.start()
    print_admin(server, bool(ns.admin_token))
    return server


def add_admin_listen_option(p: argparse.ArgumentParser) -> None:
    """``--admin-listen`` and the token options of ``up`` and ``demo``."""
    p.add_argument(
        "--admin-listen",
        metavar="HOST:PORT",
        default=DEFAULT_LISTEN,
        help=f"where the admin pages and API listen (default {DEFAULT_LISTEN}; 'off': none; "
        "when the default port is taken, a free one)",
    )
    add_admin_token_options(p)


def print_admin(server: AdminServer, given_token: bool) -> None:
    token = "from --admin-token" if given_token else server.tokens.write
    print(f"admin: {server.url}  (write token: {token})", flush=True)


def cmd_admin(ns: argparse.Namespace) -> int:
    tokens = tokens_from(ns)
    refused = check_listen(ns.listen, tokens, ns.open_reads)
    if refused is not None:
        print(f"hookwire admin: {refused}", file=sys.stderr)
        return 2
    log_settings(ns)
    return asyncio.run(_serve(ns, tokens))


async def _serve(ns: argparse.Namespace, tokens: Tokens) -> int:
    try:
        reads, writes = resolve_target(ns, "observer"), resolve_target(ns, "operator")
    except NoTarget as exc:
        print(f"hookwire admin: {exc}", file=sys.stderr)
        return 2
    owned: list[Client] = []
    try:
        owned.append(await connect(reads.url, "hookwire-admin", auth=reads.auth, deadline=10))
        if writes.auth != reads.auth:  # the data folder's roles: writes as the operator
            owned.append(
                await connect(writes.url, "hookwire-admin-operator", auth=writes.auth, deadline=10)
            )
    except Exception as exc:
        print(f"hookwire admin: {exc}", file=sys.stderr)
        for nc in owned:
            await nc.close()
        return 1
    signals = SignalQueue(signal.SIGTERM, signal.SIGINT)
    server = AdminServer(owned[0], ns.listen, tokens, writer=owned[-1], owned=tuple(owned))
    try:
        await server.start()
    except StackError as exc:
        print(f"hookwire {exc}", file=sys.stderr)
        await server.stop()
        return 1
    print_admin(server, bool(ns.admin_token))
    await signals.next()
    signals.close()
    await server.stop()
    return 0
