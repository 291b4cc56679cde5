"""The plugin registry as a NATS micro service (``hookwire-registry``), served by routers.

Endpoints, JSON request-reply, in one queue group shared by every router:
``hookwire.registry.list`` (a ListRequest; an empty message lists everything),
``hookwire.registry.get`` (a GetRequest) and ``hookwire.registry.search`` (a
SearchRequest). Measured quality is read at each request, so a ``hookwire plugins qa``
run shows at once; a malformed request gets a reply whose ``error`` says why.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib.metadata import version
from typing import TypeVar

import msgspec
from nats.aio.client import Client
from nats.aio.msg import Msg

from hookwire.router.catalog._manifest import PluginPackage
from hookwire.router.catalog._registry import Registry
from hookwire.schemas import (
    ErrorInfo,
    GetReply,
    GetRequest,
    ListReply,
    ListRequest,
    SearchReply,
    SearchRequest,
    subjects,
)
from hookwire.service import Handler, Service

_encode = msgspec.json.Encoder().encode
Req = TypeVar("Req", ListRequest, GetRequest, SearchRequest)


class RegistryService:
    """Answers registry requests for ``packages``; ``update`` swaps them (on reload)."""

    def __init__(self, nc: Client, packages: Mapping[str, PluginPackage]) -> None:
        self.packages = packages
        self.service = Service(
            nc,
            name=subjects.REGISTRY_SERVICE,
            version=version("hookwire-router"),
            description="hookwire plugin registry: list, get and search plugins",
            metadata={"role": "registry"},
            max_concurrency=16,
        )

    def update(self, packages: Mapping[str, PluginPackage]) -> None:
        self.packages = packages

    async def start(self) -> None:
        await self.service.start()
        endpoints: list[tuple[str, str, Callable[[Msg], bytes]]] = [
            ("list", subjects.REGISTRY_LIST, self._list),
            ("get", subjects.REGISTRY_GET, self._get),
            ("search", subjects.REGISTRY_SEARCH, self._search),
        ]
        for name, subject, answer in endpoints:
            await self.service.add_endpoint(
                name, subject, subjects.REGISTRY_SERVICE, _async(answer), _internal
            )

    async def drain(self, timeout: float = 5.0) -> None:
        await self.service.drain(timeout)

    def _list(self, msg: Msg) -> bytes:
        req = _decode(msg.data, ListRequest, ListRequest())
        if isinstance(req, ErrorInfo):
            return _encode(ListReply(error=req))
        return _encode(Registry(self.packages).list(req))

    def _get(self, msg: Msg) -> bytes:
        req = _decode(msg.data, GetRequest)
        if isinstance(req, ErrorInfo):
            return _encode(GetReply(error=req))
        return _encode(Registry(self.packages).get(req))

    def _search(self, msg: Msg) -> bytes:
        req = _decode(msg.data, SearchRequest)
        if isinstance(req, ErrorInfo):
            return _encode(SearchReply(error=req))
        return _encode(Registry(self.packages).search(req))


def _decode(data: bytes, kind: type[Req], empty: Req | None = None) -> Req | ErrorInfo:
    if not data.strip() and empty is not None:
        return empty
    try:
        return msgspec.json.decode(data, type=kind)
    except msgspec.MsgspecError as exc:
        return ErrorInfo(code="bad_request", message=f"not a {kind.__name__}: {exc}")


def _async(answer: Callable[[Msg], bytes]) -> Handler:
    async def handler(msg: Msg) -> bytes:
        return answer(msg)

    return handler


def _internal(exc: BaseException) -> bytes:
    """Any reply type decodes this: every one has an ``error`` and defaults for the rest."""
    return _encode({"error": ErrorInfo(code="internal", message=repr(exc))})
