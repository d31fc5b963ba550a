"""Order ids: 'A-10423', '#10423', or five digits after a word that names an order."""

from __future__ import annotations

import re
from typing import Iterator

from crm_store.values.spans import Match

_ORDER_EXPLICIT = re.compile(r"(?<![\w#-])(?:[Aa]-?|#\s?)(\d{5})(?![\w-]|[.,]\d)")
_ORDER_CONTEXT = re.compile(
    r"\b(?:orders?|ordine|ordini|parcels?|packages?|shipments?|pacco|bestellung)\b"
    r"(?:[\s:#.,°-]+(?:number|num|no|nr|n|id|is|was|it's|its|my|the|code|ref|reference"
    r"|numero|è|il|mio|with|for|about|of)\b){0,4}[\s:#.,°-]*(\d{5})(?![\w-]|[.,]\d)",
    re.IGNORECASE,
)
_ORDER_ALONE = re.compile(r"^[^\w\x00]*?#?(\d{5})[^\w\x00]*$")
_ORDER_NORMAL = re.compile(r"^\s*(?:[Aa]\s?-?\s?|#\s?)?(\d{5})\s*$")


def normalize_order_id(text: str) -> str | None:
    """'A-10423', 'a10423', '#10423', '10423' -> 'A-10423'; anything else -> None."""
    found = _ORDER_NORMAL.match(text or "")
    return f"A-{found.group(1)}" if found else None


def find_order_ids(text: str) -> Iterator[Match]:
    for pattern in (_ORDER_EXPLICIT, _ORDER_CONTEXT, _ORDER_ALONE):
        for found in pattern.finditer(text):
            start = found.start() if pattern is _ORDER_EXPLICIT else found.start(1)
            yield start, found.end(1), f"A-{found.group(1)}"
