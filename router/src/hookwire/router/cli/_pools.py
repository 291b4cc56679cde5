"""CLI commands for worker pools and their venvs: workers, venvs list, venvs prune."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import sys
from pathlib import Path
from typing import Any

from hookwire.router._stack import Stack
from hookwire.router.cli._connection import service_connection
from hookwire.router.cli._options import (
    add_commands,
    add_config_option,
    add_folder_options,
    add_follow_option,
    add_logging_options,
    add_nats_options,
    given,
)
from hookwire.router.cli._service import DEFAULT_NATS, log_settings
from hookwire.router.config._load import Config, load_config
from hookwire.router.errors import ConfigError, StackError, VenvError
from hookwire.router.pools._folders import Folders, folders
from hookwire.router.pools._venv import VenvManager, scan
from hookwire.service import SignalQueue
from hookwire.workers import WorkerError


def add_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "workers",
        help="run the worker pools of a config (no router)",
        description="Make each plugin's venv, start `workers: N` processes per "
        "plugin, restart crashed ones with backoff, drain them all on SIGTERM.",
    )
    add_config_option(p)
    add_nats_options(
        p,
        default=None,
        help_text=f"NATS server URL (default: the config's nats.url, else {DEFAULT_NATS})",
        service=True,
    )
    add_folder_options(p)
    add_follow_option(p)
    add_logging_options(p)
    p.set_defaults(func=cmd_workers)

    venvs = sub.add_parser(
        "venvs",
        help="list or prune the plugin venvs",
        description="Each plugin runs in a venv of its own under the venv "
        "folder (--venv-dir, plugin_settings.venv_dir, $HOOKWIRE_VENV_DIR, or "
        "<data dir>/venvs).",
    )
    vsub = add_commands(venvs, "venvs_command")
    for name, text in (
        ("list", "show every venv: plugin, path, size, hash, in use or not"),
        ("prune", "remove venvs of plugins no longer configured and stale hashes"),
        ("build", "make the venv of every enabled plugin now (e.g. when building an image)"),
    ):
        q = vsub.add_parser(name, help=text, description=text)
        add_config_option(q)
        add_folder_options(q)
        if name == "list":
            q.add_argument("--json", action="store_true", help="print JSON")
            q.set_defaults(func=cmd_venvs_list)
        elif name == "build":
            q.set_defaults(func=cmd_venvs_build)
        else:
            q.add_argument(
                "--dry-run", action="store_true", help="say what would go; remove nothing"
            )
            q.set_defaults(func=cmd_venvs_prune)


def _load(path: str) -> Config | None:
    try:
        return load_config(path)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return None


def cmd_workers(ns: argparse.Namespace) -> int:
    config = _load(ns.config)
    if config is None:
        return 1
    worker_env = log_settings(ns)
    folders_ = where(ns, config)
    url, auth = service_connection(ns, config, DEFAULT_NATS)
    assert url is not None
    stack = Stack(
        config,
        nats_url=url,
        data_dir=folders_.data,
        venv_dir=folders_.venvs,
        router=False,
        follow=ns.follow,
        worker_env=worker_env,
        nats_wait=ns.nats_wait,
        auth=auth,
    )
    return asyncio.run(_workers(stack))


async def _workers(stack: Stack) -> int:
    signals = SignalQueue(signal.SIGTERM, signal.SIGINT)
    try:
        await stack.start()
    except (StackError, OSError) as exc:
        await stack.stop()
        print(f"hookwire workers: {exc}", file=sys.stderr)
        return 1
    print("worker pools are up", *stack.describe(), sep="\n", flush=True)
    await signals.next()
    signals.close()
    await stack.stop()
    return 0


def venv_rows(config: Config, root: Path) -> list[dict[str, Any]]:
    """Every venv under ``root`` with its state for ``config``: in use, stale or orphaned."""
    manager = VenvManager(root, uv="uv")  # keys only: no uv call is made
    current = {
        p.name: manager.key(p.path)
        for p in config.plugins.values()
        if p.enabled and p.path is not None
    }
    rows = []
    for plugin, key, path in scan(root):
        if plugin not in current:
            state = "orphaned"
        else:
            state = "in use" if current[plugin] == key else "stale"
        rows.append(
            {"plugin": plugin, "path": str(path), "size": _size(path), "hash": key, "state": state}
        )
    return rows


def running_venvs(root: Path) -> set[Path]:
    """The venvs under ``root`` whose interpreter runs now (a worker of any deployment,
    whatever config it was started from), read from each process's command line."""
    used: set[Path] = set()
    root = root.resolve()
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv0 = cmdline.read_bytes().split(b"\0", 1)[0].decode()
        except (OSError, UnicodeDecodeError):
            continue  # gone meanwhile, or not ours to read
        exe = Path(argv0)
        if exe.is_absolute() and exe.is_relative_to(root):
            parts = exe.relative_to(root).parts
            if len(parts) >= 2:  # <root>/<plugin>-<key>/bin/python
                used.add(root / parts[0])
    return used


