"""pii_masker: masks personal data (emails, phones, US SSNs, card numbers) in payloads."""

from ._detect import luhn_valid, mask_text, mask_value
from .plugin import PiiMasker

__all__ = ["PiiMasker", "luhn_valid", "mask_text", "mask_value"]
