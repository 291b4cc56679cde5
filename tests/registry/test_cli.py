"""``hookwire plugins list|show|search`` offline: text for people, --json for machines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hookwire.router.cli import main

from .conftest import FIXTURES

DIR = ["--plugin-dir", str(FIXTURES)]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["plugins", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def test_list_prints_each_plugin_with_version_maturity_coverage_and_description(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "list", *DIR)

    lines = out.splitlines()
    assert code == 0
    assert lines[0] == "9 plugins"
    assert lines[1].split() == ["name", "version", "maturity", "coverage", "capabilities"]
    assert lines[2].split() == [
        "content_moderator",
        "2.1.0",
        "stable",
        "91%",
        "(manifest)",
        "content_moderation,",
        "content_filtering,",
        "safety",
    ]
    assert lines[3].strip().startswith("Classifies prompts and tool results for hate")
    assert lines[4].strip() == "hooks: prompt_pre_fetch, prompt_post_fetch, tool_post_invoke"
    assert "hooks: tool_pre_invoke; replaced by pii_redactor" in out


def test_list_columns_are_aligned(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "list", *DIR)
    rows = [line for line in out.splitlines()[1:] if not line.startswith(" ")]
    assert len({row.index(row.split()[1]) for row in rows}) == 1


def test_list_maturity_stable_json(capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, "list", *DIR, "--maturity", "stable")
    assert [p["name"] for p in data["plugins"]] == [
        "content_moderator",
        "pii_redactor",
        "rate_limiter",
    ]
    assert set(data["plugins"][0]) >= {
        "name",
        "version",
        "description",
        "maturity",
        "capabilities",
        "hooks",
        "test_coverage",
    }


def test_list_by_capability_and_hook(capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(
        capsys, "list", *DIR, "--capability", "data_protection", "--hook", "tool_post_invoke"
    )
    assert [p["name"] for p in data["plugins"]] == ["pii_redactor", "secrets_scanner"]


def test_list_with_no_match_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    # a known hook no plugin here implements (an unknown capability is an error: issue 15)
    code, out, _ = run(capsys, "list", *DIR, "--hook", "agent_post_invoke")
    assert (code, out) == (0, "no plugins match\n")


def test_show_prints_hooks_config_defaults_dependencies_and_quality(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "show", "opa_authz", *DIR)

    assert code == 0
    assert out.startswith("opa_authz 0.3.0  (beta)\n")
    assert "  hooks         http_auth_check_permission, tool_pre_invoke\n" in out
    assert "  dependencies  httpx>=0.27, cachetools>=5\n" in out
    assert "  hookwire      >=0.1 (running 0.1.0: compatible)\n" in out
    assert "  quality       coverage 58% (typed in the manifest, not measured)\n" in out
    assert "security audit none; review 2026-09-21" in out
    config = out.split("config (defaults from the schema):\n", 1)[1].splitlines()
    assert [line.split()[:3] for line in config] == [
        ["url", "string", '"http://127.0.0.1:8181/v1/data/hookwire/allow"'],
        ["timeout", "number", "0.5"],
    ]


def test_show_prints_the_deprecation(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "show", "legacy_pii_filter", *DIR)
    assert "  deprecated    replacement: pii_redactor\n" in out
    assert "                migration: Rename the plugin to pii_redactor;" in out


def test_show_json_is_the_registry_reply(capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, "show", "rate_limiter", *DIR)
    plugin = data["plugin"]
    assert plugin["summary"]["name"] == "rate_limiter"
    assert plugin["config_defaults"] == {"by_user": "60/m", "by_tenant": "600/m"}
    assert plugin["quality"]["security_audit"] == "2026-06-30"
    assert data["error"] is None


def test_show_an_unknown_plugin_exits_1_naming_the_known_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "show", "nope", *DIR)
    assert (code, out) == (1, "")
    assert "no plugin named 'nope' (known: content_moderator, legacy_pii_filter" in err


def test_search_prints_ranked_results(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "search", "content moderation", *DIR)
    lines = out.splitlines()
    assert code == 0
    assert lines[0] == "2 results for 'content moderation'"
    assert lines[1].split()[:2] == ["1.", "content_moderator"]
    assert lines[3].split()[:2] == ["2.", "toxicity_filter"]


def test_search_json_carries_scores_in_descending_order(
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = run_json(capsys, "search", "pii email", *DIR, "--limit", "5")
    scores = [hit["score"] for hit in data["hits"]]
    assert data["hits"][0]["plugin"]["name"] == "pii_redactor"
    assert scores == sorted(scores, reverse=True)


def test_config_plugin_dirs_are_read_even_when_the_rest_is_broken(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "broken.yaml"
    config.write_text(f"plugin_dirs: [{FIXTURES}]\nroutes: [{{entities: [nothing]}}]\n")

    data = run_json(capsys, "list", "--config", str(config), "--maturity", "alpha")

    assert [p["name"] for p in data["plugins"]] == ["prompt_shield", "secrets_scanner"]


def test_config_from_the_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(f"plugin_dirs: [{FIXTURES}]\n")
    monkeypatch.setenv("HOOKWIRE_CONFIG", str(config))
    assert len(run_json(capsys, "list")["plugins"]) == 9


def test_without_a_source_it_says_what_to_give(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "list")
    assert code == 1
    assert "give --config FILE (or $HOOKWIRE_CONFIG) or --plugin-dir DIR" in err


def test_a_missing_plugin_dir_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "list", "--plugin-dir", "/nonexistent/plugins")
    assert code == 1
    assert "folder '/nonexistent/plugins' does not exist" in err
