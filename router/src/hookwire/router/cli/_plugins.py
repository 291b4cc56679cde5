"""``hookwire plugins list|show|search|qa|schema``: the plugin registry from the CLI.

Offline by default: the plugins are read from the config's ``plugin_dirs`` (only that key
of the config is read, so a problem elsewhere in it does not hide them) or from
``--plugin-dir`` folders. With ``--nats URL`` (or ``$HOOKWIRE_NATS_URL``) the registry
service of a running router answers instead; the output is the same either way.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec
from pydantic import ValidationError

from hookwire.router._yaml import load_yaml
from hookwire.router.catalog._manifest import PluginPackage, discover, pydantic_problems
from hookwire.router.catalog._maturity import LEVELS
from hookwire.router.catalog._registry import Registry
from hookwire.router.catalog._registry_client import ReplyT, registry_request
from hookwire.router.catalog.manifest_schema import schema_text
from hookwire.router.cli._connection import data_dir_of
from hookwire.router.cli._options import (
    add_commands,
    add_folder_options,
    add_nats_options,
    given,
    positive,
)
from hookwire.router.cli._render import count
from hookwire.router.cli._render_plugins import (
    render_detail,
    render_list,
    render_measured,
    render_search,
)
from hookwire.router.config._load import load_config
from hookwire.router.config._model import ConfigFile
from hookwire.router.errors import ConfigError, Problem, ProblemList, QaError, SourceError
from hookwire.router.pools._folders import folders
from hookwire.router.pools._qa import QaRun
from hookwire.router.security import Credentials
from hookwire.schemas import (
    GetReply,
    GetRequest,
    ListReply,
    ListRequest,
    SearchReply,
    SearchRequest,
    subjects,
)
from hookwire.service import (
    NatsAuth,
    auth_from_args,
    configure_logging,
    connect,
    redact_url,
)

_encode = msgspec.json.Encoder().encode


def _sources(p: argparse.ArgumentParser, online: bool = True) -> None:
    p.add_argument(
        "--config",
        dest="config_file",
        metavar="CONFIG",
        help="config file whose plugin_dirs to read",
    )
    p.add_argument(
        "--plugin-dir",
        action="append",
        default=[],
        metavar="DIR",
        help="a plugin folder, or a folder of them (repeatable; instead of --config; "
        "in the variable: folders separated by " + repr(os.pathsep) + ")",
    )
    if online:
        add_nats_options(p, default=None, help_text="ask the registry service of a running router")
        p.add_argument(
            "--data-dir",
            metavar="DIR",
            help="data folder whose observer creds to use with --nats (default: ./.hookwire)",
        )
        p.add_argument(
            "--timeout", type=positive(float), default=5.0, help="seconds to wait (online)"
        )


def add_parsers(sub: Any) -> None:
    """Register ``hookwire plugins`` and its actions."""
    plugins = sub.add_parser(
        "plugins",
        help="list, show, search and measure plugins (the registry)",
        description="The plugin registry: every plugin in plugin_dirs with its manifest and "
        "measured quality. Offline by default; --nats asks a running router.",
    )
    psub = add_commands(plugins, "plugins_command")

    p = psub.add_parser("list", help="every plugin: name, version, maturity, coverage ...")
    _sources(p)
    p.add_argument("--maturity", choices=LEVELS, help="only plugins at this level")
    p.add_argument("--capability", help="only plugins with this capability")
    p.add_argument("--hook", help="only plugins implementing this hook")
    p.add_argument("--json", action="store_true", help="print the registry's JSON reply")
    p.set_defaults(func=cmd_list)

    p = psub.add_parser("show", help="one plugin: hooks, config schema, dependencies, quality")
    p.add_argument("name", help="plugin name")
    _sources(p)
    p.add_argument("--json", action="store_true", help="print the registry's JSON reply")
    p.set_defaults(func=cmd_show)

    p = psub.add_parser("search", help="plugins ranked by relevance to the words given")
    p.add_argument("query", help='words, e.g. "content moderation"')
    _sources(p)
    p.add_argument("--limit", type=positive(int), default=10, help="most results (default 10)")
    p.add_argument("--json", action="store_true", help="print the registry's JSON reply")
    p.set_defaults(func=cmd_search)

    p = psub.add_parser(
        "qa",
        help="run a plugin's tests with coverage and its benchmark; record the figures",
        description="Measure a plugin in a QA venv (its requirements plus pytest, "
        "pytest-asyncio and coverage) and write quality.measured.json beside its manifest.",
    )
    p.add_argument("name", help="plugin name")
    _sources(p, online=False)
    add_folder_options(p)  # QA venvs go in the venv folder's qa/
    p.add_argument(
        "--timeout", type=positive(float), default=600.0, help="seconds per step (default 600)"
    )
    p.add_argument("--json", action="store_true", help="print the recorded figures as JSON")
    p.set_defaults(func=cmd_qa)

    p = psub.add_parser("schema", help="print the JSON Schema of plugin-manifest.yaml")
    p.set_defaults(func=cmd_schema)


# -- where the plugins come from ----------------------------------------------------------


def packages_from(
    config_file: str | None, plugin_dirs: list[str], skipped: ProblemList | None = None
) -> dict[str, PluginPackage]:
    """The plugin packages of ``--plugin-dir`` folders, else of the config's plugin_dirs.

    A folder or manifest that cannot be read raises ConfigError, unless ``skipped`` is
    given: its problems go there and the other plugins are returned.
    """
    problems = ProblemList() if skipped is None else skipped
    if plugin_dirs:
        dirs = [(Path(d), Problem(d, (), f"folder {d!r} does not exist")) for d in plugin_dirs]
    elif config_file:
        dirs = _config_dirs(config_file, problems)
    else:
        raise SourceError("give --config FILE (or $HOOKWIRE_CONFIG) or --plugin-dir DIR")
    found = discover(dirs, problems)
    if skipped is None:
        problems.raise_if_any()
    return found


def _config_dirs(config_file: str, problems: ProblemList) -> list[tuple[Path, Problem]]:
    doc = load_yaml(config_file)
    data = doc.data if isinstance(doc.data, Mapping) else {}
    try:
        top = ConfigFile.model_validate({"plugin_dirs": data.get("plugin_dirs", [])})
    except ValidationError as exc:
        problems.extend(pydantic_problems(doc, exc))
        return []
    base = Path(config_file).parent
    return [
        (
            base / Path(d).expanduser(),
            doc.problem(("plugin_dirs", i), f"folder {d!r} does not exist", "fix the path"),
        )
        for i, d in enumerate(top.plugin_dirs)
    ]


async def ask(
    url: str,
    subject: str,
    request: msgspec.Struct,
    kind: type[ReplyT],
    timeout: float,
    auth: NatsAuth | None = None,
) -> ReplyT:
    """One request to the registry service of a running router (as an observer)."""
    try:
        nc = await connect(
            url, "hookwire-plugins", attempts=2, reconnect_time_wait=0.1, auth=auth, deadline=10
        )
    except Exception as exc:
        raise SourceError(str(exc)) from None
    try:
        return await registry_request(nc, subject, request, kind, timeout, redact_url(url))
    finally:
        await nc.close()


def _answer(
    ns: argparse.Namespace, subject: str, request: msgspec.Struct, kind: type[ReplyT]
) -> ReplyT:
    if ns.nats:
        configure_logging(level="error")  # stdout is the answer; closing NATS is no news
        auth = auth_from_args(ns)
        creds = Credentials.creds_file(data_dir_of(ns), "observer")
        if auth.is_empty and creds.is_file():
            auth = NatsAuth(creds=str(creds))
        return asyncio.run(ask(ns.nats, subject, request, kind, ns.timeout, auth))
    skipped = ProblemList()
    registry = Registry(packages_from(ns.config_file, ns.plugin_dir, skipped))
    if skipped and not registry.packages:
        skipped.raise_if_any()  # nothing to show: the problems are the answer
    ns.skipped = skipped.items  # shown after the answer (_print)
    if isinstance(request, ListRequest):
        reply: Any = registry.list(request)
    elif isinstance(request, GetRequest):
        reply = registry.get(request)
    else:
        assert isinstance(request, SearchRequest)
        reply = registry.search(request)
    assert isinstance(reply, kind)
    return reply


def _run(
    ns: argparse.Namespace, subject: str, request: msgspec.Struct, kind: type[ReplyT]
) -> ReplyT | None:
    try:
        return _answer(ns, subject, request, kind)
    except (ConfigError, SourceError) as exc:
        print(f"hookwire plugins {ns.plugins_command}: {exc}", file=sys.stderr)
        return None


def _print(
    ns: argparse.Namespace, reply: ListReply | GetReply | SearchReply, lines: list[str]
) -> int:
    if ns.json:
        print(msgspec.json.format(_encode(reply), indent=2).decode())
    if reply.error is not None:
        if not ns.json:
            print(f"hookwire plugins {ns.plugins_command}: {reply.error.message}", file=sys.stderr)
        return 1
    if not ns.json:
        print("\n".join(lines))
    skipped = getattr(ns, "skipped", [])
    if skipped:  # one bad manifest does not hide the others; it is shown, not skipped silently
        print(f"warning: {count(len(skipped), 'problem')} reading plugins:", file=sys.stderr)
        for problem in skipped:
            print(f"  {problem}", file=sys.stderr)
    return 1 if skipped and ns.plugins_command == "list" else 0


# -- the actions ----------------------------------------------------------------------------


def cmd_list(ns: argparse.Namespace) -> int:
    request = ListRequest(maturity=ns.maturity, capability=ns.capability, hook=ns.hook)
    reply = _run(ns, subjects.REGISTRY_LIST, request, ListReply)
    if reply is None:
        return 1
    return _print(ns, reply, render_list(reply) if reply.error is None else [])


def cmd_show(ns: argparse.Namespace) -> int:
    reply = _run(ns, subjects.REGISTRY_GET, GetRequest(name=ns.name), GetReply)
    if reply is None:
        return 1
    return _print(ns, reply, render_detail(reply.plugin) if reply.plugin else [])


def cmd_search(ns: argparse.Namespace) -> int:
    request = SearchRequest(query=ns.query, limit=ns.limit)
    reply = _run(ns, subjects.REGISTRY_SEARCH, request, SearchReply)
    if reply is None:
        return 1
    return _print(ns, reply, render_search(reply) if reply.error is None else [])


def cmd_schema(ns: argparse.Namespace) -> int:
    sys.stdout.write(schema_text())
    return 0


def _qa_venv_root(ns: argparse.Namespace) -> Path:
    """The venv folder, as for the workers of the config (``--plugin-dir``: of no config)."""
    config = load_config(ns.config_file) if ns.config_file and not ns.plugin_dir else None
    return folders(config, data_dir=given(ns, "data_dir"), venv_dir=given(ns, "venv_dir")).venvs


def cmd_qa(ns: argparse.Namespace) -> int:
    try:
        packages = packages_from(ns.config_file, ns.plugin_dir)
        root = _qa_venv_root(ns)
    except (ConfigError, SourceError) as exc:
        print(f"hookwire plugins qa: {exc}", file=sys.stderr)
        return 1
    package = packages.get(ns.name)
    if package is None:
        known = ", ".join(packages) or "none"
        print(f"hookwire plugins qa: no plugin named {ns.name!r} (known: {known})", file=sys.stderr)
        return 1

    configure_logging(level="warning")  # the progress lines say what happens; stdout is the result

    def progress(line: str) -> None:
        print(f"  {line}", file=sys.stderr, flush=True)

    print(f"qa {package.name} {package.manifest.version} ({package.path})", file=sys.stderr)
    run = QaRun(package, root, progress, ns.timeout)
    try:
        measured, path = asyncio.run(run.run())
    except QaError as exc:
        print(f"hookwire plugins {exc}", file=sys.stderr)
        return 1
    if ns.json:
        print(msgspec.json.format(msgspec.json.encode(measured), indent=2).decode())
    else:
        print("\n".join(render_measured(measured, str(path))))
    failed = measured.tests.failed + measured.tests.errors
    return 1 if failed else 0
