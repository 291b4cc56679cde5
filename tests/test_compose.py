"""Static checks of the Docker deployment, no Docker needed.

docker-compose.yml, Dockerfile, .dockerignore and deploy/hookwire.yaml are checked against
the real ``hookwire`` argument parser and config loader: every hookwire service's command
parses, names paths the image holds, and together the services run the router and a
worker for every plugin the router's config calls.

Container paths under /app (the image's WORKDIR, a copy of the repo root) are mapped to
the repo by dropping the /app/ prefix.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import shlex
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import pytest
import yaml

from hookwire.router import ConfigError, load_config
from hookwire.router.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
APP = PurePosixPath("/app")

#: Subcommands that keep running, so they can be a compose service's command.
SERVICE_COMMANDS = {"router", "worker", "up"}
#: The workspace files `uv sync` needs in the image: the root's and each member's.
MEMBERS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["uv"]["workspace"]["members"]
WORKSPACE_FILES = ["pyproject.toml", "uv.lock"] + [
    f"{member}/{part}" for member in MEMBERS for part in ("pyproject.toml", "src")
]


def _fail_if(problems: list[str], what: str) -> None:
    if problems:
        pytest.fail(f"{what}:\n  " + "\n  ".join(problems), pytrace=False)


# --- docker-compose.yml -------------------------------------------------------------------


@cache
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(data, dict), f"{COMPOSE_FILE.name}: expected a mapping at the top"
    return data


def services() -> dict[str, dict[str, Any]]:
    found = compose().get("services")
    assert isinstance(found, dict) and found, f"{COMPOSE_FILE.name}: no `services`"
    return found


def built_services() -> list[str]:
    return [name for name, svc in services().items() if "build" in svc]


def hookwire_image() -> str | None:
    """The image name the one `build:` service tags, which the other services reuse."""
    built = built_services()
    return services()[built[0]].get("image") if len(built) == 1 else None


def hookwire_services() -> list[str]:
    """Services running the image the Dockerfile builds."""
    image = hookwire_image()
    return [
        name
        for name, svc in services().items()
        if "build" in svc or (image is not None and svc.get("image") == image)
    ]


def service_env(name: str) -> dict[str, str]:
    """The variables a service's container starts with: the image's ENV, then the service's."""
    env = dict(dockerfile().env)
    raw = services()[name].get("environment") or {}
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) for item in raw if "=" in item)
    env.update({str(k): "" if v is None else str(v) for k, v in raw.items()})
    return env


def volume_targets(name: str) -> list[PurePosixPath]:
    targets = []
    for vol in services()[name].get("volumes") or []:
        if isinstance(vol, dict):
            targets.append(PurePosixPath(vol["target"]))
        else:  # SOURCE:TARGET[:MODE], or just TARGET (an anonymous volume)
            parts = str(vol).split(":")
            targets.append(PurePosixPath(parts[1] if len(parts) > 1 else parts[0]))
    return targets


def depends_on(svc: Mapping[str, Any]) -> list[str]:
    deps = svc.get("depends_on") or []
    return list(deps)  # a list of names, or a mapping name -> {condition: ...}


def split_command(value: Any) -> list[str]:
    if value is None:
        return []
    return shlex.split(value) if isinstance(value, str) else [str(v) for v in value]


@dataclass(frozen=True)
class Invocation:
    service: str
    argv: list[str]  # entrypoint + command, as the container runs it
    ns: argparse.Namespace | None  # None: the argv does not parse
    error: str


