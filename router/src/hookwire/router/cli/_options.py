"""The option layer of the ``hookwire`` command: every option has a ``HOOKWIRE_*`` variable.

Every parser of the command is a :class:`Parser`. At parse time it walks its own options
and, for each one not given on the command line, reads its variable: the shared options
(:data:`SHARED`) read one variable whatever the command (``HOOKWIRE_NATS_URL``), the
others ``HOOKWIRE_<COMMAND>_<OPTION>`` (``hookwire send --timeout``: ``HOOKWIRE_SEND_TIMEOUT``).
A value from a variable goes through the option's own type and choices, and a bad one is
a usage error naming the variable. Nothing registers a variable by hand, so no option
can be added without one; ``--help`` shows each option's variable.

Option groups that several commands share live here too: the NATS connection
(:func:`add_nats_options`), logging (:func:`add_logging_options`), the data and venv
folders (:func:`add_folder_options`), and ``--follow``.
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Sequence
from typing import Any, NoReturn
from urllib.parse import urlsplit

from hookwire.service import AUTH_FIELDS, add_auth_arguments

PREFIX = "HOOKWIRE_"
#: Seconds a service waits for NATS at start (``--nats-wait``).
NATS_WAIT = 30.0

#: Options that mean the same in every command read one variable (by ``dest``).
SHARED = {
    "config": "CONFIG",
    "config_file": "CONFIG",
    "nats": "NATS_URL",
    "data_dir": "DATA_DIR",
    "venv_dir": "VENV_DIR",
    "log_json": "LOG_JSON",
    "log_level": "LOG_LEVEL",
    "follow": "FOLLOW",
    "plugin_dir": "PLUGIN_DIR",
    # the admin service's, whether hookwire admin, up or demo runs it
    "admin_listen": "ADMIN_LISTEN",
    "admin_token": "ADMIN_TOKEN",
    "admin_read_token": "ADMIN_READ_TOKEN",
    "insecure": "INSECURE",  # up and demo: an open embedded nats-server
    # credentials and TLS (hookwire.service.add_auth_arguments): HOOKWIRE_NATS_<FIELD>
    **{f"nats_{field}": f"NATS_{field.upper()}" for field in AUTH_FIELDS},
}

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")
#: Exit code of a usage error (argparse's).
EXIT_USAGE = 2


def env_var(command: Sequence[str], action: argparse.Action) -> str | None:
    """The variable of ``action`` in ``command`` (``["plugins", "list"]``), or None:
    named for the option's long form (``replay --config``: ``HOOKWIRE_REPLAY_CONFIG``).

    Help, version and sub-command actions have none; of the positionals only CONFIG has
    one (the others say what the command acts on: a hook, a plugin name, a revision).
    """
    if isinstance(action, argparse._HelpAction | argparse._VersionAction):
        return None
    if isinstance(action, argparse._SubParsersAction):
        return None
    if action.dest in SHARED:
        return PREFIX + SHARED[action.dest]
    if not action.option_strings:
        return None
    longs = [o for o in action.option_strings if o.startswith("--")]
    name = longs[0].removeprefix("--") if longs else action.dest  # --config: CONFIG
    return PREFIX + "_".join([*command, name]).upper().replace("-", "_")


def _bool(text: str) -> bool | None:
    word = text.strip().lower()
    return True if word in _TRUE else False if word in _FALSE else None


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose every option falls back to its ``HOOKWIRE_*`` variable."""

    @property
    def command(self) -> list[str]:
        """The sub-command words of this parser: ``["plugins", "list"]``."""
        return self.prog.split()[1:]

    def env_actions(self) -> list[tuple[argparse.Action, str]]:
        """Each action of this parser that reads a variable, with the variable.

        Actions sharing a ``dest`` (``--log-json``/``--log-pretty``) read it once, on the
        first (the one whose default argparse uses).
        """
        found: list[tuple[argparse.Action, str]] = []
        seen: set[str] = set()
        for action in self._actions:
            var = env_var(self.command, action)
            if var is None or action.dest in seen:
                continue
            seen.add(action.dest)
            found.append((action, var))
            shown = f"[env {var}]"
            if action.help is not argparse.SUPPRESS and shown not in (action.help or ""):
                action.help = f"{action.help} {shown}" if action.help else shown
        return found

    def format_help(self) -> str:
        self.env_actions()  # shows the variables
        return super().format_help()

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        saved: list[tuple[argparse.Action, Any, bool]] = []
        from_env: dict[str, Any] = {}
        for action, var in self.env_actions():
            text = os.environ.get(var, "")
            if text == "":
                continue
            saved.append((action, action.default, action.required))
            action.default = from_env[action.dest] = self._env_value(action, var, text)
            action.required = False
        try:
            ns, rest = super().parse_known_args(args, namespace)
        finally:
            for action, default, required in saved:
                action.default, action.required = default, required
        # still the very object taken from the variable: not given on the command line
        mine = {dest for dest, value in from_env.items() if getattr(ns, dest, None) is value}
        # sub-command parsers run first and write their set into ns: keep theirs too
        ns.from_env = frozenset(getattr(ns, "from_env", frozenset()) | mine)
        return ns, rest

    def _env_value(self, action: argparse.Action, var: str, text: str) -> Any:
        """``text`` of ``var`` as the option would take it on the command line."""
        if action.nargs == 0:  # a flag: store_true/false/const, --x/--no-x
            value = _bool(text)
            if value is None:
                self._env_error(var, text, "expected 1/0, true/false, yes/no or on/off")
            if isinstance(action, argparse.BooleanOptionalAction):
                return value
            if isinstance(action.const, bool):  # --log-json: 0 means --log-pretty
                return action.const if value else not action.const
            return action.const if value else action.default
        if isinstance(action, argparse._AppendAction):  # a list: os.pathsep apart, as PATH
            return [self._one(action, var, part) for part in text.split(os.pathsep) if part]
        return self._one(action, var, text)

    def _one(self, action: argparse.Action, var: str, text: str) -> Any:
        try:
            value = self._get_value(action, text)
        except argparse.ArgumentError as exc:
            self._env_error(var, text, exc.message)
        if action.choices is not None and value not in action.choices:
            choices = ", ".join(map(str, action.choices))
            self._env_error(var, text, f"choose from {choices}")
        return value

    def _env_error(self, var: str, text: str, why: str) -> NoReturn:
        self.error(f"{var}={text!r}: {why}")


