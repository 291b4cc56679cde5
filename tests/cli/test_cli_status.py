"""`hookwire status` against a NATS URL where nothing listens."""

from __future__ import annotations

import subprocess
import sys


def test_status_on_unreachable_nats_fails_fast_naming_the_url() -> None:
    """nats-py would retry the first connect forever; the command must give up and say so."""
    done = subprocess.run(
        [sys.executable, "-m", "hookwire.router.cli", "status", "--nats", "nats://127.0.0.1:1"],
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 1
    assert "cannot connect to NATS at nats://127.0.0.1:1" in done.stderr
    assert done.stdout == ""
