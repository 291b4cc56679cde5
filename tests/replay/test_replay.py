"""The project's own recorded traffic, replayed (issue 11): every built-in hook, every
mode, through the example plugins; and a rule change caught by ``hookwire replay``."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

from hookwire.router.record import read_records
from hookwire.router.testing import check_replay
from hookwire.schemas import BUILTIN_HOOKS

pytestmark = pytest.mark.integration

HERE = Path(__file__).resolve().parent
TRAFFIC = HERE / "traffic.jsonl"
CONFIG = HERE / "hookwire.yaml"
MODES = {"sequential", "transform", "audit", "concurrent"}


def test_the_recorded_traffic_covers_every_builtin_hook_and_mode() -> None:
    records = list(read_records(TRAFFIC))
    modes = {step.mode for r in records for step in r.trace}
    config = CONFIG.read_text()

    assert {r.hook for r in records} == set(BUILTIN_HOOKS)
    assert modes == MODES
    assert "mode: fire_and_forget" in config  # runs after the reply: not in a trace
    assert {r.decision for r in records} == {"allow", "block"}
    assert all(r.keep == "full" for r in records)


@pytest.mark.timeout(300)
async def test_the_recorded_traffic_replays_unchanged() -> None:
    report = await check_replay(TRAFFIC, CONFIG)

    assert report.unchanged == report.total == len(list(read_records(TRAFFIC)))


@pytest.mark.timeout(300)
async def test_a_rule_change_that_blocks_allowed_events_fails_replay_naming_them(
    tmp_path: Path,
) -> None:
    candidate = tmp_path / "candidate.yaml"
    text = CONFIG.read_text().replace(
        'words: ["drop table", "rm -rf"]', 'words: ["drop table", "rm -rf", "weather"]'
    )
    candidate.write_text(
        text.replace(
            "[../../plugins, plugins]", f"[{HERE.parents[1] / 'plugins'}, {HERE / 'plugins'}]"
        )
    )
    proc = await asyncio.create_subprocess_exec(
        *(
            sys.executable,
            "-m",
            "hookwire.router.cli",
            "replay",
            str(TRAFFIC),
            "--config",
            str(candidate),
            "--json",
        ),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    report = json.loads(out)

    assert proc.returncode == 1, err.decode()
    (change,) = report["changed"]
    assert change["request_id"] == "tool-plain"
    assert change["decision"] == {"before": "allow", "after": "block"}
    assert change["violation"]["plugin_name"] == "deny_list"
    (decider,) = change["deciders"]
    assert decider["plugin"] == "deny_list"
    assert decider["rule"].startswith("routes[0]")
