"""The config file as pydantic models: shape and types only.

Cross-references (plugin names, hooks, schemas, ``when``) are checked by ``_config``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, PositiveInt, field_validator

from hookwire.router.config._durations import parse_duration, parse_size
from hookwire.router.routing._modes import MODE_NAMES
from hookwire.schemas import EntityType

StrOrList = str | list[str]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_mode(value: str | None) -> str | None:
    if value is not None and value not in MODE_NAMES:
        raise ValueError(f"unknown mode {value!r}; use one of: {', '.join(MODE_NAMES)}")
    return value


def _non_empty(value: Any) -> Any:
    if isinstance(value, list) and not value:
        raise ValueError("empty list matches nothing; remove the key or list at least one value")
    return value


class RecordSettings(_Model):
    """``plugin_settings.record``: write each event and its outcome to JetStream."""

    enabled: bool = True
    keep: Literal["full", "output", "metadata"] = "full"
    max_age: str | float = "7d"
    max_bytes: str | int = "1GB"
    replicas: PositiveInt = 1

    @field_validator("max_age")
    @classmethod
    def _age(cls, value: str | float) -> str | float:
        if parse_duration(value) <= 0:
            raise ValueError("max_age must be positive")
        return value

    @field_validator("max_bytes")
    @classmethod
    def _bytes(cls, value: str | int) -> str | int:
        if parse_size(value) <= 0:
            raise ValueError("max_bytes must be positive")
        return value

    @property
    def max_age_seconds(self) -> float:
        return parse_duration(self.max_age)

    @property
    def max_bytes_int(self) -> int:
        return parse_size(self.max_bytes)


class FireAndForgetSettings(_Model):
    """``plugin_settings.fire_and_forget``: durable delivery through JetStream.

    A call that fails is delivered again after ``backoff[n]`` seconds (the last entry
    repeats); after ``max_deliver`` tries it goes to the dead-letter stream.
    """

    max_deliver: PositiveInt = 5
    backoff: Annotated[list[PositiveFloat], Field(min_length=1)] = [1.0, 5.0, 30.0, 120.0]
    max_age: str | float = "7d"
    ack_wait: PositiveFloat = 60.0

    @field_validator("max_age")
    @classmethod
    def _age(cls, value: str | float) -> str | float:
        parse_duration(value)
        return value

    @property
    def max_age_seconds(self) -> float:
        return parse_duration(self.max_age)


class PluginSettings(_Model):
    """Global settings (``plugin_settings``)."""

    plugin_timeout: PositiveFloat = 30.0
    fail_on_plugin_error: bool = False
    enable_plugin_routing: bool | None = None
    rule_merge_strategy: Literal["most_specific", "merge_all"] = "most_specific"
    environment: Literal["development", "production"] = "development"
    event_timeout: PositiveFloat | None = None
    #: an event of a hook with a result type (the auth hooks) that no plugin decided is denied
    deny_if_undecided: bool = False
    max_concurrent_events: PositiveInt = 512
    route_cache_size: PositiveInt = 10_000
    data_dir: str | None = None
    venv_dir: str | None = None
    #: seconds a failed pool waits before one worker tries again (doubling each time)
    pool_cooldown: PositiveFloat = 10.0
    #: seconds between health checks (micro PING) of each supervised worker
    worker_health_interval: PositiveFloat = 5.0
    # ContextForge's own settings: read, and reported as having no effect (_contextforge)
    parallel_execution_within_band: bool | None = None
    enable_plugin_api: bool | None = None
    plugin_health_check_interval: PositiveFloat | None = None
    include_user_info: bool | None = None
    record: RecordSettings | None = None
    fire_and_forget: FireAndForgetSettings = FireAndForgetSettings()

    @field_validator("record", mode="before")
    @classmethod
    def _record_flag(cls, value: Any) -> Any:
        """``record: true`` is ``record: {enabled: true}`` (and false disables it)."""
        return {"enabled": value} if isinstance(value, bool) else value


class Condition(_Model):
    """A legacy ContextForge condition: the fields inside one condition are AND-ed."""

    server_ids: list[str] | None = None
    tenant_ids: list[str] | None = None
    tools: list[str] | None = None
    prompts: list[str] | None = None
    resources: list[str] | None = None
    agents: list[str] | None = None
    user_patterns: list[str] | None = None
    content_types: list[str] | None = None


class PluginEntry(_Model):
    """One entry of ``plugins`` (either form); ``name`` is filled in for the short form."""

    name: str
    kind: str | None = None
    enabled: bool = True
    mode: str | None = None
    on_error: Literal["fail", "ignore", "disable"] | None = None
    priority: int | None = None
    hooks: list[str] | None = None
    config: dict[str, Any] = {}
    timeout: PositiveFloat | None = None
    conditions: list[Condition] = []
    version: str | None = None
    workers: PositiveInt = 1
    allow_deprecated: bool = False
    description: str | None = None
    author: str | None = None
    tags: list[str] = []
    # ContextForge fields (see _contextforge for what each becomes)
    namespace: str | None = None
    capabilities: list[str] = []
    max_content_size: PositiveInt | None = None
    applied_to: dict[str, Any] | None = None
    mcp: dict[str, Any] | None = None
    grpc: dict[str, Any] | None = None
    unix_socket: dict[str, Any] | None = None
    #: a cpex class entry's pip requirement (default: from its kind and version)
    requirement: str | None = None

    _mode = field_validator("mode")(_check_mode)


class Attachment(_Model):
    """A plugin attached by a rule (``routes[i].plugins[j]``)."""

    name: str
    priority: int | None = None
    mode: str | None = None
    on_error: Literal["fail", "ignore", "disable"] | None = None
    hooks: list[str] | None = None
    config: dict[str, Any] = {}
    override: bool = False
    timeout: PositiveFloat | None = None

    _mode = field_validator("mode")(_check_mode)
    _hooks = field_validator("hooks")(_non_empty)


class Rule(_Model):
    """One routing rule (``routes[i]``)."""

    display_name: str | None = None
    entities: list[EntityType] | None = None
    name: StrOrList | None = None
    tags: list[str] | None = None
    hooks: list[str] | None = None
    server_name: StrOrList | None = None
    server_id: StrOrList | None = None
    gateway_id: StrOrList | None = None
    when: str | None = None
    #: what a run-time error in ``when`` does: block the event, or the rule does not match
    on_error: Literal["fail", "ignore"] = "fail"
    priority: int | None = None
    reverse_order_on_post: bool = False
    plugins: Annotated[list[Attachment], Field(min_length=1)]
    metadata: dict[str, Any] = {}

    _lists = field_validator(
        "entities", "name", "tags", "hooks", "server_name", "server_id", "gateway_id"
    )(_non_empty)


class NatsSection(_Model):
    """``nats:``: where the router and the workers of this config connect, and as whom.

    Only file paths and names: passwords and tokens come from variables or options
    (``HOOKWIRE_NATS_PASSWORD``, ``HOOKWIRE_NATS_TOKEN``), since a config file is
    stored in the live config where every router can read it. Relative paths are
    resolved against the config's folder.
    """

    url: str | None = None
    user: str | None = None
    nkey: str | None = None
    creds: str | None = None
    ca: str | None = None
    cert: str | None = None
    key: str | None = None
    inbox_prefix: str | None = None


class ConfigFile(_Model):
    """The top level of a hookwire config file."""

    nats: NatsSection | None = None

    plugin_settings: PluginSettings = PluginSettings()
    plugins: dict[str, Any] | list[Any] = {}
    routes: list[Any] | None = None
    plugin_dirs: list[str] = []