def add_commands(p: argparse.ArgumentParser, dest: str, metavar: str = "ACTION") -> Any:
    """Sub-commands of ``p``; ``p`` run without one prints its help (exit 0)."""

    def show_help(ns: argparse.Namespace) -> int:
        p.print_help()
        return 0

    p.set_defaults(func=show_help)
    return p.add_subparsers(dest=dest, metavar=metavar)


# -- option groups shared by several commands -------------------------------------------------


def nats_url(text: str) -> str:
    """A NATS server URL (``nats://host:port``, ``tls://``, ``ws://``, ``wss://``), or an
    argparse error saying why ``text`` is not one."""
    value = text.strip()
    parts = urlsplit(value if "://" in value else f"nats://{value}")
    problem = None
    if parts.scheme not in ("nats", "tls", "ws", "wss"):
        problem = f"scheme {parts.scheme!r} is not nats, tls, ws or wss"
    elif not parts.hostname or any(c.isspace() for c in value):
        problem = "no host name"
    else:
        try:
            parts.port  # noqa: B018  (raises on a port that is not a number 0-65535)
        except ValueError:
            problem = "the port is not a number from 0 to 65535"
    if problem is not None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a NATS URL ({problem}); e.g. nats://127.0.0.1:4222"
        )
    return value


def add_nats_options(
    p: argparse.ArgumentParser,
    *,
    default: str | None,
    help_text: str = "NATS server URL",
    service: bool = False,
) -> argparse._ArgumentGroup:
    """The NATS connection options of every command that connects (one place to add
    credentials or TLS). ``default`` None: the command runs without NATS unless given.
    ``service``: a long-running command, which waits for NATS at start (``--nats-wait``)."""
    group = p.add_argument_group("NATS connection")
    shown = f" (default {default})" if default else ""
    group.add_argument(
        "--nats", metavar="URL", type=nats_url, default=default, help=help_text + shown
    )
    if service:
        group.add_argument(
            "--nats-wait",
            metavar="SECONDS",
            type=positive(float),
            default=NATS_WAIT,
            help=f"how long to wait for NATS at start, retrying (default {NATS_WAIT:g})",
        )
    add_auth_arguments(p)
    return group


