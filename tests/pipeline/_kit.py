"""Helpers of the pipeline tests: configs, an in-process deployment, raw events, processes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
from nats.aio.client import Client as NatsClient
from nats.micro.service import ServiceVerb

from hookwire import client as hw
from hookwire.router import Config, load_config
from hookwire.router.live._discovery import collect, wait_for_instances
from hookwire.router.pipeline._service import Router
from hookwire.schemas import GatewayReply, GatewayRequest, subjects
from hookwire.service import connect
from hookwire.workers import Worker

TESTS = Path(__file__).resolve().parents[1]
WORKER_PLUGINS = TESTS / "workers" / "plugins"
PIPELINE_PLUGINS = Path(__file__).resolve().parent / "plugins"
PLUGIN_DIRS = {
    **{p.name: p for p in WORKER_PLUGINS.iterdir() if p.is_dir()},
    **{p.name: p for p in PIPELINE_PLUGINS.iterdir() if p.is_dir()},
}
READY_TIMEOUT = 30.0
_decode_reply = msgspec.json.Decoder(GatewayReply).decode
_encode = msgspec.json.Encoder().encode


def plug(name: str, config: dict[str, Any] | None = None, **attachment: Any) -> dict[str, Any]:
    """An attachment of plugin ``name`` (``mode``, ``on_error``, ``priority``, ``timeout`` ...)."""
    out = {"name": name, **{k: v for k, v in attachment.items() if v is not None}}
    if config:
        out["config"] = config
    return out


def rec(tag: str, log: Path, *, mode: str | None = None, **settings: Any) -> dict[str, Any]:
    """An attachment of the recorder plugin tagged ``tag`` and logging to ``log``.

    ``on_error``, ``priority`` and ``timeout`` are attachment settings; every other
    keyword goes into the recorder's config (``sleep``, ``append``, ``block`` ...).
    """
    keys = ("on_error", "priority", "timeout")
    attachment = {k: settings.pop(k) for k in keys if k in settings}
    return plug("recorder", {"tag": tag, "log": str(log), **settings}, mode=mode, **attachment)


def write_config(
    folder: Path,
    attachments: Iterable[dict[str, Any]],
    *,
    settings: dict[str, Any] | None = None,
    plugins: dict[str, Any] | None = None,
    name: str = "hookwire.yaml",
) -> Path:
    """A config file (JSON is YAML) with one rule for tool events attaching ``attachments``.

    Every plugin the attachments name is configured with its defaults unless ``plugins``
    says otherwise; plugin_dirs are the worker tests' plugins and this folder's.
    """
    attachments = list(attachments)
    configured: dict[str, Any] = {a["name"]: {} for a in attachments}
    configured.update(plugins or {})
    doc = {
        "plugin_dirs": [str(WORKER_PLUGINS), str(PIPELINE_PLUGINS)],
        "plugin_settings": settings or {},
        "plugins": configured,
        "routes": [{"entities": ["tool"], "plugins": attachments}],
    }
    path = folder / name
    path.write_text(json.dumps(doc, indent=2))
    return path


def read_log(path: Path) -> list[dict[str, Any]]:
    """The recorder plugin's JSON lines so far ([] before the first)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def started_tags(path: Path) -> list[str]:
    """Tags of the recorder calls that started, in order."""
    return [line["tag"] for line in read_log(path) if line["event"] == "start"]


def statuses(reply: GatewayReply | hw.HookResult[Any]) -> dict[str, str]:
    """instance id -> status, from a reply's trace."""
    return {r.instance: r.status for r in reply.trace}


async def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while not check():
        if time.monotonic() > end:
            raise TimeoutError(f"{what} did not happen within {timeout}s")
        await asyncio.sleep(0.02)


def event_bytes(hook: str, payload: Any, **fields: Any) -> bytes:
    """A GatewayRequest as a gateway in any language would publish it."""
    fields.setdefault("request_id", uuid.uuid4().hex)
    raw = msgspec.Raw(payload if isinstance(payload, bytes) else _encode(payload))
    return _encode(GatewayRequest(hook=hook, payload=raw, **fields))


async def request_raw(
    nc: NatsClient, hook: str, data: bytes, *, wait: float = 10.0
) -> GatewayReply:
    """Publish ``data`` to ``hook``'s subject and decode the router's reply."""
    msg = await nc.request(subjects.hook_subject(hook), data, timeout=wait)
    return _decode_reply(msg.data)


