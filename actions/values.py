"""Values read from what the customer typed (or the entities carry): an order number, a rating.

The action modules share these; this module imports none of them.
"""

from __future__ import annotations

import re
from typing import Any

from crm_store.values import normalize_order_id

_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
_RATING = re.compile(r"(?<![\d.])([1-5])(?:\s*(?:/|out of)\s*5)?(?![\d.])|\b(one|two|three|four|five)\b", re.IGNORECASE)


def order_number(value: Any) -> str | None:
    """The first candidate that reads as an order number (entities may come as a list)."""
    for candidate in value if isinstance(value, list) else [value]:
        number = normalize_order_id(str(candidate or ""))
        if number:
            return number
    return None


_LEADING_RATING = re.compile(
    r"^\s*(?:(?:i'?d |i )?(?:give|rate)(?: (?:it|you|this|us))?(?: an?)?\s+)?([1-5]|one|two|three|four|five)"
    r"(?:\s*(?:/\s*5|out of (?:5|five)|stars?))?(?:\s*[-\u2013\u2014:,.;!)]+\s*|\s+|$)(.*)$",
    re.IGNORECASE | re.DOTALL,
)
_STAR_RUN = re.compile(r"^\s*([\u2b50\u2605]{1,5})\s*(.*)$", re.DOTALL)


def rating_and_comment(text: str) -> tuple[int, str | None] | None:
    """'5', '4 - would be 5 if the colour had been right', '2, shipping is too slow', '⭐⭐⭐ ok' ->
    (rating, comment or None); None when the message does not start with a rating."""
    stripped = (text or "").strip()
    stars = _STAR_RUN.match(stripped)
    if stars:
        rest = stars.group(2).strip(" -,.:;")
        return len(stars.group(1)), rest or None
    lead = _LEADING_RATING.match(stripped)
    if lead:
        value = lead.group(1).lower()
        rest = lead.group(2).strip(" -,.:;")
        return (int(value) if value.isdigit() else _WORDS[value]), rest or None
    rating = parse_rating(stripped) if len(stripped) <= 30 else None
    return (rating, None) if rating is not None else None


def parse_rating(text: str) -> int | None:
    """'5', 'five', '4 stars', '4/5', 'I give it a 3' -> int; two different numbers -> None."""
    found = {int(m.group(1)) if m.group(1) else _WORDS[m.group(2).lower()] for m in _RATING.finditer(text or "")}
    return found.pop() if len(found) == 1 else None
