"""YAML loading that remembers the line of every key and item."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hookwire.router.errors import ConfigError, Problem, YamlPath


@dataclass(slots=True)
class YamlDoc:
    """A parsed YAML file, with the line (1-based) of each node by its path."""

    file: str
    data: Any
    lines: dict[YamlPath, int] = field(default_factory=dict)

    def line(self, path: YamlPath) -> int | None:
        """Line of the deepest node on ``path`` that exists in the file."""
        for end in range(len(path), -1, -1):
            found = self.lines.get(tuple(path[:end]))
            if found is not None:
                return found
        return None

    def problem(self, path: YamlPath, message: str, fix: str = "") -> Problem:
        return Problem(self.file, tuple(path), message, fix, self.line(path))


def _record(node: yaml.Node, path: YamlPath, lines: dict[YamlPath, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else str(key.value)
            lines[(*path, name)] = key.start_mark.line + 1
            _record(value, (*path, name), lines)
            lines[(*path, name)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _record(item, (*path, i), lines)


#: libyaml's parser when PyYAML was built with it (much faster on large configs)
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str, file: str) -> YamlDoc:
    """Parse ``text``; a syntax error becomes a ConfigError naming file and line."""
    loader = _Loader(text)
    try:  # one pass: the node tree (for lines), then the data built from it
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(
            [Problem(file, (), f"not valid YAML: {reason}", "correct the YAML syntax", line)]
        ) from None
    finally:
        loader.dispose()
    lines: dict[YamlPath, int] = {}
    if node is not None:
        _record(node, (), lines)
    return YamlDoc(file, data, lines)


def load_yaml(path: str | Path, render: Callable[[str, str], str] | None = None) -> YamlDoc:
    """Read and parse a YAML file; a missing file is a ConfigError too.

    ``render(text, file)`` rewrites the text before parsing (env templating)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ConfigError([Problem(str(p), (), f"cannot read file: {reason}")]) from None
    if render is not None:
        text = render(text, str(p))
    return parse_yaml(text, str(p))
