"""pii_filter detectors: each type found, its near-misses left alone, overlaps resolved."""

from __future__ import annotations

import pytest
from pii_filter import PII_TYPES, iban_valid, luhn_valid
from pii_filter._config import settings_from
from pii_filter._detect import Span, find, resolve


def kinds(text: str, **config: object) -> list[str]:
    s = settings_from(config)
    return [span.kind for span in find(text, s.detectors, s.rank)]


@pytest.mark.parametrize(
    "text,kind",
    [
        ("mail a.b+c@sub.example.co.uk", "email"),
        ("+44 20 7946 0958", "phone"),
        ("(415) 555-2671", "phone"),
        ("phone: 4155552671", "phone"),
        ("4111 1111 1111 1111", "credit_card"),
        ("3782 822463 10005", "credit_card"),
        ("123-45-6789", "ssn"),
        ("219 09 9999", "ssn"),
        ("GB82 WEST 1234 5698 7654 32", "iban"),
        ("DE89370400440532013000", "iban"),
        ("from 203.0.113.45", "ipv4"),
        ("2001:db8::8a2e:370:7334", "ipv6"),
        ("[2606:4700:4700::1111]:443", "ipv6"),
        ("AKIAIOSFODNN7EXAMPLE", "api_key"),
        ("ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5", "api_key"),
        ("sk-ant-api03-Xy7Qm2Lp9Rt4Vb8Nc3Kd6Hf1Js5Gw0Ze", "api_key"),
        ("Authorization: Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0ffeeddcc", "api_key"),
        ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.dozjgNryP4J3jVmNHl0w5N_XgL0", "jwt"),
    ],
)
def test_each_type_is_found(text: str, kind: str) -> None:
    assert kinds(text) == [kind]


@pytest.mark.parametrize(
    "text",
    [
        "order 4111111111111112",  # Luhn fails
        "order 4155552671",  # a bare 10-digit number without a phone word
        "Invoice INV-2024-000118",
        "on 2024-01-15 at 10:30:00",
        "version 1.2.3.4",
        "value 256.1.1.1",
        "MAC 00:1A:2B:3C:4D:5E",
        "std::vector and dead::beef",
        "GB00WEST12345698765432",  # mod-97 fails
        "000-12-3456 and 666-12-3456",
        "uuid 123e4567-e89b-12d3-a456-426614174000",
        "foo@bar and @alice",
        "the sk-learn library, the ghp_ prefix",
        "Bearer <token>",
    ],
)
def test_near_misses_are_not_pii(text: str) -> None:
    assert kinds(text) == []


def test_a_phone_number_inside_an_email_is_one_email() -> None:
    assert kinds("john.4155552671@example.com") == ["email"]


def test_a_bearer_jwt_is_a_jwt() -> None:
    assert kinds("Bearer eyJhbGciOiJIUzI1NiJ9.eyJyIjoiYSJ9.c2lnbmF0dXJlMTIzNDU2") == ["jwt"]


def test_a_switched_off_type_is_not_found() -> None:
    assert kinds("a@b.io 123-45-6789", detect={"email": False}) == ["ssn"]


def test_phone_regions_find_national_formats() -> None:
    assert kinds("Tel 030 901820") == []
    assert kinds("Tel 030 901820", phone_regions=["DE"]) == ["phone"]


def test_resolve_keeps_the_earliest_then_longest_then_by_rank() -> None:
    spans = [Span(5, 9, "phone"), Span(0, 9, "email"), Span(0, 9, "api_key"), Span(9, 12, "x")]
    assert resolve(spans, {t: i for i, t in enumerate(PII_TYPES)}) == [
        Span(0, 9, "api_key"),
        Span(9, 12, "x"),
    ]


def test_validators() -> None:
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert iban_valid("GB82 WEST 1234 5698 7654 32")
    assert not iban_valid("XX82WEST12345698765432")
