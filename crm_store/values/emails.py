"""Email addresses, validated by email-validator (syntax only, no DNS): the one validator the
chat, the form validators, the digest recipients and the CSV import all use."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterator

from email_validator import EmailNotValidError, validate_email

from crm_store.values.spans import Match

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


class InvalidEmail(ValueError):
    """Not an email address; the message says why (email-validator's reason)."""


def check_email(text: str) -> str:
    """Validated address with a lowercased domain (no DNS lookups); raises InvalidEmail."""
    try:
        return validate_email((text or "").strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidEmail(str(exc)) from None


def normalize_email(text: str) -> str | None:
    """Validated address with a lowercased domain, or None (no DNS lookups)."""
    try:
        return check_email(text)
    except InvalidEmail:
        return None


@lru_cache(maxsize=100_000)
def check_domain(domain: str) -> str:
    """The normalised domain part of an address; raises InvalidEmail. Cached: a bulk import's
    million addresses share a few thousand domains."""
    try:
        return validate_email("x@" + domain, check_deliverability=False).domain
    except EmailNotValidError as exc:
        raise InvalidEmail(str(exc)) from None


def find_emails(text: str) -> Iterator[Match]:
    for found in _EMAIL.finditer(text):
        raw = found.group().rstrip(".-")
        value = normalize_email(raw)
        if value:
            yield found.start(), found.start() + len(raw), value
