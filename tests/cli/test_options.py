"""The option layer: every option of every command can come from its HOOKWIRE_* variable."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hookwire.router.cli import build_parser, main
from hookwire.router.cli._options import Parser

CLI = Path(__file__).resolve().parents[2] / "router" / "src" / "hookwire" / "router" / "cli"
SAMPLES = ("7", "nats://127.0.0.1:5", '{"k": 1}', "2026-11-30T18:00Z", "value-x")


def commands(parser: argparse.ArgumentParser) -> Iterator[Parser]:
    """Every leaf command's parser (``hookwire plugins list``, ``hookwire send`` ...)."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        assert isinstance(parser, Parser)
        yield parser
    for action in subs:
        for child in action.choices.values():
            yield from commands(child)


def sample(action: argparse.Action) -> tuple[str, Any]:
    """A variable value for ``action`` that is not its default, and the value it gives."""
    if action.nargs == 0:
        if isinstance(action, argparse.BooleanOptionalAction):
            return ("0", False) if action.default else ("1", True)
        return "1", action.const
    if isinstance(action, argparse._AppendAction):
        return f"a{os.pathsep}b", ["a", "b"]
    if action.choices is not None:
        choice = next(c for c in reversed(list(action.choices)) if c != action.default)
        return str(choice), choice
    convert = action.type if callable(action.type) else str
    for text in SAMPLES:
        try:
            return text, convert(text)
        except (ValueError, TypeError, argparse.ArgumentTypeError):
            continue
    raise AssertionError(f"no sample for {action}")


def argv_for(parser: Parser, skip: argparse.Action) -> list[str]:
    """The shortest command line that parses, leaving ``skip`` to its variable."""
    argv = list(parser.command)
    for action in parser._actions:
        if action is skip or not action.required:
            continue
        argv += [action.option_strings[0], sample(action)[0]] if action.option_strings else ["x"]
    return argv


def every_option() -> list[tuple[str, str, str]]:
    found = []
    for parser in commands(build_parser()):
        for action, var in parser.env_actions():
            found.append((" ".join(parser.command), action.dest, var))
    return found


def test_every_option_of_every_command_has_a_variable() -> None:
    """Only help, sub-commands and the positionals naming what a command acts on have none."""
    missing = []
    total = 0
    for parser in commands(build_parser()):
        with_var = {id(a) for a, _ in parser.env_actions()}
        dests = {a.dest for a, _ in parser.env_actions()}
        for action in parser._actions:
            if not action.option_strings or isinstance(action, argparse._HelpAction):
                continue
            total += 1
            if id(action) not in with_var and action.dest not in dests:
                missing.append(f"{' '.join(parser.command)} {action.option_strings[0]}")
    assert missing == []
    assert total > 100  # the walk reached every command


@pytest.mark.parametrize(("command", "dest", "var"), every_option())
def test_the_variable_sets_the_option(
    command: str, dest: str, var: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    parser = next(p for p in commands(build_parser()) if " ".join(p.command) == command)
    action = next(a for a, v in parser.env_actions() if v == var)
    text, expected = sample(action)
    monkeypatch.setenv(var, text)
    ns = build_parser().parse_args(argv_for(parser, action))
    assert getattr(ns, dest) == expected
    assert dest in ns.from_env


def test_help_names_each_variable(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["send", "--help"])
    out = capsys.readouterr().out
    assert "HOOKWIRE_SEND_TIMEOUT" in out and "HOOKWIRE_NATS_URL" in out


def test_the_command_line_wins_over_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOKWIRE_SEND_TIMEOUT", "3")
    ns = build_parser().parse_args(["send", "--timeout", "4", "h", "{}"])
    assert ns.timeout == 4.0
    assert "timeout" not in ns.from_env


def test_a_bad_variable_is_a_usage_error_naming_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HOOKWIRE_SEND_TIMEOUT", "soon")
    with pytest.raises(SystemExit) as exit_:
        main(["send", "h", "{}"])
    assert exit_.value.code == 2
    assert "HOOKWIRE_SEND_TIMEOUT='soon'" in capsys.readouterr().err


def test_a_bad_flag_variable_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HOOKWIRE_FOLLOW", "perhaps")
    with pytest.raises(SystemExit):
        main(["router", "--config", "x.yaml"])
    assert "HOOKWIRE_FOLLOW='perhaps'" in capsys.readouterr().err


def test_the_cli_reads_no_variable_itself() -> None:
    """Variables are read by the option layer only (and the folders and logging setup)."""
    readers = [
        f.name
        for f in CLI.glob("*.py")
        if f.name != "_options.py" and ("os.environ" in f.read_text() or "getenv" in f.read_text())
    ]
    assert readers == []


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith("hookwire 0.1.0 (router 0.1.0")


@pytest.mark.parametrize("argv", [[], ["plugins"], ["venvs"], ["config"]])
def test_a_bare_command_group_prints_its_help(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: hookwire") and ("COMMAND" in out or "ACTION" in out)
