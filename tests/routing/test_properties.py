"""Property tests of the rule engine: random configs and events (hypothesis).

Each example builds a random but valid routes config from the fixture plugins (2-12
rules drawing entities, up to three of name / tags / hooks / infrastructure filters /
`when` from a pool of valid expressions, rule priorities, and attachments with tied
priorities, configs, modes and hooks; one-rule configs exercise no tie-break, so they
are left to the scenarios) and a handful of random events, then checks:

- the rule index agrees with ``explain`` (the per-rule evaluation) and with a reference
  model written here from docs/routing.md (matching, specificity, order, instances);
- resolution is stable: again, on a fresh index, and with the tags reordered/duplicated;
- the route cache never changes a result (cache of 1 vs a large cache);
- the order is total: distinct resolved entries never tie under the documented key.

Runs are derandomized so CI is deterministic.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hookwire.router import Config, RuleIndex, explain
from hookwire.router._yaml import YamlDoc
from hookwire.router.catalog._manifest import PluginPackage
from hookwire.router.catalog._manifest import discover as real_discover
from hookwire.router.config import _load as config_module
from hookwire.router.config._load import config_from_doc
from hookwire.router.errors import Problem, ProblemList, RuleError
from hookwire.router.routing._event import event_names
from hookwire.router.routing._instances import ResolvedPlugin
from hookwire.schemas import Entity, GatewayRequest, is_post_hook

from ._scenario import ROUTING_DIR

PROPERTY_SETTINGS = settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

#: The fixture plugins used, with the hooks their manifests declare.
PLUGIN_HOOKS: dict[str, tuple[str, ...]] = {
    "pii_filter": ("tool_pre_invoke", "tool_post_invoke", "prompt_pre_fetch"),
    "validator": ("tool_pre_invoke", "tool_post_invoke"),
    "rate_limiter": ("tool_pre_invoke", "prompt_pre_fetch", "http_pre_request"),
    "audit_logger": (
        "tool_pre_invoke",
        "tool_post_invoke",
        "prompt_pre_fetch",
        "prompt_post_fetch",
        "resource_pre_fetch",
        "http_pre_request",
        "http_post_request",
    ),
    "header_guard": ("http_pre_request", "http_post_request", "http_auth_check_permission"),
    "outer": ("tool_pre_invoke", "tool_post_invoke", "prompt_pre_fetch", "prompt_post_fetch"),
}
#: Attachment configs that validate, so the same plugin yields several instances.
PLUGIN_CONFIGS: dict[str, list[dict[str, Any] | None]] = {
    "pii_filter": [None, {"mask": "#"}, {"mask": "*"}],
    "validator": [None, {"threshold": 1}, {"strict": True}],
    "rate_limiter": [None, {"by_user": "5/m"}],
}
HOOKS = [
    "tool_pre_invoke",
    "tool_post_invoke",
    "prompt_pre_fetch",
    "prompt_post_fetch",
    "http_pre_request",
    "http_post_request",
]
ENTITY_TYPES = ["tool", "prompt"]
NAMES = ["a", "b", "c"]
TAGS = ["x", "y", "z"]
SERVERS = ["s1", "s2"]
#: Valid `when` expressions; the last ones raise at run time for some events.
WHENS = [
    "user == 'admin'",
    "args.size > 10",
    "tenant_id != null",
    "'x' in tags",
    "len(args) == 0",
    "re.match('ad', user)",
    "hook == 'tool_post_invoke' or server_name == 's1'",
    "args.size + 1 > 5",
]
SCORES = {"name": 1000, "tags": 100, "hooks": 50, "infra": 20, "when": 10}


@pytest.fixture(scope="module", autouse=True)
def _discover_manifests_once() -> Iterator[None]:
    """Read the fixture manifests once, not for every generated config (speed only).

    Discovery is a pure function of the (unchanging) fixture folders; everything
    after it (plugin configs, rules, the index) is built from scratch per example.
    """
    memo: dict[tuple[Path, ...], tuple[dict[str, PluginPackage], list[Problem]]] = {}

    def discover(dirs: Any, problems: ProblemList) -> dict[str, PluginPackage]:
        dirs = list(dirs)
        key = tuple(d for d, _ in dirs)
        if key not in memo:
            found = ProblemList()
            memo[key] = (real_discover(dirs, found), list(found.items))
        packages, seen = memo[key]
        problems.extend(seen)
        return dict(packages)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(config_module, "discover", discover)
        yield


def _one_or_list(values: Sequence[str]) -> st.SearchStrategy[str | list[str]]:
    return st.one_of(
        st.sampled_from(values),
        st.lists(st.sampled_from(values), min_size=1, max_size=len(values), unique=True),
    )


def _maybe(strategy: st.SearchStrategy[Any], none_weight: int = 1) -> st.SearchStrategy[Any]:
    """Mostly None (more so with a higher ``none_weight``), else ``strategy``."""
    return st.one_of(*[st.none()] * none_weight, strategy)


# Strategies are built once: building them per draw makes hypothesis slow. The weights
# keep most rules broad enough that random events often match several of them.
_ENTITIES = st.sampled_from([["tool"], ["prompt"], ["tool", "prompt"], ["prompt", "tool"]])
_MAYBE_RULE_PRIORITY = _maybe(st.integers(0, 1), 2)
_MAYBE_ATT_PRIORITY = _maybe(st.integers(0, 2))
_MODES = st.sampled_from([None, None, None, "sequential", "audit", "disabled"])
_PLUGIN = st.sampled_from(sorted(PLUGIN_HOOKS))
_CONFIG = {name: st.sampled_from(PLUGIN_CONFIGS.get(name, [None])) for name in PLUGIN_HOOKS}
_ATT_HOOKS = {
    name: _maybe(st.lists(st.sampled_from(hooks), min_size=1, unique=True), 3)
    for name, hooks in PLUGIN_HOOKS.items()
}


def _put(target: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        target[key] = value


@st.composite
def attachments(draw: st.DrawFn) -> dict[str, Any]:
    name = draw(_PLUGIN)
    att: dict[str, Any] = {"name": name}
    _put(att, "priority", draw(_MAYBE_ATT_PRIORITY))
    _put(att, "config", draw(_CONFIG[name]))
    _put(att, "mode", draw(_MODES))
    _put(att, "hooks", draw(_ATT_HOOKS[name]))
    return att


_ATTACHMENTS = st.lists(attachments(), min_size=1, max_size=3)


_CRITERIA = st.lists(
    st.sampled_from(["name", "tags", "hooks", "server_name", "server_id", "gateway_id", "when"]),
    max_size=3,
    unique=True,
)
_FIELD = {
    "name": _one_or_list(NAMES),
    "tags": st.lists(st.sampled_from(TAGS), min_size=1, unique=True),
    "hooks": st.lists(st.sampled_from(HOOKS), min_size=1, max_size=4, unique=True),
    "server_name": _one_or_list(SERVERS),
    "server_id": _one_or_list(SERVERS),
    "gateway_id": _one_or_list(SERVERS),
    "when": st.sampled_from(WHENS),
}
_HTTP_RULE = st.sampled_from([False, False, False, True])


@st.composite
def rules(draw: st.DrawFn) -> dict[str, Any]:
    """A rule setting at most three criteria, so random events often match several."""
    rule: dict[str, Any] = {}
    http = draw(_HTTP_RULE)
    if not http:
        rule["entities"] = draw(_ENTITIES)
    for key in draw(_CRITERIA):
        if http and key in ("name", "tags"):
            continue
        rule[key] = draw(_FIELD[key])
    if http and not ({"hooks", "when", "server_name", "server_id", "gateway_id"} & rule.keys()):
        rule["hooks"] = ["http_pre_request"]
    _put(rule, "priority", draw(_MAYBE_RULE_PRIORITY))
    if "when" in rule and draw(st.booleans()):
        rule["on_error"] = "ignore"
    if draw(st.booleans()):
        rule["reverse_order_on_post"] = True
    rule["plugins"] = draw(_ATTACHMENTS)
    return rule


_RULES = st.lists(rules(), min_size=2, max_size=12)
_STRATEGY = st.sampled_from(["most_specific", "merge_all"])


@st.composite
def configs(draw: st.DrawFn) -> tuple[Config, list[dict[str, Any]]]:
    routes = draw(_RULES)
    strategy = draw(_STRATEGY)
    data = {
        "plugin_dirs": [f"../fixtures/plugins/{name}" for name in sorted(PLUGIN_HOOKS)],
        "plugin_settings": {"rule_merge_strategy": strategy},
        "plugins": {name: {} for name in sorted(PLUGIN_HOOKS)},
        "routes": routes,
    }
    # Built from the data directly: YAML parsing is not what these properties test.
    return config_from_doc(YamlDoc("generated.yaml", data, {}), ROUTING_DIR), routes


_HOOK = st.sampled_from(HOOKS)
_ENTITY_TYPE = st.sampled_from(ENTITY_TYPES)
_USUAL_TYPE = st.sampled_from([True, True, True, False])
_ENTITY_NAME = st.sampled_from([*NAMES, "d"])
_EVENT_TAGS = st.lists(st.sampled_from([*TAGS, "w"]), max_size=4)
_ARGS = st.sampled_from([None, {}, {"size": 3}, {"size": 50}, {"size": "big"}])
_SERVER = st.sampled_from([None, "s1", "s1", "s2"])
_USER = st.sampled_from([None, "admin", "bob"])
_TENANT = st.sampled_from([None, "t1"])


@st.composite
def events(draw: st.DrawFn) -> GatewayRequest:
    hook = draw(_HOOK)
    entity = None
    if not hook.startswith("http_"):
        etype: Any = hook.split("_", 1)[0] if draw(_USUAL_TYPE) else draw(_ENTITY_TYPE)
        entity = Entity(type=etype, name=draw(_ENTITY_NAME), tags=draw(_EVENT_TAGS))
    args = draw(_ARGS)
    payload: dict[str, Any] = {} if args is None else {"args": args}
    return GatewayRequest(
        hook=hook,
        entity=entity,
        server_name=draw(_SERVER),
        server_id=draw(_SERVER),
        gateway_id=draw(_SERVER),
        user=draw(_USER),
        tenant_id=draw(_TENANT),
        payload=msgspec.Raw(msgspec.json.encode(payload)),
    )


def _ids(resolved: Any) -> tuple[Any, ...]:
    if resolved and resolved[0] == "rule_error":
        return tuple(resolved)
    return tuple(r.instance.id for r in resolved)


def _as_set(value: str | list[str] | None) -> set[str] | None:
    if value is None:
        return None
    return {value} if isinstance(value, str) else set(value)


# --- a reference model of docs/routing.md: matching, specificity, order, instances ------


def _score(rule: Mapping[str, Any]) -> int:
    score = SCORES["name"] if "name" in rule else 0
    score += SCORES["tags"] if "tags" in rule else 0
    score += SCORES["hooks"] if "hooks" in rule else 0
    score += sum(SCORES["infra"] for k in ("server_name", "server_id", "gateway_id") if k in rule)
    return score + (SCORES["when"] if "when" in rule else 0)


def _matches(rule: Mapping[str, Any], compiled: Any, event: GatewayRequest) -> bool:
    entity = event.entity
    if "entities" not in rule:
        if entity is not None:
            return False
    elif entity is None or entity.type not in rule["entities"]:
        return False
    if "name" in rule and (entity is None or entity.name not in _as_set(rule["name"])):  # type: ignore[operator]
        return False
    if "tags" in rule and (entity is None or not set(rule["tags"]) & set(entity.tags)):
        return False
    if "hooks" in rule and event.hook not in rule["hooks"]:
        return False
    for key in ("server_name", "server_id", "gateway_id"):
        if key in rule and getattr(event, key) not in _as_set(rule[key]):  # type: ignore[operator]
            return False
    if "when" in rule:
        try:
            return bool(compiled.when.evaluate(event_names(event)))
        except Exception as exc:
            if rule.get("on_error") == "ignore":
                return False
            raise compiled.when_failed(exc) from exc
    return True


def _check(
    rule: Mapping[str, Any], compiled: Any, event: GatewayRequest, failed: dict[int, bool]
) -> bool:
    try:
        return _matches(rule, compiled, event)
    except RuleError as exc:
        failed[exc.rule] = True
        return False


def resolve(index: RuleIndex, event: GatewayRequest) -> Any:
    """The index's resolution, or ("rule_error", rule) when a rule's `when` blocks the event."""
    try:
        return index.resolve(event)
    except RuleError as exc:
        return ("rule_error", exc.rule)


def _sort_key(config: Config, r: ResolvedPlugin) -> tuple[float, ...]:
    """The order of docs/routing.md#order, for one resolved entry."""
    rule = config.rules[r.rule]
    rule_priority = float("inf") if rule.priority is None else rule.priority
    return (r.priority, rule_priority, -rule.score, r.rule, r.attachment)


