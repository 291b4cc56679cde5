"""One virtual environment per plugin, made with uv, reused while what shapes it is unchanged.

A venv holds the plugin's requirements, the plugin package, ``hookwire-schemas`` and
``hookwire-workers``, and nothing of the router. It lives at ``<root>/<plugin>-<key>``,
where the key hashes its inputs (requirements, the plugin's pyproject, the Python
version, hookwire's version): an unchanged plugin reuses its venv with no install; a
changed requirements file gives a new key and a new venv. A venv is built aside and
renamed into place under a per-plugin file lock, so two supervisors starting at once
build it once and no half-built venv is ever used.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import json
import os
import platform
import shutil
import sys
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Literal

import structlog

from hookwire.router.errors import VenvError
from hookwire.workers import read_manifest

MARKER = "hookwire-venv.json"
#: The distributions every plugin venv gets besides the plugin's own.
HOOKWIRE_DISTS = ("hookwire-schemas", "hookwire-workers")
log = structlog.get_logger("hookwire.venv")
#: Log event of each way ``ensure`` came by a venv.
_VENV_EVENTS = {"created": "venv.created", "reused": "venv.reused"}


@dataclass(frozen=True, slots=True)
class Venv:
    """A ready venv and how this manager came by it."""

    plugin: str
    path: Path
    key: str
    action: Literal["created", "reused"]
    seconds: float

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"


def find_uv() -> str:
    """The uv binary: the ``uv`` package's, else ``uv`` on PATH."""
    try:
        import uv  # type: ignore[import-not-found, unused-ignore]

        return str(uv.find_uv_bin())
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if found is None:
            raise VenvError("*", "uv is not installed (pip install uv)") from None
        return found


def hookwire_requirements() -> list[str]:
    """How to install hookwire's own packages: editable from a source checkout, else pinned."""
    out: list[str] = []
    for dist in HOOKWIRE_DISTS:
        d = metadata.distribution(dist)
        direct = d.read_text("direct_url.json")
        url = json.loads(direct).get("url", "") if direct else ""
        if url.startswith("file://"):
            out += ["-e", url.removeprefix("file://")]
        else:
            extra = "[client]" if dist == "hookwire-schemas" else ""
            out.append(f"{dist}{extra}=={d.version}")
    return out


@dataclass
class VenvManager:
    """Makes and finds plugin venvs under ``root``; ``record`` lists what it did."""

    root: Path
    python: str = sys.executable
    uv: str = field(default_factory=find_uv)
    env: Mapping[str, str] = field(default_factory=dict)
    record: list[Venv] = field(default_factory=list)
    #: more requirements every venv of this manager gets (the QA venvs' test tools)
    extra: tuple[str, ...] = ()

    def key(self, plugin_dir: Path) -> str:
        """Hash of everything that decides what the plugin's venv contains."""
        manifest = read_manifest(plugin_dir)
        parts = {
            "format": 1,
            "requirements": _read(plugin_dir / manifest.requirements),
            "cpex": manifest.cpex.requirement if manifest.cpex is not None else None,
            "pyproject": _read(plugin_dir / "pyproject.toml"),
            "python": self._python_version(),
            "hookwire": {d: metadata.version(d) for d in HOOKWIRE_DISTS},
            "hookwire_install": hookwire_requirements(),
            "hookwire_pyprojects": [
                _read(Path(a) / "pyproject.toml")
                for a in hookwire_requirements()
                if a.startswith("/")
            ],
        }
        if self.extra:
            parts["extra"] = list(self.extra)
        blob = json.dumps(parts, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    def _python_version(self) -> str:
        if Path(self.python).resolve() == Path(sys.executable).resolve():
            return f"{platform.python_implementation()}-{platform.python_version()}"
        return self.python

    def path_for(self, plugin: str, key: str) -> Path:
        return self.root / f"{plugin}-{key}"

    async def ensure(self, plugin_dir: Path) -> Venv:
        """The plugin's venv, made if needed; raises VenvError with uv's output on failure."""
        start = time.perf_counter()
        manifest = read_manifest(plugin_dir)
        key = self.key(plugin_dir)
        final = self.path_for(manifest.name, key)
        action: Literal["created", "reused"] = "reused"
        if not _complete(final, key):
            self.root.mkdir(parents=True, exist_ok=True)
            async with _locked(self.root / f".{manifest.name}.lock"):
                if not _complete(final, key):  # another supervisor may have built it meanwhile
                    extra = (
                        (manifest.cpex.requirement,)
                        if manifest.cpex and manifest.cpex.requirement
                        else ()
                    )
                    await self._build(
                        manifest.name, plugin_dir, manifest.requirements, key, final, extra
                    )
                    action = "created"
        venv = Venv(manifest.name, final, key, action, time.perf_counter() - start)
        self.record.append(venv)
        log.info(
            _VENV_EVENTS[action],
            plugin=venv.plugin,
            path=str(venv.path),
            key=key,
            seconds=round(venv.seconds, 3),
        )
        return venv

    async def _build(
        self,
        plugin: str,
        plugin_dir: Path,
        requirements: str,
        key: str,
        final: Path,
        extra: tuple[str, ...] = (),
    ) -> None:
        tmp = self.root / f".{plugin}-{key}.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            await self._uv(plugin, "venv", "--quiet", "--python", self.python, str(tmp))
            args = [
                "pip",
                "install",
                "--quiet",
                "--python",
                str(tmp / "bin" / "python"),
                *hookwire_requirements(),
                *self.extra,
                *extra,  # a cpex plugin's PyPI requirement: cpex comes in as its dependency
            ]
            if (plugin_dir / requirements).is_file():
                args += ["-r", str(plugin_dir / requirements)]
            if (plugin_dir / "pyproject.toml").is_file():
                args += ["-e", str(plugin_dir)]
            await self._uv(plugin, *args)
            marker = {
                "plugin": plugin,
                "key": key,
                "plugin_dir": str(plugin_dir.resolve()),
                "created": time.time(),
            }
            (tmp / MARKER).write_text(json.dumps(marker, indent=2))
            shutil.rmtree(final, ignore_errors=True)
            os.rename(tmp, final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    async def _uv(self, plugin: str, *args: str) -> None:
        env = {**os.environ, **self.env}
        env.pop("VIRTUAL_ENV", None)  # uv pip must target --python, not the caller's venv
        proc = await asyncio.create_subprocess_exec(
            self.uv,
            *args,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await proc.communicate()
        if proc.returncode != 0:
            raise VenvError(
                plugin,
                f"`uv {args[0]} {args[1]}` failed (exit {proc.returncode})",
                out.decode(errors="replace"),
            )


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def _complete(path: Path, key: str) -> bool:
    try:
        return bool(json.loads((path / MARKER).read_text()).get("key") == key)
    except (OSError, ValueError):
        return False


@contextlib.asynccontextmanager
async def _locked(lock_path: Path) -> AsyncIterator[None]:
    """An exclusive flock, taken in a thread so the event loop keeps running."""
    with open(lock_path, "a+") as handle:
        await asyncio.to_thread(fcntl.flock, handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def scan(root: Path) -> Iterator[tuple[str, str, Path]]:
    """Every complete venv under ``root``: (plugin, key, path)."""
    if not root.is_dir():
        return
    for path in sorted(root.iterdir()):
        try:
            marker = json.loads((path / MARKER).read_text())
        except (OSError, ValueError):
            continue
        yield marker["plugin"], marker["key"], path
