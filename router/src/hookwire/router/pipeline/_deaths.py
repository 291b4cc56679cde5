"""Calls in flight on a worker that died get their answer at once, not at the timeout.

A supervisor announces each worker that exits on ``hookwire.worker.exited.<plugin>``.
The router then asks the plugin's other workers which calls they hold
(``hookwire.worker.inflight.<plugin>``, every worker answers with the reply subjects it
is serving). A call to that plugin that no worker claims, in two rounds a little apart
(a call still on its way to a live worker is claimed in the second), was on the dead
worker: its wait ends with ``WorkerLost``.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import msgspec
import structlog
from nats.aio.client import Client
from nats.aio.subscription import Subscription

from hookwire.schemas import HookwireError, WorkerCalls, WorkerExited, subjects
from hookwire.service import Requests

log = structlog.get_logger("hookwire.router")

#: Seconds to collect the survivors' answers, per round; and between the two rounds.
ANSWER_WINDOW = 0.15
SECOND_ROUND_AFTER = 0.1


class WorkerLost(HookwireError):
    """The worker serving a call died before it answered."""


_decode_exited = msgspec.json.Decoder(WorkerExited).decode
_decode_holding = msgspec.json.Decoder(WorkerCalls).decode


class DeathWatch:
    """Follows worker exits and fails the calls they took with them."""

    def __init__(self, nc: Client, requests: Requests) -> None:
        self.nc, self.requests = nc, requests
        self._sub: Subscription | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        #: calls failed because their worker died (for stats)
        self.lost = 0

    async def start(self) -> None:
        self._sub = await self.nc.subscribe(subjects.worker_exited("*"), cb=self._on_exit)

    async def stop(self) -> None:
        if self._sub is not None:
            with contextlib.suppress(Exception):
                await self._sub.unsubscribe()
            self._sub = None
        for task in list(self._tasks):
            task.cancel()

    async def _on_exit(self, msg: Any) -> None:
        try:
            exited = _decode_exited(msg.data)
        except msgspec.MsgspecError:
            log.warning("worker.exited.unreadable", subject=msg.subject)
            return
        task = asyncio.get_running_loop().create_task(self._settle(exited))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _settle(self, exited: WorkerExited) -> None:
        prefix = subjects.plugin_subject(exited.plugin, "")
        suspects = self.requests.waiting_on(prefix)
        if not suspects:
            return
        for round_ in range(2):
            if round_:
                await asyncio.sleep(SECOND_ROUND_AFTER)
            claimed = await self._claimed(exited.plugin, exited.alive)
            suspects = {t: s for t, s in suspects.items() if s not in claimed}
            suspects = self.requests.still_waiting(suspects)
            if not suspects:
                return
        for token in suspects:
            if self.requests.fail(token, WorkerLost(f"worker pid {exited.pid} died")):
                self.lost += 1
        log.warning(
            "worker.lost_calls",
            plugin=exited.plugin,
            pid=exited.pid,
            code=exited.code,
            calls=len(suspects),
        )

    async def _claimed(self, plugin: str, alive: int) -> set[str]:
        """The reply subjects the plugin's live workers are serving."""
        inbox = self.nc.new_inbox()
        claimed: set[str] = set()
        answered = 0
        enough = asyncio.Event()

        async def on_answer(msg: Any) -> None:
            nonlocal answered
            with contextlib.suppress(msgspec.MsgspecError):
                claimed.update(_decode_holding(msg.data).replies)
                answered += 1
                if alive and answered >= alive:
                    enough.set()

        sub = await self.nc.subscribe(inbox, cb=on_answer)
        try:
            await self.nc.publish(subjects.worker_inflight(plugin), b"", reply=inbox)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(enough.wait(), ANSWER_WINDOW)
            if alive:  # the ones we know of answered; others (elsewhere) get a moment more
                await asyncio.sleep(0.02)
        finally:
            await sub.unsubscribe()
        return claimed
