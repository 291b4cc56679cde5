"""Reading plugin-manifest.yaml and loading the entry class, with errors that say what is wrong."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest
from _workerkit import PLUGINS

from hookwire.schemas import HookwireError
from hookwire.workers import (
    ManifestError,
    Plugin,
    PluginLoadError,
    load_plugin,
    load_plugin_class,
    read_manifest,
)

GOOD = {
    "name": "demo",
    "version": "1.0.0",
    "entry": "demo_mod:Demo",
    "hooks": "[tool_pre_invoke]",
}


@pytest.fixture(autouse=True)
def _restore_sys_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading puts plugin folders on sys.path: undo it after each test."""
    monkeypatch.setattr(sys, "path", list(sys.path))


def write_plugin(folder: Path, fields: dict[str, str], code: str | None = None) -> Path:
    """A plugin folder whose entry module gets a unique name (modules are cached)."""
    folder.mkdir(parents=True, exist_ok=True)
    module = f"wt_demo_{uuid.uuid4().hex}"
    fields = {**fields}
    if "entry" in fields:
        fields["entry"] = fields["entry"].replace("demo_mod", module)
    text = "".join(f"{key}: {value}\n" for key, value in fields.items())
    (folder / "plugin-manifest.yaml").write_text(text)
    if code is not None:
        (folder / f"{module}.py").write_text(code)
    return folder


def test_reads_the_fields_the_worker_needs() -> None:
    manifest = read_manifest(PLUGINS / "stateful")
    assert (manifest.name, manifest.version) == ("stateful", "1.0.0")
    assert (manifest.module, manifest.class_name) == ("wt_stateful", "Stateful")
    assert manifest.hooks == ("tool_pre_invoke", "tool_post_invoke")


def test_missing_manifest_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=r"plugin-manifest\.yaml: cannot read") as info:
        read_manifest(tmp_path)
    assert info.value.path == tmp_path / "plugin-manifest.yaml"


@pytest.mark.parametrize("field", ["name", "version", "entry", "hooks"])
def test_missing_field_is_named(tmp_path: Path, field: str) -> None:
    fields = {k: v for k, v in GOOD.items() if k != field}
    with pytest.raises(ManifestError, match=f"{field}: required field is missing") as info:
        read_manifest(write_plugin(tmp_path, fields))
    assert info.value.field == field


def test_unquoted_number_version_gets_a_hint(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=r"version: expected a string, got float \(quote"):
        read_manifest(write_plugin(tmp_path, {**GOOD, "version": "1.0"}))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "'bad name'", "name: 'bad name' is invalid: expected letters"),
        ("entry", "a.b.Demo", "entry: 'a.b.Demo' is invalid: expected 'package.module:Class"),
        ("hooks", "[]", "hooks: expected a non-empty list"),
        ("hooks", "[tool_pre_invoke, Bad-Hook]", r"hooks\[1\]: 'Bad-Hook' is not a hook name"),
    ],
)
def test_malformed_field_is_named(tmp_path: Path, field: str, value: str, message: str) -> None:
    with pytest.raises(ManifestError, match=message):
        read_manifest(write_plugin(tmp_path, {**GOOD, field: value}))


def test_manifest_that_is_not_a_mapping_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "plugin-manifest.yaml").write_text("- just\n- a list\n")
    with pytest.raises(ManifestError, match="expected a mapping"):
        read_manifest(tmp_path)


def test_invalid_yaml_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "plugin-manifest.yaml").write_text("name: [unclosed\n")
    with pytest.raises(ManifestError, match="not valid YAML") as info:
        read_manifest(tmp_path)
    assert "\n" not in str(info.value)


def test_loads_a_plugin_folder_without_installing_it() -> None:
    plugin = load_plugin(PLUGINS / "custom_hook")
    assert plugin.name == "custom_hook"
    assert plugin.cls.__name__ == "Exporter"
    assert plugin.cls.__module__ == "wt_custom_hook.plugin"


def test_import_failure_names_the_module(tmp_path: Path) -> None:
    folder = write_plugin(tmp_path, GOOD, code="raise ImportError('needs libfoo')\n")
    with pytest.raises(
        PluginLoadError, match=r"cannot import 'wt_demo_\w+'.*ImportError: needs libfoo"
    ):
        load_plugin(folder)


def test_missing_class_is_named(tmp_path: Path) -> None:
    folder = write_plugin(tmp_path, GOOD, code="class Other: ...\n")
    with pytest.raises(PluginLoadError, match="has no class 'Demo'"):
        load_plugin(folder)


def test_every_hook_without_an_async_method_is_listed(tmp_path: Path) -> None:
    code = (
        "class Demo:\n"
        "    def tool_post_invoke(self, payload, ctx): ...\n"
        "    async def prompt_pre_fetch(self, payload, ctx): ...\n"
    )
    fields = {**GOOD, "hooks": "[tool_pre_invoke, tool_post_invoke, prompt_pre_fetch, x_y]"}
    with pytest.raises(PluginLoadError) as info:
        load_plugin(write_plugin(tmp_path, fields, code))
    message = str(info.value)
    assert "no method for hooks tool_pre_invoke, x_y" in message
    assert "not `async def` for hooks tool_post_invoke" in message
    assert "prompt_pre_fetch" not in message


def test_load_plugin_class_checks_the_given_manifest(tmp_path: Path) -> None:
    code = "from hookwire.workers import Plugin\nclass Demo(Plugin):\n    pass\n"
    folder = write_plugin(tmp_path, GOOD, code)
    manifest = read_manifest(folder)
    with pytest.raises(PluginLoadError, match="no method for hooks tool_pre_invoke"):
        load_plugin_class(folder, manifest)


def test_loaded_class_may_subclass_plugin(tmp_path: Path) -> None:
    code = (
        "from hookwire.workers import Plugin\n"
        "class Demo(Plugin):\n"
        "    async def tool_pre_invoke(self, payload, ctx): return None\n"
    )
    cls = load_plugin(write_plugin(tmp_path, GOOD, code)).cls
    assert issubclass(cls, Plugin)
    assert cls({"a": 1}).config == {"a": 1}


def test_worker_errors_are_hookwire_errors() -> None:
    assert issubclass(ManifestError, HookwireError)
    assert issubclass(PluginLoadError, HookwireError)
