"""What the admin service asks a running deployment, over NATS: the registry service,
the services' status, and the live config (its history, apply and rollback).

It keeps no state but the loaded config of the live revision (a cache, by revision):
any number of admin services can run against one deployment.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

import msgspec
from nats.aio.client import Client

from hookwire.router.catalog._registry_client import registry_request
from hookwire.router.config._load import Config
from hookwire.router.errors import LiveConfigError
from hookwire.router.live._history import (
    diff,
    history_rows,
    rollback_record,
    rollback_target,
    text_record,
)
from hookwire.router.live._status import status_report
from hookwire.router.live._store import ConfigStore, Revision, load_record
from hookwire.router.routing._explain import explain
from hookwire.router.routing._rules import CompiledRule
from hookwire.schemas import (
    GatewayRequest,
    GetReply,
    GetRequest,
    ListReply,
    ListRequest,
    SearchReply,
    SearchRequest,
    subjects,
)


class Deployment:
    """One NATS connection's view of a running hookwire deployment (``writer``: another
    connection for apply and rollback, when ``nc``'s role may only read)."""

    def __init__(
        self,
        nc: Client,
        *,
        writer: Client | None = None,
        timeout: float = 5.0,
        status_wait: float = 0.5,
    ) -> None:
        self.nc = nc
        self.writer = writer or nc
        self.timeout = timeout
        self.status_wait = status_wait
        self._loaded: tuple[int, Config] | None = None

    # -- the registry service ---------------------------------------------------------

    async def plugins(
        self, maturity: str | None, capability: str | None, hook: str | None
    ) -> ListReply:
        request = ListRequest(maturity=maturity, capability=capability, hook=hook)
        return await registry_request(
            self.nc, subjects.REGISTRY_LIST, request, ListReply, self.timeout
        )

    async def search(self, query: str, limit: int = 50) -> SearchReply:
        request = SearchRequest(query=query, limit=limit)
        return await registry_request(
            self.nc, subjects.REGISTRY_SEARCH, request, SearchReply, self.timeout
        )

    async def plugin(self, name: str) -> GetReply:
        request = GetRequest(name=name)
        return await registry_request(
            self.nc, subjects.REGISTRY_GET, request, GetReply, self.timeout
        )

    # -- status ---------------------------------------------------------------------

    async def status(self) -> dict[str, Any]:
        return await status_report(self.nc, self.status_wait)

    # -- the live config ------------------------------------------------------------

    async def store(self) -> ConfigStore:
        return await ConfigStore.open(self.nc, create=False)

    async def live(self) -> tuple[Revision, Config]:
        """The live revision and its config, loaded here (cached by revision)."""
        current = await (await self.store()).current()
        if current is None:
            raise LiveConfigError("no config has been applied yet (hookwire apply FILE)")
        if self._loaded is None or self._loaded[0] != current.revision:
            self._loaded = (current.revision, load_record(current.record))
        return current, self._loaded[1]

    async def rules(self) -> dict[str, Any]:
        rev, config = await self.live()
        return {
            "revision": rev.revision,
            "strategy": config.strategy,
            "rules": [rule_json(rule) for rule in config.rules],
        }

    async def explain(self, event: Callable[[Collection[str]], GatewayRequest]) -> dict[str, Any]:
        """``hookwire explain --json`` against the live config: ``event`` builds the event
        from the config's known hooks (it refuses an unknown hook, as the CLI does)."""
        rev, config = await self.live()
        return {"revision": rev.revision, **explain(config, event(config.known_hooks)).to_json()}

    async def history(self) -> list[dict[str, Any]]:
        return history_rows(await (await self.store()).history())

    async def revision(self, revision: int) -> dict[str, Any]:
        rev = await (await self.store()).get(revision)
        return {"revision": rev.revision, **msgspec.to_builtins(rev.record)}

    async def diff(self, old: int, new: int) -> dict[str, Any]:
        store = await self.store()
        a, b = await store.get(old), await store.get(new)
        return {"from": old, "to": new, "diff": diff(a, b)}

    async def apply(self, text: str, message: str, applied_by: str) -> dict[str, Any]:
        """Check ``text`` as the new live config and store it unless it is the live config
        already, as ``hookwire config apply`` does (``stored``: false). ConfigError:
        refused, nothing stored."""
        store = await ConfigStore.open(self.writer, create=False)
        live = await store.current()
        if live is None:
            raise LiveConfigError("no config has been applied yet: apply a file with the CLI")
        record, config = text_record(text, live.record, message=message, applied_by=applied_by)
        revision, stored = await store.put_if_changed(record)
        return {**_stored(revision, config), "stored": stored}

    async def rollback(self, revision: int | None, message: str) -> dict[str, Any]:
        store = await ConfigStore.open(self.writer, create=False)
        target = await rollback_target(store, revision)
        record, config = rollback_record(target, message)
        stored = await store.put(record)
        return {**_stored(stored, config), "rollback_of": target.revision}


def _stored(revision: int, config: Config) -> dict[str, Any]:
    return {
        "revision": revision,
        "plugins": len(config.plugins),
        "rules": len(config.rules),
        "warnings": [str(w) for w in config.warnings],
    }


def _sorted(values: frozenset[str] | None) -> list[str] | None:
    return None if values is None else sorted(values)


def rule_json(rule: CompiledRule) -> dict[str, Any]:
    """A compiled rule as the API shows it: what it matches, its score, its plugins in
    their order within the rule (attachment priority, then position)."""
    attachments = sorted(rule.attachments, key=lambda a: (a.priority, a.position))
    return {
        "rule": rule.index,
        "label": rule.label,
        "display_name": rule.display_name,
        "score": rule.score,
        "entities": _sorted(rule.entities),
        "names": _sorted(rule.names),
        "tags": _sorted(rule.tags),
        "hooks": _sorted(rule.hooks),
        "server_name": _sorted(rule.server_name),
        "server_id": _sorted(rule.server_id),
        "gateway_id": _sorted(rule.gateway_id),
        "when": rule.when.source if rule.when is not None else None,
        "priority": rule.priority,
        "reverse_order_on_post": rule.reverse_order_on_post,
        "plugins": [
            {
                "instance": a.instance.id,
                "plugin": a.instance.plugin,
                "priority": a.priority,
                "mode": a.instance.mode.value,
                "on": sorted(a.runs_on),
            }
            for a in attachments
        ],
    }
