"""The ``hookwire`` command. Every option can also come from a ``HOOKWIRE_*`` variable
(the option layer: ``_options.py``)."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from importlib import metadata

from hookwire.router.cli import _admin as _cmd_admin
from hookwire.router.cli import _check as _cmd_config
from hookwire.router.cli import _demo as _cmd_demo
from hookwire.router.cli import _live as _cmd_live
from hookwire.router.cli import _plugins as _cmd_plugins
from hookwire.router.cli import _pools as _cmd_pools
from hookwire.router.cli import _record as _cmd_record
from hookwire.router.cli import _security as _cmd_security
from hookwire.router.cli import _service as _cmd_service
from hookwire.router.cli import _up as _cmd_up
from hookwire.router.cli._options import EXIT_USAGE, Parser, add_commands

#: Exit code for a command interrupted by Ctrl-C.
EXIT_INTERRUPTED = 130


def version() -> str:
    """``hookwire 0.1.0`` with the version of each installed member."""
    parts = []
    for member in ("router", "schemas", "workers"):  # distributions hookwire-<member>
        try:
            parts.append(f"{member} {metadata.version(f'hookwire-{member}')}")
        except metadata.PackageNotFoundError:
            continue
    return f"hookwire {metadata.version('hookwire-router')} ({', '.join(parts)})"


def build_parser() -> Parser:
    parser = Parser(
        prog="hookwire",
        description="hookwire: guardrail plugins for MCP gateways, out of process, over NATS.",
        epilog="Run `hookwire COMMAND --help` for a command's options. Every option can "
        "also come from the HOOKWIRE_* variable shown beside it.",
    )
    parser.add_argument("--version", action="version", version=version())
    sub = add_commands(parser, "command", "COMMAND")
    _cmd_config.add_parsers(sub)
    _cmd_service.add_parsers(sub)
    _cmd_up.add_parsers(sub)
    _cmd_demo.add_parsers(sub)
    _cmd_pools.add_parsers(sub)
    _cmd_plugins.add_parsers(sub)
    _cmd_live.add_parsers(sub)
    _cmd_record.add_parsers(sub)
    _cmd_admin.add_parsers(sub)
    _cmd_security.add_parsers(sub)
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
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        raise  # run() ends quietly
    except OSError as exc:  # a file or folder that cannot be read or written
        where = f": {exc.filename}" if exc.filename else ""
        print(f"hookwire {ns.command}: {exc.strerror or exc}{where}", file=sys.stderr)
        return 1
    return code


def run() -> None:
    """Console-script wrapper: exit with ``main``'s code; a closed pipe ends quietly."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # `hookwire ... | head`: the reader left. Point stdout at /dev/null so the
        # interpreter's own flush at exit does not complain (Python's signal docs).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = 1  # the output was cut short
    sys.exit(code)


__all__ = ["EXIT_USAGE", "build_parser", "main", "run"]
