"""Phone numbers as E.164, by phonenumbers.

A number written with its country code ("+44 7700 900123") is taken when it has a
possible length for that country, even if phonenumbers' ranges call it unassigned:
the "+" says it is a phone. A national number ("030 1234567") must be valid in the
region tried.
"""

from __future__ import annotations

import re
from typing import Iterable, Iterator

import phonenumbers

from crm_store.values.spans import Match

DEFAULT_REGION = "DE"  # only where no settings can be read; the shop's region is DEFAULT_PHONE_REGION
FALLBACK_REGIONS = ("GB", "US")


def shop_region() -> str:
    """The shop's default phone region: the one setting DEFAULT_PHONE_REGION, for every parser."""
    from crm_store.errors import SettingsError
    from crm_store.settings import get_settings  # late: importing values reads no environment

    try:
        return get_settings().default_phone_region
    except SettingsError:  # a bad setting stops startup elsewhere, with its own message
        return DEFAULT_REGION


_PHONE_CANDIDATE = re.compile(r"(?<![\w+.,/-])\+?\(?\d[\d \t().\-/]{4,22}\d(?!\w)")
_PHONE_CONTEXT = re.compile(
    r"\b(?:call|phone|tel|telephone|mobile|cell|number|reach|whatsapp|ring|sms|handy"
    r"|telefono|cellulare)\b",
    re.IGNORECASE,
)


def _international(raw: str) -> bool:
    return raw.lstrip("(").startswith(("+", "00"))


def _prefix_ok(raw: str, region: str) -> bool:
    # In DE or GB a national number is written with its trunk "0"; without it,
    # "202-555-0123" is a US number, not one in Wuppertal.
    if _international(raw):
        return True
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    prefix = metadata.national_prefix if metadata else None
    return prefix != "0" or raw.lstrip("(").startswith("0")


def normalize_phone(
    text: str, region: str | None = None, fallback_regions: Iterable[str] = FALLBACK_REGIONS
) -> str | None:
    """A whole string such as a form answer as an E.164 number, or None (region: the shop's)."""
    raw = (text or "").strip()
    region = region or shop_region()
    for candidate_region in (region, *fallback_regions):
        try:
            number = phonenumbers.parse(raw, candidate_region)
        except phonenumbers.NumberParseException:
            return None
        if _acceptable(number, raw) and _prefix_ok(raw, candidate_region):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


def _acceptable(number: phonenumbers.PhoneNumber, raw: str) -> bool:
    if phonenumbers.is_valid_number(number):
        return True
    return _international(raw) and phonenumbers.is_possible_number(number)


def find_phones(text: str, regions: tuple[str, ...]) -> Iterator[Match]:
    for candidate in _PHONE_CANDIDATE.finditer(text):
        if sum(char.isdigit() for char in candidate.group()) < 7:
            continue
        for region in regions:
            matches = [
                found
                for found in phonenumbers.PhoneNumberMatcher(
                    candidate.group(), region, leniency=phonenumbers.Leniency.POSSIBLE
                )
                if _acceptable(found.number, found.raw_string) and _prefix_ok(found.raw_string, region)
            ]
            for found in matches:
                start = candidate.start() + found.start
                raw = found.raw_string
                # A bare run of digits is an id or a reference far more often than
                # a phone number, unless the customer says it is one.
                bare = raw.isdigit() and not raw.startswith("0")
                context = text[max(0, start - 40) : start]
                if bare and not _PHONE_CONTEXT.search(context):
                    continue
                value = phonenumbers.format_number(found.number, phonenumbers.PhoneNumberFormat.E164)
                yield start, start + len(raw), value
            if matches:
                break
