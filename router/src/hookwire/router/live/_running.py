"""How client commands find a running ``hookwire up``: the file it keeps in its data folder.

``<data dir>/up.json`` holds the NATS URL ``up`` runs on (never a secret: an embedded
server's URL has none, and an external one is redacted) and its pid; ``up`` removes it
when it stops. The credentials of each role sit beside it, in ``creds/``.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from hookwire.client import redact_url

__all__ = ["RUNNING_FILE", "Running", "read_running", "remove_running", "write_running"]

RUNNING_FILE = "up.json"


@dataclass(frozen=True)
class Running:
    url: str
    pid: int
    #: whether ``up`` runs the embedded server with the roles (its creds are in creds/)
    secured: bool


def write_running(data_dir: Path, url: str, *, secured: bool) -> Path:
    path = data_dir / RUNNING_FILE
    doc = {"url": redact_url(url), "pid": os.getpid(), "secured": secured}
    tmp = path.with_name(f".{RUNNING_FILE}.tmp")
    tmp.write_text(json.dumps(doc) + "\n")
    os.replace(tmp, path)
    return path


def remove_running(data_dir: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        (data_dir / RUNNING_FILE).unlink()


def read_running(data_dir: Path) -> Running | None:
    """The ``up`` running with this data folder, or None (no file, or its process is gone)."""
    try:
        doc = json.loads((data_dir / RUNNING_FILE).read_text())
        running = Running(str(doc["url"]), int(doc["pid"]), bool(doc.get("secured", False)))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(running.pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, someone else's
    return running
