"""Plugin errors, timeouts and missing workers: on_error, fail_on_plugin_error, the budget."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from hookwire import client as hw
from hookwire.router import load_config
from hookwire.schemas import Entity

from ._kit import Deploy, event_bytes, plug, rec, started_tags, statuses

pytestmark = [pytest.mark.integration, pytest.mark.timeout(30)]

SLOW = plug("sleeper", {"seconds": 5}, timeout=0.3)


@pytest.mark.parametrize(
    ("attachment", "without", "code", "how"),
    [
        (plug("crasher"), (), "plugin_error", "ValueError: boom on lookup"),
        (SLOW, (), "plugin_timeout", "no reply within 0.3s"),
        (plug("recorder"), ("recorder",), "plugin_unavailable", "no worker is serving"),
    ],
    ids=["error", "timeout", "unavailable"],
)
async def test_failing_plugin_blocks_by_default_with_a_violation_naming_it_and_how(
    deploy: Deploy, attachment: dict[str, Any], without: tuple[str, ...], code: str, how: str
) -> None:
    dep = await deploy([attachment], without=without)

    result = await dep.tool()

    assert result.decision == "block"
    violation = result.violation
    assert violation is not None
    assert violation.plugin_name == attachment["name"]
    assert violation.code == code
    assert how in violation.description
    assert attachment["name"] in violation.description


async def test_on_error_ignore_allows_the_event_with_a_warning(deploy: Deploy, log: Path) -> None:
    dep = await deploy([plug("crasher", on_error="ignore"), rec("later", log)])

    result = await dep.tool()

    assert result.decision == "allow"
    [warning] = result.warnings
    assert (warning.plugin, warning.kind) == ("crasher", "error")
    assert "ValueError: boom on lookup" in warning.message
    assert started_tags(log) == ["later"]
    assert statuses(result)[dep.ids[0]] == "error"


async def test_on_error_disable_skips_the_instance_until_the_config_is_reloaded(
    deploy: Deploy, log: Path
) -> None:
    dep = await deploy([rec("flaky", log, fail=True, on_error="disable"), rec("later", log)])
    flaky = dep.ids[0]

    first = await dep.tool()
    second = await dep.tool()
    disabled = dep.router.stats().disabled_instances
    dep.router.reload(load_config(dep.config.file))
    third = await dep.tool()

    assert first.decision == second.decision == third.decision == "allow"
    assert [w.kind for w in first.warnings] == ["error"]
    assert statuses(first)[flaky] == "error"
    assert second.warnings == []
    assert statuses(second)[flaky] == "skipped"
    assert disabled == [flaky]
    assert statuses(third)[flaky] == "error"
    assert started_tags(log) == ["flaky", "later", "later", "flaky", "later"]


async def test_fail_on_plugin_error_makes_an_ignored_error_an_error_decision(
    deploy: Deploy,
) -> None:
    dep = await deploy(
        [plug("crasher", on_error="ignore")], settings={"fail_on_plugin_error": True}
    )

    result = await dep.tool()

    assert result.decision == "error"
    assert result.error is not None
    assert result.error.code == "plugin_error"
    assert "crasher" in result.error.message


async def test_crashing_plugin_error_arrives_at_once_not_after_its_timeout(
    deploy: Deploy,
) -> None:
    dep = await deploy([plug("crasher", timeout=10)])

    start = time.monotonic()
    result = await dep.tool()
    elapsed = time.monotonic() - start

    assert result.violation is not None
    assert result.violation.code == "plugin_error"
    assert elapsed < 2


async def test_slow_plugin_hits_its_own_timeout_and_on_error_decides(
    deploy: Deploy, log: Path
) -> None:
    dep = await deploy(
        [plug("sleeper", {"seconds": 5}, timeout=0.3, on_error="ignore"), rec("later", log)],
        settings={"plugin_timeout": 10},
    )

    start = time.monotonic()
    result = await dep.tool()
    elapsed = time.monotonic() - start

    assert result.decision == "allow"
    assert statuses(result)[dep.ids[0]] == "timeout"
    assert [w.kind for w in result.warnings] == ["error"]
    assert started_tags(log) == ["later"]
    assert 0.3 <= elapsed < 2


async def test_event_budget_from_the_request_caps_the_plugin_timeout(deploy: Deploy) -> None:
    dep = await deploy([plug("sleeper", {"seconds": 5}, timeout=10)])

    start = time.monotonic()
    reply = await dep.raw("tool_pre_invoke", event_bytes_for_tool(timeout=0.5))
    elapsed = time.monotonic() - start

    assert reply.decision == "block"
    assert reply.violation is not None
    assert reply.violation.code == "plugin_timeout"
    assert 0.5 <= elapsed < 2


async def test_event_timeout_setting_is_the_budget_of_an_event_without_one(
    deploy: Deploy,
) -> None:
    dep = await deploy(
        [plug("sleeper", {"seconds": 5}, timeout=10)], settings={"event_timeout": 0.5}
    )

    start = time.monotonic()
    reply = await dep.raw("tool_pre_invoke", event_bytes_for_tool(timeout=None))
    elapsed = time.monotonic() - start

    assert reply.violation is not None
    assert reply.violation.code == "plugin_timeout"
    assert 0.5 <= elapsed < 2


async def test_plugin_after_the_budget_ran_out_is_not_called(deploy: Deploy, log: Path) -> None:
    dep = await deploy(
        [plug("sleeper", {"seconds": 5}, timeout=10, on_error="ignore"), rec("late", log)]
    )

    reply = await dep.raw("tool_pre_invoke", event_bytes_for_tool(timeout=0.5))

    assert reply.decision == "block"  # the late plugin's on_error (fail) decides
    assert reply.violation is not None
    assert (reply.violation.plugin_name, reply.violation.code) == ("recorder", "plugin_timeout")
    late = next(r for r in reply.trace if r.instance == dep.ids[1])
    assert late.status == "timeout"
    assert "budget" in (late.error or "")
    assert started_tags(log) == []


async def test_client_gets_the_routers_decision_when_a_plugin_uses_up_the_budget(
    deploy: Deploy,
) -> None:
    dep = await deploy([plug("sleeper", {"seconds": 5}, timeout=10)])

    try:
        result = await dep.tool(timeout=0.5)
    except hw.HookwireTimeout as exc:
        pytest.fail(f"no decision: {exc}")

    assert result.violation is not None
    assert result.violation.code == "plugin_timeout"


async def test_event_timeout_setting_caps_the_clients_longer_default_budget(
    deploy: Deploy,
) -> None:
    dep = await deploy(
        [plug("sleeper", {"seconds": 3}, timeout=10)], settings={"event_timeout": 0.5}
    )

    start = time.monotonic()
    result = await dep.tool()
    elapsed = time.monotonic() - start

    assert result.violation is not None
    assert result.violation.code == "plugin_timeout"
    assert elapsed < 2


def event_bytes_for_tool(timeout: float | None) -> bytes:
    """A tool_pre_invoke event for ``lookup`` with the given budget (None: no field)."""
    return event_bytes(
        "tool_pre_invoke",
        {"name": "lookup", "args": {}},
        entity=Entity(type="tool", name="lookup"),
        timeout=timeout,
    )
