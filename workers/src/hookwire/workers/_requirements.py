"""Which of a plugin's requirements the running environment lacks.

``hookwire worker --plugin DIR`` (without a venv folder) runs the plugin in the
environment it was started from: before loading it, each line of the plugin's
requirements file is checked by distribution name, so a missing one is named at once
instead of surfacing as a ModuleNotFoundError on the first event.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def missing_requirements(requirements: Path) -> list[str]:
    """The lines of ``requirements`` whose distribution is not installed here."""
    if not requirements.is_file():
        return []
    missing = []
    for line in requirements.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):  # options (-r, -e, --index-url) are not checked
            continue
        match = _NAME.match(line)
        if match is None:
            continue
        try:
            metadata.distribution(match.group(1))
        except metadata.PackageNotFoundError:
            missing.append(line)
    return missing
