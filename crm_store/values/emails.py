"""Email addresses, validated by email-validator (syntax only, no DNS)."""
from __future__ import annotations

import re
from typing import Iterator

from email_validator import EmailNotValidError, validate_email

from crm_store.values.spans import Match

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def normalize_email(text: str) -> str | None:
    """Validated address with a lowercased domain, or None (no DNS lookups)."""
    try:
        return validate_email((text or "").strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def find_emails(text: str) -> Iterator[Match]:
    for found in _EMAIL.finditer(text):
        raw = found.group().rstrip(".-")
        value = normalize_email(raw)
        if value:
            yield found.start(), found.start() + len(raw), value
