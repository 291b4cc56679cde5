"""``python -m hookwire.workers``: options, environment variables and startup errors."""

from __future__ import annotations

import argparse
import asyncio
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from _workerkit import PLUGINS, log_events, wait_until

from hookwire.workers import cli

#: Nothing listens here: a worker that tried to connect would fail differently.
UNREACHABLE = "nats://127.0.0.1:1"
WORKERS_PYPROJECT = Path(__file__).parents[2] / "workers" / "pyproject.toml"


def parse(*argv: str) -> argparse.Namespace:
    return cli.build_parser().parse_args(argv)


def test_options_default_to_their_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOKWIRE_PLUGIN_DIR", "/plugins/pii")
    monkeypatch.setenv("HOOKWIRE_NATS_URL", "nats://nats:4222")
    monkeypatch.setenv("HOOKWIRE_WORKER_CONCURRENCY", "7")
    ns = parse()
    assert (ns.plugin_dir, ns.nats, ns.concurrency) == ("/plugins/pii", "nats://nats:4222", 7)


def test_defaults_without_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("HOOKWIRE_PLUGIN_DIR", "HOOKWIRE_NATS_URL", "HOOKWIRE_WORKER_CONCURRENCY"):
        monkeypatch.delenv(var, raising=False)
    ns = parse()
    assert ns.plugin_dir is None
    assert ns.nats == "nats://127.0.0.1:4222"
    assert ns.concurrency == 64
    assert ns.log_json is None


def test_log_format_flags() -> None:
    assert parse("--log-json").log_json is True
    assert parse("--log-pretty").log_json is False


@pytest.mark.parametrize("value", ["0", "-2", "many"])
def test_concurrency_must_be_a_positive_number(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        parse("--concurrency", value)
    assert info.value.code == 2
    assert "--concurrency" in capsys.readouterr().err


def test_missing_plugin_dir_exits_2_before_connecting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("HOOKWIRE_PLUGIN_DIR", raising=False)
    code = cli.main(["--nats", UNREACHABLE])
    err = capsys.readouterr().err
    assert code == 2
    assert err == (
        "hookwire worker: error: give the plugin folder: --plugin DIR "
        "(or set HOOKWIRE_PLUGIN_DIR)\n"
    )


def test_bad_manifest_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "plugin-manifest.yaml").write_text("name: x\nversion: 1.0.0\nhooks: [a]\n")
    code = cli.main(["--plugin", str(tmp_path), "--nats", UNREACHABLE])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith("hookwire worker: error: ")
    assert "plugin-manifest.yaml: entry: required field is missing" in err


def test_plugin_that_cannot_load_exits_2(tmp_path: Path) -> None:
    """As a real process: `python -m hookwire.workers` with a folder lacking a manifest."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "hookwire.workers",
            "--plugin",
            str(tmp_path),
            "--nats",
            UNREACHABLE,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("hookwire worker: error: ")
    assert "plugin-manifest.yaml: cannot read" in proc.stderr


def test_help_lists_every_option() -> None:
    text = cli.build_parser().format_help()
    for option in ("--plugin", "--nats", "--concurrency", "--log-json", "--log-pretty"):
        assert option in text


def test_distribution_depends_only_on_the_plugin_venv_set() -> None:
    """A plugin venv gets hookwire-workers: never pydantic, jsonschema, simpleeval or the router."""
    deps = tomllib.loads(WORKERS_PYPROJECT.read_text())["project"]["dependencies"]
    names = {d.split(">")[0].split("=")[0].split("[")[0].strip() for d in deps}
    assert names == {"hookwire-schemas", "msgspec", "nats-py", "pyyaml", "structlog"}


def test_importing_the_worker_loads_no_router_dependency() -> None:
    code = (
        "import sys, hookwire.workers, hookwire.workers.cli\n"
        "from hookwire.workers._loader import load_plugin\n"
        f"load_plugin({str(PLUGINS / 'stateful')!r})\n"
        "bad = ('pydantic', 'jsonschema', 'simpleeval', 'hookwire.router')\n"
        "print(sorted(m for m in sys.modules if m.startswith(bad)))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert proc.stdout.strip() == "[]"


async def test_sigterm_while_waiting_for_nats_exits_0(tmp_path: Path) -> None:
    """NATS is unreachable: the worker keeps trying until a signal ends it cleanly."""
    log = tmp_path / "w.log"
    argv = ["-m", "hookwire.workers", "--plugin", str(PLUGINS / "echo_upper")]
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, *argv, "--nats", UNREACHABLE, "--log-json", stdout=out, stderr=out
        )
    try:

        def retrying() -> bool:
            return any(e["event"] == "nats.waiting" for e in log_events(log))

        await wait_until(retrying, 30, "a failed connection attempt")
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(proc.wait(), 15)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert code == 0
    assert log_events(log)[-1]["event"] == "worker.exited"