def connect_attempts(wait: float) -> int:
    """``hookwire.service.connect``'s ``attempts`` for waiting ``wait`` seconds."""
    return max(1, math.ceil(wait / 0.5))


def add_logging_options(p: argparse.ArgumentParser) -> None:
    """``--log-json``/``--log-pretty`` and ``--log-level`` of the commands that run services."""
    group = p.add_argument_group("logs")
    fmt = group.add_mutually_exclusive_group()
    fmt.add_argument(
        "--log-json",
        dest="log_json",
        action="store_const",
        const=True,
        default=None,
        help="JSON log lines (default when stderr is not a terminal; 0 in the variable: "
        "--log-pretty)",
    )
    fmt.add_argument(
        "--log-pretty",
        dest="log_json",
        action="store_const",
        const=False,
        help="human-readable log lines (colour only on a terminal)",
    )
    group.add_argument(
        "--log-level",
        choices=("debug", "info", "warning", "error"),
        default=None,
        help="least severe level logged (default info)",
    )


def add_folder_options(p: argparse.ArgumentParser, *, data: bool = True) -> None:
    """``--data-dir`` and ``--venv-dir``: see :func:`hookwire.router.pools._folders.folders`."""
    if data:
        p.add_argument(
            "--data-dir",
            metavar="DIR",
            help="data folder (default: plugin_settings.data_dir, else .hookwire beside "
            "the config)",
        )
    p.add_argument(
        "--venv-dir",
        metavar="DIR",
        help="plugin venv folder (default: plugin_settings.venv_dir, else <data dir>/venvs)",
    )


def add_follow_option(p: argparse.ArgumentParser) -> None:
    """``--follow/--no-follow`` (default on): docs/live-config.md."""
    p.add_argument(
        "--follow",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="follow the live config (hookwire apply): its current revision, when there "
        "is one, replaces --config, which is the seed (default on)",
    )


def add_config_option(p: argparse.ArgumentParser, help_text: str = "config file (YAML)") -> None:
    """``--config FILE``, required unless ``$HOOKWIRE_CONFIG`` is set."""
    p.add_argument("--config", metavar="FILE", required=True, help=help_text)


def add_config_argument(p: argparse.ArgumentParser, help_text: str = "config file (YAML)") -> None:
    """A ``CONFIG`` positional that ``$HOOKWIRE_CONFIG`` may stand for."""
    p.add_argument("config", nargs="?", metavar="CONFIG", help=help_text)


def given(ns: argparse.Namespace, dest: str) -> Any:
    """The value of ``dest`` when it came from the command line, else None (a value from
    its variable is left to whoever reads the variable in its own order)."""
    return None if dest in getattr(ns, "from_env", ()) else getattr(ns, dest, None)


def positive(kind: type[float] | type[int]) -> Any:
    """An argparse type: a number above zero of ``kind``."""

    def parse(text: str) -> float | int:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be above 0, got {text}")
        return value

    parse.__name__ = f"positive {kind.__name__}"
    return parse