def _size(path: Path) -> int:
    total = 0
    for dirpath, _, files in os.walk(path):
        for f in files:
            fp = Path(dirpath, f)
            if not fp.is_symlink():
                total += fp.stat().st_size
    return total


def _human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def where(ns: argparse.Namespace, config: Config) -> Folders:
    """The data and venv folders of a command's config and options."""
    return folders(config, data_dir=given(ns, "data_dir"), venv_dir=given(ns, "venv_dir"))


def _root(ns: argparse.Namespace, config: Config) -> Path:
    return where(ns, config).venvs


def cmd_venvs_list(ns: argparse.Namespace) -> int:
    config = _load(ns.config)
    if config is None:
        return 1
    root = _root(ns, config)
    rows = venv_rows(config, root)
    if ns.json:
        print(json.dumps({"root": str(root), "venvs": rows}, indent=2))
        return 0
    print(f"venvs in {root}: {len(rows)}")
    for r in rows:
        print(
            f"  {r['plugin']:<18} {r['state']:<9} {_human(r['size']):>9}  {r['hash']}  {r['path']}"
        )
    return 0


def cmd_venvs_build(ns: argparse.Namespace) -> int:
    config = _load(ns.config)
    if config is None:
        return 1
    root = _root(ns, config)
    dirs = sorted({p.path for p in config.plugins.values() if p.enabled and p.path is not None})
    manager = VenvManager(root)
    failed = 0
    for plugin_dir in dirs:
        try:
            venv = asyncio.run(manager.ensure(plugin_dir))
        except (VenvError, WorkerError) as exc:
            print(f"hookwire venvs build: {exc}", file=sys.stderr)
            failed += 1
            continue
        print(f"{venv.action} {venv.plugin}: {venv.path}")
    return 1 if failed else 0


def cmd_venvs_prune(ns: argparse.Namespace) -> int:
    config = _load(ns.config)
    if config is None:
        return 1
    root = _root(ns, config)
    running = running_venvs(root)
    doomed = []
    for r in venv_rows(config, root):
        if r["state"] == "in use":
            continue
        if Path(r["path"]) in running:
            print(f"kept {r['plugin']} ({r['state']}): a running worker uses {r['path']}")
            continue
        doomed.append(r)
    leftovers = [p for p in root.glob(".*.tmp-*") if p.is_dir()] if root.is_dir() else []
    verb = "would remove" if ns.dry_run else "removed"
    for r in doomed:
        if not ns.dry_run:
            shutil.rmtree(r["path"])
        print(f"{verb} {r['plugin']} ({r['state']}, {_human(r['size'])}): {r['path']}")
    for path in leftovers:
        if not ns.dry_run:
            shutil.rmtree(path, ignore_errors=True)
        print(f"{verb} unfinished build {path}")
    if not doomed and not leftovers:
        print(f"nothing to prune in {root}")
    return 0
