"""The plugin registry's requests and replies (JSON on ``hookwire.registry.*``).

The same Structs are the answers of the offline CLI, so ``hookwire plugins ... --json``
prints the same document whether it read ``plugin_dirs`` itself or asked a router.
Requests and replies carry ``"type": "hookwire.v1.registry_<kind>"`` (a receiver accepts
it missing). Evolution: new fields get defaults, fields are only appended, a type never
changes.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from ._messages import ErrorInfo, _tag


class _Wire(msgspec.Struct, frozen=True, kw_only=True):
    """Base of every part of a registry message (defaults are encoded too)."""


class SuiteCounts(_Wire, frozen=True, kw_only=True):
    """Outcome of the plugin's own tests in one QA run."""

    passed: int
    failed: int
    errors: int = 0
    skipped: int = 0

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.errors + self.skipped


class QualityView(_Wire, frozen=True, kw_only=True):
    """A plugin's quality as shown and judged: measured figures first, else the manifest's."""

    source: Literal["measured", "manifest", "none"]
    test_coverage: float | None = None
    measured_at: str | None = None
    tests: SuiteCounts | None = None
    tests_seconds: float | None = None
    benchmark: dict[str, Any] | str | None = None
    security_audit: str | None = None
    review: str | None = None
    stale_measurement: str | None = None

    @property
    def known(self) -> bool:
        """Whether there is any figure at all to judge a maturity claim by."""
        return (
            self.test_coverage is not None
            or self.security_audit is not None
            or self.review is not None
        )


class ListRequest(
    _Wire, frozen=True, kw_only=True, tag_field="type", tag=_tag("registry_list_request")
):
    """Every plugin, or those with this maturity, capability and hook."""

    maturity: str | None = None
    capability: str | None = None
    hook: str | None = None


class GetRequest(
    _Wire, frozen=True, kw_only=True, tag_field="type", tag=_tag("registry_get_request")
):
    name: str


class SearchRequest(
    _Wire, frozen=True, kw_only=True, tag_field="type", tag=_tag("registry_search_request")
):
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


class ListReply(
    _Wire, frozen=True, kw_only=True, tag_field="type", tag=_tag("registry_list_reply")
):
    plugins: list[PluginSummary] = []
    error: ErrorInfo | None = None


class GetReply(_Wire, frozen=True, kw_only=True, tag_field="type", tag=_tag("registry_get_reply")):
    plugin: PluginDetail | None = None
    error: ErrorInfo | None = None


class SearchReply(
    _Wire, frozen=True, kw_only=True, tag_field="type", tag=_tag("registry_search_reply")
):
    query: str = ""
    hits: list[SearchHit] = []
    error: ErrorInfo | None = None


RegistryReply = ListReply | GetReply | SearchReply
