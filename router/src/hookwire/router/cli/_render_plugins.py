"""``hookwire plugins`` output for people: short, aligned, the same offline and online."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from hookwire.router.catalog._quality import MeasuredQuality
from hookwire.schemas import (
    ListReply,
    PluginDetail,
    PluginSummary,
    QualityView,
    SearchReply,
)

WIDTH = 100


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3].rstrip() + "..."


def coverage_text(s: PluginSummary) -> str:
    """``96.4% (2026-05-01)`` measured, ``80% (manifest)`` typed in, ``-`` unknown."""
    if s.test_coverage is None:
        return "-"
    if s.quality_source == "measured" and s.measured_at:
        return f"{s.test_coverage:g}% ({s.measured_at[:10]})"
    return f"{s.test_coverage:g}% (manifest)"


def _level(s: PluginSummary) -> str:
    return s.maturity + ("" if s.compatible else " (incompatible)")


def render_list(reply: ListReply) -> list[str]:
    plugins = reply.plugins
    if not plugins:
        return ["no plugins match"]
    rows = [("name", "version", "maturity", "coverage", "capabilities")]
    rows += [
        (s.name, s.version, _level(s), coverage_text(s), ", ".join(s.capabilities) or "-")
        for s in plugins
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [f"{len(plugins)} plugin{'s' if len(plugins) != 1 else ''}"]
    for i, row in enumerate(rows):
        lines.append(
            "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[4]
        )
        if i == 0:
            continue
        s = plugins[i - 1]
        lines.append("    " + _clip(s.description, WIDTH - 4))
        extra = f"; replaced by {s.replacement}" if s.replacement else ""
        lines.append("    " + _clip(f"hooks: {', '.join(s.hooks)}{extra}", WIDTH - 4))
    return lines


def render_search(reply: SearchReply) -> list[str]:
    hits = reply.hits
    head = f"{len(hits)} result{'s' if len(hits) != 1 else ''} for {reply.query!r}"
    if not hits:
        return [head]
    name_w = max(len(h.plugin.name) for h in hits)
    lines = [head]
    for rank, h in enumerate(hits, 1):
        s = h.plugin
        lines.append(
            f"{rank:>3}. {s.name.ljust(name_w)}  {h.score:6.2f}  {s.maturity:<10} "
            f"matched: {', '.join(h.matched)}"
        )
        lines.append("     " + _clip(s.description, WIDTH - 5))
    return lines


def _quality_lines(q: QualityView, name: str) -> Iterator[str]:
    if q.source == "measured":
        tests = q.tests
        counts = (
            f"{tests.passed} passed, {tests.failed + tests.errors} failed"
            if tests
            else "no test counts"
        )
        yield (
            f"coverage {q.test_coverage:g}%, {counts} in {q.tests_seconds or 0:.1f}s "
            f"(measured {q.measured_at}, hookwire plugins qa)"
        )
    elif q.test_coverage is not None:
        yield f"coverage {q.test_coverage:g}% (typed in the manifest, not measured)"
    else:
        yield f"coverage unknown (run hookwire plugins qa {name})"
    if q.stale_measurement:
        yield f"last measurement ignored: {q.stale_measurement}"
    yield f"security audit {q.security_audit or 'none'}; review {q.review or 'none'}"
    if isinstance(q.benchmark, Mapping):
        yield "benchmark " + ", ".join(f"{k} {v}" for k, v in q.benchmark.items())
    elif q.benchmark:
        yield f"benchmark {q.benchmark}"


def _schema_type(schema: Mapping[str, Any]) -> str:
    if "enum" in schema:
        return "one of " + "|".join(json.dumps(v) for v in schema["enum"])
    kind = schema.get("type", "any")
    if kind == "array" and isinstance(schema.get("items"), Mapping):
        return f"array of {schema['items'].get('type', 'any')}"
    return "|".join(kind) if isinstance(kind, list) else str(kind)


def config_rows(schema: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str, str, str]]:
    """(dotted key, type, default, description) for every property, nested ones too."""
    rows = []
    required = set(schema.get("required", ()))
    for key, sub in (schema.get("properties") or {}).items():
        if not isinstance(sub, Mapping):
            continue
        path = f"{prefix}{key}"
        if isinstance(sub.get("properties"), Mapping):
            rows += config_rows(sub, f"{path}.")
            continue
        default = json.dumps(sub["default"]) if "default" in sub else "(required)"
        if "default" not in sub and key not in required:
            default = "-"
        rows.append((path, _schema_type(sub), default, str(sub.get("description", ""))))
    return rows


def render_detail(d: PluginDetail) -> list[str]:
    """``plugins show``: the facts, maturity and quality, deprecation, config table."""
    return [*_facts(d), *_judgement(d), "", *_config_table(d.config_schema)]


def _facts(d: PluginDetail) -> list[str]:
    s = d.summary
    compat = "compatible" if s.compatible else "NOT compatible"
    requires = d.requires_hookwire or "any version"
    return [
        f"{s.name} {s.version}  ({s.maturity})",
        "  " + s.description,
        "",
        f"  author        {d.author or '-'}",
        f"  license       {d.license or '-'}",
        f"  entry         {d.entry}",
        f"  folder        {d.path}",
        f"  hooks         {', '.join(s.hooks)}",
        f"  capabilities  {', '.join(s.capabilities) or '-'}",
        f"  hookwire      {requires} (running {d.hookwire_version}: {compat})",
        f"  dependencies  {', '.join(d.dependencies) or 'none'}",
    ]


def _judgement(d: PluginDetail) -> list[str]:
    """Maturity (and why the figures do not support it), quality, deprecation."""
    lines = [f"  maturity      {d.summary.maturity}: {d.criteria}"]
    if d.contradictions:
        supported = d.supported_level or "alpha"
        lines.append(f"                claim not supported (figures support {supported}):")
        lines += [f"                - {r}" for r in d.contradictions]
    lines += [
        f"  quality       {line}" if i == 0 else f"                {line}"
        for i, line in enumerate(_quality_lines(d.quality, d.summary.name))
    ]
    if d.deprecation:
        lines.append(f"  deprecated    replacement: {d.deprecation.replacement or 'none'}")
        lines.append(f"                migration: {d.deprecation.migration or '-'}")
    return lines


def _config_table(schema: Mapping[str, Any]) -> list[str]:
    """The config keys as aligned rows: key, type, default, description."""
    rows = config_rows(schema)
    if not rows:
        return ["  config: none"]
    lines = ["  config (defaults from the schema):"]
    kw = max(len(r[0]) for r in rows)
    tw = max(len(r[1]) for r in rows)
    dw = max(len(r[2]) for r in rows)
    for key, kind, default, text in rows:
        line = f"    {key.ljust(kw)}  {kind.ljust(tw)}  {default.ljust(dw)}  "
        lines.append((line + _clip(text, max(40, WIDTH + 20 - len(line)))).rstrip())
    return lines


def render_measured(m: MeasuredQuality, path: str) -> list[str]:
    t = m.tests
    lines = [
        f"{m.plugin} {m.plugin_version}: coverage {m.test_coverage:g}%, "
        f"{t.passed} passed, {t.failed + t.errors} failed, {t.skipped} skipped "
        f"in {m.tests_seconds:.1f}s",
    ]
    if m.benchmark:
        lines.append("benchmark: " + ", ".join(f"{k} {v}" for k, v in m.benchmark.items()))
    lines.append(f"recorded {m.measured_at.isoformat()} in {path}")
    return lines
