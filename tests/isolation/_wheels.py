"""Pure-Python wheels written by hand: no network, no build backend.

A wheel is a zip holding the package, ``<name>-<version>.dist-info/{METADATA,WHEEL,RECORD}``
and nothing else (PEP 427); RECORD lists every file with its urlsafe-base64 sha256.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from collections.abc import Mapping
from pathlib import Path

#: The tiny library the isolation tests install in two versions.
LIBRARY = "isolib"
VERSIONS = ("1.0", "2.0")


def _digest(data: bytes) -> str:
    raw = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def build_wheel(
    folder: Path, name: str, version: str, files: Mapping[str, str] | None = None
) -> Path:
    """Write ``<name>-<version>-py3-none-any.whl`` into ``folder`` and return its path.

    ``files`` maps archive paths to their text; by default the package ``name`` holds
    only an ``__init__.py`` setting ``__version__``.
    """
    files = dict(files or {f"{name}/__init__.py": f'__version__ = "{version}"\n'})
    info = f"{name}-{version}.dist-info"
    files[f"{info}/METADATA"] = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    files[f"{info}/WHEEL"] = (
        "Wheel-Version: 1.0\nGenerator: hookwire-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    record = [
        f"{path},{_digest(text.encode())},{len(text.encode())}" for path, text in files.items()
    ]
    files[f"{info}/RECORD"] = "\n".join([*record, f"{info}/RECORD,,"]) + "\n"
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, text in files.items():
            archive.writestr(path, text)
    return wheel


def build_library_wheels(folder: Path) -> list[Path]:
    """``isolib`` 1.0 and 2.0 in ``folder`` (a find-links folder)."""
    return [build_wheel(folder, LIBRARY, version) for version in VERSIONS]
