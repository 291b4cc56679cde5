"""Log format options: they reach the worker processes; no colour codes off a terminal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import structlog
from _nats import NatsServer

from hookwire.router.cli import build_parser
from hookwire.router.cli._service import log_settings
from hookwire.service import configure_logging

ECHO = Path(__file__).resolve().parents[1] / "workers" / "plugins" / "echo_upper"


def test_readable_logs_have_no_colour_codes_off_a_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(json=False)
    structlog.get_logger("t").warning("some.event", key="value")
    err = capsys.readouterr().err
    assert "some.event" in err
    assert "\x1b[" not in err


@pytest.mark.parametrize(("flag", "value"), [("--log-pretty", "0"), ("--log-json", "1")])
def test_up_and_workers_hand_their_log_format_to_the_workers(flag: str, value: str) -> None:
    for command in ("up", "workers"):
        ns = build_parser().parse_args(
            [command, "--config", "c.yaml", flag, "--log-level", "debug"]
        )
        assert log_settings(ns) == {"HOOKWIRE_LOG_JSON": value, "HOOKWIRE_LOG_LEVEL": "debug"}


def test_a_worker_logs_readable_lines_when_told_by_the_variable(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    """What ``hookwire up --log-pretty`` sets for its workers: readable, uncoloured lines."""
    log = tmp_path / "worker.log"
    env = {**os.environ, "HOOKWIRE_LOG_JSON": "0"}
    argv = [sys.executable, "-m", "hookwire.workers", "--plugin", str(ECHO)]
    with log.open("wb") as out:
        proc = subprocess.Popen([*argv, "--nats", nats_server.url], stderr=out, env=env)
    try:
        deadline = time.monotonic() + 60
        while "worker.ready" not in log.read_text(errors="replace"):
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    lines = [x for x in log.read_text().splitlines() if "worker.ready" in x]
    assert lines and not lines[0].startswith("{")
    assert "\x1b[" not in log.read_text()
