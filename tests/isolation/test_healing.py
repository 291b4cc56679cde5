"""Failures that heal by themselves (issue 10): each test is one failure that, before,
left events failing until someone restarted something.

Plugins here stamp ``args[<name>] = "ok"`` when they ran; a test sends events through a
real router and checks the stamp.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest
from _nats import NatsServer

from hookwire import client as hw
from hookwire.router import load_config
from hookwire.router._stack import Stack, StackError
from hookwire.router.live._discovery import wait_for_instances
from hookwire.router.pipeline._service import Router
from hookwire.router.pools._supervisor import Pool
from hookwire.schemas import subjects
from hookwire.service import connect

from ._plugins import (
    CRASH_AT_IMPORT,
    ECHO,
    VERSION_REPORTER,
    hookwire_command,
    make_plugin,
    write_config,
)

pytestmark = pytest.mark.integration

#: Stamps the event; on request: floods stderr and stdout, blocks its loop, or dies.
MISCHIEF = """
import os
import sys
import time

import msgspec

from hookwire.workers import Continue, Plugin


class Entry(Plugin):
    async def tool_pre_invoke(self, payload, ctx):
        args = payload.args
        if args.get("loud"):
            sys.stderr.write("E" * 80_000 + "\\n")
            sys.stderr.flush()
            sys.stdout.write("\\x1b[31mred\\x00\\x07bell\\n")
            sys.stdout.flush()
        if args.get("hang"):
            time.sleep(3600)
        if args.get("poison"):
            os._exit(9)
        return Continue(msgspec.structs.replace(payload, args={**args, "{name}": "ok"}))
"""

#: Writes its pid to ``started`` (plugin folder) and sleeps, the first time only; stamps.
SLEEPER = """
import asyncio
import os
from pathlib import Path

import msgspec

from hookwire.workers import Continue, Plugin

_STARTED = Path(__file__).with_name("started")


class Entry(Plugin):
    async def tool_pre_invoke(self, payload, ctx):
        if not _STARTED.exists():
            _STARTED.write_text(str(os.getpid()))
            await asyncio.sleep(60)
        return Continue(msgspec.structs.replace(payload, args={**payload.args, "{name}": "ok"}))
"""

#: Short timeouts, so a test of a failure that does not heal fails in bounded time.
FAST = {"plugin_timeout": 2, "pool_cooldown": 1, "worker_health_interval": 0.5}


async def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while not check():
        if time.monotonic() > end:
            raise TimeoutError(f"{what} did not happen within {timeout}s")
        await asyncio.sleep(0.05)


async def stamped(
    url: str, plugin: str, args: dict[str, Any] | None = None, auth: hw.NatsAuth | None = None
) -> bool:
    """Whether an event through the router ran ``plugin`` (its stamp is in the payload);
    ``auth``: the gateway's credentials on a secured server."""
    async with await hw.connect(url, timeout=10, auth=auth) as gateway:
        result = await gateway.tool_pre_invoke("lookup", dict(args or {}))
    return result.payload is not None and result.payload.args.get(plugin) == "ok"


async def until_stamped(
    url: str, plugin: str, timeout: float, auth: hw.NatsAuth | None = None
) -> None:
    end = time.monotonic() + timeout
    while True:
        try:
            if await stamped(url, plugin, auth=auth):
                return
        except (hw.HookwireUnavailable, hw.HookwireTimeout, OSError):
            pass  # NATS, the router or the worker is still coming back
        if time.monotonic() > end:
            raise TimeoutError(f"{plugin} did not serve an event within {timeout}s")
        await asyncio.sleep(0.2)


def one_deployment(tmp_path: Path, name: str, source: str = MISCHIEF, **settings: Any) -> Path:
    make_plugin(tmp_path / "plugins", name, source, requirements="")
    return write_config(tmp_path, [tmp_path / "plugins"], [name], settings={**FAST, **settings})


def pool_of(stack: Stack, name: str) -> Pool:
    assert stack.supervisor is not None
    return stack.supervisor.pools[name]


def pid_of(pool: Pool) -> int | None:
    alive = [p.pid for p in pool.processes.values() if p.returncode is None]
    return alive[0] if alive else None


