"""Finding PII in one string: each detector returns spans, overlaps are resolved once.

Every detector runs on the original text and returns ``Span``s. ``find`` keeps, at each
position, the earliest span, then the longest, then the one of the type listed first in
``PII_TYPES``, so a phone number inside an email address is masked once, as an email.
The built-in patterns have no nested quantifiers that can backtrack without bound, and
each candidate is validated (Luhn, mod-97, ``ipaddress``, phone metadata) before it counts.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import phonenumbers

PII_TYPES: tuple[str, ...] = (
    "api_key",
    "jwt",
    "email",
    "iban",
    "credit_card",
    "ssn",
    "ipv6",
    "ipv4",
    "phone",
)


@dataclass(frozen=True, slots=True)
class Span:
    """``text[start:end]`` is PII of type ``kind``."""

    start: int
    end: int
    kind: str


Detector = Callable[[str], Iterable[Span]]

# -- email ----------------------------------------------------------------------------

EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,63}"
    r"(?![A-Za-z0-9-])"
)


def find_emails(text: str) -> Iterable[Span]:
    if "@" not in text:
        return
    for m in EMAIL_RE.finditer(text):
        yield Span(m.start(), m.end(), "email")


# -- credit cards ---------------------------------------------------------------------

# A maximal run of digit groups joined by single spaces or dashes; cards are found in it.
DIGIT_RUN_RE = re.compile(r"(?<![\w+-])(?<!\d[ -])\d+(?:[ -]\d+)*(?!\w)", re.ASCII)
_DOUBLED = str.maketrans("0123456789", "0246813579")  # 2*d with its digits summed


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check of a string of ASCII digits."""
    rev = digits[::-1]
    doubled = rev[1::2].translate(_DOUBLED)
    return (sum(map(int, rev[0::2])) + sum(map(int, doubled))) % 10 == 0


def _card_end(groups: Sequence[str], start: int) -> int | None:
    """Index of the last group of the longest card number starting at ``groups[start]``.

    Cards are written unbroken or in groups of 3+ digits (4-4-4-4, 4-6-5, 4-4-4-4-3); the
    first digit is an issuer's (2 to 6: Mastercard, Amex, Diners, JCB, Visa, Discover ...).
    """
    digits, best = "", None
    for end in range(start, len(groups)):
        digits += groups[end]
        if len(groups[end]) < 3 or len(digits) > 19:
            break
        if len(digits) >= 13 and digits[0] in "23456" and luhn_valid(digits):
            best = end
    return best


def find_cards(text: str) -> Iterable[Span]:
    for m in DIGIT_RUN_RE.finditer(text):
        run = m.group()
        if sum(ch.isdigit() for ch in run) < 13:
            continue
        # group boundaries inside the run: (start offset, group text)
        groups, offsets, pos = [], [], 0
        for part in re.split(r"[ -]", run):
            groups.append(part)
            offsets.append(pos)
            pos += len(part) + 1
        i = 0
        while i < len(groups):
            end = _card_end(groups, i)
            if end is None:
                i += 1
                continue
            start = m.start() + offsets[i]
            yield Span(start, m.start() + offsets[end] + len(groups[end]), "credit_card")
            i = end + 1


# -- US SSN ---------------------------------------------------------------------------

# Area 000, 666 and 9xx, group 00 and serial 0000 are never issued.
SSN_RE = re.compile(
    r"(?<![\w-])(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\w-])", re.ASCII
)


def find_ssns(text: str) -> Iterable[Span]:
    for m in SSN_RE.finditer(text):
        yield Span(m.start(), m.end(), "ssn")


# -- IBAN -----------------------------------------------------------------------------

#: Length of the IBAN of each country that issues them (SWIFT's IBAN registry).
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22,
    "BH": 22, "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24,
    "DE": 22, "DJ": 27, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18,
    "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27,
    "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
    "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27,
    "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28,
    "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31,
    "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip
# Country, check digits, then the BBAN unbroken or in groups of 4 split by one space.
IBAN_RE = re.compile(
    r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[A-Z0-9]{11,30}|(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,3})?)"
    r"(?![A-Za-z0-9])"
)


def iban_valid(candidate: str) -> bool:
    """Country length and the ISO 13616 mod-97 check of an IBAN (spaces allowed)."""
    iban = candidate.replace(" ", "")
    if IBAN_LENGTHS.get(iban[:2]) != len(iban):
        return False
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


def find_ibans(text: str) -> Iterable[Span]:
    for m in IBAN_RE.finditer(text):
        if iban_valid(m.group()):
            yield Span(m.start(), m.end(), "iban")


