"""hookwire apply, rollback, config history and config show against a real NATS."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from hookwire import client as hw
from hookwire.router.cli import main

from ._kit import (
    PLUGINS,
    A,
    B,
    Variant,
    following_router,
    hookwire,
    live_revision,
    outcome,
    put_config,
    workers,
    write_config,
)

pytestmark = pytest.mark.integration

BROKEN = """\
plugin_dirs: [{plugins}]
plugins:
  lv_stamp:
    config: {{deny: "not a list"}}
routes:
  - entities: [tool]
    plugins: [{{name: lv_stamp}}, {{name: nowhere}}]
"""


async def hookwire_here(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``hookwire ARGS`` in this process (a thread: it runs its own event loop)."""
    capsys.readouterr()
    code = await asyncio.to_thread(main, list(args))
    out, err = capsys.readouterr()
    return code, out, err


async def test_invalid_config_is_refused_with_every_problem_and_nothing_changes(
    url: str, tmp_path: Path
) -> None:
    """Exit 1, both problems printed, the revision unchanged, the router still on A."""
    a = write_config(tmp_path, A)
    running = await put_config(url, a)
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN.format(plugins=PLUGINS))
    async with (
        workers(url, "lv_stamp"),
        following_router(url, a) as (router, _),
        await hw.connect(url, timeout=10) as gateway,
    ):
        ran = await hookwire("apply", str(broken), "--nats", url)
        await asyncio.sleep(0.3)  # a revision, had one been stored, would reach the router
        got = outcome(await gateway.tool_pre_invoke("lookup", {"word": "alpha"}))
        revision = await live_revision(url)
    assert ran.code == 1
    assert "2 problems in config" in ran.err, ran.err
    assert "plugins.lv_stamp.config.deny" in ran.err
    assert "routes[0].plugins[1].name: plugin 'nowhere' is not configured" in ran.err
    assert "nothing stored" in ran.err
    assert (revision, router.revision, got) == (running, running, A.expect("alpha"))


