"""The CLI as a new user meets it: no tracebacks, clear errors, no hang, quiet exits."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from _nats import NatsServer

from hookwire.router import load_config
from hookwire.router._stack import Stack

FIXTURE_PLUGINS = Path(__file__).resolve().parent.parent / "fixtures" / "plugins"

LEGACY = """\
plugin_dirs: [{plugins}]
plugins:
  - name: pii_filter
    kind: pii_filter
    priority: 10
"""

CONFIG = """\
plugin_dirs: [{plugins}]
plugins:
  pii_filter: {{}}
routes:
  - entities: [tool]
    plugins: [{{name: pii_filter}}]
"""


def hookwire(*args: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess[str]:
    """``hookwire ARGS`` in a process of its own (stderr as a user sees it)."""
    return subprocess.run(
        [sys.executable, "-m", "hookwire.router.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **env},
        check=False,
    )


@pytest.fixture
def closed_port() -> Iterator[str]:
    """A loopback URL whose port refuses connections (bound, never listening)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    yield f"nats://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "hookwire.yaml"
    path.write_text(CONFIG.format(plugins=FIXTURE_PLUGINS))
    return path


def assert_one_clean_error(proc: subprocess.CompletedProcess[str], code: int = 1) -> None:
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == code, proc.stderr


def test_send_to_an_unreachable_nats_is_one_line(closed_port: str) -> None:
    proc = hookwire("send", "--nats", closed_port, "tool_pre_invoke", '{"name": "t"}')
    assert_one_clean_error(proc)
    assert proc.stderr.strip().splitlines() == [
        line for line in proc.stderr.strip().splitlines() if "cannot connect to NATS" in line
    ]
    assert len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("command", ["up", "workers"])
def test_up_and_workers_with_an_unreachable_nats_say_so(
    command: str, closed_port: str, config: Path
) -> None:
    proc = hookwire(command, "--config", str(config), "--nats", closed_port, "--nats-wait", "1")
    assert_one_clean_error(proc)
    assert f"cannot connect to NATS at {closed_port}" in proc.stderr


def test_router_says_once_that_it_waits_for_nats(closed_port: str, config: Path) -> None:
    proc = hookwire(
        "router", "--config", str(config), "--nats", closed_port, "--nats-wait", "3", "--log-json"
    )
    assert_one_clean_error(proc)
    events = [json.loads(x)["event"] for x in proc.stderr.splitlines() if x.startswith("{")]
    assert events.count("nats.waiting") == 1
    assert "nats.error" not in events
    assert f"cannot connect to NATS at {closed_port}" in proc.stderr


@pytest.mark.parametrize("url", ["not a url", "http://example.com", "nats://host:99999"])
def test_a_bad_nats_url_is_refused(url: str) -> None:
    proc = hookwire("send", "--nats", url, "tool_pre_invoke", "{}")
    assert_one_clean_error(proc, code=2)
    assert "is not a NATS URL" in proc.stderr


def test_worker_refuses_a_bad_nats_url_at_once() -> None:
    proc = hookwire(
        "worker", "--plugin", str(FIXTURE_PLUGINS / "pii_filter"), "--nats", "not a url"
    )
    assert_one_clean_error(proc, code=2)
    assert "is not a NATS URL" in proc.stderr


def test_a_bad_nats_url_in_the_variable_is_refused() -> None:
    proc = hookwire("status", HOOKWIRE_NATS_URL="not a url")
    assert_one_clean_error(proc, code=2)
    assert "HOOKWIRE_NATS_URL='not a url'" in proc.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["send", "--timeout", "0", "tool_pre_invoke", "{}"],
        ["status", "--wait", "-1"],
        ["plugins", "search", "x", "--limit", "0", "--plugin-dir", "."],
    ],
)
def test_zero_or_negative_numbers_are_refused(args: list[str]) -> None:
    proc = hookwire(*args)
    assert_one_clean_error(proc, code=2)
    assert "must be above 0" in proc.stderr


def test_migrate_into_a_missing_folder_is_one_line(tmp_path: Path) -> None:
    legacy = tmp_path / "legacy.yaml"
    legacy.write_text(LEGACY.format(plugins=FIXTURE_PLUGINS))
    out = tmp_path / "missing" / "dir" / "out.yaml"
    proc = hookwire("migrate", str(legacy), "-o", str(out))
    assert_one_clean_error(proc)
    assert "No such file or directory" in proc.stderr and str(out) in proc.stderr


def test_output_into_a_closed_pipe_ends_quietly() -> None:
    """``hookwire plugins schema | head -1``: the reader is gone before the output ends."""
    read, write = os.pipe()
    os.close(read)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "hookwire.router.cli", "plugins", "schema"],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write)
    assert proc.stderr == ""
    assert proc.returncode == 1


def test_a_one_shot_command_logs_no_disconnect(nats_server: NatsServer) -> None:
    """Closing its own connection at the end is not news."""
    proc = hookwire("status", "--nats", nats_server.url, "--wait", "0.1")
    assert proc.returncode == 0, proc.stderr
    assert "nats.disconnected" not in proc.stderr


async def test_workers_names_its_connection_for_what_it_is(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    config = tmp_path / "hookwire.yaml"
    config.write_text("plugins: {}\nroutes: []\n")
    stack = Stack(load_config(config), nats_url=nats_server.url, router=False)
    async with stack:
        assert stack.nc is not None
        assert stack.nc.options["name"] == "hookwire-workers"
