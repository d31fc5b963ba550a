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


def parse_rating(text: str) -> int | None:
    """'5', 'five', '4 stars', '4/5', 'I give it a 3' -> int; two different numbers -> None."""
    found = {int(m.group(1)) if m.group(1) else _WORDS[m.group(2).lower()] for m in _RATING.finditer(text or "")}
    return found.pop() if len(found) == 1 else None
