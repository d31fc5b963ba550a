"""Cleaning one imported value. Each returns the clean value or raises BadValue with a reason."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation

from crm_store.values import normalize_email, normalize_phone
from crm_store.values.emails import InvalidEmail, check_domain

_PLAIN_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")
_DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%d.%m.%Y",
    "%d/%m/%Y",
    "%Y/%m/%d",
)


class BadValue(ValueError):
    pass


def clean_name(raw: str) -> str:
    """Trimmed, one space between words; ALL CAPS or all lower case becomes Title Case."""
    name = " ".join(raw.split())
    if name and (name.isupper() or name.islower()):
        name = name.title()
    return name


_DOT_ATOM = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")


def clean_email(raw: str) -> str:
    """Lower-cased address checked by email-validator. A plain ASCII local part is checked by its
    dot-atom grammar and the domain by email-validator once per domain: a million rows share a few
    thousand domains, and the full check of every address would be most of an import's time."""
    text = raw.strip()
    local, at, domain = text.rpartition("@")
    if at and text.isascii() and len(local) <= 64 and len(text) <= 254 and _DOT_ATOM.match(local):
        try:
            return f"{local}@{check_domain(domain.lower())}".lower()
        except InvalidEmail:
            raise BadValue(f"email {raw!r} is not a valid address") from None
    value = normalize_email(raw)
    if value is None:
        raise BadValue(f"email {raw!r} is not a valid address")
    return value.lower()


def clean_phone(raw: str, region: str) -> str:
    value = normalize_phone(raw, region, fallback_regions=())
    if value is None:
        raise BadValue(f"phone {raw!r} is not a valid number for region {region}")
    return value


def parse_when(raw: str) -> datetime:
    """Naive UTC datetime from ISO, day-first European and most written forms (dateparser)."""
    text = raw.strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    import dateparser

    parsed = dateparser.parse(
        text,
        settings={
            "DATE_ORDER": "DMY",
            "PREFER_DAY_OF_MONTH": "first",
            "TO_TIMEZONE": "UTC",
            "RETURN_AS_TIMEZONE_AWARE": False,
        },
    )
    if parsed is None:
        raise BadValue(f"date {raw!r} cannot be read")
    return parsed


def parse_total(raw: str) -> Decimal:
    """ "49.90", "€1.234,50", "-12,00 EUR" -> Decimal (sign kept)."""
    text = raw.strip()
    if _PLAIN_NUMBER.match(text):
        return Decimal(text).quantize(Decimal("0.01"))
    from price_parser import Price

    price = Price.fromstring(text)
    if price.amount is None:
        raise BadValue(f"amount {raw!r} is not a number")
    try:
        amount = Decimal(price.amount).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise BadValue(f"amount {raw!r} is not a number") from None
    return -abs(amount) if text.startswith("-") or text.endswith("-") else amount
