"""A replay report for people: counts, each changed event, per-plugin latency."""

from __future__ import annotations

import json

from hookwire.router.record._replay import ReplayReport


def render_report(report: ReplayReport) -> list[str]:
    """The report for people: counts, each changed event, per-plugin latency."""
    rate = f", {report.total / report.seconds:.0f} events/s" if report.seconds else ""
    lines = [
        f"replayed {report.total} event(s){rate}: {report.unchanged} unchanged, "
        f"{len(report.decision_changed)} decision(s) changed, "
        f"{len(report.payload_changed)} payload(s) changed"
    ]
    for c in report.decision_changed:
        lines.append(f"  {c.request_id}  {c.hook}  {c.decision_before} -> {c.decision_after}")
        if c.violation:
            v = c.violation
            lines.append(
                f"      violation  {v.get('plugin_name', '')}: {v.get('reason', '')}"
                + (f" [{v['code']}]" if v.get("code") else "")
            )
        if c.error:
            lines.append(f"      error      [{c.error['code']}] {c.error['message']}")
        for d in c.deciders:
            lines.append(f"      decided by {d.plugin} ({d.instance}), rule {d.rule or '?'}")
    for c in report.payload_changed:
        lines.append(f"  {c.request_id}  {c.hook}  payload changed")
        for p in c.paths:
            lines.append(f"      {p.path}: {json.dumps(p.before)} -> {json.dumps(p.after)}")
    latency = report.latency()
    if latency:
        lines.append("  plugin latency (mean ms)   before    after")
        for plugin, row in latency.items():
            b, a = row["before_ms"], row["after_ms"]
            lines.append(
                f"    {plugin:<24} {'-' if b is None else f'{b:.2f}':>8} "
                f"{'-' if a is None else f'{a:.2f}':>8}"
            )
    return lines