@contextlib.contextmanager
def _environ(env: Mapping[str, str]) -> Iterator[None]:
    """Only ``env``'s HOOKWIRE_* variables, none of this machine's (the parser reads them)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HOOKWIRE_")}
    with mock.patch.dict(os.environ, {**clean, **env}, clear=True):
        yield


@cache
def invocation(name: str) -> Invocation:
    svc = services()[name]
    entrypoint = (
        split_command(svc["entrypoint"]) if "entrypoint" in svc else dockerfile().entrypoint
    )
    argv = entrypoint + split_command(svc.get("command"))
    if not argv or PurePosixPath(argv[0]).name != "hookwire":
        return Invocation(name, argv, None, f"does not run hookwire: {argv}")
    stderr = io.StringIO()
    with _environ(service_env(name)), contextlib.redirect_stderr(stderr):
        try:
            ns = build_parser().parse_args(argv[1:])
        except SystemExit:
            return Invocation(name, argv, None, stderr.getvalue().strip())
    return Invocation(name, argv, ns, "")


def parsed(strict: bool = True) -> list[Invocation]:
    """Every hookwire service's parsed command; fails listing the ones that do not parse
    (or, not ``strict``, leaves them out)."""
    calls = [invocation(name) for name in hookwire_services()]
    if strict:
        bad = [f"{c.service}: {c.argv}: {c.error}" for c in calls if c.ns is None]
        _fail_if(bad, "service commands hookwire rejects")
    return [c for c in calls if c.ns is not None]


def to_repo(container_path: str) -> Path | None:
    """The repo path a container path under /app is a copy of (None: not under /app)."""
    path = PurePosixPath(container_path)
    if not path.is_absolute() or not path.is_relative_to(APP):
        return None
    return ROOT.joinpath(*path.relative_to(APP).parts)


def path_options(call: Invocation) -> dict[str, str]:
    """The file and folder options a command was given (on its command line or by env)."""
    assert call.ns is not None
    found = {
        "--config": getattr(call.ns, "config", None),
        "--plugin": getattr(call.ns, "plugin_dir", None),
    }
    return {option: value for option, value in found.items() if value}


@cache
def configs() -> dict[str, Any]:
    """Each config file a service names, loaded from the repo: service -> Config."""
    loaded = {}
    for call in parsed():
        value = path_options(call).get("--config")
        repo = to_repo(value) if value else None
        if repo is not None and repo.is_file():
            try:
                loaded[call.service] = load_config(repo)
            except ConfigError as exc:
                raise AssertionError(f"{call.service}: {value} does not load:\n{exc}") from None
    return loaded


def workers() -> dict[str, Path]:
    """Worker services and the repo copy of the plugin folder each serves."""
    found = {}
    for call in parsed():
        value = path_options(call).get("--plugin")
        repo = to_repo(value) if value else None
        if call.ns is not None and call.ns.command == "worker" and repo is not None:
            found[call.service] = repo
    return found


def manifest_name(plugin_dir: Path) -> str | None:
    manifest = plugin_dir / "plugin-manifest.yaml"
    if not manifest.is_file():
        return None
    data = yaml.safe_load(manifest.read_text())
    return str(data.get("name")) if isinstance(data, dict) else None


def nats_service_names() -> set[str]:
    """The compose services the hookwire services' NATS URLs point at."""
    return {
        urlsplit(call.ns.nats).hostname or ""
        for call in parsed(strict=False)
        if call.ns is not None and getattr(call.ns, "nats", None)
    }


# --- Dockerfile and .dockerignore ---------------------------------------------------------


@dataclass
class Dockerfile:
    """The final stage of the Dockerfile, as far as these checks need it."""

    copies: list[tuple[list[str], PurePosixPath, bool]]  # (sources, destination, is a folder)
    runs: list[str]
    env: dict[str, str]
    entrypoint: list[str]
    user: str


def _instructions(text: str) -> Iterator[tuple[str, str]]:
    logical = ""
    for line in text.splitlines():
        if not logical and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.lstrip().startswith("#"):  # a comment inside a continued instruction
            continue
        if line.rstrip().endswith("\\"):
            logical += line.rstrip()[:-1] + " "
            continue
        logical += line
        keyword, _, args = logical.strip().partition(" ")
        yield keyword.upper(), args.strip()
        logical = ""


def _exec_or_shell(args: str) -> list[str]:
    if args.startswith("["):
        return [str(a) for a in json.loads(args)]
    return ["/bin/sh", "-c", args]


@cache
def dockerfile() -> Dockerfile:
    stage = Dockerfile([], [], {}, [], "root")
    workdir = PurePosixPath("/")
    for keyword, args in _instructions(DOCKERFILE.read_text()):
        if keyword == "FROM":  # only the final stage is the image
            stage, workdir = Dockerfile([], [], {}, [], "root"), PurePosixPath("/")
        elif keyword == "WORKDIR":
            workdir = workdir / args
        elif keyword in ("COPY", "ADD"):
            words = json.loads(args) if args.startswith("[") else shlex.split(args)
            flags = [w for w in words if w.startswith("--")]
            paths = [w for w in words if not w.startswith("--")]
            if any(f.startswith("--from") for f in flags) or len(paths) < 2:
                continue
            into_dir = paths[-1].endswith("/") or paths[-1] in (".", "..") or len(paths) > 2
            stage.copies.append((paths[:-1], workdir / paths[-1], into_dir))
        elif keyword == "RUN":
            stage.runs.append(args)
        elif keyword == "ENV":
            stage.env.update(w.split("=", 1) for w in shlex.split(args) if "=" in w)
        elif keyword == "ENTRYPOINT":
            stage.entrypoint = _exec_or_shell(args)
        elif keyword == "USER":
            stage.user = args
    return stage


