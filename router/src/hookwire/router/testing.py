"""Test helpers for plugin authors: replay recorded traffic in your plugin's tests.

    from hookwire.router.testing import check_replay

    async def test_recorded_traffic_is_unchanged() -> None:
        await check_replay("tests/traffic.jsonl", "tests/hookwire.yaml")

``check_replay`` starts hookwire embedded from the config (its own nats-server, router
and a venv per plugin, as ``hookwire replay --config`` does), sends every recorded event
and fails with the replay report when any decision or payload differs. Record the file
with ``plugin_settings.record`` on and ``hookwire record export``.
"""

from __future__ import annotations

import tempfile
from os import PathLike
from pathlib import Path

from hookwire.router._stack import Stack
from hookwire.router.config._load import Config, load_config
from hookwire.router.record import ReplayReport, nats_sender, read_records, render_report, replay
from hookwire.schemas import Record
from hookwire.service import NatsAuth, connect

__all__ = ["check_replay", "replay_file"]


async def replay_file(
    records: str | PathLike[str],
    config: str | PathLike[str],
    *,
    nats_url: str | None = None,
    auth: NatsAuth | None = None,
    concurrency: int = 16,
) -> ReplayReport:
    """Replay ``records`` (JSON Lines, ``keep: full``) against ``config``.

    Without ``nats_url`` the pipeline runs embedded from ``config`` (secured: the events
    go as the gateway role); with it, through the routers on that server (``config``
    then only names rules and ignored fields), connecting with ``auth`` (credentials
    that may send events, like a gateway's; default: the ``HOOKWIRE_NATS_*`` variables).
    """
    loaded = load_config(Path(config))
    recorded = list(read_records(Path(records)))
    if nats_url is not None:
        return await _replay_on(nats_url, auth, recorded, loaded, concurrency)
    with tempfile.TemporaryDirectory(prefix="hw-replay-") as data:
        async with Stack(loaded, data_dir=Path(data)) as stack:
            return await _replay_on(
                stack.url, stack.auth_for("gateway"), recorded, loaded, concurrency
            )


async def _replay_on(
    url: str, auth: NatsAuth | None, recorded: list[Record], config: Config, concurrency: int
) -> ReplayReport:
    nc = await connect(url, "hookwire-replay", auth=auth)
    try:
        report, _ = await replay(
            recorded, await nats_sender(nc)(), config=config, concurrency=concurrency
        )
    finally:
        await nc.close()
    return report


async def check_replay(
    records: str | PathLike[str], config: str | PathLike[str], **options: object
) -> ReplayReport:
    """``replay_file``, failing (AssertionError with the report) when anything differs."""
    report = await replay_file(records, config, **options)  # type: ignore[arg-type]
    if report.changed:
        raise AssertionError(
            "replay differs from the recording:\n" + "\n".join(render_report(report))
        )
    return report
