"""``hookwire plugins``: unknown filters said, one bad manifest hides no other, hints named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hookwire.router.cli import main

FIXTURE_PLUGINS = Path(__file__).resolve().parent.parent / "fixtures" / "plugins"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("flag", "value", "said"),
    [
        ("--hook", "tool_pre_invok", "unknown hook 'tool_pre_invok' (known: "),
        ("--capability", "mind_reading", "no plugin has capability 'mind_reading' (known: "),
    ],
)
def test_list_with_an_unknown_filter_says_so(
    flag: str, value: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys, "plugins", "list", "--plugin-dir", str(FIXTURE_PLUGINS), flag, value
    )
    assert (code, out) == (1, "")
    assert said in err


def test_list_with_a_known_hook_no_plugin_has_lists_none(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(
        capsys,
        "plugins",
        "list",
        "--plugin-dir",
        str(FIXTURE_PLUGINS),
        "--hook",
        "agent_post_invoke",
    )
    assert (code, out.splitlines()[0]) == (0, "no plugins match")


def test_one_bad_manifest_hides_no_other_plugin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("pii_filter", "audit_logger"):
        shutil.copytree(FIXTURE_PLUGINS / name, tmp_path / name)
    (tmp_path / "audit_logger" / "plugin-manifest.yaml").write_text("name: audit_logger\n")
    code, out, err = run(capsys, "plugins", "list", "--plugin-dir", str(tmp_path))
    assert code == 1
    assert out.splitlines()[0] == "1 plugin" and "pii_filter" in out
    assert "warning: 5 problems reading plugins:" in err
    assert "audit_logger" in err and "required key is missing" in err


def test_show_names_the_plugin_in_its_hint(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "plugins", "show", "pii_filter", "--plugin-dir", str(FIXTURE_PLUGINS)
    )
    assert code == 0
    assert "run hookwire plugins qa pii_filter" in out
    assert "qa NAME" not in out
