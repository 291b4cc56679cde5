"""docs/pipeline.md's modes table, on a real router, real NATS and in-process workers."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ._kit import Deploy, plug, read_log, rec, started_tags, statuses, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(30)]


async def test_sequential_chain_passes_each_modified_payload_to_the_next_in_order(
    deploy: Deploy, log: Path
) -> None:
    dep = await deploy([rec(t, log, append=True) for t in ("a", "b", "c")])

    result = await dep.tool(args={"q": "x"})

    assert result.decision == "allow"
    assert result.modified is True
    assert result.payload.args == {"q": "x", "trail": ["a", "b", "c"]}
    seen = {line["tag"]: line["args"].get("trail") for line in read_log(log)}
    assert seen == {"a": None, "b": ["a"], "c": ["a", "b"]}
    assert started_tags(log) == ["a", "b", "c"]


async def test_sequential_block_stops_the_chain_and_names_the_plugin(
    deploy: Deploy, log: Path
) -> None:
    dep = await deploy([rec("a", log, append=True), plug("blocker"), rec("c", log)])

    result = await dep.tool()

    assert result.decision == "block"
    assert result.violation is not None
    assert result.violation.plugin_name == "blocker"
    assert result.violation.code == "TOOL_DENIED"
    assert started_tags(log) == ["a"]
    assert [r.status for r in result.trace] == ["completed", "blocked"]


async def test_transform_modifies_and_its_block_is_a_warning_and_the_chain_goes_on(
    deploy: Deploy, log: Path
) -> None:
    mode = "transform"
    dep = await deploy(
        [
            rec("a", log, mode=mode, append=True),
            rec("b", log, mode=mode, block=True),
            rec("c", log, mode=mode, append=True),
        ]
    )

    result = await dep.tool()

    assert result.decision == "allow"
    assert result.payload.args == {"trail": ["a", "c"]}
    assert started_tags(log) == ["a", "b", "c"]
    [warning] = result.warnings
    assert warning.kind == "violation"
    assert warning.instance == dep.ids[1]
    assert warning.violation is not None
    assert warning.violation.reason == "b says no"
    assert statuses(result)[dep.ids[1]] == "blocked"


async def test_audit_sees_the_payload_as_it_stands_and_its_modification_is_ignored(
    deploy: Deploy, log: Path
) -> None:
    dep = await deploy([rec("audit", log, mode="audit", append=True), rec("seq", log, append=True)])

    result = await dep.tool()

    audit_saw = [line["args"] for line in read_log(log) if line["tag"] == "audit"]
    assert audit_saw == [{"trail": ["seq"]}, {"trail": ["seq"]}]  # start and end lines
    assert result.decision == "allow"
    assert result.payload.args == {"trail": ["seq"]}


async def test_audit_block_is_recorded_as_a_warning_and_the_event_allowed(
    deploy: Deploy, log: Path
) -> None:
    dep = await deploy([rec("audit", log, mode="audit", block=True)])

    result = await dep.tool()

    assert result.decision == "allow"
    assert result.violation is None
    assert [(w.kind, w.violation.code if w.violation else None) for w in result.warnings] == [
        ("violation", "REC_BLOCK")
    ]
    assert statuses(result) == {dep.ids[0]: "blocked"}


async def test_a_plugins_own_warnings_reach_the_reply_naming_it_in_every_mode(
    deploy: Deploy,
) -> None:
    """``Continue(warnings=...)``: the event goes on and the reply says why, per plugin."""
    dep = await deploy(
        [
            plug("warner", {"warnings": ["first"]}),
            plug("warner", {"warnings": ["audited", "twice"]}, mode="audit"),
        ]
    )

    result = await dep.tool()

    assert result.decision == "allow"
    assert [(w.plugin, w.instance, w.kind, w.message) for w in result.warnings] == [
        ("warner", dep.ids[0], "violation", "first"),
        ("warner", dep.ids[1], "violation", "audited"),
        ("warner", dep.ids[1], "violation", "twice"),
    ]
    for w in result.warnings:
        assert w.violation is not None
        assert (w.violation.code, w.violation.plugin_name) == ("plugin_warning", "warner")
        assert w.violation.reason == w.message
    assert set(statuses(result).values()) == {"completed"}


async def test_concurrent_plugins_all_run_at_once_and_their_modifications_are_ignored(
    deploy: Deploy, log: Path
) -> None:
    dep = await deploy([rec(t, log, mode="concurrent", append=True, sleep=0.3) for t in ("a", "b")])

    result = await dep.tool(args={"q": "x"})

    assert result.decision == "allow"
    assert result.modified is False
    assert result.payload.args == {"q": "x"}
    lines = read_log(log)
    starts = [line["t"] for line in lines if line["event"] == "start"]
    ends = [line["t"] for line in lines if line["event"] == "end"]
    assert len(starts) == len(ends) == 2
    assert max(starts) < min(ends)  # both were running at the same time
    assert set(statuses(result).values()) == {"completed"}


async def test_concurrent_first_block_wins_and_the_others_are_cancelled(
    deploy: Deploy, log: Path
) -> None:
    dep = await deploy(
        [rec("slow", log, mode="concurrent", sleep=1.0), plug("blocker", mode="concurrent")]
    )

    start = time.monotonic()
    result = await dep.tool()
    elapsed = time.monotonic() - start

    assert result.decision == "block"
    assert result.violation is not None
    assert result.violation.plugin_name == "blocker"
    assert elapsed < 0.8
    slow = statuses(result)[dep.ids[0]]
    assert slow == "skipped"
    assert started_tags(log) == ["slow"]  # it had started: cancelled, not never called


async def test_phases_run_sequential_transform_audit_concurrent_whatever_the_priority(
    deploy: Deploy, log: Path
) -> None:
    dep = await deploy(
        [
            rec("concurrent", log, mode="concurrent", priority=1),
            rec("audit", log, mode="audit", priority=2),
            rec("transform", log, mode="transform", priority=3),
            rec("sequential", log, mode="sequential", priority=4),
        ]
    )

    result = await dep.tool()

    assert started_tags(log) == ["sequential", "transform", "audit", "concurrent"]
    assert [r.mode for r in result.trace] == ["sequential", "transform", "audit", "concurrent"]


async def test_within_a_phase_the_priority_order_is_kept(deploy: Deploy, log: Path) -> None:
    dep = await deploy(
        [
            rec("third", log, priority=30, append=True),
            rec("first", log, priority=10, append=True),
            rec("second", log, priority=20, append=True),
        ]
    )

    result = await dep.tool()

    assert started_tags(log) == ["first", "second", "third"]
    assert result.payload.args == {"trail": ["first", "second", "third"]}


async def test_fire_and_forget_runs_after_the_reply_without_delaying_it(
    deploy: Deploy, log: Path
) -> None:
    dep = await deploy([rec("ff", log, mode="fire_and_forget", sleep=1.0), rec("seq", log)])

    start = time.monotonic()
    result = await dep.tool()
    elapsed = time.monotonic() - start
    ends_at_reply = [line["tag"] for line in read_log(log) if line["event"] == "end"]
    await wait_until(lambda: "ff" in started_tags(log), 5, "the ff plugin is called")
    await wait_until(
        lambda: any(x["tag"] == "ff" and x["event"] == "end" for x in read_log(log)),
        5,
        "the ff plugin finishes",
    )

    assert result.decision == "allow"
    assert elapsed < 0.8
    assert ends_at_reply == ["seq"]
    assert [r.instance for r in result.trace] == [dep.ids[1]]


async def test_fire_and_forget_never_affects_the_decision(deploy: Deploy, log: Path) -> None:
    ff = "fire_and_forget"
    dep = await deploy(
        [
            rec("blocks", log, mode=ff, block=True),
            rec("fails", log, mode=ff, fail=True),
            rec("modifies", log, mode=ff, append=True),
        ]
    )

    result = await dep.tool(args={"q": "x"})
    await wait_until(lambda: len(started_tags(log)) == 3, 5, "every ff plugin is called")

    assert result.decision == "allow"
    assert result.violation is None
    assert result.warnings == []
    assert result.modified is False
    assert result.payload.args == {"q": "x"}
    assert sorted(started_tags(log)) == ["blocks", "fails", "modifies"]


async def test_fire_and_forget_event_reaches_a_worker_that_starts_later(
    deploy: Deploy, log: Path
) -> None:
    """Issue 11: the audit worker is down while 200 events pass; started, it gets all 200."""
    dep = await deploy([rec("ff", log, mode="fire_and_forget")], without=("recorder",))

    results = [await dep.tool(args={"n": n}) for n in range(200)]
    await wait_until(
        lambda: dep.router.deliveries.counts["stored"] == 200, 10, "200 calls are stored"
    )
    await dep.start_worker("recorder")
    await wait_until(lambda: len(started_tags(log)) >= 200, 30, "the ff plugin catches up")

    assert {r.decision for r in results} == {"allow"}
    seen = {line["request_id"] for line in read_log(log) if line["event"] == "start"}
    assert seen == {r.request_id for r in results}


@pytest.mark.parametrize(
    ("blocker", "plugins"),
    [
        (plug("blocker", mode="disabled"), None),
        (plug("blocker"), {"blocker": {"enabled": False}}),
        (plug("blocker"), {"blocker": {"mode": "disabled"}}),
    ],
    ids=["attachment-mode-disabled", "plugin-enabled-false", "plugin-mode-disabled"],
)
async def test_disabled_plugin_never_runs(
    deploy: Deploy, log: Path, blocker: dict[str, object], plugins: dict[str, object] | None
) -> None:
    dep = await deploy([blocker, rec("seq", log)], plugins=plugins)

    result = await dep.tool()

    assert result.decision == "allow"
    assert [r.plugin for r in result.trace] == ["recorder"]
    assert "blocker" in dep.workers  # its worker runs: only the config keeps it out


@pytest.mark.parametrize(
    ("alias", "plugin", "decision", "mode", "later_called"),
    [
        ("enforce", "blocker", "block", "sequential", False),
        ("permissive", "blocker", "allow", "transform", True),
        ("enforce_ignore_error", "crasher", "allow", "sequential", True),
    ],
)
async def test_mode_alias_behaves_as_the_mode_it_names(
    deploy: Deploy,
    log: Path,
    alias: str,
    plugin: str,
    decision: str,
    mode: str,
    later_called: bool,
) -> None:
    dep = await deploy([plug(plugin, mode=alias), rec("later", log, mode=mode)])

    result = await dep.tool()

    assert result.decision == decision
    assert result.trace[0].mode == mode
    assert (started_tags(log) == ["later"]) is later_called