# -- IP addresses ---------------------------------------------------------------------

IPV4_RE = re.compile(
    r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
    r"(?![\w]|\.\d)",
    re.ASCII,
)
# A run of hex digits and colons (an embedded IPv4 tail allowed); ipaddress validates it.
IPV6_RE = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?"
    r"(?:%[\w.]{1,16})?(?![\w:])",
    re.ASCII,
)


# A dotted quad right after one of these words is a version or a section number.
_NOT_AN_ADDRESS_BEFORE = re.compile(
    r"(?i:\b(?:version|ver|v|release|build|upgrade to|section|chapter|§|rfc|oid))[\s.:]*$"
)


def find_ipv4(text: str) -> Iterable[Span]:
    if text.count(".") < 3:
        return
    for m in IPV4_RE.finditer(text):
        if _NOT_AN_ADDRESS_BEFORE.search(text, max(0, m.start() - 16), m.start()):
            continue
        yield Span(m.start(), m.end(), "ipv4")


def find_ipv6(text: str) -> Iterable[Span]:
    if text.count(":") < 2:
        return
    for m in IPV6_RE.finditer(text):
        candidate = m.group()
        # at least one digit: "dead::beef" or "a::b" in prose and code is not an address
        if not any(ch.isdigit() for ch in candidate):
            continue
        try:
            ipaddress.IPv6Address(candidate)
        except ValueError:
            continue
        yield Span(m.start(), m.end(), "ipv6")


# -- API keys and tokens --------------------------------------------------------------

#: Provider key formats: a fixed prefix and a long random body, so a prefix is evidence.
API_KEY_PATTERNS: dict[str, str] = {
    "aws_access_key": r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b",
    "github": r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b",
    "gitlab": r"\bglpat-[A-Za-z0-9_-]{20,64}\b",
    "openai_anthropic": r"\bsk-(?:ant-|proj-|svcacct-|admin-)?[A-Za-z0-9_-]{32,256}\b",
    "stripe": r"\b(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{16,128}\b",
    "slack": r"\bxox[abposr]-[A-Za-z0-9-]{10,128}\b",
    "google": r"\bAIza[0-9A-Za-z_-]{35}\b",
    "huggingface": r"\bhf_[A-Za-z]{34}\b",
    "npm": r"\bnpm_[A-Za-z0-9]{36}\b",
    "sendgrid": r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b",
    "bearer": r"(?i:\bbearer)\s+(?!eyJ)[A-Za-z0-9._~+/-]{20,512}=*",  # a JWT is a jwt
    "private_key": r"-----BEGIN [A-Z ]{0,20}PRIVATE KEY-----[\s\S]{1,8192}?"
    r"-----END [A-Z ]{0,20}PRIVATE KEY-----",
}
API_KEY_RE = re.compile("|".join(f"(?:{p})" for p in API_KEY_PATTERNS.values()), re.ASCII)
JWT_RE = re.compile(
    r"\beyJ[A-Za-z0-9_-]{5,2048}\.eyJ[A-Za-z0-9_-]{5,8192}\.[A-Za-z0-9_-]{10,1024}", re.ASCII
)


def find_api_keys(text: str) -> Iterable[Span]:
    for m in API_KEY_RE.finditer(text):
        yield Span(m.start(), m.end(), "api_key")


def find_jwts(text: str) -> Iterable[Span]:
    if "eyJ" not in text:
        return
    for m in JWT_RE.finditer(text):
        yield Span(m.start(), m.end(), "jwt")


# -- phone numbers --------------------------------------------------------------------

_PHONE_CONTEXT_RE = re.compile(
    r"(?i:phone|tel|call|mobile|cell|fax|whatsapp|sms|text me|reach me|number)[\s:.#]*$"
)
_MIN_PHONE_DIGITS = 7
_MAX_PHONE_DIGITS = 15  # E.164
# Digits with the separators numbers are written with (" +" starts another number).
_PHONE_CANDIDATE_RE = re.compile(r"\+?\(?\d(?:[\d().\-/]|[ \t](?!\+)){5,40}\d\)?")
_IDENTIFIER_BEFORE = re.compile(r"[A-Za-z0-9][-_/]$")
_IDENTIFIER_AFTER = re.compile(r"[-_/][A-Za-z0-9]")