# -- 1. one long log line -----------------------------------------------------------


async def test_long_and_binary_output_keeps_supervision_alive(
    tmp_path: Path, nats_server: NatsServer, capfd: pytest.CaptureFixture[str]
) -> None:
    config = one_deployment(tmp_path, "heal_loud")
    async with Stack(load_config(config), nats_url=nats_server.url) as stack:
        pool = pool_of(stack, "heal_loud")
        first = await stamped(stack.url, "heal_loud", {"loud": True})
        second = await stamped(stack.url, "heal_loud", {"loud": True})
        old = pid_of(pool)
        assert old is not None
        os.kill(old, signal.SIGKILL)
        await wait_until(lambda: pid_of(pool) not in (None, old), 30, "a restart after kill -9")
        await until_stamped(stack.url, "heal_loud", 30)
    err = capfd.readouterr().err
    assert (first, second) == (True, True)
    assert "line cut at 2000 characters" in err
    assert max(len(line) for line in err.splitlines()) < 3000
    assert "\x1b" not in err and "\x00" not in err
    assert "\\x1b[31mred\\x00\\x07bell" in err


# -- 2. a hung worker ---------------------------------------------------------------


async def test_hung_worker_is_killed_restarted_and_says_why(
    tmp_path: Path, nats_server: NatsServer
) -> None:
    config = one_deployment(tmp_path, "heal_hang")
    async with Stack(load_config(config), nats_url=nats_server.url) as stack:
        pool = pool_of(stack, "heal_hang")
        hung, health = pid_of(pool), stack.health
        assert hung is not None and health is not None
        await wait_until(lambda: health.answered(hung), 30, "a first health check")
        await stamped(stack.url, "heal_hang", {"hang": True})  # times out: its loop is blocked
        await wait_until(lambda: pid_of(pool) not in (None, hung), 30, "the hung worker's restart")
        why = pool.last_error or ""
        await until_stamped(stack.url, "heal_hang", 30)
    assert why.startswith("hung: no answer to PING"), why


# -- 3. a poison pill fails the pool; it heals after a cooldown ---------------------


async def test_poisoned_pool_is_retried_half_open_and_heals(
    tmp_path: Path, nats_server: NatsServer
) -> None:
    config = one_deployment(tmp_path, "heal_poison")
    async with Stack(load_config(config), nats_url=nats_server.url) as stack:
        pool = pool_of(stack, "heal_poison")
        assert stack.supervisor is not None
        while not pool.failed:  # each poison event kills the worker serving it
            await until_stamped(stack.url, "heal_poison", 30)
            poisoned = pid_of(pool)
            await stamped(stack.url, "heal_poison", {"poison": True})
            await wait_until(
                lambda p=poisoned: pool.failed or pid_of(pool) != p,
                10,
                "the poisoned worker's death",
            )
        row = stack.supervisor.status()[0]
        await until_stamped(stack.url, "heal_poison", 30)
        healed = pool.state
    assert (row.state, row.failed) == ("failed", True)
    assert row.next_retry is not None and row.next_retry > time.time() - 5
    assert healed in ("half-open", "ok")


# -- 4. a call in flight on a worker that dies ---------------------------------------


async def kill_mid_call(tmp_path: Path, url: str, name: str, *, idempotent: bool) -> str:
    """The reply (as JSON) to an event whose worker is killed while it handles it."""
    folder = make_plugin(tmp_path / "plugins", name, SLEEPER, requirements="")
    if idempotent:
        with (folder / "plugin-manifest.yaml").open("a") as manifest:
            manifest.write("idempotent: true\n")
    config = write_config(
        tmp_path,
        [tmp_path / "plugins"],
        [name],
        plugins={name: {"workers": 2}},
        settings={"plugin_timeout": 50},  # the call would wait this long without the fix
    )
    async with (
        Stack(load_config(config), nats_url=url),
        await hw.connect(url, timeout=60) as gateway,
    ):
        call = asyncio.create_task(gateway.tool_pre_invoke("lookup", {}))
        started = folder / "started"
        await wait_until(lambda: started.exists() and started.read_text() != "", 30, "call")
        os.kill(int(started.read_text()), signal.SIGKILL)
        result = await asyncio.wait_for(call, 40)  # generous: far below plugin_timeout
    return json.dumps(msgspec.to_builtins(result))


