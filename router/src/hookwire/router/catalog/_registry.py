"""The plugin registry: list, get and search over plugin packages and their quality.

Pure: it reads manifests (already loaded) and ``quality.measured.json`` files, nothing
else. The offline CLI and the registry micro service both answer with it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from hookwire.router.catalog._compat import hookwire_version, supports_running
from hookwire.router.catalog._manifest import PluginPackage
from hookwire.router.catalog._maturity import CRITERIA, LEVELS, contradictions, supported_level
from hookwire.router.catalog._merge import schema_defaults
from hookwire.router.catalog._quality import quality_view
from hookwire.router.catalog._search import BM25Index, field_text
from hookwire.schemas import (
    BUILTIN_HOOKS,
    Deprecation,
    ErrorInfo,
    GetReply,
    GetRequest,
    ListReply,
    ListRequest,
    PluginDetail,
    PluginSummary,
    SearchHit,
    SearchReply,
    SearchRequest,
)

#: How much a query term found in each field counts (BM25F weights).
FIELD_WEIGHTS = {"name": 3.0, "capabilities": 2.0, "hooks": 1.0, "description": 1.0}
MAX_LIMIT = 100
#: A deprecated plugin's relevance is scaled by this: search steers to its replacement.
DEPRECATED_FACTOR = 0.5


class Registry:
    """The plugins of ``packages`` (by name), with their quality read once, now."""

    def __init__(self, packages: Mapping[str, PluginPackage]) -> None:
        self.packages = dict(sorted(packages.items()))
        self.running = hookwire_version()
        self.quality = {name: quality_view(p) for name, p in self.packages.items()}
        self._index: BM25Index | None = None

    def summary(self, name: str) -> PluginSummary:
        m = self.packages[name].manifest
        q = self.quality[name]
        return PluginSummary(
            name=m.name,
            version=m.version,
            description=m.description,
            maturity=m.maturity,
            capabilities=list(m.capabilities),
            hooks=list(m.hooks),
            test_coverage=q.test_coverage,
            quality_source=q.source,
            measured_at=q.measured_at,
            compatible=supports_running(m, self.running),
            replacement=m.deprecation.replacement if m.deprecation else None,
        )

    def list(self, req: ListRequest) -> ListReply:
        if req.maturity is not None and req.maturity not in LEVELS:
            return ListReply(
                error=_bad("bad_request", f"unknown maturity {req.maturity!r}", LEVELS)
            )
        manifests = [p.manifest for p in self.packages.values()]
        capabilities = sorted({c for m in manifests for c in m.capabilities})
        if req.capability is not None and req.capability not in capabilities:
            message = f"no plugin has capability {req.capability!r}"
            return ListReply(error=_bad("bad_request", message, tuple(capabilities)))
        hooks = sorted({*BUILTIN_HOOKS, *(h for m in manifests for h in m.hooks)})
        if req.hook is not None and req.hook not in hooks:
            return ListReply(error=_bad("bad_request", f"unknown hook {req.hook!r}", tuple(hooks)))
        names = [
            name
            for name, p in self.packages.items()
            if (req.maturity is None or p.manifest.maturity == req.maturity)
            and (req.capability is None or req.capability in p.manifest.capabilities)
            and (req.hook is None or req.hook in p.manifest.hooks)
        ]
        return ListReply(plugins=[self.summary(n) for n in names])

    def get(self, req: GetRequest) -> GetReply:
        package = self.packages.get(req.name)
        if package is None:
            return GetReply(
                error=_bad("not_found", f"no plugin named {req.name!r}", tuple(self.packages))
            )
        m = package.manifest
        q = self.quality[req.name]
        defaults = schema_defaults(m.config_schema)
        return GetReply(
            plugin=PluginDetail(
                summary=self.summary(req.name),
                entry=m.entry,
                path=str(package.path.resolve()),
                author=m.author,
                license=m.license,
                requires_hookwire=m.requires_hookwire,
                hookwire_version=self.running,
                dependencies=dependencies(package),
                config_schema=m.config_schema,
                config_defaults=defaults if isinstance(defaults, dict) else {},
                quality=q,
                criteria=CRITERIA[m.maturity],
                supported_level=supported_level(q),
                contradictions=contradictions(m.maturity, q),
                deprecation=Deprecation(
                    replacement=m.deprecation.replacement, migration=m.deprecation.migration
                )
                if m.deprecation
                else None,
            )
        )

    def search(self, req: SearchRequest) -> SearchReply:
        if not req.query.strip():
            return SearchReply(error=ErrorInfo(code="bad_request", message="empty query"))
        limit = max(1, min(req.limit, MAX_LIMIT))
        hits = sorted(
            (
                replace(h, score=h.score * DEPRECATED_FACTOR)
                if self.packages[h.doc].manifest.maturity == "deprecated"
                else h
                for h in self.index.search(req.query)
            ),
            key=lambda h: (-h.score, h.doc),
        )[:limit]
        return SearchReply(
            query=req.query,
            hits=[
                SearchHit(
                    plugin=self.summary(h.doc), score=round(h.score, 4), matched=list(h.fields)
                )
                for h in hits
            ],
        )

    @property
    def index(self) -> BM25Index:
        if self._index is None:
            docs = {
                name: {
                    "name": name,
                    "capabilities": field_text(p.manifest.capabilities),
                    "hooks": field_text(p.manifest.hooks),
                    "description": p.manifest.description,
                }
                for name, p in self.packages.items()
            }
            self._index = BM25Index(docs, FIELD_WEIGHTS)
        return self._index


def _bad(code: str, message: str, choices: tuple[str, ...]) -> ErrorInfo:
    known = ", ".join(choices) or "none"
    return ErrorInfo(code=code, message=f"{message} (known: {known})")


def dependencies(package: PluginPackage) -> list[str]:
    """What the plugin's venv installs for it: its requirements file and pyproject deps."""
    out: list[str] = []
    req = package.path / package.manifest.requirements
    if req.is_file():
        for line in req.read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            if line and not line.startswith("-"):
                out.append(line)
    out += _pyproject_dependencies(package.path / "pyproject.toml")
    return list(dict.fromkeys(out))


def _pyproject_dependencies(path: Path) -> list[str]:
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return []
    deps = data.get("project", {}).get("dependencies", [])
    return [str(d) for d in deps] if isinstance(deps, list) else []
