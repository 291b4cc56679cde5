"""Reading routing scenarios (``scenarios/NN_name.yaml``) and building their events.

The format is described in ``tests/routing/README.md``. Every key is checked, so a
typo in a scenario file fails loudly instead of silently asserting nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import yaml

from hookwire.router import Config, ResolvedPlugin, config_from_text
from hookwire.router.routing._event import ENTITY_FIELDS, complete_event
from hookwire.schemas import HOOK_PAYLOADS, Entity, GatewayRequest

ROUTING_DIR = Path(__file__).parent
SCENARIO_DIR = ROUTING_DIR / "scenarios"

_SCENARIO_KEYS = {
    "description",
    "xfail",
    "config",
    "equivalent_configs",
    "expect_scores",
    "expect_errors",
    "expect_warnings",
    "cases",
}
_CASE_KEYS = {
    "name",
    "xfail",
    "event",
    "expect",
    "expect_detail",
    "expect_kept",
    "expect_matched",
    "expect_when_errors",
    "expect_rule_error",
    "expect_malformed",
}
_EVENT_KEYS = {
    "hook",
    "entity",
    "server_name",
    "server_id",
    "gateway_id",
    "user",
    "tenant_id",
    "agent",
    "request_id",
    "args",
    "payload",
}
_ENTITY_KEYS = {"type", "name", "id", "tags", "metadata"}
_DETAIL_KEYS = {"plugin", "config", "mode", "on_error", "priority", "rule", "hooks"}
_PROBLEM_KEYS = {"file", "path", "line", "message", "fix"}


class ScenarioFormatError(Exception):
    """A scenario file that does not follow the documented format."""


def _keys(where: str, data: Any, allowed: set[str], required: Sequence[str] = ()) -> None:
    if not isinstance(data, Mapping):
        raise ScenarioFormatError(f"{where}: expected a mapping, got {type(data).__name__}")
    unknown = set(data) - allowed
    if unknown:
        raise ScenarioFormatError(f"{where}: unknown keys {sorted(unknown)}")
    missing = [k for k in required if k not in data]
    if missing:
        raise ScenarioFormatError(f"{where}: missing keys {missing}")


@dataclass(frozen=True)
class Case:
    name: str
    event: Mapping[str, Any]
    expect: tuple[str, ...]
    detail: tuple[Mapping[str, Any], ...] | None
    kept: tuple[int, ...] | None
    matched: tuple[int, ...] | None
    when_errors: int | None
    xfail: str | None
    #: {rule: i, error: substring}: the event is blocked by rule i's `when` (rule_error)
    rule_error: Mapping[str, Any] | None = None
    #: substring of the reason the router refuses the event as malformed
    malformed: str | None = None


@dataclass(frozen=True)
class Scenario:
    path: Path
    description: str
    config: str
    equivalent_configs: tuple[str, ...]
    scores: tuple[int, ...] | None
    errors: tuple[Mapping[str, Any], ...] | None
    warnings: tuple[Mapping[str, Any], ...]
    cases: tuple[Case, ...]
    xfail: str | None

    @property
    def id(self) -> str:
        return self.path.stem

    @property
    def file(self) -> str:
        """The name problems must carry: the scenario file, relative to tests/routing."""
        return f"scenarios/{self.path.name}"

    def load(self, text: str | None = None) -> Config:
        return config_from_text(
            self.config if text is None else text, file=self.file, base_dir=ROUTING_DIR
        )


def _case(where: str, raw: Any) -> Case:
    _keys(where, raw, _CASE_KEYS, ("name", "event", "expect"))
    _keys(f"{where}.event", raw["event"], _EVENT_KEYS, ("hook",))
    if raw["event"].get("entity") is not None:
        _keys(f"{where}.event.entity", raw["event"]["entity"], _ENTITY_KEYS, ("type", "name"))
    detail = raw.get("expect_detail")
    if detail is not None:
        if len(detail) != len(raw["expect"]):
            raise ScenarioFormatError(f"{where}: expect_detail must have one item per plugin")
        for i, item in enumerate(detail):
            _keys(f"{where}.expect_detail[{i}]", item, _DETAIL_KEYS)
    if raw.get("expect_malformed") is not None and raw["expect"]:
        raise ScenarioFormatError(f"{where}: a malformed event runs no plugin: `expect: []`")
    rule_error = raw.get("expect_rule_error")
    if rule_error is not None:
        _keys(f"{where}.expect_rule_error", rule_error, {"rule", "error"}, ("rule", "error"))
        if raw["expect"]:
            raise ScenarioFormatError(f"{where}: a blocked event runs no plugin: `expect: []`")
    return Case(
        name=str(raw["name"]),
        event=raw["event"],
        expect=tuple(raw["expect"]),
        detail=tuple(detail) if detail is not None else None,
        kept=tuple(raw["expect_kept"]) if "expect_kept" in raw else None,
        matched=tuple(raw["expect_matched"]) if "expect_matched" in raw else None,
        when_errors=raw.get("expect_when_errors"),
        xfail=raw.get("xfail"),
        rule_error=rule_error,
        malformed=raw.get("expect_malformed"),
    )


def read_scenario(path: Path) -> Scenario:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    where = path.name
    _keys(where, raw, _SCENARIO_KEYS, ("description", "config"))
    errors = raw.get("expect_errors")
    cases = raw.get("cases") or []
    if errors is not None:
        if cases or raw.get("expect_warnings"):
            raise ScenarioFormatError(f"{where}: an error scenario has no cases or warnings")
        if not errors:
            raise ScenarioFormatError(f"{where}: expect_errors must list at least one error")
        for i, item in enumerate(errors):
            _keys(
                f"{where}.expect_errors[{i}]",
                item,
                _PROBLEM_KEYS,
                ("path", "line", "message", "fix"),
            )
    elif not cases:
        raise ScenarioFormatError(f"{where}: needs `cases` or `expect_errors`")
    elif "xfail" in raw:
        raise ScenarioFormatError(f"{where}: put `xfail` on the failing cases instead")
    for i, item in enumerate(raw.get("expect_warnings") or []):
        _keys(f"{where}.expect_warnings[{i}]", item, _PROBLEM_KEYS, ("path", "message"))
    names = [c.get("name") for c in cases]
    if len(set(names)) != len(names):
        raise ScenarioFormatError(f"{where}: case names must be unique")
    return Scenario(
        path=path,
        description=str(raw["description"]),
        config=str(raw["config"]),
        equivalent_configs=tuple(raw.get("equivalent_configs") or ()),
        scores=tuple(raw["expect_scores"]) if "expect_scores" in raw else None,
        errors=tuple(errors) if errors is not None else None,
        warnings=tuple(raw.get("expect_warnings") or ()),
        cases=tuple(_case(f"{where}.cases[{i}]", c) for i, c in enumerate(cases)),
        xfail=raw.get("xfail"),
    )


def all_scenarios() -> list[Scenario]:
    return [read_scenario(p) for p in sorted(SCENARIO_DIR.glob("*.yaml"))]


def build_event(spec: Mapping[str, Any]) -> GatewayRequest:
    """The event the router routes for a scenario ``event`` (``complete_event``).

    Raises ``EventMismatch`` for an event the router refuses as malformed.
    """
    event = sent_event(spec)
    return complete_event(event, msgspec.json.decode(event.payload))


def sent_event(spec: Mapping[str, Any]) -> GatewayRequest:
    """A GatewayRequest as sent, from a scenario ``event``; ``args`` goes to ``payload.args``.

    For an entity hook, a payload without the field that names the entity (``name``,
    ``prompt_id``, ``uri``, ``agent_id``) gets the entity's name there, as ``hookwire
    send`` does, unless the event sets ``payload`` with that field.
    """
    entity = None
    if spec.get("entity") is not None:
        e = spec["entity"]
        entity = Entity(
            type=e["type"],
            name=e["name"],
            id=e.get("id"),
            tags=list(e.get("tags") or []),
            metadata=dict(e.get("metadata") or {}),
        )
    payload = dict(spec.get("payload") or {})
    if "args" in spec:
        payload["args"] = spec["args"]
    family = ENTITY_FIELDS.get(spec["hook"].split("_", 1)[0])
    if entity is not None and family is not None and spec["hook"] in HOOK_PAYLOADS:
        payload.setdefault(family[1], entity.name)
    return GatewayRequest(
        hook=spec["hook"],
        request_id=spec.get("request_id", ""),
        entity=entity,
        server_name=spec.get("server_name"),
        server_id=spec.get("server_id"),
        gateway_id=spec.get("gateway_id"),
        user=spec.get("user"),
        tenant_id=spec.get("tenant_id"),
        agent=spec.get("agent"),
        payload=msgspec.Raw(msgspec.json.encode(payload)),
    )


def describe(resolved: Sequence[ResolvedPlugin]) -> list[dict[str, Any]]:
    """Everything a resolution decides, as plain data (for comparisons and messages)."""
    return [
        {
            "plugin": r.instance.plugin,
            "instance": r.instance.id,
            "config": dict(r.instance.config),
            "mode": r.instance.mode.value,
            "on_error": r.instance.on_error.value,
            "hooks": list(r.instance.hooks),
            "timeout": r.instance.timeout,
        }
        for r in resolved
    ]


def detail_of(r: ResolvedPlugin) -> dict[str, Any]:
    """The fields ``expect_detail`` may check."""
    return {
        "plugin": r.instance.plugin,
        "config": dict(r.instance.config),
        "mode": r.instance.mode.value,
        "on_error": r.instance.on_error.value,
        "priority": r.priority,
        "rule": r.rule,
        "hooks": list(r.instance.hooks),
    }