async def test_a_call_on_a_worker_that_dies_gets_its_decision_at_once(
    tmp_path: Path, nats_server: NatsServer
) -> None:
    reply = await kill_mid_call(tmp_path, nats_server.url, "heal_lost", idempotent=False)
    assert "the worker serving this call died" in reply
    assert '"heal_lost":"ok"' not in reply.replace(" ", "")


async def test_an_idempotent_call_lost_with_its_worker_is_sent_to_another(
    tmp_path: Path, nats_server: NatsServer
) -> None:
    reply = await kill_mid_call(tmp_path, nats_server.url, "heal_again", idempotent=True)
    assert '"heal_again":"ok"' in reply.replace(" ", ""), reply


# -- 5. hookwire up survives its own parts ------------------------------------------


async def test_up_with_a_crash_looping_plugin_serves_the_others(tmp_path: Path) -> None:
    make_plugin(tmp_path / "plugins", "heal_good", ECHO, requirements="")
    make_plugin(tmp_path / "plugins", "heal_crashy", CRASH_AT_IMPORT, requirements="")
    config = write_config(
        tmp_path, [tmp_path / "plugins"], ["heal_good", "heal_crashy"], settings=FAST
    )
    proc = await asyncio.create_subprocess_exec(
        *hookwire_command("up", "--config", str(config), "--data-dir", str(tmp_path / "d")),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    try:
        lines: list[str] = []
        while not any(line.startswith("try:") for line in lines):
            raw = await asyncio.wait_for(proc.stdout.readline(), 120)
            assert raw, f"up exited: {lines}"
            lines.append(raw.decode().rstrip())
        # secured by default: the URL and the gateway's creds are in the data folder
        url = json.loads((tmp_path / "d" / "up.json").read_text())["url"]
        gateway_creds = hw.NatsAuth(creds=str(tmp_path / "d" / "creds" / "gateway.creds"))
        async with await hw.connect(url, timeout=10, auth=gateway_creds) as gateway:
            result = await gateway.tool_pre_invoke("lookup", {})
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 60)
    assert "hookwire is up (1 pool failed)" in lines
    assert any("heal_crashy" in line and "FAILED" in line for line in lines)
    assert result.payload is not None and result.payload.args.get("heal_good") == "ok"


async def test_embedded_nats_that_dies_is_restarted_and_everyone_reconnects(
    tmp_path: Path,
) -> None:
    config = one_deployment(tmp_path, "heal_nats", ECHO)
    async with Stack(load_config(config), data_dir=tmp_path / "d") as stack:
        embedded = stack.embedded
        assert embedded is not None
        url, old = stack.url, embedded.pid
        assert old is not None
        os.kill(old, signal.SIGKILL)
        await wait_until(
            lambda: embedded.running and embedded.pid != old, 30, "the nats-server restart"
        )
        restarted_url = embedded.url
        await until_stamped(url, "heal_nats", 30, auth=stack.auth_for("gateway"))
    assert restarted_url == url


async def test_a_second_up_on_one_data_folder_is_refused(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, [], []))
    async with Stack(config, data_dir=tmp_path / "d", router=False):
        with pytest.raises(StackError, match=r"data folder .* is in use by hookwire up, pid"):
            async with Stack(config, data_dir=tmp_path / "d", router=False):
                pass


async def test_a_vanished_venv_is_rebuilt(tmp_path: Path, nats_server: NatsServer) -> None:
    config = one_deployment(tmp_path, "heal_vanish", ECHO, venv_dir=str(tmp_path / "venvs"))
    async with Stack(load_config(config), nats_url=nats_server.url) as stack:
        pool = pool_of(stack, "heal_vanish")
        venv = Path(pool.spec.python).parent.parent
        old = pid_of(pool)
        assert old is not None and venv.is_relative_to(tmp_path / "venvs")
        shutil.rmtree(venv)
        os.kill(old, signal.SIGKILL)
        await wait_until(lambda: pid_of(pool) not in (None, old), 120, "a worker in a new venv")
        await until_stamped(stack.url, "heal_vanish", 30)
        state = pool.state
    assert state == "ok"
    assert (venv / "bin" / "python").exists()


