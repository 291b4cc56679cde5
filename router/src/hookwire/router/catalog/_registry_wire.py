"""The plugin registry's requests and replies (JSON on ``hookwire.registry.*``).

The same Structs are the answers of the offline CLI, so ``hookwire plugins ... --json``
prints the same document whether it read ``plugin_dirs`` itself or asked a router.
Evolution: new fields get defaults, fields are only appended, a type never changes.
"""

from __future__ import annotations

from typing import Any

import msgspec

from hookwire.router.catalog._quality import QualityView
from hookwire.schemas import ErrorInfo


class _Wire(msgspec.Struct, frozen=True, kw_only=True):
    pass


class ListRequest(_Wire, frozen=True, kw_only=True):
    """Every plugin, or those with this maturity, capability and hook."""

    maturity: str | None = None
    capability: str | None = None
    hook: str | None = None


class GetRequest(_Wire, frozen=True, kw_only=True):
    name: str


class SearchRequest(_Wire, frozen=True, kw_only=True):
    query: str
    limit: int = 10


class PluginSummary(_Wire, frozen=True, kw_only=True):
    """One line of ``plugins list``."""

    name: str
    version: str
    description: str
    maturity: str
    capabilities: list[str]
    hooks: list[str]
    test_coverage: float | None = None
    quality_source: str = "none"
    measured_at: str | None = None
    compatible: bool = True
    replacement: str | None = None


class Deprecation(_Wire, frozen=True, kw_only=True):
    replacement: str | None = None
    migration: str | None = None


class PluginDetail(_Wire, frozen=True, kw_only=True):
    """Everything ``plugins show`` prints."""

    summary: PluginSummary
    entry: str
    path: str
    author: str | None = None
    license: str | None = None
    requires_hookwire: str | None = None
    hookwire_version: str
    dependencies: list[str] = []
    config_schema: dict[str, Any] = {}
    config_defaults: dict[str, Any] = {}
    quality: QualityView
    criteria: str
    supported_level: str | None = None
    contradictions: list[str] = []
    deprecation: Deprecation | None = None


class SearchHit(_Wire, frozen=True, kw_only=True):
    plugin: PluginSummary
    score: float
    matched: list[str]


class ListReply(_Wire, frozen=True, kw_only=True):
    plugins: list[PluginSummary] = []
    error: ErrorInfo | None = None


class GetReply(_Wire, frozen=True, kw_only=True):
    plugin: PluginDetail | None = None
    error: ErrorInfo | None = None


class SearchReply(_Wire, frozen=True, kw_only=True):
    query: str = ""
    hits: list[SearchHit] = []
    error: ErrorInfo | None = None


Reply = ListReply | GetReply | SearchReply
