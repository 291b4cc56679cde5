"""Issue 9's abuses against a nats-server configured with the roles: each is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from _nats import NatsServer

from hookwire.service import NatsAuth, NatsConnectError, connect

from ._abuse import run_abuses
from .conftest import Secured

pytestmark = pytest.mark.integration


async def test_every_abuse_is_refused_and_changes_nothing(
    secured_nats: Secured, tmp_path: Path
) -> None:
    outcomes = await run_abuses(secured_nats.url, secured_nats.auth, tmp_path, n=20)
    table = "\n".join(o.row() for o in outcomes)
    for outcome in outcomes:
        assert outcome.achieved == 0, table
        assert outcome.refused, table
        if outcome.served is not None:  # the real parts kept serving every event
            assert outcome.served == outcome.tries, table


async def test_anonymous_clients_cannot_connect(secured_nats: Secured) -> None:
    with pytest.raises(NatsConnectError, match="refused the login"):
        await connect(secured_nats.url, "anonymous", attempts=2, auth=NatsAuth())


async def test_on_an_open_server_the_same_scenario_succeeds(
    fresh_nats_server: NatsServer, tmp_path: Path
) -> None:
    """The scenario can fail: without the roles every abuse gets through."""
    outcomes = await run_abuses(fresh_nats_server.url, lambda role: None, tmp_path, n=20)
    table = "\n".join(o.row() for o in outcomes)
    for outcome in outcomes:
        assert outcome.achieved > 0, table
        assert not outcome.refused, table
