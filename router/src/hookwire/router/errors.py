"""Every error of the router, each naming where and how to fix (all are HookwireErrors)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hookwire.schemas import HookwireError

YamlPath = tuple[str | int, ...]


def format_path(path: YamlPath) -> str:
    """``("routes", 3, "when")`` -> ``routes[3].when``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a file: where it is, what is wrong, what to write instead."""

    file: str
    path: YamlPath
    message: str
    fix: str = ""
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        text = f"{where}: {format_path(self.path)}: {self.message}"
        return f"{text} (fix: {self.fix})" if self.fix else text


class ConfigError(HookwireError):
    """A config or manifest that cannot be loaded; lists every problem found at once."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in config"
        super().__init__("\n".join([head, *(f"  {p}" for p in self.problems)]))


class ProblemList:
    """Collects problems while loading, so every one is reported, not only the first."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, problem: Problem) -> None:
        self.items.append(problem)

    def extend(self, problems: Iterable[Problem]) -> None:
        self.items.extend(problems)

    def raise_if_any(self) -> None:
        if self.items:
            raise ConfigError(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)


class WhenError(HookwireError):
    """A ``when`` expression that does not parse or uses a name that is not allowed."""

    def __init__(self, expression: str, message: str, column: int | None = None) -> None:
        self.expression = expression
        self.column = column
        self.message = message
        at = f" at column {column}" if column is not None else ""
        super().__init__(f"{message}{at} in {expression!r}")


class RuleError(HookwireError):
    """A rule's ``when`` raised at run time and the rule fails closed (``on_error: fail``).

    The event is blocked with code ``rule_error``; ``rule`` is the rule's index in
    ``routes``, ``label`` its ``routes[i] (display_name)``.
    """

    def __init__(
        self, rule: int, label: str, display_name: str | None, when: str, error: BaseException
    ) -> None:
        self.rule = rule
        self.label = label
        self.display_name = display_name
        self.when = when
        self.error = f"{type(error).__name__}: {error}"
        super().__init__(f"{label}: `when` {when!r} raised {self.error}")


class VenvError(HookwireError):
    """A plugin's virtual environment could not be made; ``output`` is uv's own error."""

    def __init__(self, plugin: str, message: str, output: str = "") -> None:
        self.plugin = plugin
        self.message = message
        self.output = output
        detail = f"\n{output.rstrip()}" if output.strip() else ""
        super().__init__(f"plugin {plugin!r}: {message}{detail}")


class StackError(HookwireError):
    """The deployment did not come up (a pool never became ready, say)."""


class SourceError(HookwireError):
    """No plugins to read, or the registry service did not answer."""


class LiveConfigError(HookwireError):
    """The live config store cannot be used (no JetStream, no such revision ...)."""


class EmbeddedNatsError(HookwireError):
    """The embedded nats-server could not be found or did not come up."""


class QaError(HookwireError):
    """QA could not measure the plugin (no tests, a broken venv, a crashed benchmark)."""

    def __init__(self, plugin: str, message: str, output: str = "") -> None:
        self.plugin, self.message, self.output = plugin, message, output
        tail = "\n".join(output.strip().splitlines()[-30:])
        super().__init__(f"qa {plugin}: {message}" + (f"\n{tail}" if tail else ""))


class JetStreamPublishError(HookwireError):
    """JetStream did not store a message (no stream, no JetStream, an API error)."""


class NoStreamError(JetStreamPublishError):
    """No stream takes the subject (or the server runs without JetStream)."""


class RecordFileError(HookwireError):
    """A records file (JSON Lines) that cannot be read: names the file and line."""

    def __init__(self, file: str, line: int, message: str) -> None:
        super().__init__(f"{file}:{line}: {message}")
        self.file, self.line = file, line


class ReplayError(HookwireError):
    """The records cannot be replayed (``keep: metadata`` or ``output`` records, say)."""


class SecurityError(HookwireError):
    """Credentials that cannot be made or read (``hookwire security``, the embedded roles)."""


class NoTarget(HookwireError):
    """A client command with no NATS server named and no running ``hookwire up`` found."""