def reference(
    config: Config, routes: Sequence[Mapping[str, Any]], event: GatewayRequest
) -> list[tuple[str, int, int]]:
    """(instance id, rule, attachment) of the plugins docs/routing.md says run, in order.

    ("rule_error", i) when rule i's `when` raises and blocks the event: the failing
    rule (on_error: fail) that could still be kept, with the highest score, then first.
    """
    failed: dict[int, bool] = {}
    matched = [i for i, rule in enumerate(routes) if _check(rule, config.rules[i], event, failed)]
    top = max((_score(routes[i]) for i in matched), default=0)
    blocking = sorted(failed, key=lambda i: (-_score(routes[i]), i))
    if config.strategy == "most_specific":
        blocking = [i for i in blocking if _score(routes[i]) >= top]
    else:
        blocking.sort()
    if blocking:
        return ("rule_error", blocking[0])  # type: ignore[return-value]
    if config.strategy == "most_specific" and matched:
        matched = [i for i in matched if _score(routes[i]) == top]
    entries = []
    for i in matched:
        rule_priority = routes[i].get("priority", float("inf"))
        for j, att in enumerate(config.rules[i].attachments):
            raw = routes[i]["plugins"][j]
            hooks = raw.get("hooks", PLUGIN_HOOKS[raw["name"]])
            if event.hook not in hooks or raw.get("mode") == "disabled":
                continue
            priority = raw.get("priority", j)
            key = (priority, rule_priority, -_score(routes[i]), i, j)
            entries.append((key, att.instance.id, i, j))
    entries.sort()
    seen: set[str] = set()
    out = []
    for _, instance, i, j in entries:
        if instance not in seen:
            seen.add(instance)
            out.append((instance, i, j))
    if is_post_hook(event.hook) and any(routes[i].get("reverse_order_on_post") for i in matched):
        out.reverse()
    return out


