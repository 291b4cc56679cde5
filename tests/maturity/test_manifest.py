"""The full manifest: its fields, their checks, and the committed JSON Schema."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from hookwire.router import ConfigError, Manifest
from hookwire.router.catalog._manifest import read_manifest
from hookwire.router.catalog.manifest_schema import (
    DEFAULT_FILE,
    REGENERATE,
    manifest_schema,
    schema_text,
)
from hookwire.router.catalog.manifest_schema import main as schema_main
from hookwire.router.cli import main
from hookwire.router.errors import ProblemList

from ._kit import load, write_plugin

REPO = Path(__file__).resolve().parents[2]
MANIFESTS = sorted(
    [
        *REPO.glob("plugins/*/plugin-manifest.yaml"),
        *REPO.glob("tests/fixtures/registry/*/plugin-manifest.yaml"),
        *REPO.glob("tests/fixtures/plugins/*/plugin-manifest.yaml"),
    ]
)
DOC = REPO / "docs" / "manifest.md"


def _read(folder: Path) -> tuple[Any, ProblemList]:
    problems = ProblemList()
    return read_manifest(folder, problems), problems


def test_every_field_of_a_full_manifest_is_read(tmp_path: Path) -> None:
    folder = write_plugin(
        tmp_path,
        "full",
        author="Privacy engineering",
        license="Apache-2.0",
        capabilities=["data_protection"],
        requires_hookwire=">=0.1,<2",
        maturity="deprecated",
        deprecation={"replacement": "newer", "migration": "rename it"},
        quality={
            "test_coverage": 91.5,
            "security_audit": "2026-03-01",
            "review": "2026-02-01",
            "performance_benchmark": {"per_call_us": 12},
        },
    )

    package, problems = _read(folder)

    assert not problems
    m = package.manifest
    assert (m.author, m.license, m.capabilities) == (
        "Privacy engineering",
        "Apache-2.0",
        ["data_protection"],
    )
    assert m.requires_hookwire == ">=0.1,<2"
    assert (m.deprecation.replacement, m.deprecation.migration) == ("newer", "rename it")
    assert m.quality.test_coverage == 91.5
    assert m.quality.security_audit == dt.date(2026, 3, 1)
    assert m.quality.performance_benchmark == {"per_call_us": 12}


@pytest.mark.parametrize(
    "fields,path,message",
    [
        ({"version": "one"}, ("version",), "'one' is not a PEP 440 version"),
        ({"requires_hookwire": "soon"}, ("requires_hookwire",), "'soon' is not a version range"),
        ({"maturity": "deprecated"}, ("deprecation",), "a deprecated plugin needs migration"),
        ({"maturity": "gamma"}, ("maturity",), "Input should be 'alpha'"),
        ({"quality": {"test_coverage": 140}}, ("quality", "test_coverage"), "less than or equal"),
    ],
)
def test_a_bad_manifest_field_is_a_problem_at_its_path(
    tmp_path: Path, fields: dict[str, Any], path: tuple[str, ...], message: str
) -> None:
    package, problems = _read(write_plugin(tmp_path, "bad", **fields))

    assert package is None
    [problem] = problems.items
    assert problem.path == path
    assert message in problem.message
    assert problem.file.endswith("plugin-manifest.yaml")


def test_a_deprecated_manifest_says_how_to_add_migration_notes(tmp_path: Path) -> None:
    write_plugin(tmp_path / "plugins", "sunset", maturity="deprecated")
    with pytest.raises(ConfigError) as info:
        load(tmp_path, {"sunset": {}})
    assert "deprecation: {replacement: NEW_PLUGIN, migration: HOW_TO_MOVE}" in str(info.value)


# -- the JSON Schema ------------------------------------------------------------------------


def test_the_committed_json_schema_is_current() -> None:
    assert DEFAULT_FILE.read_text() == schema_text(), f"stale; run: {REGENERATE}"


def test_check_reports_a_stale_schema_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = tmp_path / "schema.json"
    stale.write_text("{}\n")

    code = schema_main(["--check", str(stale)])

    assert code == 1
    assert REGENERATE in capsys.readouterr().err


def test_regenerating_makes_the_schema_file_current(tmp_path: Path) -> None:
    target = tmp_path / "schema.json"
    assert schema_main([str(target)]) == 0
    assert schema_main(["--check", str(target)]) == 0


def test_plugins_schema_prints_the_committed_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plugins", "schema"]) == 0
    assert capsys.readouterr().out == DEFAULT_FILE.read_text()


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}")
def test_every_shipped_manifest_validates_against_the_json_schema(path: Path) -> None:
    # YAML reads dates as dates; the schema speaks JSON, where they are strings
    data = json.loads(json.dumps(yaml.safe_load(path.read_text()), default=str))
    jsonschema.Draft202012Validator(manifest_schema()).validate(data)


def test_the_json_schema_rejects_an_unknown_key() -> None:
    validator = jsonschema.Draft202012Validator(manifest_schema())
    manifest: dict[str, Any] = {"name": "x", "version": "1", "description": "d"}
    manifest |= {"entry": "x:X", "hooks": ["tool_pre_invoke"], "maturity": "beta"}
    manifest["colour"] = "red"
    assert [e.validator for e in validator.iter_errors(manifest)] == ["additionalProperties"]


def test_docs_manifest_md_describes_every_field() -> None:
    text = DOC.read_text()
    fields = [*Manifest.model_fields]
    fields += ["replacement", "migration", "test_coverage", "security_audit", "review"]
    fields += ["performance_benchmark"]
    missing = [f for f in fields if not re.search(rf"`{f}`", text)]
    assert missing == []
