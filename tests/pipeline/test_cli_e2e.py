"""``hookwire up`` and ``hookwire demo`` as a user runs them: subprocesses, embedded NATS."""

from __future__ import annotations

import asyncio
import os
import re
import signal
from pathlib import Path

import pytest

from hookwire import client as hw

from ._kit import (
    alive,
    children_of,
    command_line,
    hookwire_command,
    plug,
    stop_process,
    wait_until,
    write_config,
)

pytestmark = pytest.mark.integration

READY_LINE = "Ctrl-C stops everything."


def offline_env() -> dict[str, str]:
    """This environment (read now: fixtures set HOOKWIRE_VENV_DIR) with uv kept off the
    network: plugin venvs are made from uv's cache."""
    return {**os.environ, "UV_OFFLINE": "1"}


async def _read_until_ready(proc: asyncio.subprocess.Process) -> list[str]:
    assert proc.stdout is not None
    lines: list[str] = []
    while not lines or lines[-1] != READY_LINE:
        raw = await proc.stdout.readline()
        if not raw:
            raise AssertionError("hookwire up ended before it was up:\n" + "\n".join(lines))
        lines.append(raw.decode().rstrip("\n"))
    return lines


@pytest.mark.timeout(120)
async def test_up_with_embedded_nats_serves_events_and_sigint_stops_every_process(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path, [plug("echo_upper")], plugins={"echo_upper": {"workers": 2}})
    command = hookwire_command("up", "--config", str(config), "--data-dir", str(tmp_path / "d"))
    with (tmp_path / "up.log").open("wb") as log:
        up = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.PIPE, stderr=log, env=offline_env()
        )
    children: dict[int, str] = {}
    try:
        lines = await asyncio.wait_for(_read_until_ready(up), 90)
        [url] = re.findall(r"^\s+nats\s+(nats://\S+)", "\n".join(lines), re.MULTILINE)
        children = {pid: command_line(pid) for pid in children_of(up.pid)}
        creds = tmp_path / "d" / "creds"
        with pytest.raises(hw.HookwireUnavailable, match="refused the login"):
            await hw.connect(url, timeout=10, auth=hw.NatsAuth())  # no anonymous client
        gateway = hw.NatsAuth(creds=str(creds / "gateway.creds"))
        async with await hw.connect(url, timeout=10, auth=gateway) as client:
            result = await client.tool_pre_invoke("lookup", {"q": "x"})
        # a client command finds the running up through its data folder, with no URL
        send = await asyncio.create_subprocess_exec(
            *hookwire_command("send", "--json", "tool_pre_invoke", '{"name": "t", "args": {}}'),
            stdout=asyncio.subprocess.PIPE,
            cwd=tmp_path,
            env={**offline_env(), "HOOKWIRE_DATA_DIR": str(tmp_path / "d")},
        )
        sent, _ = await asyncio.wait_for(send.communicate(), 30)
        modes = {f.name: f.stat().st_mode & 0o777 for f in creds.iterdir()}
        up.send_signal(signal.SIGINT)
        await asyncio.wait_for(up.communicate(), 30)
        await wait_until(lambda: not any(alive(pid) for pid in children), 10, "children exit")
    finally:
        await stop_process(up)
        for pid in children:  # left behind only when the test fails
            if alive(pid):
                os.kill(pid, signal.SIGKILL)

    assert result.decision == "allow"
    assert result.payload.args == {"q": "X"}
    assert send.returncode == 0 and '"decision": "allow"' in sent.decode()
    assert set(modes) >= {"gateway.creds", "router.creds", "worker-echo_upper.creds"}
    assert set(modes.values()) == {0o600}
    assert up.returncode == 0
    assert not (tmp_path / "d" / "up.json").exists()  # up removes it when it stops
    kinds = sorted("nats-server" if "nats-server" in c else "worker" for c in children.values())
    assert kinds == ["nats-server", "worker", "worker"], children
    host, port = url.removeprefix("nats://").split(":")
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection(host, int(port))


@pytest.mark.timeout(180)
async def test_demo_exits_0_and_shows_a_block_and_masked_pii() -> None:
    demo = await asyncio.create_subprocess_exec(
        *hookwire_command("demo"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        # not offline: the demo's plugins need third-party packages (phonenumbers,
        # cedarpy ...) whose index pages an empty uv cache does not hold
        env=dict(os.environ),
    )
    try:
        out, err = await asyncio.wait_for(demo.communicate(), 150)
    finally:
        await stop_process(demo)
    text = out.decode()

    assert demo.returncode == 0, f"{text}\n{err.decode()}"
    assert "BLOCK" in text
    assert "[EMAIL]" in text
