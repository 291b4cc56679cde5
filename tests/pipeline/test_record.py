"""Recording decisions, export/import/tail, and replay against a candidate (issue 11)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import msgspec
import pytest

from hookwire.router import load_config
from hookwire.router.record import (
    RecordFilter,
    export_records,
    nats_sender,
    read_records,
    replay,
    tail_records,
    write_records,
)
from hookwire.schemas import Entity, Record, subjects

from ._kit import Deploy, Deployment, event_bytes, hookwire_command, rec, wait_until, write_config

RECORD = {"record": {"enabled": True, "keep": "full", "max_age": "1h", "max_bytes": "64MB"}}


async def _recorded(dep: Deployment, ids: set[str]) -> list[Record]:
    await wait_until(
        lambda: dep.router.recorder.counts["written"] >= len(ids), 10, "records are stored"
    )
    js = dep.router_nc.jetstream()
    return [r async for r in export_records(js, RecordFilter()) if r.request_id in ids]


async def _run(*args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        *hookwire_command(*args),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
    )
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_each_decision_is_recorded_with_its_trace_and_revision(
    deploy: Deploy, log: Path
) -> None:
    dep = await deploy(
        [rec("a", log, append=True), rec("b", log, mode="audit", block=True)], settings=RECORD
    )

    result = await dep.tool(args={"q": 1})
    (record,) = await _recorded(dep, {result.request_id})

    assert record.keep == "full"
    assert record.decision == "allow"
    assert msgspec.json.decode(record.event.payload)["args"] == {"q": 1}
    assert msgspec.json.decode(record.payload)["args"] == {"q": 1, "trail": ["a"]}
    assert [(c.mode, c.status, c.would_decide) for c in record.trace] == [
        ("sequential", "completed", None),
        ("audit", "blocked", "block"),
    ]
    assert record.trace[0].version and record.trace[0].modified
    assert record.warnings[0].plugin == "recorder"
    assert dep.router.stats().record.failed == 0


async def test_keep_metadata_records_no_payload_and_replay_refuses_it(
    deploy: Deploy, log: Path, tmp_path: Path
) -> None:
    settings = {"record": {"keep": "metadata"}}
    dep = await deploy([rec("a", log, append=True)], settings=settings)

    result = await dep.tool(args={"secret": "s3cr3t"})
    (record,) = await _recorded(dep, {result.request_id})
    path = tmp_path / "meta.jsonl"
    write_records(path, [record])
    code, _, err = await _run("replay", str(path), "--nats", dep.url)

    assert record.keep == "metadata"
    assert b"s3cr3t" not in msgspec.json.encode(record)
    assert code == 2
    assert "kept as 'metadata'" in err


async def test_a_recording_failure_is_counted_and_the_decision_is_unharmed(
    deploy: Deploy, log: Path
) -> None:
    dep = await deploy([rec("a", log)], settings=RECORD)
    js = dep.router_nc.jetstream()
    await js.delete_stream(subjects.RECORD_STREAM)

    result = await dep.tool()
    await wait_until(lambda: dep.router.recorder.counts["failed"] == 1, 10, "a counted failure")

    assert result.decision == "allow"
    assert "no JetStream stream" in str(dep.router.stats().record.last_error)


async def test_export_import_and_tail_through_the_cli(
    deploy: Deploy, log: Path, tmp_path: Path
) -> None:
    dep = await deploy([rec("a", log)], settings=RECORD)
    tailed: list[Record] = []

    async def tail() -> None:
        async for r in tail_records(dep.gateway_nc, "tool_pre_invoke"):
            tailed.append(r)

    tailer = asyncio.get_running_loop().create_task(tail())
    await asyncio.sleep(0)  # the subscription is made before the event
    await dep.gateway_nc.flush()
    result = await dep.tool()
    await _recorded(dep, {result.request_id})
    out = tmp_path / "out.jsonl"
    code, _, err = await _run(
        "record", "export", "--nats", dep.url, "--hook", "tool_pre_invoke", "-o", str(out)
    )
    exported = [r for r in read_records(out) if r.request_id == result.request_id]
    js = dep.router_nc.jetstream()
    await js.purge_stream(subjects.RECORD_STREAM)
    code_in, _, _ = await _run("record", "import", str(out), "--nats", dep.url)
    back = [
        r async for r in export_records(js, RecordFilter()) if r.request_id == result.request_id
    ]
    await wait_until(lambda: bool(tailed), 5, "tail sees the record")
    tailer.cancel()

    assert code == 0, err
    assert len(exported) == 1
    assert code_in == 0
    assert back == exported
    assert tailed[0].request_id == result.request_id


async def test_replay_names_the_event_rule_and_plugin_a_rule_change_blocks(
    deploy: Deploy, log: Path, tmp_path: Path
) -> None:
    dep = await deploy([rec("a", log)], settings=RECORD)
    results = [await dep.tool(args={"n": n}) for n in range(5)]
    records = await _recorded(dep, {r.request_id for r in results})
    path = tmp_path / "recorded.jsonl"
    write_records(path, records)
    candidate = write_config(
        tmp_path, [rec("a", log), rec("guard", log, block=True)], name="candidate.yaml"
    )
    dep.router.reload(load_config(candidate))

    same, _, _ = await _run(
        "replay", str(path), "--nats", dep.url, "--config", str(path.parent / "hookwire.yaml")
    )
    code, out, err = await _run(
        "replay", str(path), "--nats", dep.url, "--config", str(candidate), "--json"
    )
    report = json.loads(out)

    assert code == 1, err
    assert report["total"] == 5 and report["decision_changed"] == 5
    first = report["changed"][0]
    assert first["request_id"] in {r.request_id for r in results}
    assert first["decision"] == {"before": "allow", "after": "block"}
    assert first["violation"]["plugin_name"] == "recorder"
    assert first["deciders"][0]["plugin"] == "recorder"
    assert first["deciders"][0]["rule"].startswith("routes[0]")
    assert same == 1  # the router now runs the candidate whatever --config says


async def test_replay_accept_rewrites_the_file_and_then_nothing_differs(
    deploy: Deploy, log: Path, tmp_path: Path
) -> None:
    dep = await deploy([rec("a", log)], settings=RECORD)
    result = await dep.tool()
    path = tmp_path / "recorded.jsonl"
    write_records(path, await _recorded(dep, {result.request_id}))
    dep.router.reload(
        load_config(write_config(tmp_path, [rec("a", log, append=True)], name="c.yaml"))
    )

    changed, out, _ = await _run("replay", str(path), "--nats", dep.url)
    accepted, _, _ = await _run("replay", str(path), "--nats", dep.url, "--accept")
    again, _, _ = await _run("replay", str(path), "--nats", dep.url)

    assert changed == 1
    assert "$.args.trail" in out
    assert accepted == 0
    assert again == 0


@pytest.mark.skipif(sys.platform != "linux", reason="uses /proc")
async def test_replay_library_reports_payload_paths(deploy: Deploy, log: Path) -> None:
    dep = await deploy([rec("a", log)], settings=RECORD)
    result = await dep.tool(args={"x": 1})
    records = await _recorded(dep, {result.request_id})
    dep.router.reload(
        load_config(write_config(log.parent, [rec("z", log, append=True)], name="z.yaml"))
    )

    report, _ = await replay(records, await nats_sender(dep.gateway_nc)())

    (change,) = report.changed
    assert [(p.path, p.before, p.after) for p in change.paths] == [("$.args.trail", None, ["z"])]


async def test_replay_ignores_the_fields_a_manifest_declares_varying(
    deploy: Deploy, log: Path, tmp_path: Path
) -> None:
    dep = await deploy([rec("a", log, append=True, stamp=True)], settings=RECORD)
    result = await dep.tool()
    path = tmp_path / "stamped.jsonl"
    write_records(path, await _recorded(dep, {result.request_id}))
    config = str(tmp_path / "hookwire.yaml")

    with_manifest, _, err = await _run("replay", str(path), "--nats", dep.url, "--config", config)
    without, out, _ = await _run("replay", str(path), "--nats", dep.url)

    assert with_manifest == 0, err
    assert without == 1
    assert "$.args.stamp" in out


async def test_export_filters_by_decision_and_limit(deploy: Deploy, log: Path) -> None:
    dep = await deploy([rec("a", log, block=True)], settings=RECORD)
    results = [await dep.tool() for _ in range(3)]
    ids = {r.request_id for r in results}
    await _recorded(dep, ids)
    js = dep.router_nc.jetstream()

    blocked = [
        r async for r in export_records(js, RecordFilter(hook="tool_pre_invoke", decision="block"))
    ]
    allowed = [r async for r in export_records(js, RecordFilter(decision="allow"))]
    limited = [r async for r in export_records(js, RecordFilter(limit=2))]

    assert ids <= {r.request_id for r in blocked}
    assert not ids & {r.request_id for r in allowed}
    assert len(limited) == 2


async def test_a_burst_of_events_is_recorded_in_batches_and_exported_whole(
    deploy: Deploy, log: Path
) -> None:
    dep = await deploy([rec("a", log)], settings=RECORD)
    js = dep.router_nc.jetstream()
    before = (await js.stream_info(subjects.RECORD_STREAM)).state.messages

    results = await asyncio.gather(*(dep.tool(args={"n": n}) for n in range(50)))
    records = await _recorded(dep, {r.request_id for r in results})
    after = (await js.stream_info(subjects.RECORD_STREAM)).state.messages

    assert len(records) == 50
    assert after - before < 50


async def test_a_payload_sent_with_newlines_is_recorded_on_one_line(
    deploy: Deploy, log: Path, tmp_path: Path
) -> None:
    dep = await deploy([rec("a", log)], settings=RECORD)
    pretty = json.dumps({"name": "lookup", "args": {"q": "x"}}, indent=2).encode()
    data = event_bytes("tool_pre_invoke", pretty, entity=Entity(type="tool", name="lookup"))

    reply = await dep.raw("tool_pre_invoke", data)
    (record,) = await _recorded(dep, {reply.request_id})
    path = tmp_path / "one.jsonl"
    write_records(path, [record])

    assert reply.decision == "allow"
    assert len(path.read_bytes().splitlines()) == 1
    assert msgspec.json.decode(record.event.payload) == {"name": "lookup", "args": {"q": "x"}}
