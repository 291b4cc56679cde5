"""structlog, configured in exactly one place: JSON when not on a terminal."""

from __future__ import annotations

import logging
import os
import sys

import structlog


def configure_logging(*, json: bool | None = None, level: str | None = None) -> None:
    """Set up structlog for a hookwire process (call once, at start).

    ``json`` defaults to ``$HOOKWIRE_LOG_JSON`` (1 or 0: what ``--log-json`` or
    ``--log-pretty`` of the process that started this one said), else to true unless
    stderr is a terminal; ``level`` defaults to ``$HOOKWIRE_LOG_LEVEL`` or ``info``.
    Readable lines are coloured only on a terminal.
    """
    tty = sys.stderr.isatty()
    if json is None:
        env = os.environ.get("HOOKWIRE_LOG_JSON", "").strip().lower()
        json = env in ("1", "true", "yes", "on") if env else not tty
    name = (level or os.environ.get("HOOKWIRE_LOG_LEVEL") or "info").upper()
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=tty)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, name, logging.INFO)),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )


def reset_logging() -> None:
    """Back to structlog's defaults (tests)."""
    structlog.reset_defaults()
