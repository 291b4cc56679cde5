"""docs/pipeline.md documents the wire a gateway in another language needs (issue 8, point 6)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from hookwire.router.pipeline._service import SERVICE_ERROR_CODES
from hookwire.schemas import (
    BUILTIN_HOOKS,
    HOOK_PAYLOADS,
    HOOK_RESULTS,
    MAX_HOOK_LENGTH,
    MAX_NESTING,
    MAX_PLUGIN_WARNINGS,
    MAX_REQUEST_ID_LENGTH,
    MAX_WARNING_LENGTH,
)

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "pipeline.md").read_text(encoding="utf-8")
SCHEMAS = ROOT / "schemas" / "json"
#: Codes the router puts in a block's violation itself (plugins add their own).
BLOCK_CODES = ("rule_error", "plugin_error", "plugin_timeout", "plugin_unavailable", "undecided")


def _rows(table_head: str) -> dict[str, str]:
    """The first column -> the row, of the markdown table after ``table_head``."""
    part = DOC[DOC.index(table_head) :]
    rows: dict[str, str] = {}
    for line in part.splitlines()[2:]:
        if not line.startswith("|"):
            break
        for code in re.findall(r"`([a-z_]+)`", line.split("|")[1]):
            rows[code] = line
    return rows


def test_every_error_code_is_documented_with_its_decision() -> None:
    rows = _rows("| code | decision | cause |")
    for code in SERVICE_ERROR_CODES:
        assert code in rows, f"{code} is not in the error code table"
        assert "| error |" in rows[code] or "**error**" in rows[code], code
    for code in BLOCK_CODES:
        assert code in rows, f"{code} is not in the error code table"
    assert "| block |" in rows["rule_error"] and "| block |" in rows["undecided"]


def test_every_micro_error_code_is_documented() -> None:
    table = DOC[DOC.index("| code | `Nats-Service-Error-Code` |") :]
    for code, status in SERVICE_ERROR_CODES.items():
        assert f"`{code}`" in table and f"`{status}`" in table, code


def test_every_built_in_hook_has_its_required_fields_and_entity() -> None:
    table = DOC[DOC.index("| hook | payload requires | entity |") :]
    for hook in BUILTIN_HOOKS:
        assert f"`{hook}`" in table, hook
        required = json.loads((SCHEMAS / "payloads" / f"{hook}.json").read_text())["required"]
        line = next(x for x in table.splitlines() if f"`{hook}`" in x)
        for field in required:
            assert f"`{field}`" in line, f"{hook}: required {field} not documented"
    assert set(HOOK_PAYLOADS) == set(BUILTIN_HOOKS)


def test_results_and_limits_are_documented() -> None:
    for hook, result in HOOK_RESULTS.items():
        assert f"`{hook}`" in DOC and result.__name__ in DOC
        assert (SCHEMAS / "results" / f"{hook}.json").is_file()
    for number in (MAX_NESTING, MAX_HOOK_LENGTH, MAX_REQUEST_ID_LENGTH):
        assert f"{number} " in DOC or f"{number} characters" in DOC, number
    for word in ("max_payload", "reply_too_large", "event_timeout", "plugin_timeout", "`type`"):
        assert word in DOC, word


def test_worker_request_config_is_not_described_as_a_payload() -> None:
    schema = json.loads((SCHEMAS / "worker-request.json").read_text())
    assert "config" in schema["properties"]["config"]["description"]
    assert "hook payload" not in schema["properties"]["config"]["description"]


def test_schemas_readme_speaks_of_the_type_tag_not_a_v_field() -> None:
    readme = (SCHEMAS / "README.md").read_text()
    assert "`type`" in readme
    assert "`v`" not in readme


def test_every_worker_reply_field_and_the_warning_caps_are_documented() -> None:
    table = DOC[DOC.index("### Worker reply") : DOC.index("### Versioning")]
    schema = json.loads((SCHEMAS / "worker-reply.json").read_text())
    for field in schema["properties"]:
        assert field == "type" or f"| `{field}` |" in table, f"worker reply {field}"
    row = next(line for line in table.splitlines() if line.startswith("| `warnings` |"))
    assert f"at most {MAX_PLUGIN_WARNINGS} " in row and f"{MAX_WARNING_LENGTH} characters" in row
    assert "plugin_warning" in DOC