@dataclass
class Deployment:
    """A router, in-process workers (each on its own connection) and a gateway client."""

    url: str
    config: Config
    router: Router
    router_nc: NatsClient
    client: hw.Client
    gateway_nc: NatsClient
    workers: dict[str, tuple[Worker, NatsClient]] = field(default_factory=dict)

    @property
    def ids(self) -> list[str]:
        """The instance id of each attachment of the (only) rule, in file order."""
        return [att.instance.id for att in self.router.config.rules[0].attachments]

    async def tool(self, name: str = "lookup", args: Any = None, **options: Any) -> Any:
        """A tool_pre_invoke event through the client."""
        return await self.client.tool_pre_invoke(name, args or {}, **options)

    async def raw(self, hook: str, data: bytes, *, wait: float = 10.0) -> GatewayReply:
        return await request_raw(self.gateway_nc, hook, data, wait=wait)

    async def start_worker(self, plugin: str) -> Worker:
        nc = await connect(self.url, f"test-worker-{plugin}")
        worker = await Worker.start(nc, PLUGIN_DIRS[plugin])
        self.workers[plugin] = (worker, nc)
        return worker

    async def stop_worker(self, plugin: str) -> None:
        worker, nc = self.workers.pop(plugin)
        await worker.stop(timeout=2)
        await nc.close()

    async def close(self) -> None:
        await self.client.close()
        await self.gateway_nc.close()
        await self.router.drain(timeout=2)
        await self.router_nc.close()
        for plugin in list(self.workers):
            await self.stop_worker(plugin)


#: The ``deploy`` fixture: ``await deploy(attachments, settings=..., without=..., router=...)``.
Deploy = Callable[..., Awaitable[Deployment]]


@contextlib.asynccontextmanager
async def deployment(
    url: str, config_path: Path, *, without: Iterable[str] = (), router: bool = True
) -> AsyncIterator[Deployment]:
    """Start workers for every configured plugin (except ``without``), a router, a client.

    With ``router=False`` the Router is made but not started (a test runs its own).
    """
    config = load_config(config_path)
    router_nc = await connect(url, "test-router")
    service = Router(router_nc, config)
    gateway_nc = await connect(url, "test-gateway")
    client = await hw.connect(url, timeout=10)
    dep = Deployment(url, config, service, router_nc, client, gateway_nc)
    try:
        for name, plugin in config.plugins.items():
            if plugin.path is not None and name not in without:
                await dep.start_worker(name)
        if router:
            await service.start()
        yield dep
    finally:
        await dep.close()


async def answers(nc: NatsClient, verb: ServiceVerb, name: str | None = None) -> list[Any]:
    """Every ``$SRV.<verb>[.<name>]`` answer within half a second."""
    return await collect(nc, verb, name, wait=0.5)


async def wait_for_service(nc: NatsClient, name: str, count: int = 1) -> None:
    seen = await wait_for_instances(nc, name, count, READY_TIMEOUT)
    if seen < count:
        raise TimeoutError(f"{count} instance(s) of {name} expected, {seen} answered PING")


async def wait_for_no_service(nc: NatsClient, name: str, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while await collect(nc, ServiceVerb.PING, name, wait=0.1):
        if time.monotonic() > end:
            raise TimeoutError(f"{name} still answers PING after {timeout}s")


# -- processes ---------------------------------------------------------------------


def hookwire_command(*args: str) -> list[str]:
    """``hookwire ARGS`` run with this interpreter (no console script needed)."""
    return [sys.executable, "-m", "hookwire.router.cli", *args]


def worker_command(plugin: str, url: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "hookwire.workers",
        "--plugin",
        str(PLUGIN_DIRS[plugin]),
        "--nats",
        url,
        "--log-json",
    ]


async def spawn(cmd: list[str], log: Path, **kwargs: Any) -> asyncio.subprocess.Process:
    """Start ``cmd`` with stdout and stderr going to ``log``."""
    with log.open("wb") as out:
        return await asyncio.create_subprocess_exec(
            *cmd, stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=out, **kwargs
        )


async def stop_process(proc: asyncio.subprocess.Process) -> None:
    """Kill ``proc`` if a test left it running."""
    if proc.returncode is None:
        proc.kill()
        await proc.wait()


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie does not count)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def children_of(pid: int) -> list[int]:
    """Pids whose parent is ``pid`` (Linux /proc)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            out.append(int(entry.name))
    return out


def command_line(pid: int) -> str:
    """The command line of ``pid``, space-separated ("" once it is gone)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""
