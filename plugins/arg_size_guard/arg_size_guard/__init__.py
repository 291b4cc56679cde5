"""arg_size_guard: limits the JSON size, string length and nesting depth of arguments."""

from .plugin import ArgSizeGuard, Limits

__all__ = ["ArgSizeGuard", "Limits"]
