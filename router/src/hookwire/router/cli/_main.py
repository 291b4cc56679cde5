"""The ``hookwire`` command. Every option can also come from a ``HOOKWIRE_*`` variable."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from hookwire.router.cli import _check as _cmd_config
from hookwire.router.cli import _demo as _cmd_demo
from hookwire.router.cli import _live as _cmd_live
from hookwire.router.cli import _plugins as _cmd_plugins
from hookwire.router.cli import _pools as _cmd_pools
from hookwire.router.cli import _record as _cmd_record
from hookwire.router.cli import _service as _cmd_service
from hookwire.router.cli import _up as _cmd_up


def env_option(
    name: str,
    help_text: str,
    *,
    required: bool = True,
    positional: bool = False,
    fallback: str | None = None,
) -> dict[str, Any]:
    """argparse kwargs for an option that defaults to ``$HOOKWIRE_<name>``.

    A required positional (``nargs="?"``) with neither a value nor the variable
    is reported by ``main``.
    """
    var = f"HOOKWIRE_{name}"
    default = os.environ.get(var, fallback)
    shown = f"; default {fallback}" if fallback else ""
    kwargs: dict[str, Any] = {"default": default, "help": f"{help_text} [env {var}{shown}]"}
    if positional:
        kwargs["metavar"] = name
    else:
        kwargs["required"] = required and default is None
    return kwargs


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hookwire",
        description="hookwire: guardrail plugins for MCP gateways, out of process, over NATS.",
        epilog="Run `hookwire COMMAND --help` for a command's options.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _cmd_config.add_parsers(sub, env_option)
    _cmd_service.add_parsers(sub, env_option)
    _cmd_up.add_parsers(sub, env_option)
    _cmd_demo.add_parsers(sub, env_option)
    _cmd_pools.add_parsers(sub, env_option)
    _cmd_plugins.add_parsers(sub, env_option)
    _cmd_live.add_parsers(sub, env_option)
    _cmd_record.add_parsers(sub, env_option)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hookwire`` console script."""
    parser = build_parser()
    ns = parser.parse_args(argv)
    if getattr(ns, "config", "") is None:
        parser.error(f"{ns.command}: give a CONFIG file (or set HOOKWIRE_CONFIG)")
    try:
        code: int = ns.func(ns)
    except KeyboardInterrupt:
        return 130
    return code


def run() -> None:
    """Console-script wrapper: exit with ``main``'s code."""
    sys.exit(main())


if __name__ == "__main__":
    run()
