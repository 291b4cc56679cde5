"""``check``, ``explain`` and manifests: every problem in one run, typos caught, hints given."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hookwire.router.cli import main

FIXTURE_PLUGINS = Path(__file__).resolve().parent.parent / "fixtures" / "plugins"

TYPOS = """\
plugin_dirs: [{plugins}]
plugins:
  pii_filter: {{workers: "x"}}
  audit_logger: {{}}
routes:
  - hooks: [tool_pre_invok]
    entities: tool
    plugins: [{{name: pii_filter}}]
  - hooks: [tool_post_invok]
    entities: [tool]
    plugins: [{{name: audit_logger, priority: "high"}}]
"""

ONE_PLUGIN = """\
plugin_dirs: [plugins]
plugins:
  pii_filter: {}
routes:
  - entities: [tool]
    plugins: [{name: pii_filter}]
"""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_reports_type_errors_and_hook_typos_in_one_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(TYPOS.format(plugins=FIXTURE_PLUGINS))
    code, _, err = run(capsys, "check", str(config))
    assert code == 1
    assert "plugins.pii_filter.workers" in err
    assert "routes[0].entities: Input should be a valid list (fix: write a list: [tool])" in err
    assert "routes[0].hooks[0]: unknown hook 'tool_pre_invok'" in err
    assert "routes[1].plugins[0].priority" in err
    assert "routes[1].hooks[0]: unknown hook 'tool_post_invok'" in err


@pytest.mark.parametrize("text", ["", "# nothing yet\n"])
def test_an_empty_config_is_a_problem(
    text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "empty.yaml"
    config.write_text(text)
    code, out, err = run(capsys, "check", str(config))
    assert (code, out) == (1, "")
    assert "the config is empty" in err


def plugin_with(tmp_path: Path, old: str, new: str) -> Path:
    """A config of one plugin whose manifest has ``old`` replaced by ``new``."""
    shutil.copytree(FIXTURE_PLUGINS / "pii_filter", tmp_path / "plugins" / "pii_filter")
    manifest = tmp_path / "plugins" / "pii_filter" / "plugin-manifest.yaml"
    text = manifest.read_text()
    assert old in text
    manifest.write_text(text.replace(old, new))
    config = tmp_path / "hookwire.yaml"
    config.write_text(ONE_PLUGIN)
    return config


def test_a_manifest_hook_typo_is_a_problem_with_a_suggestion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = plugin_with(tmp_path, "hooks: [tool_pre_invoke,", "hooks: [tool_pre_invok,")
    code, _, err = run(capsys, "check", str(config))
    assert code == 1
    assert "hooks[0]: 'tool_pre_invok' is not a built-in hook" in err
    assert "did you mean tool_pre_invoke?" in err


def test_a_hook_declared_custom_is_accepted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = plugin_with(
        tmp_path,
        "hooks: [tool_pre_invoke,",
        "custom_hooks: [tool_pre_export]\nhooks: [tool_pre_export,",
    )
    code, out, err = run(capsys, "check", str(config))
    assert code == 0, err
    assert out.startswith(f"ok: {config}: 1 plugin, 1 rule (most_specific)")  # singular


@pytest.mark.parametrize(
    ("old", "new", "hint"),
    [
        ("version: 1.2.0", "version: 1.0", "quote the version: '1.0'"),
        ("entry: pii_filter.plugin:PiiFilter", "entry: PiiFilter", "package.module:ClassName"),
        (
            "hooks: [tool_pre_invoke, tool_post_invoke, prompt_pre_fetch]",
            "hooks: tool_pre_invoke",
            "write a list: [tool_pre_invoke]",
        ),
    ],
)
def test_manifest_errors_say_how_to_fix_them(
    old: str, new: str, hint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = plugin_with(tmp_path, old, new)
    code, _, err = run(capsys, "check", str(config))
    assert code == 1
    assert hint in err


# -- explain ------------------------------------------------------------------------------


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "hookwire.yaml"
    path.write_text(ONE_PLUGIN.replace("[plugins]", f"[{FIXTURE_PLUGINS}]"))
    return path


def test_explain_an_unknown_hook_exits_1(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "explain", "--config", str(config), "--hook", "tool_pre_invok")
    assert code == 1
    assert "unknown hook 'tool_pre_invok' (did you mean tool_pre_invoke?)" in err


def test_explain_derives_the_entity_from_the_hook(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As ``hookwire send`` does: a tool hook is about a tool, not an HTTP-level event."""
    code, out, _ = run(
        capsys, "explain", "--config", str(config), "--hook", "tool_pre_invoke", "--name", "t"
    )
    assert code == 0
    assert out.startswith("event: tool_pre_invoke on tool 't'")
    assert "1. pii_filter#" in out


def test_explain_takes_the_entity_name_from_the_payload(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys,
        "explain",
        "--config",
        str(config),
        "--hook",
        "tool_pre_invoke",
        "--payload",
        '{"name": "lookup", "args": {}}',
    )
    assert (code, out.splitlines()[0]) == (0, "event: tool_pre_invoke on tool 'lookup'")


@pytest.mark.parametrize("flag", ["--args", "--payload", "--metadata"])
def test_explain_refuses_json_that_is_not_an_object(
    flag: str, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["explain", "--config", str(config), "--hook", "tool_pre_invoke", flag, "[1,2]"])
    assert exit_.value.code == 2
    assert "expected a JSON object" in capsys.readouterr().err
