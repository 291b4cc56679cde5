"""content_moderation: flags hate, harassment, violence, self-harm, sexual content and
profanity, and blocks, warns or redacts per category."""

from ._engine import CATEGORIES, Engine, normalize
from .plugin import ContentModeration

__all__ = ["CATEGORIES", "ContentModeration", "Engine", "normalize"]