async def test_venvs_prune_keeps_a_venv_a_running_worker_uses(
    tmp_path: Path, nats_server: NatsServer
) -> None:
    venvs = str(tmp_path / "venvs")
    config = one_deployment(tmp_path, "heal_prune", ECHO, venv_dir=venvs)
    other = write_config(tmp_path, [], [], settings={"venv_dir": venvs}, name="other.yaml")
    async with Stack(load_config(config), nats_url=nats_server.url) as stack:
        venv = Path(pool_of(stack, "heal_prune").spec.python).parent.parent
        proc = await asyncio.create_subprocess_exec(
            *hookwire_command("venvs", "prune", "--config", str(other)),
            stdout=asyncio.subprocess.PIPE,
        )
        out, _ = await asyncio.wait_for(proc.communicate(), 60)
        kept = venv.is_dir()
        served = await stamped(stack.url, "heal_prune")
    assert kept, out.decode()
    assert served
    assert "a running worker uses" in out.decode()


# -- 6. status --------------------------------------------------------------------


async def test_status_lists_the_pools_of_every_supervisor(
    tmp_path: Path, nats_server: NatsServer
) -> None:
    a = one_deployment(tmp_path / "a", "heal_sup_a", ECHO)
    b = one_deployment(tmp_path / "b", "heal_sup_b", ECHO)
    async with (
        Stack(load_config(a), nats_url=nats_server.url, router=False),
        Stack(load_config(b), nats_url=nats_server.url, router=False),
    ):
        proc = await asyncio.create_subprocess_exec(
            *hookwire_command("status", "--json", "--nats", nats_server.url),
            stdout=asyncio.subprocess.PIPE,
        )
        out, _ = await asyncio.wait_for(proc.communicate(), 60)
    plugins = sorted(p["plugin"] for p in json.loads(out)["pools"])
    assert plugins == ["heal_sup_a", "heal_sup_b"]


# -- 8. hookwire worker --plugin DIR: its requirements -----------------------------


async def test_worker_in_this_environment_names_a_missing_requirement(tmp_path: Path) -> None:
    make_plugin(tmp_path, "heal_needs", VERSION_REPORTER, requirements="isolib==1.0\n")
    proc = await asyncio.create_subprocess_exec(
        *hookwire_command("worker", "--plugin", str(tmp_path / "heal_needs"), "--nats", "x"),
        stdin=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        env={k: v for k, v in os.environ.items() if k != "HOOKWIRE_VENV_DIR"},
    )
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2
    assert "'isolib==1.0'" in err.decode() and "not installed in this environment" in err.decode()


async def test_worker_with_a_venv_dir_runs_in_the_plugins_venv(
    tmp_path: Path, nats_server: NatsServer, wheel_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UV_FIND_LINKS", str(wheel_dir))
    folder = make_plugin(tmp_path, "heal_venv", VERSION_REPORTER, requirements="isolib==1.0\n")
    config = write_config(tmp_path, [tmp_path], ["heal_venv"], settings={"plugin_timeout": 5})
    venvs = str(tmp_path / "v")
    command = hookwire_command("worker", "--plugin", str(folder), "--venv-dir", venvs)
    proc = await asyncio.create_subprocess_exec(
        *command, "--nats", nats_server.url, stdin=asyncio.subprocess.DEVNULL
    )
    nc = await connect(nats_server.url, "test")
    router = Router(nc, load_config(config))  # a router alone: the worker above serves
    try:
        seen = await wait_for_instances(nc, subjects.worker_service("heal_venv"), 1, 120)
        await router.start()
        async with await hw.connect(nats_server.url, timeout=10) as gateway:
            result = await gateway.tool_pre_invoke("lookup", {})
    finally:
        await router.drain(timeout=5)
        await nc.close()
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 30)
    assert seen == 1
    assert result.payload is not None and result.payload.args.get("heal_venv") == "1.0"