class PhoneFinder:
    """Phone numbers by ``phonenumbers`` (Google's libphonenumber metadata, offline).

    Runs of digits and phone separators are candidates; each is parsed for the
    configured regions (its ``+`` country code wins) and kept when valid. A run holding
    more digits than one number can is handed to libphonenumber's matcher to split. A
    match must be a *valid* number for its region (or carry a ``+`` country code). An
    unbroken run of digits without ``+`` counts only after a word such as "phone" or
    "call": a bare 10-digit order or account number is valid for many regions too.
    """

    def __init__(self, regions: Sequence[str]) -> None:
        self.regions = tuple(r.upper() for r in regions) or ("US",)

    def __call__(self, text: str) -> Iterable[Span]:
        if sum(ch.isdigit() for ch in text) < _MIN_PHONE_DIGITS:
            return
        for candidate in _PHONE_CANDIDATE_RE.finditer(text):
            raw = candidate.group()
            start = candidate.start()
            if raw.endswith(")") and "(" not in raw:
                raw = raw[:-1]
            digits = sum(ch.isdigit() for ch in raw)
            if digits < _MIN_PHONE_DIGITS:
                continue
            if digits <= _MAX_PHONE_DIGITS and self._valid(raw):
                if self._plausible(text, start, start + len(raw), raw):
                    yield Span(start, start + len(raw), "phone")
            elif digits > _MAX_PHONE_DIGITS and " " in raw:  # several numbers: the matcher splits
                yield from self._matched(text, raw, start)

    def _valid(self, raw: str) -> bool:
        for region in self.regions:
            try:
                number = phonenumbers.parse(raw, region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(number):
                return True
        return False

    def _matched(self, text: str, raw: str, offset: int) -> Iterable[Span]:
        seen: set[tuple[int, int]] = set()
        for region in self.regions:
            matcher = phonenumbers.PhoneNumberMatcher(
                raw, region, leniency=phonenumbers.Leniency.VALID
            )
            for match in matcher:
                start, end = offset + match.start, offset + match.end
                if (start, end) not in seen and self._plausible(text, start, end, match.raw_string):
                    seen.add((start, end))
                    yield Span(start, end, "phone")

    @staticmethod
    def _plausible(text: str, start: int, end: int, raw: str) -> bool:
        if _IDENTIFIER_BEFORE.search(text, max(0, start - 2), start) or _IDENTIFIER_AFTER.match(
            text, end
        ):
            return False  # part of an identifier: INV-2024-000118, 2024-118-0042-x
        if raw.startswith("+") or not raw.isdigit():
            return True  # a country code, or written with separators or brackets
        return _PHONE_CONTEXT_RE.search(text, max(0, start - 24), start) is not None


# -- custom patterns and the whole --------------------------------------------------


def regex_detector(pattern: re.Pattern[str], kind: str) -> Detector:
    """A detector reporting every non-empty match of ``pattern`` as ``kind``."""

    def find(text: str) -> Iterable[Span]:
        for m in pattern.finditer(text):
            if m.end() > m.start():
                yield Span(m.start(), m.end(), kind)

    return find


BUILTIN: dict[str, Detector] = {
    "api_key": find_api_keys,
    "jwt": find_jwts,
    "email": find_emails,
    "iban": find_ibans,
    "credit_card": find_cards,
    "ssn": find_ssns,
    "ipv6": find_ipv6,
    "ipv4": find_ipv4,
}


def resolve(spans: Iterable[Span], rank: dict[str, int]) -> list[Span]:
    """Non-overlapping spans: earliest start, then longest, then lowest ``rank``."""
    ordered = sorted(spans, key=lambda s: (s.start, -(s.end - s.start), rank.get(s.kind, 99)))
    kept: list[Span] = []
    end = -1
    for span in ordered:
        if span.start >= end:
            kept.append(span)
            end = span.end
    return kept


def blank(text: str, spans: Sequence[Span]) -> str:
    """``text`` with ``spans`` overwritten by spaces: offsets stay, their digits are gone."""
    if not spans:
        return text
    chars = list(text)
    for span in spans:
        chars[span.start : span.end] = " " * (span.end - span.start)
    return "".join(chars)


def find(text: str, detectors: Sequence[Detector], rank: dict[str, int]) -> list[Span]:
    """Every PII span in ``text``, without overlaps, in order.

    Phone numbers are looked for last, in the text with every other span blanked: the
    digits of a card, an SSN or an address are not read again as a phone number.
    """
    spans: list[Span] = []
    for detector in detectors:
        if isinstance(detector, PhoneFinder):
            spans.extend(detector(blank(text, spans)))
        else:
            spans.extend(detector(text))
    if len(spans) <= 1:
        return spans
    return resolve(spans, rank)