def copied_to(repo_rel: PurePosixPath) -> list[PurePosixPath]:
    """Where the Dockerfile's COPY lines put the repo path ``repo_rel`` in the image."""
    places = []
    for sources, dest, into_dir in dockerfile().copies:
        for pattern in sources:
            pattern = os.path.normpath(pattern.lstrip("/"))
            for src in [ROOT] if pattern == "." else ROOT.glob(pattern):
                src_rel = PurePosixPath(src.relative_to(ROOT).as_posix())
                if src.is_dir() and repo_rel.is_relative_to(src_rel):
                    places.append(dest / repo_rel.relative_to(src_rel))  # a folder's contents
                elif src_rel == repo_rel:
                    places.append(dest / src.name if into_dir else dest)
    return places


def _dockerignore_regex(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern (Go filepath.Match plus ``**``) as a regex."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + r"\Z")


def dockerignored(repo_rel: PurePosixPath) -> str | None:
    """The .dockerignore pattern that keeps ``repo_rel`` out of the build context, if any."""
    if not DOCKERIGNORE.exists():
        return None
    candidates = [str(repo_rel), *(str(p) for p in repo_rel.parents if str(p) != ".")]
    excluded_by = None
    for line in DOCKERIGNORE.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = os.path.normpath(line.lstrip("!").strip().lstrip("/"))
        regex = _dockerignore_regex(pattern)
        if any(regex.match(c) for c in candidates):
            excluded_by = None if negated else line
    return excluded_by


def needed_in_image() -> dict[PurePosixPath, str]:
    """Repo paths the services need in the image at /app/<path>, and who needs each."""
    needed = {PurePosixPath(f): "uv sync" for f in WORKSPACE_FILES}
    for call in parsed():
        for option, value in path_options(call).items():
            repo = to_repo(value)
            if repo is not None and repo.exists():
                needed[PurePosixPath(repo.relative_to(ROOT).as_posix())] = (
                    f"{call.service} {option}"
                )
    for service, config in configs().items():
        for plugin in config.plugins.values():
            if plugin.path is None or not plugin.path.resolve().is_relative_to(ROOT):
                continue
            folder = PurePosixPath(plugin.path.resolve().relative_to(ROOT).as_posix())
            needed[folder] = f"{service}'s config (plugin {plugin.name})"
            needed[folder / "plugin-manifest.yaml"] = f"plugin {plugin.name}"
            if plugin.manifest is not None:
                module = plugin.manifest.entry.partition(":")[0].replace(".", "/")
                for candidate in (f"{module}.py", f"{module}/__init__.py"):
                    if (plugin.path / candidate).exists():
                        needed[folder / candidate] = f"plugin {plugin.name}'s entry"
    return needed


# --- the compose file and the image -------------------------------------------------------


def test_the_image_is_built_once_and_reused() -> None:
    built = built_services()
    assert len(built) == 1, f"exactly one service should have `build:` (the image), got {built}"
    svc = services()[built[0]]
    build = svc["build"]
    context = build if isinstance(build, str) else build.get("context", ".")
    dockerfile_name = (
        "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
    )
    assert (ROOT / context).resolve() == ROOT, (
        f"{built[0]}: build context {context!r} is not the repo root"
    )
    assert (ROOT / context / dockerfile_name).resolve() == DOCKERFILE, (
        f"{built[0]}: builds {dockerfile_name}"
    )
    assert svc.get("image"), f"{built[0]}: give the built image a name (`image:`) to reuse it"
    others = [
        f"{name}: image {s.get('image')!r}, not {svc['image']!r}"
        for name, s in services().items()
        if "hookwire" in str(s.get("image", "")) and s.get("image") != svc["image"]
    ]
    _fail_if(others, "services should reuse the one built image")


def test_services_run_router_and_workers() -> None:
    commands = {c.service: c.ns.command for c in parsed() if c.ns is not None}
    assert "router" in commands.values(), f"no service runs `hookwire router`: {commands}"
    assert "worker" in commands.values(), f"no service runs `hookwire worker`: {commands}"


def test_commands_parse_with_the_real_cli() -> None:
    problems = []
    for name in hookwire_services():
        call = invocation(name)
        if call.ns is None:
            problems.append(f"{name}: {call.argv}: {call.error}")
    _fail_if(problems, "`hookwire` rejects these service commands")


def test_subcommands_are_real_service_commands() -> None:
    parser = build_parser()
    (sub,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    problems = []
    for call in parsed():
        command = call.ns.command if call.ns is not None else None
        if command not in sub.choices:
            problems.append(f"{call.service}: {command!r} is not a hookwire command")
        elif command not in SERVICE_COMMANDS:
            problems.append(
                f"{call.service}: `hookwire {command}` exits; a service runs one of "
                f"{sorted(SERVICE_COMMANDS)}"
            )
    _fail_if(problems, "not long-running hookwire commands")


def test_path_options_name_paths_of_the_repo() -> None:
    problems = []
    for call in parsed():
        assert call.ns is not None
        options = path_options(call)
        if call.ns.command == "worker" and "--plugin" not in options:
            problems.append(f"{call.service}: `hookwire worker` without --plugin")
        for option, value in options.items():
            repo = to_repo(value)
            if repo is None:
                problems.append(f"{call.service}: {option} {value}: not a path under {APP}")
            elif not repo.exists():
                problems.append(f"{call.service}: {option} {value}: no {repo.relative_to(ROOT)}")
    _fail_if(problems, "path options that name no path of the image")


def test_router_configs_load() -> None:
    problems = []
    routers = [c for c in parsed() if c.ns is not None and c.ns.command in ("router", "up")]
    assert routers, "no router service"
    for call in routers:
        repo = to_repo(path_options(call).get("--config", ""))
        if repo is None or not repo.is_file():
            problems.append(
                f"{call.service}: config {path_options(call).get('--config')} not found"
            )
            continue
        try:
            load_config(repo)
        except ConfigError as exc:
            problems.append(f"{call.service}: {repo.relative_to(ROOT)}:\n{exc}")
    _fail_if(problems, "configs that do not load")


def test_worker_plugins_are_configured() -> None:
    configured = {name for config in configs().values() for name in config.plugins}
    assert configured, "no router config names any plugin"
    problems = []
    for service, folder in workers().items():
        name = manifest_name(folder)
        if name is None:
            problems.append(f"{service}: {folder.relative_to(ROOT)} has no plugin-manifest.yaml")
        elif name not in configured:
            problems.append(
                f"{service}: serves {name!r}, which no config names {sorted(configured)}"
            )
    _fail_if(problems, "workers for plugins the router never calls")


def test_every_enabled_plugin_has_a_worker() -> None:
    served = {manifest_name(folder): service for service, folder in workers().items()}
    problems = [
        f"{service}'s config enables {plugin.name!r} but no worker service serves it"
        for service, config in configs().items()
        for plugin in config.plugins.values()
        if plugin.enabled and plugin.name not in served
    ]
    _fail_if(problems, "plugins without workers (the router's calls would time out)")


def test_plugin_files_go_to_a_volume() -> None:
    """A plugin's `path` setting (the audit file) must land on a volume of its worker."""
    by_plugin = {manifest_name(folder): service for service, folder in workers().items()}
    problems = []
    for config in configs().values():
        for plugin in config.plugins.values():
            service = by_plugin.get(plugin.name)
            if service is None or "path" not in plugin.config:
                continue
            path = PurePosixPath(str(plugin.config["path"]))
            if not path.is_absolute():  # the plugins resolve it against $HOOKWIRE_DATA_DIR
                path = PurePosixPath(service_env(service).get("HOOKWIRE_DATA_DIR", "/app")) / path
            if not any(path.is_relative_to(target) for target in volume_targets(service)):
                problems.append(
                    f"{service}: {plugin.name} writes {path}, on no volume "
                    f"(volumes at {[str(t) for t in volume_targets(service)]})"
                )
    _fail_if(problems, "files written inside the container, lost with it")


def test_depends_on_names_existing_services() -> None:
    problems = [
        f"{name}: depends on {dep!r}, which is not a service"
        for name, svc in services().items()
        for dep in depends_on(svc)
        if dep not in services()
    ]
    _fail_if(problems, "depends_on")


def test_hookwire_services_use_and_wait_for_the_nats_service() -> None:
    problems = []
    for call in parsed():
        url = getattr(call.ns, "nats", None)
        if url is None:
            continue  # a command that does not use NATS (see the subcommand test)
        host = urlsplit(url).hostname
        if host not in services():
            problems.append(f"{call.service}: NATS URL {url} names no service")
        elif host not in depends_on(services()[call.service]):
            problems.append(f"{call.service}: uses NATS at {host!r} but does not depend on it")
    _fail_if(problems, "NATS connections")


def test_nats_enables_jetstream() -> None:
    names = nats_service_names() & services().keys() or {"nats"}
    problems = []
    for name in sorted(names):
        command = split_command(services().get(name, {}).get("command"))
        if not {"-js", "--js", "--jetstream"} & set(command):
            problems.append(f"{name}: command {command} does not enable JetStream (-js)")
    _fail_if(problems, "NATS without JetStream")


def test_jetstream_store_is_on_a_volume() -> None:
    names = nats_service_names() & services().keys() or {"nats"}
    problems = []
    for name in sorted(names):
        command = split_command(services().get(name, {}).get("command"))
        flags = [i for i, word in enumerate(command) if word in ("-sd", "--sd", "--store_dir")]
        if not flags or flags[-1] + 1 >= len(command):
            problems.append(f"{name}: no JetStream store folder (-sd DIR) in {command}")
            continue
        store = PurePosixPath(command[flags[-1] + 1])
        if not any(store.is_relative_to(t) for t in volume_targets(name)):
            problems.append(f"{name}: JetStream store {store} is on no volume")
    _fail_if(problems, "JetStream data lost with the container")


# --- the Dockerfile -----------------------------------------------------------------------


def test_dockerfile_copies_what_the_services_need() -> None:
    problems = []
    for repo_rel, needed_by in sorted(needed_in_image().items()):
        want = APP / repo_rel
        if want not in copied_to(repo_rel):
            problems.append(f"{want} (for {needed_by}): no COPY puts {repo_rel} there")
    _fail_if(problems, "missing from the image")


def test_dockerignore_keeps_what_the_services_need() -> None:
    problems = []
    for repo_rel, needed_by in sorted(needed_in_image().items()):
        pattern = dockerignored(repo_rel)
        if pattern is not None:
            problems.append(f"{repo_rel} (for {needed_by}) is excluded by {pattern!r}")
    _fail_if(problems, ".dockerignore drops needed files")


def uv_syncs() -> list[list[str]]:
    syncs = []
    for run in dockerfile().runs:
        for part in re.split(r"&&|;|\|\|", run):
            words = shlex.split(part)
            for i, word in enumerate(words[:-1]):
                if PurePosixPath(word).name == "uv" and words[i + 1] == "sync":
                    syncs.append(words[i:])
    assert syncs, "the Dockerfile never runs `uv sync`"
    return syncs


def test_uv_sync_is_locked() -> None:
    problems = [" ".join(s) for s in uv_syncs() if "--locked" not in s]
    _fail_if(problems, "`uv sync` without --locked (uv.lock could drift from the image)")


def test_uv_sync_installs_every_workspace_package() -> None:
    last = uv_syncs()[-1]
    # The root project is not a package: without --all-packages nothing of hookwire is installed.
    missing = [flag for flag in ("--all-packages", "--no-dev") if flag not in last]
    skipped = [flag for flag in ("--no-install-workspace", "--no-install-project") if flag in last]
    assert not missing and not skipped, (
        f"last `uv sync` ({' '.join(last)}): needs {missing}, must not have {skipped}"
    )


def test_entrypoint_is_hookwire_from_the_venv() -> None:
    entrypoint = dockerfile().entrypoint
    assert entrypoint == [str(APP / ".venv/bin/hookwire")], (
        f"ENTRYPOINT {entrypoint}: the services' commands are hookwire arguments, so the "
        f"entrypoint must be {APP}/.venv/bin/hookwire (exec form)"
    )


def test_image_runs_as_non_root() -> None:
    user = dockerfile().user.split(":")[0]
    assert user not in ("", "root", "0"), f"USER {dockerfile().user!r}: run as an unprivileged user"
