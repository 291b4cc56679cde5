"""The root of every exception hookwire raises on purpose."""

from __future__ import annotations


class HookwireError(Exception):
    """Base class: catch this to catch every error hookwire raises deliberately."""
