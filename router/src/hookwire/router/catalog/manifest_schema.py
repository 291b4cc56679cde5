"""The JSON Schema of ``plugin-manifest.yaml``, generated from the pydantic Manifest.

    python -m hookwire.router.catalog.manifest_schema [--check] [FILE]

writes FILE (default: ``docs/plugin-manifest.schema.json`` of the source checkout);
``--check`` only compares and exits 1 when FILE is not current. Editors validate
manifests with it (``# yaml-language-server: $schema=...``); docs/manifest.md explains
each field. ``hookwire plugins schema`` prints the same document.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hookwire.router.catalog._manifest import Manifest

DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = "https://hookwire.dev/schemas/v1/plugin-manifest.json"
#: docs/ of the source checkout: this file is router/src/hookwire/router/catalog/manifest_schema.py.
DEFAULT_FILE = Path(__file__).resolve().parents[5] / "docs" / "plugin-manifest.schema.json"
REGENERATE = "uv run python -m hookwire.router.catalog.manifest_schema"


def manifest_schema() -> dict[str, Any]:
    """The manifest's JSON Schema (2020-12) as a mapping."""
    schema = Manifest.model_json_schema()
    return {"$schema": DIALECT, "$id": SCHEMA_ID, **schema}


def schema_text() -> str:
    return json.dumps(manifest_schema(), indent=2, sort_keys=True) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Write the schema file, or with ``--check`` report whether it is current."""
    parser = argparse.ArgumentParser(prog="python -m hookwire.router.catalog.manifest_schema")
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 if stale")
    parser.add_argument("file", nargs="?", type=Path, default=DEFAULT_FILE, help="output file")
    args = parser.parse_args(argv)
    path: Path = args.file
    text = schema_text()
    current = path.read_text(encoding="utf-8") if path.is_file() else None
    if args.check:
        if current != text:
            state = "missing" if current is None else "out of date"
            print(f"{path} is {state}; regenerate it with: {REGENERATE}", file=sys.stderr)
            return 1
        print(f"{path} is current")
        return 0
    if current != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
