"""hookwire plugin: rate limits per user, tenant and tool, shared across the worker pool."""

from .plugin import RateLimiter

__all__ = ["RateLimiter"]