# --- properties ------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(configs(), st.lists(events(), min_size=1, max_size=6))
def test_index_agrees_with_explain_and_the_reference_model(
    generated: tuple[Config, list[dict[str, Any]]], evs: list[GatewayRequest]
) -> None:
    config, routes = generated
    index = config.build_index()
    for event in evs:
        resolved = resolve(index, event)
        exp = explain(config, event)
        if isinstance(resolved, tuple) and resolved and resolved[0] == "rule_error":
            assert exp.error is not None and exp.error.rule == resolved[1]
            assert exp.plugins == ()
            assert tuple(reference(config, routes, event)) == resolved
            continue
        assert exp.error is None
        assert exp.plugins == resolved
        got = [(r.instance.id, r.rule, r.attachment) for r in resolved]
        assert got == reference(config, routes, event)


@PROPERTY_SETTINGS
@given(configs(), st.lists(events(), min_size=1, max_size=6), st.randoms(use_true_random=False))
def test_resolution_is_stable(
    generated: tuple[Config, list[dict[str, Any]]], evs: list[GatewayRequest], rnd: Any
) -> None:
    config, _ = generated
    index = config.build_index()
    for event in evs:
        first = _ids(resolve(index, event))
        assert _ids(resolve(index, event)) == first, "same index, same event"
        assert _ids(resolve(config.build_index(), event)) == first, "fresh index"
        if event.entity is not None:
            tags = [*event.entity.tags, *event.entity.tags[:1]]
            rnd.shuffle(tags)
            shuffled = msgspec.structs.replace(
                event, entity=msgspec.structs.replace(event.entity, tags=tags)
            )
            assert _ids(resolve(index, shuffled)) == first, "tags reordered/duplicated"
            assert _ids(resolve(config.build_index(), shuffled)) == first


