"""Version compatibility: a manifest's ``requires_hookwire`` and a config's version pin.

Both are PEP 440 specifiers (``>=0.1,<2``), read with ``packaging``. A pin that is a bare
version (``1.2.0``) means exactly that version. Pre-releases satisfy a range, so a
development build of hookwire or of a plugin is not refused for being one.
"""

from __future__ import annotations

from importlib.metadata import version

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from hookwire.router.catalog._manifest import Manifest


def hookwire_version() -> str:
    """The running hookwire's version (the ``hookwire-router`` distribution's)."""
    return version("hookwire-router")


def parse_range(text: str) -> SpecifierSet:
    """A PEP 440 specifier; a bare version means ``==`` it. Raises ValueError."""
    try:
        Version(text)
    except InvalidVersion:
        pass
    else:
        text = f"=={text}"
    try:
        return SpecifierSet(text)
    except InvalidSpecifier:
        raise ValueError(f"{text!r} is not a version range") from None


def satisfies(version_text: str, spec: SpecifierSet) -> bool:
    """Whether ``version_text`` is in ``spec`` (pre-releases included)."""
    try:
        return spec.contains(Version(version_text), prereleases=True)
    except InvalidVersion:
        return False


def supports_running(manifest: Manifest, running: str | None = None) -> bool:
    """Whether the plugin's ``requires_hookwire`` admits this hookwire (no range: yes)."""
    if manifest.requires_hookwire is None:
        return True
    return satisfies(running or hookwire_version(), SpecifierSet(manifest.requires_hookwire))
