"""pii_filter: finds personal data and secrets in payloads and masks or blocks on them."""

from ._detect import PII_TYPES, iban_valid, luhn_valid
from .plugin import PiiFilter

__all__ = ["PII_TYPES", "PiiFilter", "iban_valid", "luhn_valid"]
