"""Issue 9's abuses, before and after: the same scenario against an open nats-server
and against one configured with the hookwire roles. Prints one table.

    uv run python bench/abuse.py            # 200 events per abuse
    uv run python bench/abuse.py --events 50
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]

from _nats import NatsServer  # noqa: E402

from hookwire.router.security import Credentials  # noqa: E402
from hookwire.service import NatsAuth, configure_logging  # noqa: E402
from tests.security._abuse import run_abuses  # noqa: E402


async def main(events: int) -> None:
    configure_logging(json=False, level="error")
    with tempfile.TemporaryDirectory(prefix="hookwire-abuse-") as tmp:
        base = Path(tmp)
        with NatsServer(base / "open") as server:
            before = await run_abuses(server.url, lambda role: None, base, events)
        creds = Credentials.ensure(base / "data")
        with NatsServer(base / "secured", config=creds.server_config) as server:
            after = await run_abuses(
                server.url, lambda role: NatsAuth(creds=str(creds.creds(role))), base, events
            )
    print(f"{'abuse':<58} {'open server':>16}   {'with the roles':>16}   served (roles)")
    for b, a in zip(before, after, strict=True):
        served = "" if a.served is None else f"{a.served}/{a.tries}"
        print(f"{b.abuse:<58} {_cell(b):>16}   {_cell(a):>16}   {served}")


def _cell(o: object) -> str:
    from tests.security._abuse import Outcome

    assert isinstance(o, Outcome)
    verdict = "refused" if o.refused and o.achieved == 0 else "done"
    return f"{o.achieved}/{o.tries} {verdict}"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200)
    asyncio.run(main(parser.parse_args().events))
