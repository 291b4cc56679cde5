"""One deployment, three pools: ``iso_good`` serves, ``iso_flaky`` crashed once and was
restarted, ``iso_broken`` has no venv (its requirement cannot be found offline).

A failed install fails that plugin's pool only, with uv's own error in ``status()``,
``describe()`` and ``hookwire status``; the other pools start and serve.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
import pytest_asyncio

from hookwire import client as hw
from hookwire.router import load_config
from hookwire.router._stack import Stack

from ._plugins import CRASH_ONCE, ECHO, hookwire_command, make_plugin, write_config

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

UV_SAYS = "nonexistent-pkg-xyz was not found"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    """The deployment (embedded NATS, venvs in the session's venv folder), started once."""
    base = tmp_path_factory.mktemp("pools")
    make_plugin(base / "plugins", "iso_good", ECHO, requirements="")
    make_plugin(base / "plugins", "iso_flaky", CRASH_ONCE, requirements="")
    make_plugin(base / "plugins", "iso_broken", ECHO, requirements="nonexistent-pkg-xyz==9.9\n")
    config = write_config(
        base,
        [base / "plugins"],
        ["iso_good", "iso_flaky"],
        plugins={"iso_broken": {}},
        settings={"pool_cooldown": 3600},  # no retry (it would ask uv again) within the tests
    )
    started = Stack(load_config(config))
    with pytest.MonkeyPatch.context() as patch:  # module fixtures come before _uv_offline
        patch.setenv("UV_OFFLINE", "1")
        await started.__aenter__()
    try:
        yield started
    finally:
        await started.stop()


def pools(stack: Stack) -> dict[str, dict[str, Any]]:
    assert stack.supervisor is not None
    return {row.plugin: msgspec.to_builtins(row) for row in stack.supervisor.status()}


async def hookwire_out(*args: str) -> str:
    """stdout of ``hookwire ARGS``, run without blocking this event loop (which serves
    the supervisor's status endpoint)."""
    proc = await asyncio.create_subprocess_exec(
        *hookwire_command(*args),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    return out.decode()


# -- a failed install --------------------------------------------------------------


async def test_broken_pool_is_failed_with_uv_error_in_status(stack: Stack) -> None:
    row = pools(stack)["iso_broken"]
    assert (row["failed"], row["alive"]) == (True, 0)
    assert UV_SAYS in row["last_error"]


async def test_other_pools_start_beside_the_broken_one(stack: Stack) -> None:
    rows = pools(stack)
    assert [(rows[n]["failed"], rows[n]["alive"]) for n in ("iso_good", "iso_flaky")] == [
        (False, 1),
        (False, 1),
    ]


async def test_describe_shows_the_broken_pool_failed_with_uv_error(stack: Stack) -> None:
    lines = stack.describe()
    failed = [line for line in lines if "iso_broken" in line]
    assert failed and "FAILED" in failed[0]
    assert UV_SAYS in "\n".join(lines)


async def test_good_plugins_serve_an_event_while_the_other_failed(stack: Stack) -> None:
    async with await hw.connect(stack.url, timeout=20, auth=stack.auth_for("gateway")) as gateway:
        result = await gateway.tool_pre_invoke("lookup", {})
    assert result.decision == "allow", result.error
    assert result.payload.args == {"iso_good": "ok", "iso_flaky": "ok"}


# -- hookwire status -----------------------------------------------------------------


async def test_status_json_has_alive_restarts_last_error_failed_per_pool(stack: Stack) -> None:
    report = json.loads(await hookwire_out("status", "--data-dir", str(stack.data_dir), "--json"))
    rows = {p["plugin"]: p for p in report["pools"]}
    seen = {n: (p["alive"], p["restarts"], p["failed"]) for n, p in rows.items()}
    assert seen == {
        "iso_good": (1, 0, False),
        "iso_flaky": (1, 1, False),
        "iso_broken": (0, 0, True),
    }
    assert rows["iso_good"]["last_error"] is None
    assert rows["iso_flaky"]["last_error"] == "exit code 3: iso_flaky: first start fails"
    assert UV_SAYS in rows["iso_broken"]["last_error"]


async def test_status_prints_a_line_per_pool(stack: Stack) -> None:
    lines = (await hookwire_out("status", "--data-dir", str(stack.data_dir))).splitlines()
    start = lines.index("supervised pools:")
    rows = {line.split()[0]: line.split() for line in lines[start + 1 :] if line.startswith("  ")}
    assert rows["iso_good"][:6] == ["iso_good", "ok", "1/1", "alive", "0", "restarts"]
    assert rows["iso_flaky"][:6] == [
        "iso_flaky",
        "ok",
        "1/1",
        "alive",
        "1",
        "restart",
    ]  # singular (issue 15)
    assert "first start fails" in " ".join(rows["iso_flaky"])
    assert rows["iso_broken"][:3] == ["iso_broken", "FAILED", "0/1"]
