"""Rule engine resolution benchmark: cache hit, cache miss, ``when``, naive baseline.

Run from the repository root::

    uv run python bench/resolve.py            # full run (sizes 10, 1,000, 10,000)
    uv run python bench/resolve.py --quick    # smoke run (sizes 10, 1,000; fewer batches)
    uv run python bench/resolve.py --strict   # exit 1 if a target is missed

Generated configs (``most_specific``), for ``n`` rules:

* a few catch-alls with ``hooks`` (at most 6, whatever ``n``): global policies;
* 10% tag rules over a tag vocabulary of ``n // 50`` tags (about 5 rules per tag);
* the rest name rules, one distinct tool name each (a quarter also set ``hooks``).

So the number of rules that can match one event stays about the same as ``n`` grows:
the 1k-vs-10k miss ratio shows whether resolution cost depends on the total rule count.
The "with when" variant puts ``when: "args.amount > 1000"`` on every 4th rule, on the
rules of the measured tools and on every other catch-all; the measured events carry
``amount: 5000`` so the most specific rule's ``when`` holds. Four plugin manifests are
written to a temporary ``plugin_dirs`` folder, so the run does not depend on test fixtures.

Methods (median of the per-op means of several batches, ``time.perf_counter_ns``,
GC off during a batch; loop and call overhead included, tens of nanoseconds):

* cache hit: ``index.resolve(event)`` on the same event over and over (with ``when``
  this includes building the event's names and evaluating it: ``when`` is per event);
* cache miss: ``index.resolve`` cycling through up to 64 events with distinct static
  keys, on an index whose LRU (``route_cache_size``) holds half as many: with LRU
  eviction every call misses (checked: the hit counter does not move). A miss is the
  full path: static key, bucket lookup, candidate verification, levels, ordering (or
  ``when`` + ordering), LRU insert and eviction;
* naive: every rule's ``mismatch(key)``, then ``when``, keep the highest score, then
  ``order_plugins``; no cache, so the same cost per event hit or miss;
* ``when`` alone: ``When.evaluate`` on names built beforehand; ``event_names`` alone.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import cycle
from pathlib import Path
from typing import Any

import msgspec

from hookwire.router.config._load import Config, config_from_text
from hookwire.router.routing._event import event_names, static_key
from hookwire.router.routing._index import Resolution, RuleIndex
from hookwire.router.routing._order import order_plugins
from hookwire.router.routing._rules import CompiledRule
from hookwire.router.routing._when import When
from hookwire.schemas import Entity, GatewayRequest

PLUGIN_DIR = "plugins"
HOOK = "tool_pre_invoke"
WHEN = "args.amount > 1000"
POOL_SIZE = 64
MIN_RULES = 10
MAX_CATCH_ALLS = 6
TAG_SHARE = 10  # one rule in TAG_SHARE is a tag rule
RULES_PER_TAG = 5
WHEN_EVERY = 4

HIT_TARGET_US = 5.0
MISS_TARGET_US = 200.0
MISS_TARGET_RULES = 10_000
SCALE_TARGET = 2.0
WHEN_TARGET_US = 20.0
BIG_PAYLOAD_KB = 64

MANIFESTS: dict[str, dict[str, Any]] = {
    "pii_filter": {
        "hooks": ["tool_pre_invoke", "tool_post_invoke", "prompt_pre_fetch"],
        "config_schema": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"mask": {"type": "string", "default": "***"}},
        },
    },
    "rate_limiter": {
        "hooks": ["tool_pre_invoke", "prompt_pre_fetch", "http_pre_request"],
        "config_schema": {
            "type": "object",
            "properties": {"by_user": {"type": "string", "default": "100/m"}},
        },
    },
    "validator": {
        "hooks": ["tool_pre_invoke", "tool_post_invoke"],
        "config_schema": {
            "type": "object",
            "properties": {
                "threshold": {"type": "integer", "default": 100},
                "strict": {"type": "boolean", "default": False},
            },
        },
    },
    "audit_logger": {
        "hooks": ["tool_pre_invoke", "tool_post_invoke", "prompt_pre_fetch", "resource_pre_fetch"],
    },
}

CATCH_ALLS: tuple[dict[str, Any], ...] = (
    {"entities": ["tool"], "hooks": ["tool_pre_invoke"], "plugins": [{"name": "audit_logger"}]},
    {
        "entities": ["tool", "prompt"],
        "hooks": ["tool_post_invoke", "prompt_pre_fetch"],
        "plugins": [{"name": "audit_logger"}],
    },
    {
        "entities": ["tool"],
        "hooks": ["tool_pre_invoke", "tool_post_invoke"],
        "priority": 100,
        "plugins": [{"name": "rate_limiter", "priority": 50}],
    },
    {"entities": ["prompt"], "hooks": ["prompt_pre_fetch"], "plugins": [{"name": "pii_filter"}]},
    {
        "entities": ["resource"],
        "hooks": ["resource_pre_fetch"],
        "plugins": [{"name": "audit_logger"}],
    },
    {"entities": ["tool"], "hooks": ["tool_post_invoke"], "plugins": [{"name": "pii_filter"}]},
)


# --- config and events ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Shape:
    """How many rules of each kind a generated config has."""

    rules: int
    catch_alls: int
    tag_rules: int
    vocab: int

    @classmethod
    def of(cls, n: int) -> Shape:
        catch_alls = min(MAX_CATCH_ALLS, max(1, n // 5))
        tag_rules = n // TAG_SHARE
        return cls(n, catch_alls, tag_rules, max(1, tag_rules // RULES_PER_TAG))

    def kind(self, i: int) -> str:
        if i < self.catch_alls:
            return "any"
        return "tag" if i % TAG_SHARE == TAG_SHARE // 2 else "name"


def tool_name(i: int) -> str:
    return f"tool_{i}"


def event_tags(shape: Shape, i: int) -> list[str]:
    return [f"tag_{i % shape.vocab}", f"tag_{(i + 1) % shape.vocab}"]


def name_rule(i: int) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "entities": ["tool"],
        "name": tool_name(i),
        "plugins": [
            {"name": "validator", "config": {"threshold": 100 * (i % 5)}},
            {"name": "pii_filter", "priority": 5},
        ],
    }
    if i % 4 == 0:
        rule["hooks"] = [HOOK]
    return rule


def tag_rule(shape: Shape, i: int) -> dict[str, Any]:
    return {
        "entities": ["tool"],
        "tags": [f"tag_{(i // TAG_SHARE) % shape.vocab}"],
        "plugins": [{"name": "rate_limiter", "config": {"by_user": f"{10 + i % 3}/m"}}],
    }


def pool_indexes(shape: Shape) -> list[int]:
    """Indexes of the name rules whose tools the measured events name."""
    names = (i for i in range(shape.rules) if shape.kind(i) == "name")
    return [i for _, i in zip(range(POOL_SIZE), names, strict=False)]


def make_route(shape: Shape, i: int, pool: set[int], with_when: bool) -> dict[str, Any]:
    kind = shape.kind(i)
    if kind == "any":
        route = dict(CATCH_ALLS[i])
    elif kind == "tag":
        route = tag_rule(shape, i)
    else:
        route = name_rule(i)
    wanted = i % WHEN_EVERY == 0 or i in pool or (kind == "any" and i % 2 == 0)
    if with_when and wanted:
        route["when"] = WHEN
    return route


def write_manifests(base_dir: Path) -> None:
    """One ``plugin-manifest.yaml`` per plugin under ``base_dir / PLUGIN_DIR`` (JSON is YAML)."""
    for name, fields in MANIFESTS.items():
        folder = base_dir / PLUGIN_DIR / name
        folder.mkdir(parents=True)
        manifest = {
            "name": name,
            "version": "1.0.0",
            "description": f"{name} (benchmark stub)",
            "entry": f"{name}.plugin:Plugin",
            "maturity": "stable",
            **fields,
        }
        (folder / "plugin-manifest.yaml").write_text(json.dumps(manifest), encoding="utf-8")


def config_text(shape: Shape, with_when: bool, cache_size: int) -> str:
    pool = set(pool_indexes(shape))
    routes = (make_route(shape, i, pool, with_when) for i in range(shape.rules))
    lines = [
        f"plugin_settings: {{route_cache_size: {cache_size}}}",
        f"plugin_dirs: [{PLUGIN_DIR}]",
        "plugins: {pii_filter: {}, rate_limiter: {}, validator: {}, audit_logger: {}}",
        "routes:",
        *(f"  - {json.dumps(route)}" for route in routes),
    ]
    return "\n".join(lines) + "\n"


def make_event(shape: Shape, i: int) -> GatewayRequest:
    payload = {"name": tool_name(i), "args": {"amount": 5000, "customer": f"c{i}"}}
    return GatewayRequest(
        hook=HOOK,
        entity=Entity(type="tool", name=tool_name(i), tags=event_tags(shape, i)),
        payload=msgspec.Raw(msgspec.json.encode(payload)),
    )


# --- the naive baseline --------------------------------------------------------------------------


def naive_resolve(rules: Sequence[CompiledRule], event: GatewayRequest) -> Resolution:
    """Linear scan: static match, ``when``, highest score kept, then ordering."""
    key = static_key(event)
    names: dict[str, Any] | None = None
    best = -1
    kept: list[CompiledRule] = []
    for rule in rules:
        if rule.mismatch(key) is not None:
            continue
        if rule.when is not None:
            if names is None:
                names = event_names(event)
            if not rule.when.evaluate(names):
                continue
        score = rule.score
        if score > best:
            best, kept = score, [rule]
        elif score == best:
            kept.append(rule)
    return order_plugins(kept, event.hook)


# --- timing --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Timing:
    """How long a batch should last and how many batches to take."""

    batch_ns: int
    batches: int


def _run(op: Callable[[], object], reps: int) -> int:
    start = time.perf_counter_ns()
    for _ in range(reps):
        op()
    return time.perf_counter_ns() - start


def calibrate(op: Callable[[], object], batch_ns: int) -> int:
    """Repetitions for one batch of about ``batch_ns``."""
    reps = 1
    while True:
        elapsed = _run(op, reps)
        if elapsed >= batch_ns // 10 or reps >= 1 << 24:
            return max(1, round(reps * batch_ns / max(elapsed, 1)))
        reps *= 4


def _batch(op: Callable[[], object], reps: int) -> float:
    """Mean nanoseconds per op over one batch, GC off."""
    gc.collect()
    gc.disable()
    try:
        return _run(op, reps) / reps
    finally:
        gc.enable()


def median_us_many(ops: Mapping[str, Callable[[], object]], timing: Timing) -> dict[str, float]:
    """Median over the batches of the mean per-op time of each op, in microseconds.

    The batches of the ops are interleaved (round robin), so a burst of load on the
    machine spreads over all of them instead of skewing one figure.
    """
    reps = {name: calibrate(op, timing.batch_ns) for name, op in ops.items()}
    for name, op in ops.items():
        _run(op, reps[name])  # warm up for one batch
    samples: dict[str, list[float]] = {name: [] for name in ops}
    for _ in range(timing.batches):
        for name, op in ops.items():
            samples[name].append(_batch(op, reps[name]))
    return {name: statistics.median(v) / 1000 for name, v in samples.items()}


def cycling(
    fn: Callable[[GatewayRequest], object], events: Sequence[GatewayRequest]
) -> Callable[[], object]:
    nxt: Callable[[], GatewayRequest] = cycle(events).__next__
    return lambda: fn(nxt())


# --- one size, one variant -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Setup:
    """A loaded config, the index the misses are measured on, and the measured events."""

    config: Config
    index: RuleIndex
    events: tuple[GatewayRequest, ...]
    load_ms: float
    build_ms: float


def setup(n: int, with_when: bool, base_dir: Path) -> Setup:
    shape = Shape.of(n)
    pool = pool_indexes(shape)
    text = config_text(shape, with_when, cache_size=max(1, len(pool) // 2))
    start = time.perf_counter_ns()
    config = config_from_text(text, file=f"<bench {n}>", base_dir=base_dir)
    loaded = time.perf_counter_ns()
    index = config.build_index()
    built = time.perf_counter_ns()
    events = tuple(make_event(shape, i) for i in pool)
    return Setup(config, index, events, (loaded - start) / 1e6, (built - loaded) / 1e6)


def check_same(s: Setup) -> None:
    """The naive scan and the index must agree, or the comparison means nothing."""
    for event in s.events:
        expected = naive_resolve(s.config.rules, event)
        got = s.config.build_index().resolve(event)
        if got != expected:
            raise SystemExit(f"naive and index disagree for {event.entity}: {got} != {expected}")


@dataclass(frozen=True, slots=True)
class Figures:
    """What was measured for one size and variant (times in µs)."""

    rules: int
    with_when: bool
    hit: float
    miss: float
    naive_hit: float
    naive_miss: float
    candidates: int
    load_ms: float
    build_ms: float


def operations(s: Setup) -> dict[str, Callable[[], object]]:
    """The four measured operations; hits and misses each on an index of their own."""
    if len(s.events) < 2:
        raise SystemExit("a miss measurement needs at least 2 events")
    first, rules = s.events[0], s.config.rules
    hit_index = s.config.build_index()
    return {
        "hit": lambda: hit_index.resolve(first),
        "miss": cycling(s.index.resolve, s.events),
        "naive_hit": lambda: naive_resolve(rules, first),
        "naive_miss": cycling(lambda e: naive_resolve(rules, e), s.events),
    }


def measure(n: int, with_when: bool, timing: Timing, base_dir: Path) -> Figures:
    s = setup(n, with_when, base_dir)
    check_same(s)
    hits_before = s.index.stats.hits
    t = median_us_many(operations(s), timing)
    if s.index.stats.hits != hits_before:
        raise SystemExit("cache miss measurement hit the cache: LRU too large for the pool")
    candidates = len(s.index.candidates(static_key(s.events[0])))
    return Figures(
        n,
        with_when,
        t["hit"],
        t["miss"],
        t["naive_hit"],
        t["naive_miss"],
        candidates,
        s.load_ms,
        s.build_ms,
    )


@dataclass(frozen=True, slots=True)
class WhenFigures:
    """Per-event costs outside the index (µs)."""

    evaluate: float
    names: float
    names_big: float
    key: float


def big_event(kilobytes: int) -> GatewayRequest:
    """An event whose payload is about ``kilobytes`` KB of JSON."""
    rows = [
        {"id": i, "email": f"user{i}@example.com", "note": "x" * 20} for i in range(kilobytes * 14)
    ]
    payload = {"name": tool_name(0), "args": {"amount": 5000, "rows": rows}}
    return GatewayRequest(
        hook=HOOK,
        entity=Entity(type="tool", name=tool_name(0), tags=["tag_0"]),
        payload=msgspec.Raw(msgspec.json.encode(payload)),
    )


def measure_when(timing: Timing) -> WhenFigures:
    event = make_event(Shape.of(10), 0)
    when = When(WHEN)
    big = big_event(BIG_PAYLOAD_KB)
    names = event_names(event)
    if not when.evaluate(names):
        raise SystemExit(f"{WHEN!r} should hold for the measured event")
    ops: dict[str, Callable[[], object]] = {
        "evaluate": lambda: when.evaluate(names),
        "names": lambda: event_names(event),
        "names_big": lambda: event_names(big),
        "key": lambda: static_key(event),
    }
    return WhenFigures(**median_us_many(ops, timing))


# --- the report ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    rules: str
    variant: str
    metric: str
    value: str
    target: str = ""
    status: str = ""


HEADER = Row("rules", "variant", "metric", "median", "target", "status")


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def us(value: float) -> str:
    return f"{value:,.2f} µs"


def figure_rows(f: Figures) -> Iterator[Row]:
    n, variant = f"{f.rules:,}", "with when" if f.with_when else "no when"
    yield Row(
        n,
        variant,
        "cache hit",
        us(f.hit),
        f"< {HIT_TARGET_US:g} µs",
        verdict(f.hit < HIT_TARGET_US),
    )
    if f.rules == MISS_TARGET_RULES:
        ok = f.miss < MISS_TARGET_US
        yield Row(n, variant, "cache miss", us(f.miss), f"< {MISS_TARGET_US:g} µs", verdict(ok))
    else:
        yield Row(n, variant, "cache miss", us(f.miss))
    yield Row(n, variant, "naive scan (hit event)", us(f.naive_hit))
    yield Row(n, variant, "naive scan (miss events)", us(f.naive_miss))
    yield Row(n, variant, "naive / hookwire, hit", f"{f.naive_hit / f.hit:,.1f}x")
    yield Row(n, variant, "naive / hookwire, miss", f"{f.naive_miss / f.miss:,.1f}x")
    yield Row(n, variant, "candidates of hit event", f"{f.candidates} rules")
    yield Row(n, variant, "config load / index build", f"{f.load_ms:,.0f} / {f.build_ms:,.1f} ms")


def scale_rows(figures: Sequence[Figures]) -> Iterator[Row]:
    by_key = {(f.rules, f.with_when): f for f in figures}
    for with_when in (False, True):
        small, large = by_key.get((1_000, with_when)), by_key.get((10_000, with_when))
        if small is None or large is None:
            continue
        ratio = large.miss / small.miss
        variant = "with when" if with_when else "no when"
        target = f"< {SCALE_TARGET:g}x"
        yield Row(
            "10k/1k",
            variant,
            "cache miss ratio",
            f"{ratio:.2f}x",
            target,
            verdict(ratio < SCALE_TARGET),
        )


def when_rows(w: WhenFigures) -> Iterator[Row]:
    ok = w.evaluate < WHEN_TARGET_US
    yield Row(
        "-",
        "-",
        f"When.evaluate({WHEN!r})",
        us(w.evaluate),
        f"< {WHEN_TARGET_US:g} µs",
        verdict(ok),
    )
    yield Row("-", "-", "event_names(event)", us(w.names))
    yield Row("-", "-", f"event_names(event), {BIG_PAYLOAD_KB} KB payload", us(w.names_big))
    yield Row("-", "-", "static_key(event)", us(w.key))


def render(rows: Sequence[Row]) -> str:
    cells = [(r.rules, r.variant, r.metric, r.value, r.target, r.status) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(6)]
    right = {0, 3}
    lines = []
    for c in cells:
        parts = [
            v.rjust(w) if i in right else v.ljust(w)
            for i, (v, w) in enumerate(zip(c, widths, strict=True))
        ]
        lines.append("  ".join(parts).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


# --- main ----------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: sizes 10 and 1,000, 3 short batches"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument("--sizes", help="comma-separated rule counts (default 10,1000,10000)")
    parser.add_argument(
        "--batches", type=int, help="batches per figure (default 7; 3 with --quick)"
    )
    return parser.parse_args(argv)


def sizes_of(args: argparse.Namespace) -> list[int]:
    if not args.sizes:
        return [10, 1_000] if args.quick else [10, 1_000, 10_000]
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",")]
    if min(sizes) < MIN_RULES:
        raise SystemExit(f"--sizes: at least {MIN_RULES} rules per config")
    return sizes


def timing_of(args: argparse.Namespace) -> Timing:
    batches = args.batches or (3 if args.quick else 7)
    return Timing(batch_ns=5_000_000 if args.quick else 50_000_000, batches=batches)


def load_note(before: float) -> str:
    """Wall-clock figures are only as good as the machine was idle: say how idle it was."""
    after, cpus = os.getloadavg()[0], os.cpu_count() or 1
    note = f"load average {before:.2f} before, {after:.2f} after, {cpus} CPU(s)"
    if max(before, after) > cpus / 2:
        note += ": the machine was busy, figures may be inflated; rerun when idle"
    return note


def measure_all(sizes: Sequence[int], timing: Timing) -> list[Figures]:
    figures = []
    with tempfile.TemporaryDirectory(prefix="hookwire-bench-") as tmp:
        base_dir = Path(tmp)
        write_manifests(base_dir)
        for n in sizes:
            for with_when in (False, True):
                variant = "with" if with_when else "no"
                print(f"measuring {n:,} rules, {variant} when ...", file=sys.stderr)
                figures.append(measure(n, with_when, timing, base_dir))
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    timing = timing_of(args)
    load_before = os.getloadavg()[0]
    figures = measure_all(sizes_of(args), timing)
    rows = [HEADER]
    for f in figures:
        rows.extend(figure_rows(f))
    rows.extend(scale_rows(figures))
    rows.extend(when_rows(measure_when(timing)))
    print(render(rows))
    print(f"\n{load_note(load_before)}")
    failed = [r for r in rows if r.status == "FAIL"]
    print(f"{len(failed)} target(s) missed" if failed else "all targets met")
    return 1 if args.strict and failed else 0


if __name__ == "__main__":
    sys.exit(main())
