"""Language-neutral JSON Schema files generated from the wire Structs.

    python -m hookwire.schemas.export [--check] [DIR]

writes ``gateway-request.json``, ``gateway-reply.json``, ``worker-request.json``,
``worker-reply.json``, ``record.json`` (a recorded decision), ``payloads/<hook>.json`` (one
per built-in hook), ``results/<hook>.json`` (one per hook with a result type), the
registry's ``registry/*.json`` and the services' ``status/*.json`` into DIR
(default: ``schemas/json`` of the source checkout); ``--check`` only compares and exits 1
when DIR is not current.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import msgspec

from ._messages import GatewayReply, GatewayRequest, WorkerReply, WorkerRequest
from ._payloads import HOOK_PAYLOADS
from ._records import Record
from ._registry import (
    GetReply,
    GetRequest,
    ListReply,
    ListRequest,
    SearchReply,
    SearchRequest,
)
from ._results import HOOK_RESULTS
from ._status import PoolsStatus, RouterStats, WorkerCalls, WorkerExited, WorkerStats

DIALECT = "https://json-schema.org/draft/2020-12/schema"
BASE_ID = "https://hookwire.dev/schemas/v1/"
#: schemas/json of the source checkout: this file is schemas/src/hookwire/schemas/export.py.
DEFAULT_DIR = Path(__file__).resolve().parents[3] / "json"
REGENERATE = "uv run python -m hookwire.schemas.export"

MESSAGES: dict[str, type[msgspec.Struct]] = {
    "gateway-request.json": GatewayRequest,
    "gateway-reply.json": GatewayReply,
    "worker-request.json": WorkerRequest,
    "worker-reply.json": WorkerReply,
    "registry/list-request.json": ListRequest,
    "registry/list-reply.json": ListReply,
    "registry/get-request.json": GetRequest,
    "registry/get-reply.json": GetReply,
    "registry/search-request.json": SearchRequest,
    "registry/search-reply.json": SearchReply,
    "status/router-stats.json": RouterStats,
    "status/worker-stats.json": WorkerStats,
    "status/pools-status.json": PoolsStatus,
    "record.json": Record,
    "status/worker-exited.json": WorkerExited,
    "status/worker-calls.json": WorkerCalls,
}

_PAYLOAD_DOC = (
    "A hook payload: a JSON object whose shape is given by payloads/<hook>.json "
    "for the hook of the event."
)
#: What each ``msgspec.Raw`` field (JSON passed on undecoded) holds, by field name;
#: any other Raw field holds a hook payload.
_RAW_DOCS: dict[str, tuple[Any, str]] = {
    "modified_payload": (dict[str, Any], _PAYLOAD_DOC + " Null: the payload is unchanged."),
    "config": (
        dict[str, Any],
        "The plugin instance's effective config: a JSON object that fits the plugin's "
        "config schema (its manifest's config_schema).",
    ),
    "result": (
        Any,
        "The hook's result: its shape is given by results/<hook>.json for hooks that "
        "have one; any JSON value for other hooks. Null: no result.",
    ),
}


def _raw_as(name: str, optional: bool) -> Any:
    """What the ``msgspec.Raw`` field ``name`` is in the schema."""
    tp, doc = _RAW_DOCS.get(name, (dict[str, Any], _PAYLOAD_DOC))
    return Annotated[tp | None if optional else tp, msgspec.Meta(description=doc)]


def _without_raw(
    cls: type[msgspec.Struct], nested: dict[Any, Any] | None = None
) -> type[msgspec.Struct]:
    """A copy of ``cls`` for schema generation, its ``msgspec.Raw`` fields as objects.

    ``nested`` maps the types of fields that hold Structs with Raw fields to their copies.
    """
    swap = nested or {}
    fields: list[tuple[str, Any, Any]] = []
    for f in msgspec.structs.fields(cls):
        if f.default_factory is not msgspec.NODEFAULT:
            spec = msgspec.field(default_factory=f.default_factory, name=f.encode_name)
        elif isinstance(f.default, msgspec.Raw) and bytes(f.default) == b"null":
            # NO_PAYLOAD means "absent": optional in the schema
            spec = msgspec.field(default=None, name=f.encode_name)
            fields.append((f.name, _raw_as(f.name, optional=True), spec))
            continue
        elif isinstance(f.default, msgspec.Raw):
            spec = msgspec.field(default=msgspec.json.decode(f.default), name=f.encode_name)
        elif f.default is not msgspec.NODEFAULT:
            spec = msgspec.field(default=f.default, name=f.encode_name)
        else:
            spec = msgspec.field(name=f.encode_name)
        if f.type is msgspec.Raw:
            tp = _raw_as(f.name, optional=False)
        elif f.type == msgspec.Raw | None:
            tp = _raw_as(f.name, optional=True)
        else:
            tp = swap.get(f.type, f.type)
        fields.append((f.name, tp, spec))
    config = cls.__struct_config__
    return msgspec.defstruct(
        cls.__name__,
        fields,
        module=cls.__module__,
        namespace={"__doc__": cls.__doc__},
        kw_only=True,
        frozen=config.frozen,
        omit_defaults=config.omit_defaults,
        forbid_unknown_fields=config.forbid_unknown_fields,
        tag_field=config.tag_field,
        tag=config.tag,
    )


def _document(file_name: str, tp: type[msgspec.Struct], description: str = "") -> bytes:
    """The schema of ``tp`` as a standalone 2020-12 document, root Struct at the top."""
    generated = msgspec.json.schema(tp)
    defs: dict[str, Any] = generated.get("$defs", {})
    root = defs.pop(generated["$ref"].rsplit("/", 1)[-1])
    for struct in (root, *defs.values()):
        # Python 3.13 dedents docstrings when compiling, older ones do not: same text on all.
        if "description" in struct:
            struct["description"] = inspect.cleandoc(struct["description"])
    tag = tp.__struct_config__.tag_field
    if tag is not None and tag in root.get("required", ()):
        # hookwire always sends the type tag and accepts a message without it
        root["required"] = [r for r in root["required"] if r != tag]
    doc: dict[str, Any] = {"$schema": DIALECT, "$id": BASE_ID + file_name, **root}
    if description:
        doc.setdefault("description", description)
    if defs:
        doc["$defs"] = defs
    return (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()


def export_schemas() -> dict[str, bytes]:
    """Every schema file: relative file name -> its JSON text."""
    nested = {GatewayRequest: _without_raw(GatewayRequest)}
    files = {name: _document(name, _without_raw(cls, nested)) for name, cls in MESSAGES.items()}
    for hook, payload in HOOK_PAYLOADS.items():
        name = f"payloads/{hook}.json"
        files[name] = _document(name, payload, f"Payload of the `{hook}` hook.")
    for hook, result in HOOK_RESULTS.items():
        name = f"results/{hook}.json"
        files[name] = _document(name, result, f"Result of the `{hook}` hook.")
    return files


def _existing(directory: Path) -> set[str]:
    return {p.relative_to(directory).as_posix() for p in directory.rglob("*.json")}


def _problems(files: dict[str, bytes], directory: Path) -> list[str]:
    """What makes ``directory`` differ from ``files``, one line each."""
    existing = _existing(directory) if directory.is_dir() else set()
    problems = [f"missing: {name}" for name in files if name not in existing]
    problems += [
        f"stale:   {name}"
        for name in files
        if name in existing and (directory / name).read_bytes() != files[name]
    ]
    problems += [f"extra:   {name}" for name in sorted(existing - files.keys())]
    return problems


def _write(files: dict[str, bytes], directory: Path) -> None:
    for name in sorted(_existing(directory) - files.keys()) if directory.is_dir() else ():
        (directory / name).unlink()
        print(f"removed {name}")
    for name, content in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_bytes() != content:
            path.write_bytes(content)
            print(f"wrote   {name}")


def main(argv: Sequence[str] | None = None) -> int:
    """Write the schema files, or with ``--check`` report whether they are current."""
    parser = argparse.ArgumentParser(prog="python -m hookwire.schemas.export")
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 if stale")
    parser.add_argument("dir", nargs="?", type=Path, default=DEFAULT_DIR, help="output folder")
    args = parser.parse_args(argv)
    directory: Path = args.dir
    files = export_schemas()
    if not args.check:
        _write(files, directory)
        return 0
    problems = _problems(files, directory)
    if problems:
        print(f"JSON schemas in {directory} are out of date:", file=sys.stderr)
        print("\n".join(f"  {line}" for line in problems), file=sys.stderr)
        print(f"regenerate them with: {REGENERATE}", file=sys.stderr)
        return 1
    print(f"JSON schemas in {directory} are current")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
