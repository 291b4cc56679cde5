"""A hook method given a value of the wrong kind raises InvalidPayload before sending."""

from __future__ import annotations

from typing import Any

import pytest
from _nats import NatsServer

from hookwire import client as hw


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda c: c.tool_pre_invoke("x", "not a dict"), "args"),
        (lambda c: c.prompt_pre_fetch("p", ["a", "b"]), "args"),
        (lambda c: c.resource_pre_fetch("file:///x", metadata=3), "metadata"),
        (lambda c: c.http_pre_request("/", "GET", headers="h"), "headers"),
        (lambda c: c.agent_pre_invoke("a", ["hello"]), "messages"),
    ],
)
async def test_a_value_that_is_not_a_mapping_raises_invalid_payload(
    nats_server: NatsServer, call: Any, field: str
) -> None:
    async with await hw.connect(nats_server.url, timeout=2) as gateway:
        with pytest.raises(hw.InvalidPayload, match=f"`{field}` must be a mapping") as caught:
            await call(gateway)
    assert isinstance(caught.value, ValueError)  # InvalidPayload is a ValueError too
