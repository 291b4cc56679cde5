"""A running ``hookwire up`` of the demo plugins, with its admin service, for the admin
tests; and a small HTTP client (the standard library's) for its JSON API."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
PLUGINS = REPO / "plugins"
TOKEN = "test-write-token"
START_TIMEOUT = 120.0


#: a rule naming its entities (the Rules page lists them in their type's colour)
EXTRA_RULE = """\
  - display_name: the summarize prompt is masked
    entities: [prompt]
    name: [summarize, brief]
    hooks: [prompt_pre_fetch]
    plugins: [{name: pii_filter}]
"""


def write_config(folder: Path, *, pii_priority: int = 30) -> Path:
    """The demo config (plugins/demo.yaml) with its plugin folder made absolute and a
    rule for a named prompt added."""
    text = (PLUGINS / "demo.yaml").read_text()
    text = text.replace("plugin_dirs: [.]", f"plugin_dirs: [{json.dumps(str(PLUGINS))}]")
    text = text.replace(
        "{name: pii_filter, priority: 30}", f"{{name: pii_filter, priority: {pii_priority}}}"
    )
    text = text.rstrip("\n") + "\n" + EXTRA_RULE
    path = folder / "demo.yaml"
    path.write_text(text)
    return path


@dataclass
class Up:
    """The ``hookwire up`` process: ``admin`` is its admin URL, ``nats`` its NATS URL."""

    proc: subprocess.Popen[str]
    config: Path
    admin: str = ""
    nats: str = ""
    lines: list[str] = field(default_factory=list)

    @property
    def data_dir(self) -> str:
        """Its data folder: up.json and the roles' creds (the secured default)."""
        return str(self.config.parent / "data")

    def url(self, path: str) -> str:
        return self.admin.rstrip("/").removesuffix("/admin") + path

    def call(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        *,
        token: str | None = TOKEN,
        content_type: str = "application/json",
    ) -> tuple[int, Any]:
        """(status, decoded JSON body) of one request to the admin service."""
        request = urllib.request.Request(self.url(path), data=body, method=method)
        if token is not None:
            request.add_header("Authorization", f"Bearer {token}")
        if body is not None:
            request.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                status, data = reply.status, reply.read()
        except urllib.error.HTTPError as exc:
            status, data = exc.code, exc.read()
        try:
            return status, json.loads(data)
        except ValueError:
            return status, data.decode()

    def worker_pids(self, plugin: str) -> list[int]:
        """Worker processes of ``plugin`` under this ``up`` (from /proc)."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes().split(b"\0")
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rpartition(")")[2].split()[1])
            words = [w.decode(errors="replace") for w in cmdline]
            if ppid == self.proc.pid and any(
                w.endswith(f"/{plugin}") or w == plugin for w in words
            ):
                found.append(int(entry.name))
        return found


def start_up(folder: Path) -> Up:
    config = write_config(folder)
    command = [
        sys.executable,
        "-m",
        "hookwire.router.cli",
        "up",
        "--config",
        str(config),
        "--data-dir",
        str(folder / "data"),
        "--admin-listen",
        "127.0.0.1:0",
        "--admin-token",
        TOKEN,
        "--log-json",
    ]
    # not offline: the demo config's plugins need third-party packages (phonenumbers,
    # cedarpy ...) whose index pages an empty uv cache does not hold, and this package
    # may run first on a fresh machine
    env = dict(os.environ)
    proc = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=open(folder / "up.log", "w"),  # noqa: SIM115 (the process owns it)
        text=True,
        env=env,
    )
    up = Up(proc, config)
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    end = time.monotonic() + START_TIMEOUT
    while not up.admin:
        try:
            line = lines.get(timeout=max(0.1, end - time.monotonic()))
        except queue.Empty:
            line = None
        if line is None:
            stop_up(up)
            log = (folder / "up.log").read_text()[-4000:]
            raise RuntimeError(f"hookwire up did not print its admin URL: {up.lines}\n{log}")
        up.lines.append(line)
        if m := re.search(r"nats://[\d.]+:\d+", line):
            up.nats = up.nats or m.group(0)
        if m := re.match(r"admin: (http://\S+)", line):
            up.admin = m.group(1)
    return up


def stop_up(up: Up) -> None:
    if up.proc.poll() is None:
        up.proc.send_signal(signal.SIGTERM)
        try:
            up.proc.wait(30)
        except subprocess.TimeoutExpired:
            up.proc.kill()
            up.proc.wait(10)
