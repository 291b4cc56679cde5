"""The docs point at things that exist: links, anchors, cited sections and modules.

- every relative link in a Markdown file of the repo points at a file inside the repo,
  and a ``#anchor`` at a heading of that file;
- every ``docs/<file>.md#anchor`` cited by code, tests or scenarios exists (error
  messages send users there);
- every ``hookwire.*`` module named in docs/ can be found (the docs say where each
  behaviour lives);
- nothing points at the design docs outside the repo (users never see them).
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_SKIP_DIRS = {".git", ".venv", "node_modules", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
_SKIP_DIRS |= {".hypothesis", ".hookwire", "dist", "build"}
_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_CITATION = re.compile(r"docs/([\w./-]+?\.md)(#[\w-]+)?")
_MODULE = re.compile(r"`(hookwire\.(?:router|workers|schemas|client|service)(?:\.\w+)*)`")
_OUTSIDE = re.compile(r"\.\./shared|\bROUTING\.md|\bPIPELINE\.md|STYLE\.md")


def _files(*patterns: str) -> Iterator[Path]:
    for pattern in patterns:
        for path in sorted(ROOT.rglob(pattern)):
            rel = path.relative_to(ROOT)
            if not _SKIP_DIRS.intersection(rel.parts) and path.is_file():
                yield path


def markdown_files() -> list[Path]:
    return list(_files("*.md"))


def _prose_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, line) outside fenced code blocks, with inline code removed."""
    fenced = False
    for number, line in enumerate(text.splitlines(), 1):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield number, re.sub(r"`[^`]*`", "", line)


def slug(heading: str) -> str:
    """The anchor GitHub makes of a heading: ``"`when` expressions"`` -> ``when-expressions``."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text only
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


@cache
def anchors(path: Path) -> frozenset[str]:
    """Every ``#anchor`` the headings of a Markdown file produce (duplicates numbered)."""
    seen: dict[str, int] = {}
    out = set()
    fenced = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if _FENCE.match(line):
            fenced = not fenced
            continue
        match = None if fenced else _HEADING.match(line)
        if match is None:
            continue
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        out.add(base if count == 0 else f"{base}-{count}")
    return frozenset(out)


def broken_links(path: Path, root: Path = ROOT) -> list[str]:
    """Each relative link of ``path`` that points at nothing inside ``root``, explained."""
    problems = []
    for number, line in _prose_lines(path.read_text(encoding="utf-8")):
        for target in _LINK.findall(line):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ...
                continue
            where = f"{path.relative_to(root)}:{number}: {target}"
            file_part, _, anchor = target.partition("#")
            dest = (path.parent / file_part).resolve() if file_part else path
            if not dest.is_relative_to(root.resolve()):
                problems.append(f"{where}: points outside the repository")
            elif not dest.exists():
                problems.append(f"{where}: no such file")
            elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
                problems.append(f"{where}: no heading makes #{anchor} in {dest.name}")
    return problems


def broken_citations(path: Path, root: Path = ROOT) -> list[str]:
    """Each ``docs/<file>.md#anchor`` in ``path`` whose file or heading does not exist."""
    problems = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        for name, anchor in _CITATION.findall(line):
            dest = root / "docs" / name
            where = f"{path.relative_to(root)}:{number}: docs/{name}{anchor}"
            if not dest.is_file():
                problems.append(f"{where}: no such file")
            elif anchor and anchor[1:] not in anchors(dest):
                problems.append(f"{where}: no heading makes {anchor} in {dest.name}")
    return problems


def _findable(dotted: str) -> bool:
    """A module, or an attribute of one (``hookwire.client.connect``)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 1, -1):
        module = ".".join(parts[:cut])
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if found:
            obj: object = importlib.import_module(module)
            for attr in parts[cut:]:
                if not hasattr(obj, attr):
                    return False
                obj = getattr(obj, attr)
            return True
    return False


# -- the checks work ------------------------------------------------------------------


def test_slug_follows_github() -> None:
    assert slug("`when` expressions") == "when-expressions"
    assert slug("`hookwire explain`") == "hookwire-explain"
    assert slug("State from a pre hook to its post") == "state-from-a-pre-hook-to-its-post"
    assert slug("Specificity and the two strategies") == "specificity-and-the-two-strategies"


def test_a_broken_link_and_a_missing_anchor_are_found(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "real.md").write_text("# Real\n\n## A section\n")
    page = tmp_path / "README.md"
    page.write_text(
        "[ok](docs/real.md) [ok too](docs/real.md#a-section) [web](https://example.com)\n"
        "[gone](docs/missing.md) [no anchor](docs/real.md#nowhere)\n"
        "[outside](../elsewhere.md)\n"
        "```\n[in code](nothing.md)\n```\n"
    )
    problems = broken_links(page, tmp_path)
    assert len(problems) == 3, problems
    assert "docs/missing.md: no such file" in problems[0]
    assert "#nowhere" in problems[1]
    assert "outside the repository" in problems[2]


def test_a_citation_of_a_missing_section_is_found(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "routing.md").write_text("# Routing\n\n## Order\n")
    source = tmp_path / "message.py"
    source.write_text('FIX = "see docs/routing.md#order, docs/routing.md#when and docs/x.md"\n')
    problems = broken_citations(source, tmp_path)
    assert [p.split(": ")[1] for p in problems] == ["docs/routing.md#when", "docs/x.md"]


# -- the repo ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_inside_the_repo(path: Path) -> None:
    assert broken_links(path) == []


def test_cited_doc_sections_exist() -> None:
    this = Path(__file__).resolve()
    sources = [p for p in _files("*.py", "*.yaml", "*.md") if p.resolve() != this]
    problems = [p for path in sources for p in broken_citations(path)]
    assert problems == []


@pytest.mark.parametrize("name", ["routing.md", "pipeline.md"])
def test_modules_named_in_the_reference_exist(name: str) -> None:
    text = (ROOT / "docs" / name).read_text(encoding="utf-8")
    named = sorted(set(_MODULE.findall(text)))
    assert len(named) > 10
    assert [m for m in named if not _findable(m)] == []


def test_nothing_points_at_the_design_docs_outside_the_repo() -> None:
    this = Path(__file__).resolve()
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in _files("*.py", "*.md", "*.yaml", "*.yml", "*.toml", "*.json")
        if path.resolve() != this
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _OUTSIDE.search(line)
    ]
    assert found == []
