"""Tiny plugins and configs written into a test's folder.

Each plugin folder holds a manifest, one module and (if given) a requirements file; no
pyproject, so the worker puts the folder on ``sys.path`` and the venv gets only the
requirements. Venvs are keyed by what shapes them, not by folder: two tests' plugins
of the same name and requirements share a venv in the session's venv folder.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

#: Continue with ``args[<plugin>] = isolib.__version__`` (isolib imported in the hook).
VERSION_REPORTER = """
import msgspec

from hookwire.workers import Continue, Plugin


class Entry(Plugin):
    async def tool_pre_invoke(self, payload, ctx):
        import isolib

        args = {**payload.args, "{name}": isolib.__version__}
        return Continue(msgspec.structs.replace(payload, args=args))
"""

#: Continue with ``args[<plugin>] = "ok"``.
ECHO = """
import msgspec

from hookwire.workers import Continue, Plugin


class Entry(Plugin):
    async def tool_pre_invoke(self, payload, ctx):
        args = {**payload.args, "{name}": "ok"}
        return Continue(msgspec.structs.replace(payload, args=args))
"""

#: The worker process dies while importing the plugin, saying so on stderr.
CRASH_AT_IMPORT = """
import os
import sys

print("{name}: exiting on purpose", file=sys.stderr, flush=True)
os._exit(3)


class Entry:
    async def tool_pre_invoke(self, payload, ctx):
        return None
"""

#: Dies at import the first time (a marker file in the plugin folder), serves after that.
CRASH_ONCE = """
import os
import sys
from pathlib import Path

import msgspec

from hookwire.workers import Continue, Plugin

_MARK = Path(__file__).with_name("crashed-once")
if not _MARK.exists():
    _MARK.write_text("1")
    print("{name}: first start fails", file=sys.stderr, flush=True)
    os._exit(3)


class Entry(Plugin):
    async def tool_pre_invoke(self, payload, ctx):
        args = {**payload.args, "{name}": "ok"}
        return Continue(msgspec.structs.replace(payload, args=args))
"""

#: Notes the call in ``started`` (plugin folder), sleeps ``config["sleep"]`` s, continues.
SLOW = """
import asyncio
from pathlib import Path

import msgspec

from hookwire.workers import Continue, Plugin


class Entry(Plugin):
    async def tool_pre_invoke(self, payload, ctx):
        Path(__file__).with_name("started").write_text("1")
        await asyncio.sleep(float(self.config.get("sleep", 1.0)))
        args = {**payload.args, "{name}": "done"}
        return Continue(msgspec.structs.replace(payload, args=args))
"""


def make_plugin(
    root: Path, name: str, source: str = ECHO, *, requirements: str | None = None
) -> Path:
    """``root/name``: a plugin whose module ``iso_<name>`` is ``source`` ({name} filled in)."""
    folder = root / name
    folder.mkdir(parents=True)
    module = f"iso_{name}"
    (folder / "plugin-manifest.yaml").write_text(
        textwrap.dedent(
            f"""\
            name: {name}
            version: 1.0.0
            description: isolation test plugin {name}
            entry: {module}:Entry
            maturity: alpha
            hooks: [tool_pre_invoke]
            """
        )
    )
    (folder / f"{module}.py").write_text(source.replace("{name}", name).lstrip())
    if requirements is not None:
        (folder / "requirements.txt").write_text(requirements)
    return folder


def write_config(
    folder: Path,
    plugin_dirs: Iterable[Path],
    attach: Iterable[str],
    *,
    plugins: Mapping[str, dict[str, Any]] | None = None,
    settings: Mapping[str, Any] | None = None,
    name: str = "hookwire.yaml",
) -> Path:
    """A config (JSON is YAML) attaching ``attach`` in order, sequential, to every tool."""
    attach = list(attach)
    configured: dict[str, dict[str, Any]] = {n: {} for n in attach} | dict(plugins or {})
    rule = {"entities": ["tool"], "plugins": [{"name": n, "mode": "sequential"} for n in attach]}
    doc = {
        "plugin_dirs": [str(d) for d in plugin_dirs],
        "plugin_settings": dict(settings or {}),
        "plugins": configured,
        "routes": [rule] if attach else [],
    }
    path = folder / name
    path.write_text(json.dumps(doc, indent=2))
    return path


def hookwire(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``hookwire ARGS`` with this interpreter; output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "hookwire.router.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def hookwire_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "hookwire.router.cli", *args]