async def test_apply_prints_the_revision_it_stored(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = write_config(tmp_path, A)
    code, out, _ = await hookwire_here(capsys, "apply", str(a), "--nats", url)
    assert code == 0
    assert out.startswith(f"applied revision {await live_revision(url)}: {a}: 1 plugin, 1 rule")


async def test_dry_run_checks_and_stores_nothing(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = write_config(tmp_path, A)
    await put_config(url, a)
    code, out, _ = await hookwire_here(
        capsys, "apply", str(write_config(tmp_path, B)), "--dry-run", "--nats", url
    )
    assert (code, "not stored (--dry-run)" in out, await live_revision(url)) == (0, True, 1)


async def test_apply_wait_reports_the_routers_on_the_new_revision(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = write_config(tmp_path, A), write_config(tmp_path, B)
    await put_config(url, a)
    async with (
        workers(url, "lv_stamp", "lv_extra"),
        following_router(url, a),
        following_router(url, a),
    ):
        code, out, _ = await hookwire_here(capsys, "apply", str(b), "--wait", "10", "--nats", url)
    assert (code, out.splitlines()[-1]) == (0, "routers: 2 of 2 on revision 2")


async def test_history_lists_each_revision_with_who_what_and_which_is_live(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = write_config(tmp_path, A), write_config(tmp_path, B)
    await hookwire_here(capsys, "apply", str(a), "-m", "first", "--nats", url)
    await hookwire_here(capsys, "apply", str(b), "--nats", url)
    await hookwire_here(capsys, "rollback", "--nats", url)
    code, out, _ = await hookwire_here(capsys, "config", "history", "--json", "--nats", url)
    rows = json.loads(out)
    assert code == 0
    assert [(r["revision"], r["action"], r["rollback_of"], r["live"]) for r in rows] == [
        (1, "apply", None, False),
        (2, "apply", None, False),
        (3, "rollback", 1, True),
    ]
    assert [r["file"] for r in rows] == [str(a), str(b), str(a)]
    assert rows[0]["message"] == "first"
    assert rows[0]["sha256"] == rows[2]["sha256"] != rows[1]["sha256"]
    assert all("@" in r["applied_by"] for r in rows)


async def test_history_as_text_marks_the_live_revision(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await put_config(url, write_config(tmp_path, A))
    await put_config(url, write_config(tmp_path, B))
    code, out, _ = await hookwire_here(capsys, "config", "history", "--nats", url)
    rows = out.splitlines()[1:]
    assert code == 0
    assert [row[:7] for row in rows] == ["      1", "*     2"]


async def test_rollback_without_revision_restores_the_one_before_the_live_one(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = write_config(tmp_path, A), write_config(tmp_path, B)
    await put_config(url, a)
    await put_config(url, b)
    code, out, _ = await hookwire_here(capsys, "rollback", "--nats", url)
    shown = await hookwire_here(capsys, "config", "show", "--nats", url)
    assert (code, out.split(":")[0]) == (0, "rolled back to revision 1 as revision 3")
    assert shown[1] == a.read_text()


async def test_rollback_to_a_given_revision(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = [write_config(tmp_path, v) for v in (A, B, Variant("C", ()))]
    for path in paths:
        await put_config(url, path)
    code, out, _ = await hookwire_here(capsys, "rollback", "2", "--nats", url)
    shown = await hookwire_here(capsys, "config", "show", "4", "--nats", url)
    assert (code, out.split(":")[0]) == (0, "rolled back to revision 2 as revision 4")
    assert shown[1] == paths[1].read_text()


async def test_rollback_refuses_a_revision_that_no_longer_loads(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Its plugin folder is gone: checked again, refused, nothing stored."""
    shutil.copytree(PLUGINS, tmp_path / "plugins")
    await put_config(url, write_config(tmp_path, A, plugin_dir="plugins"))
    await put_config(url, write_config(tmp_path, B))
    shutil.rmtree(tmp_path / "plugins")
    code, _, err = await hookwire_here(capsys, "rollback", "1", "--nats", url)
    assert (code, await live_revision(url)) == (1, 2)
    assert "revision 1 no longer loads here; nothing stored" in err
    assert "does not exist" in err


async def test_rollback_with_nothing_before_says_so(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await put_config(url, write_config(tmp_path, A))
    code, _, err = await hookwire_here(capsys, "rollback", "--nats", url)
    assert (code, "nothing to roll back to" in err) == (1, True)


async def test_show_prints_a_revision_text_as_applied(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = write_config(tmp_path, A)
    await put_config(url, a)
    await put_config(url, write_config(tmp_path, B))
    code, out, err = await hookwire_here(capsys, "config", "show", "1", "--nats", url)
    assert (code, out) == (0, a.read_text())
    assert err.startswith("# revision 1: apply of ")


async def test_commands_reading_the_history_say_when_nothing_was_applied(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = await hookwire_here(capsys, "config", "show", "--nats", url)
    assert (code, "no config has been applied" in err) == (1, True)


async def test_applying_the_live_config_again_stores_nothing(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = write_config(tmp_path, A)
    await put_config(url, a)
    code, out, _ = await hookwire_here(capsys, "apply", str(a), "--nats", url)
    assert (code, await live_revision(url)) == (0, 1)
    assert out.startswith("unchanged: revision 1 is this config already; nothing stored")


async def test_rollback_to_the_live_content_changes_nothing_and_says_so(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Revisions 1 and 3 hold the same config: rolling 3 back to 1 would change nothing."""
    a, b = write_config(tmp_path, A), write_config(tmp_path, B)
    for path in (a, b, a):
        await put_config(url, path)
    code, _, err = await hookwire_here(capsys, "rollback", "1", "--nats", url)
    assert (code, await live_revision(url)) == (1, 3)
    assert "unchanged: revision 1 is the same config as the live revision 3" in err


async def test_rollback_without_revision_skips_revisions_with_the_live_content(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = write_config(tmp_path, A), write_config(tmp_path, B)
    for path in (b, a, a):
        await put_config(url, path)
    code, out, _ = await hookwire_here(capsys, "rollback", "--nats", url)
    assert (code, out.split(":")[0]) == (0, "rolled back to revision 1 as revision 4")


async def test_apply_wait_with_no_router_answering_exits_1(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = write_config(tmp_path, A)
    code, out, _ = await hookwire_here(capsys, "apply", str(a), "--wait", "0.5", "--nats", url)
    assert code == 1
    assert out.splitlines()[-1] == "routers: none following answered within 0.5s"


@pytest.mark.parametrize(
    ("word", "code", "decision"), [("beta", 0, "ALLOW"), ("alpha", 3, "BLOCK")]
)
async def test_send_exits_3_on_a_block(
    url: str, tmp_path: Path, word: str, code: int, decision: str
) -> None:
    a = write_config(tmp_path, A)
    async with workers(url, "lv_stamp"), following_router(url, a, follow=False):
        payload = json.dumps({"name": "lookup", "args": {"word": word}})
        ran = await hookwire("send", "--nats", url, "tool_pre_invoke", payload)
    assert ran.code == code, ran.err
    assert f"decision  {decision}" in ran.out
