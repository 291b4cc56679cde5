"""The registry micro service, served by the router, answers as the offline CLI does."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import msgspec
import pytest
from _nats import NatsServer
from nats.aio.client import Client
from nats.micro.service import ServiceVerb

from hookwire.router import load_config
from hookwire.router.catalog._quality import MeasuredQuality, write_measured
from hookwire.router.cli import main
from hookwire.router.live._discovery import collect
from hookwire.router.pipeline._service import Router
from hookwire.schemas import GetRequest, ListRequest, SearchRequest, SuiteCounts, subjects
from hookwire.service import connect

from .conftest import FIXTURES, registry_of

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    """A server of this module's own: no other test's router answers the registry here."""
    with NatsServer(tmp_path_factory.mktemp("registry-nats")) as nats:
        yield nats


def write_config(path: Path, plugin_dir: Path) -> Path:
    path.write_text(f"plugin_dirs: [{plugin_dir}]\n")
    return path


@pytest.fixture
async def router(server: NatsServer, tmp_path: Path) -> AsyncIterator[Router]:
    config = load_config(write_config(tmp_path / "hookwire.yaml", FIXTURES))
    nc = await connect(server.url, "test-registry-router")
    router = Router(nc, config)
    await router.start()
    yield router
    await router.drain()
    await nc.close()


@pytest.fixture
async def nc(server: NatsServer) -> AsyncIterator[Client]:
    client = await connect(server.url, "test-registry-client")
    yield client
    await client.close()


async def ask(nc: Client, subject: str, body: bytes) -> bytes:
    return (await nc.request(subject, body, timeout=5)).data


async def hookwire(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``hookwire ARGV`` in a thread (it runs its own event loop) while this loop serves."""
    code = await asyncio.to_thread(main, list(argv))
    out, err = capsys.readouterr()
    return code, out, err


REQUESTS = [
    (subjects.REGISTRY_LIST, ListRequest(), "list"),
    (subjects.REGISTRY_LIST, ListRequest(maturity="stable"), "list"),
    (subjects.REGISTRY_GET, GetRequest(name="opa_authz"), "get"),
    (subjects.REGISTRY_SEARCH, SearchRequest(query="content moderation"), "search"),
]


@pytest.mark.parametrize(("subject", "request_", "verb"), REQUESTS)
async def test_the_service_answers_exactly_as_the_offline_registry(
    router: Router, nc: Client, subject: str, request_: msgspec.Struct, verb: str
) -> None:
    online = await ask(nc, subject, msgspec.json.encode(request_))
    offline = getattr(registry_of(), verb)(request_)
    assert online == msgspec.json.encode(offline)


async def test_an_empty_list_request_lists_every_plugin(router: Router, nc: Client) -> None:
    reply = json.loads(await ask(nc, subjects.REGISTRY_LIST, b""))
    assert len(reply["plugins"]) == 9


async def test_a_malformed_request_gets_an_error_and_the_service_keeps_serving(
    router: Router, nc: Client
) -> None:
    bad = json.loads(await ask(nc, subjects.REGISTRY_GET, b'{"nom": 1}'))
    good = json.loads(await ask(nc, subjects.REGISTRY_GET, b'{"name": "rate_limiter"}'))

    assert bad["error"]["code"] == "bad_request"
    assert "not a GetRequest" in bad["error"]["message"]
    assert good["plugin"]["summary"]["name"] == "rate_limiter"


async def test_the_registry_is_a_micro_service_with_three_endpoints(
    router: Router, nc: Client
) -> None:
    [info] = await collect(nc, ServiceVerb.INFO, subjects.REGISTRY_SERVICE)
    assert info["name"] == "hookwire-registry"
    assert [(e["name"], e["subject"], e["queue_group"]) for e in info["endpoints"]] == [
        ("list", "hookwire.registry.list", "hookwire-registry"),
        ("get", "hookwire.registry.get", "hookwire-registry"),
        ("search", "hookwire.registry.search", "hookwire-registry"),
    ]


async def test_a_reload_serves_the_new_configs_plugins(
    router: Router, nc: Client, tmp_path: Path
) -> None:
    other = write_config(tmp_path / "other.yaml", FIXTURES / "rate_limiter")
    router.reload(load_config(other))

    reply = json.loads(await ask(nc, subjects.REGISTRY_LIST, b"{}"))

    assert [p["name"] for p in reply["plugins"]] == ["rate_limiter"]


async def test_a_new_measurement_shows_without_a_restart(
    server: NatsServer, nc: Client, registry_dir: Path, tmp_path: Path
) -> None:
    config = load_config(write_config(tmp_path / "c.yaml", registry_dir))
    router_nc = await connect(server.url, "test-registry-router")
    router = Router(router_nc, config)
    await router.start()
    try:
        write_measured(
            registry_dir / "toxicity_filter",
            MeasuredQuality(
                plugin="toxicity_filter",
                plugin_version="0.4.2",
                hookwire_version="0.1.0",
                measured_at=dt.datetime(2026, 7, 1, tzinfo=dt.UTC),
                test_coverage=77.0,
                tests=SuiteCounts(passed=5, failed=0),
                tests_seconds=0.2,
            ),
        )
        body = msgspec.json.encode(ListRequest(hook="prompt_post_fetch", maturity="beta"))
        reply = json.loads(await ask(nc, subjects.REGISTRY_LIST, body))
    finally:
        await router.drain()
        await router_nc.close()

    [plugin] = reply["plugins"]
    assert (plugin["test_coverage"], plugin["quality_source"]) == (77.0, "measured")
    assert plugin["measured_at"] == "2026-07-01T00:00:00+00:00"


@pytest.mark.parametrize(
    "argv",
    [
        ["list"],
        ["list", "--maturity", "stable"],
        ["show", "legacy_pii_filter"],
        ["search", "rate limit"],
    ],
    ids=["list", "list-stable", "show", "search"],
)
@pytest.mark.parametrize("form", [[], ["--json"]], ids=["text", "json"])
async def test_cli_output_is_the_same_online_and_offline(
    router: Router,
    server: NatsServer,
    argv: list[str],
    form: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    online = await hookwire(capsys, "plugins", *argv, *form, "--nats", server.url)
    offline = await hookwire(capsys, "plugins", *argv, *form, "--plugin-dir", str(FIXTURES))

    assert online[0] == 0, online[2]
    assert online == offline


async def test_cli_online_without_a_router_is_a_clear_error(
    server: NatsServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = await hookwire(capsys, "plugins", "list", "--nats", server.url)
    assert (code, out) == (1, "")
    assert f"no registry at {server.url}: no router is running there" in err
