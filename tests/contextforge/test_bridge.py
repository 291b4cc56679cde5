"""hookwire_cpex.Bridge, called exactly as the gateway calls it: cpex's
TenantPluginManager ``invoke_hook(..., violations_as_exceptions=True)``."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from _nats import NatsServer

from hookwire.router import load_config
from hookwire.router._stack import Stack

from ._venvs import BRIDGE_SIDE, run_cpex

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

STAMP = '''
import msgspec
from hookwire.workers import Continue, Plugin


class Stamp(Plugin):
    """Leaves the pre call's query in the request state; the post call reports it."""

    async def tool_pre_invoke(self, payload, ctx):
        ctx.state["seen"] = payload.args.get("q")

    async def tool_post_invoke(self, payload, ctx):
        return Continue(msgspec.structs.replace(payload, result={"pre_saw": ctx.state.get("seen")}))
'''


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    base = tmp_path_factory.mktemp("bridge")
    plugin = base / "plugins" / "stamp"
    plugin.mkdir(parents=True)
    (plugin / "stamp_plugin.py").write_text(STAMP)
    (plugin / "plugin-manifest.yaml").write_text(
        "name: stamp\nversion: 1.0.0\ndescription: state carrier\nentry: stamp_plugin:Stamp\n"
        "maturity: alpha\nhooks: [tool_pre_invoke, tool_post_invoke]\n"
    )
    doc = {
        "plugin_dirs": [str(base / "plugins")],
        "plugins": {"stamp": {}},
        "routes": [{"entities": ["tool"], "plugins": [{"name": "stamp"}]}],
    }
    (base / "hookwire.yaml").write_text(json.dumps(doc))
    async with Stack(load_config(base / "hookwire.yaml"), ready_timeout=600) as started:
        yield started


async def scenario(python: Path, name: str, target: Stack | str) -> list[Any]:
    """Run a bridge scenario against a (secured) stack, as its gateway, or a bare URL."""
    job: dict[str, Any] = {"scenario": name, "nats": target}
    if isinstance(target, Stack):
        job.update(nats=target.url, creds=target.auth_for("gateway").creds)
    return await run_cpex(python, job, BRIDGE_SIDE)


async def test_state_from_the_pre_hook_reaches_the_post_hook(
    gateway_python: Path, stack: Stack
) -> None:
    [post] = await scenario(gateway_python, "state", stack)
    assert post == {"name": "lookup", "result": {"pre_saw": "remember me"}}


async def test_plugin_objects_share_one_connection(gateway_python: Path, stack: Stack) -> None:
    assert await scenario(gateway_python, "shared", stack) == ["allow"] * 3 + [1]


async def test_no_router_fails_closed_or_open_as_configured(
    gateway_python: Path, fresh_nats_server: NatsServer
) -> None:
    closed, opened = await scenario(gateway_python, "failure", fresh_nats_server.url)
    assert closed["decision"] == "block"
    assert (closed["code"], closed["http_status_code"]) == ("HOOKWIRE_UNAVAILABLE", 503)
    assert "no hookwire router serves hookwire.hook.tool_pre_invoke" in closed["description"]
    assert opened == {
        "decision": "allow",
        "payload": {"name": "lookup", "args": {"q": "x"}, "headers": None},
    }


async def test_bad_settings_name_the_key_and_the_fix(gateway_python: Path, stack: Stack) -> None:
    said = await scenario(gateway_python, "settings", stack)
    assert said == [
        "hookwire bridge 'hookwire': config.timeout: expected seconds between 0 and 30 "
        "(cpex's own plugin timeout), got 45",
        "hookwire bridge 'hookwire': config.on_failure: expected 'closed' (block the request "
        "when hookwire does not answer) or 'open' (let it through), got 'maybe'",
        f"hookwire bridge 'hookwire': config.nat: unknown key; known: {KNOWN}",
        "hookwire bridge 'hookwire': config.nats: expected the NATS URL hookwire runs on "
        "(nats://HOST:PORT), got None",
    ]


KNOWN = (
    "credentials, name, nats, nkeys_seed, on_failure, password, state_key, timeout, tls, "
    "token, user, user_credentials"
)
