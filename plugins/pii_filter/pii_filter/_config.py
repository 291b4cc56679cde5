"""The plugin's config, checked once per instance: a bad key or pattern names itself."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ._detect import BUILTIN, PII_TYPES, Detector, PhoneFinder, regex_detector
from ._mask import STRATEGIES

NAME_RE = re.compile(r"[a-z][a-z0-9_]{0,39}")


@dataclass(frozen=True)
class Settings:
    """What one instance detects and how it masks."""

    detectors: tuple[Detector, ...]
    rank: dict[str, int]
    strategies: dict[str, str]
    redaction_text: str | None
    hash_key: bytes
    block: bool
    scan_keys: bool
    allow: tuple[re.Pattern[str], ...]


def _pattern(where: str, text: object) -> re.Pattern[str]:
    if not isinstance(text, str) or not text:
        raise ValueError(f"{where} must be a non-empty regular expression, got {text!r}")
    try:
        return re.compile(text)
    except re.error as exc:
        raise ValueError(f"{where} is not a valid regular expression: {exc}") from None


def _strategy(where: str, value: object) -> str:
    if value not in STRATEGIES:
        raise ValueError(f"{where} must be one of {list(STRATEGIES)}, got {value!r}")
    return str(value)


def _custom(patterns: Sequence[Mapping[str, Any]], default: str) -> list[tuple[str, Detector, str]]:
    out = []
    for i, entry in enumerate(patterns):
        where = f"custom_patterns[{i}]"
        if not isinstance(entry, Mapping):
            raise ValueError(f"{where} must be a mapping with name and pattern, got {entry!r}")
        name = entry.get("name")
        if not isinstance(name, str) or not NAME_RE.fullmatch(name) or name in PII_TYPES:
            raise ValueError(
                f"{where}.name must be lower_snake_case and not a built-in type, got {name!r}"
            )
        pattern = _pattern(f"{where}.pattern", entry.get("pattern"))
        strategy = _strategy(f"{where}.strategy", entry.get("strategy") or default)
        out.append((name, regex_detector(pattern, name), strategy))
    return out


def settings_from(config: Mapping[str, Any]) -> Settings:
    """The instance's settings; ``ValueError`` naming the key when the config is wrong."""
    detect = {kind: True for kind in PII_TYPES} | dict(config.get("detect") or {})
    unknown = set(detect) - set(PII_TYPES)
    if unknown:
        raise ValueError(f"unknown detect keys {sorted(unknown)}; use {list(PII_TYPES)}")
    default = _strategy("strategy", config.get("strategy", "redact"))
    strategies = {kind: default for kind in PII_TYPES}
    for kind, value in dict(config.get("strategies") or {}).items():
        if kind not in PII_TYPES:
            raise ValueError(f"strategies.{kind}: not a PII type; use {list(PII_TYPES)}")
        strategies[kind] = _strategy(f"strategies.{kind}", value)
    detectors: list[Detector] = [
        BUILTIN[kind] for kind in PII_TYPES if kind in BUILTIN and detect[kind]
    ]
    rank = {kind: i for i, kind in enumerate(PII_TYPES)}
    for name, detector, strategy in _custom(config.get("custom_patterns") or [], default):
        detectors.append(detector)
        strategies[name] = strategy
        rank[name] = len(rank)
    if detect["phone"]:  # last: it reads the text with the other types blanked
        detectors.append(PhoneFinder(config.get("phone_regions") or ["US"]))
    redaction_text = config.get("redaction_text")
    key = str(config.get("hash_key") or "")
    allow = tuple(_pattern(f"allow[{i}]", p) for i, p in enumerate(config.get("allow") or []))
    return Settings(
        detectors=tuple(detectors),
        rank=rank,
        strategies=strategies,
        redaction_text=None if redaction_text is None else str(redaction_text),
        hash_key=key.encode() if key else secrets.token_bytes(32),
        block=bool(config.get("block", False)),
        scan_keys=bool(config.get("scan_keys", True)),
        allow=allow,
    )
