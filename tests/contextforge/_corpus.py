"""The equivalence corpus: tool events with and without PII and secrets, and a
rate-limit sequence. Plain data (JSON), run the same way by every system."""

from __future__ import annotations

from typing import Any

EMAILS = ["alice@example.com", "bob.smith@corp.example.org", "x+tag@mail.test"]
SSNS = ["123-45-6789", "078-05-1120", "219-09-9999"]
CARDS = ["4111 1111 1111 1111", "5500-0000-0000-0004", "378282246310005"]
PHONES = ["(555) 123-4567", "+1 415 555 0199", "555-867-5309"]
KEYS = [
    "AKIAIOSFODNN7EXAMPLE",
    "ghp_1234567890abcdefghijklmnopqrstuvwxyzAB",
    "xoxb-123456789012-1234567890123-abcdefghijklmnopqrstuvwx",
    "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "AIzaSyA1234567890abcdefghijklmnopqrstu",
]
CLEAN = ["weather in Paris", "sum the numbers 3 and 4", "list open issues", "hello world"]

#: Every setting written out (hookwire would fill them from the package's manifest;
#: cpex in process does not), so both sides run the very same config.
PII_CONFIG: dict[str, Any] = {
    "detect_ssn": True,
    "detect_bsn": True,
    "detect_credit_card": True,
    "detect_email": True,
    "detect_phone": True,
    "detect_ip_address": True,
    "detect_date_of_birth": True,
    "detect_passport": True,
    "detect_driver_license": True,
    "detect_bank_account": True,
    "detect_medical_record": True,
    "default_mask_strategy": "redact",
    "redaction_text": "[REDACTED]",
    "block_on_detection": False,
    "log_detections": False,
    "include_detection_details": False,
    "max_text_bytes": 10485760,
    "max_nested_depth": 32,
    "max_collection_items": 4096,
    "custom_patterns": [],
    "whitelist_patterns": [],
}
SECRETS_CONFIG: dict[str, Any] = {
    "enabled": {
        "aws_access_key_id": True,
        "aws_secret_access_key": True,
        "google_api_key": True,
        "github_token": True,
        "stripe_secret_key": True,
        "generic_api_key_assignment": False,
        "slack_token": True,
        "private_key_block": True,
        "jwt_like": False,
        "hex_secret_32": False,
        "base64_24": False,
    },
    "redact": False,
    "redaction_text": "***REDACTED***",
    "block_on_detection": True,
    "min_findings_to_block": 1,
    "field_allowlist": [],
    "field_denylist": [],
}
RATE_LIMIT = 4
RATE_CONFIG: dict[str, Any] = {
    "by_user": f"{RATE_LIMIT}/h",
    "by_user_per_server": None,
    "by_tenant": None,
    "by_tool": {},
}
#: name -> (cpex kind, hooks, config, priority)
PLUGINS: dict[str, tuple[str, list[str], dict[str, Any], int]] = {
    "pii_filter": (
        "cpex_pii_filter.pii_filter.PIIFilterPlugin",
        ["tool_pre_invoke", "tool_post_invoke"],
        PII_CONFIG,
        10,
    ),
    "secrets_detection": (
        "cpex_secrets_detection.secrets_detection.SecretsDetectionPlugin",
        ["tool_pre_invoke", "tool_post_invoke"],
        SECRETS_CONFIG,
        20,
    ),
    "rate_limiter": (
        "cpex_rate_limiter.rate_limiter.RateLimiterPlugin",
        ["tool_pre_invoke"],
        RATE_CONFIG,
        30,
    ),
}


def _event(i: int, hook: str, payload: dict[str, Any], user: str | None = None) -> dict[str, Any]:
    return {
        "id": f"e{i:03d}",
        "hook": hook,
        "payload": payload,
        "user": user or f"user-{i}",
        "request_id": f"req-{i:03d}",
    }


def tool_events() -> list[dict[str, Any]]:
    """At least 60 tool events: each kind of PII and secret, clean, nested, post results."""
    out: list[dict[str, Any]] = []
    texts = (
        [f"mail me at {e}" for e in EMAILS]
        + [f"my ssn is {s}" for s in SSNS]
        + [f"card {c} exp 12/29" for c in CARDS]
        + [f"call {p} tomorrow" for p in PHONES]
        + [f"key={k}" for k in KEYS]
        + CLEAN
    )
    for text in texts:  # flat pre
        out.append(_event(len(out), "tool_pre_invoke", {"name": "send", "args": {"text": text}}))
    for text in texts:  # nested pre
        args = {"outer": {"list": [text, {"deep": text}], "n": 3}, "flag": True}
        out.append(_event(len(out), "tool_pre_invoke", {"name": "nested_tool", "args": args}))
    for text in texts:  # post results
        result = {"content": [{"type": "text", "text": text}], "isError": False}
        out.append(_event(len(out), "tool_post_invoke", {"name": "fetch", "result": result}))
    return out


def rate_limit_events(user: str) -> list[dict[str, Any]]:
    """One user, over the limit: the first ``RATE_LIMIT`` pass, the rest are blocked."""
    return [
        _event(900 + i, "tool_pre_invoke", {"name": "search", "args": {"q": f"q{i}"}}, user)
        for i in range(RATE_LIMIT + 3)
    ]
