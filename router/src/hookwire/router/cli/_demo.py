"""``hookwire demo``: everything embedded, a handful of realistic events, readable decisions."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from hookwire import client as hw
from hookwire.router._stack import Stack
from hookwire.router.admin._server import AdminServer
from hookwire.router.cli._admin import add_admin_listen_option, start_admin
from hookwire.router.cli._options import add_folder_options, add_nats_options, given
from hookwire.router.cli._render import render_result
from hookwire.router.config._load import load_config
from hookwire.router.errors import ConfigError, StackError
from hookwire.router.live._store import read_config_file
from hookwire.router.pools._folders import folders
from hookwire.service import SignalQueue, auth_from_args, configure_logging

#: The demo config in a source checkout: <repo>/plugins/demo.yaml.
DEMO_CONFIG = Path(__file__).resolve().parents[5] / "plugins" / "demo.yaml"

Step = Callable[[hw.Client], Awaitable[hw.HookResult[Any]]]


def add_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "demo",
        help="start everything embedded and send a few events",
        description="Start NATS, a router and a worker pool per example plugin, send "
        "realistic events (PII masked, blocked calls, a schema violation, moderation, "
        "a post hook, an HTTP-level event), print each decision and stop.",
    )
    p.add_argument(
        "--config", default=str(DEMO_CONFIG), help=f"demo config (default {DEMO_CONFIG})"
    )
    add_nats_options(p, default=None, help_text="use this NATS server instead of an embedded one")
    add_folder_options(p, data=False)
    p.add_argument("--verbose", action="store_true", help="show the services' log lines")
    p.add_argument(
        "--keep",
        action="store_true",
        help="after the events, keep everything (and the admin pages) running until Ctrl-C",
    )
    add_admin_listen_option(p)
    p.set_defaults(func=cmd_demo)


def _steps() -> list[tuple[str, Step]]:
    rid = uuid.uuid4().hex
    card = "4111 1111 1111 1111"
    return [
        (
            "a tool call whose arguments carry PII: masked before the tool sees them",
            lambda c: c.tool_pre_invoke(
                "send_email",
                {
                    "to": "alice@example.com",
                    "body": f"Call me on +1 415 555 2671 or charge card {card}.",
                },
                request_id=rid,
            ),
        ),
        (
            "the same call's result on the way back (post hook): masked too",
            lambda c: c.tool_post_invoke(
                "send_email",
                {"status": "sent", "cc": "bob@example.org", "ssn_on_file": "123-45-6789"},
                request_id=rid,
            ),
        ),
        (
            "a tool call with a denied term: blocked, with a readable reason",
            lambda c: c.tool_pre_invoke("run_sql", {"query": "DROP TABLE customers;"}),
        ),
        (
            "a tool call with oversized arguments: blocked by the size guard",
            lambda c: c.tool_pre_invoke("upload", {"blob": "x" * 6000}),
        ),
        (
            "a tool call whose arguments break the tool's JSON Schema: blocked, every path listed",
            lambda c: c.tool_pre_invoke("send_email", {"to": 42, "subject": "hi"}),
        ),
        (
            "a threatening message: blocked by content moderation",
            lambda c: c.tool_pre_invoke("post_comment", {"text": "I will kill you"}),
        ),
        (
            "a message with profanity: allowed with the word redacted",
            lambda c: c.tool_pre_invoke("post_comment", {"text": "this build is bullshit, fix it"}),
        ),
        (
            "an admin-tagged tool called by someone else: denied by a Cedar policy",
            lambda c: c.tool_pre_invoke(
                "delete_user", {"id": 42}, user="mallory@example.com", tags=["admin"]
            ),
        ),
        (
            f"{2 * BURST + 1} calls of one user at once, over rate_limiter's "
            f'by_user "{BURST}/m" (shared by its 2 workers): {BURST} pass, then 429',
            _burst,
        ),
        (
            "an HTTP-level event (no entity): allowed and audited",
            lambda c: c.http_pre_request(
                "/mcp", "POST", headers={"content-type": "application/json"}
            ),
        ),
    ]


#: rate_limiter's by_user limit in plugins/demo.yaml.
BURST = 20


async def _burst(c: hw.Client) -> hw.HookResult[Any]:
    """2 x BURST + 1 calls of one (new) user, so one is refused even if a window turns
    over during the burst; the counters are shared by the pool, in NATS."""
    user = f"burst-{uuid.uuid4().hex[:8]}@example.com"
    calls = [c.tool_pre_invoke("search", {"q": n}, user=user) for n in range(2 * BURST + 1)]
    results = await asyncio.gather(*calls)
    return next((r for r in results if r.blocked), results[-1])


def cmd_demo(ns: argparse.Namespace) -> int:
    try:
        config = load_config(ns.config)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        if not Path(ns.config).exists():
            print(
                "hookwire demo runs from a source checkout (plugins/demo.yaml); or pass --config",
                file=sys.stderr,
            )
        return 1
    level = None if ns.verbose else "error"
    configure_logging(json=False, level=level)
    # venvs outlive the run (beside the config unless told): a rerun reuses them
    venvs = folders(config, venv_dir=given(ns, "venv_dir")).venvs
    worker_env = {"HOOKWIRE_LOG_LEVEL": level} if level else {}
    return asyncio.run(_demo(config, ns.nats, worker_env, venvs, ns, auth_from_args(ns)))


async def _demo(
    config: Any,
    nats_url: str | None,
    worker_env: dict[str, str],
    venvs: Path,
    ns: argparse.Namespace,
    auth: hw.NatsAuth,
) -> int:
    with tempfile.TemporaryDirectory(prefix="hookwire-demo-") as tmp:
        print("starting NATS, the router and one worker pool per plugin ...", flush=True)
        try:
            stack_ = Stack(
                config,
                nats_url=nats_url,
                data_dir=Path(tmp),
                worker_env=worker_env,
                venv_dir=venvs,
                follow=True,  # the demo's config is the live one: the admin pages show it
                seed=read_config_file(config.file, action="up")[0],
                auth=auth,
            )
            async with stack_ as stack:
                print(*stack.describe(), sep="\n", flush=True)
                admin = await start_admin(stack, ns)
                ok = await _run_steps(stack.url, stack.auth_for("gateway"))
                audit = await _audit_lines(Path(tmp) / "audit.jsonl", expected=len(_steps()))
                if ns.keep:
                    await _wait_for_ctrl_c(admin)
                if admin is not None:
                    await admin.stop()
        except StackError as exc:
            print(f"hookwire demo: {exc}", file=sys.stderr)
            return 1
    print(f"\naudit_logger (fire_and_forget, blocked events too) wrote {len(audit)} lines, e.g.:")
    for line in audit[:2]:
        print(f"  {line}")
    print("\nall services stopped cleanly." if ok else "\nsome events did not go as expected.")
    return 0 if ok else 1


async def _wait_for_ctrl_c(admin: AdminServer | None) -> None:
    where = f" (admin pages: {admin.url})" if admin is not None else ""
    print(f"\neverything keeps running{where}; Ctrl-C stops it.", flush=True)
    signals = SignalQueue(signal.SIGTERM, signal.SIGINT)
    await signals.next()
    signals.close()


async def _run_steps(url: str, auth: hw.NatsAuth) -> bool:
    expected = [
        "allow",
        "allow",
        "block",
        "block",
        "block",
        "block",
        "allow",
        "block",
        "block",
        "allow",
    ]
    ok = True
    async with await hw.connect(url, timeout=15, auth=auth) as gateway:
        for n, ((title, step), want) in enumerate(zip(_steps(), expected, strict=True), 1):
            result = await step(gateway)
            print(
                f"\n[{n}] {title}\n{result.hook} on {_target(result)}",
                *render_result(result),
                sep="\n",
                flush=True,
            )
            ok = ok and result.decision == want
    return ok


def _target(result: hw.HookResult[Any]) -> str:
    payload = result.payload
    for field in ("name", "path"):
        value = getattr(payload, field, None)
        if value:
            return str(value)
    return "(event)"


async def _audit_lines(path: Path, expected: int, wait: float = 5.0) -> list[str]:
    """The audit file's lines once ``expected`` arrived (fire_and_forget is asynchronous)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + wait
    lines: list[str] = []
    while loop.time() < end:
        if path.exists():
            lines = [json.dumps(json.loads(x)) for x in path.read_text().splitlines() if x]
            if len(lines) >= expected:
                break
        await asyncio.sleep(0.1)
    return lines
