"""deny_list: blocks tool calls and prompts whose arguments contain a denied term."""

from .plugin import DenyList, iter_strings

__all__ = ["DenyList", "iter_strings"]
