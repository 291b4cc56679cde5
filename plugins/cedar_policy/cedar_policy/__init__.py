"""hookwire plugin: authorizes events with Cedar policies."""

from .plugin import CedarPolicy

__all__ = ["CedarPolicy"]
