"""The ``hookwire`` command: one module per command group."""

from hookwire.router.cli._main import build_parser, main, run

__all__ = ["build_parser", "main", "run"]
