"""Client commands: no guessed server, the operator's creds for apply, no secret printed."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hookwire.router.live._store import ConfigStore
from hookwire.service import connect, redact_url

from .conftest import Secured

pytestmark = pytest.mark.integration

COMMANDS = [
    ["send", "tool_pre_invoke", '{"name": "t", "args": {}}'],
    ["status"],
    ["apply", "x.yaml"],
    ["rollback"],
    ["config", "history"],
]


def hookwire(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HOOKWIRE_NATS")}
    clean.pop("HOOKWIRE_DATA_DIR", None)
    return subprocess.run(
        [sys.executable, "-m", "hookwire.router.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env={**clean, **(env or {})},
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: a[0])
def test_no_server_named_and_no_up_found_says_so(args: list[str], tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text("routes: []\n")
    proc = hookwire(*args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "no NATS server given" in proc.stderr
    assert "no running `hookwire up`" in proc.stderr
    assert "4222" not in proc.stderr


def write_demo_config(folder: Path) -> Path:
    config = folder / "hookwire.yaml"
    config.write_text("routes: []\n")
    return config


async def test_apply_without_the_operators_creds_is_refused(
    secured_nats: Secured, tmp_path: Path
) -> None:
    config = write_demo_config(tmp_path)
    for role in ("gateway", "router", "observer"):
        creds = str(secured_nats.creds.creds(role))
        proc = await asyncio.to_thread(
            hookwire, "apply", str(config), "--nats", secured_nats.url, "--nats-creds", creds,
            cwd=tmp_path,
        )  # fmt: skip
        assert proc.returncode == 1, (role, proc.stdout, proc.stderr)
        assert "refused by NATS" in proc.stderr and "operator role" in proc.stderr, proc.stderr
    operator = secured_nats.auth("operator")
    nc = await connect(secured_nats.url, "test-check", attempts=2, auth=operator)
    try:  # nothing was stored: not even the bucket exists
        with pytest.raises(Exception, match="no config has been applied"):
            await ConfigStore.open(nc, create=False)
    finally:
        await nc.close()
    creds = str(secured_nats.creds.creds("operator"))
    proc = await asyncio.to_thread(
        hookwire, "apply", str(config), "--nats", secured_nats.url, "--nats-creds", creds,
        cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr


def test_commands_find_their_roles_creds_in_the_data_folder(
    secured_nats: Secured, tmp_path: Path
) -> None:
    """Given a data folder holding creds (security init), apply uses the operator's."""
    config = write_demo_config(tmp_path)
    data = str(secured_nats.creds.data_dir)
    proc = hookwire(
        "apply", str(config), "--nats", secured_nats.url, "--data-dir", data, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    proc = hookwire(
        "config", "history", "--nats", secured_nats.url, "--data-dir", data, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert "apply" in proc.stdout


def test_a_password_in_the_url_is_never_printed(tmp_path: Path) -> None:
    url = "nats://alice:hunter2-secret@127.0.0.1:1"
    proc = hookwire("status", "--nats", url, cwd=tmp_path)
    assert proc.returncode == 1
    assert "hunter2" not in proc.stderr + proc.stdout
    assert "alice:***@127.0.0.1:1" in proc.stderr


def test_redact_url() -> None:
    assert redact_url("nats://u:p@h:1") == "nats://u:***@h:1"
    assert redact_url("nats://tok@h:1,tls://h2:2") == "nats://***@h:1,tls://h2:2"
    assert redact_url("nats://h:1") == "nats://h:1"
