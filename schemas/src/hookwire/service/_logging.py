"""structlog, configured in exactly one place: JSON when not on a terminal."""

from __future__ import annotations

import logging
import os
import sys

import structlog


def configure_logging(*, json: bool | None = None, level: str | None = None) -> None:
    """Set up structlog for a hookwire process (call once, at start).

    ``json`` defaults to true unless stderr is a terminal; ``level`` defaults to
    ``$HOOKWIRE_LOG_LEVEL`` or ``info``.
    """
    if json is None:
        json = not sys.stderr.isatty()
    name = (level or os.environ.get("HOOKWIRE_LOG_LEVEL") or "info").upper()
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
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