@PROPERTY_SETTINGS
@given(configs(), st.lists(events(), min_size=2, max_size=12))
def test_cache_never_changes_a_result(
    generated: tuple[Config, list[dict[str, Any]]], evs: list[GatewayRequest]
) -> None:
    config, _ = generated
    tiny = RuleIndex(config.rules, config.strategy, cache_size=1)
    large = RuleIndex(config.rules, config.strategy, cache_size=10_000)
    for event in [*evs, *reversed(evs)]:
        assert resolve(tiny, event) == resolve(large, event)
    assert tiny.cache_info()["size"] <= 1


@PROPERTY_SETTINGS
@given(configs(), st.lists(events(), min_size=1, max_size=6))
def test_order_is_total_under_the_documented_key(
    generated: tuple[Config, list[dict[str, Any]]], evs: list[GatewayRequest]
) -> None:
    config, _ = generated
    index = config.build_index()
    for event in evs:
        resolved = resolve(index, event)
        if isinstance(resolved, tuple) and resolved and resolved[0] == "rule_error":
            continue
        keys = [_sort_key(config, r) for r in resolved]
        assert len(set(keys)) == len(keys), "two entries tie under the documented key"
        assert len({r.instance.id for r in resolved}) == len(resolved), "an instance ran twice"
        ordered = sorted(keys)
        if keys != ordered:
            assert is_post_hook(event.hook) and keys == ordered[::-1]
