"""Every value in a text at once, each kind by its own module, no character in two.

Each finder runs on a copy of the text in which the spans already claimed by a
stronger kind are blanked out, in the order of ENTITY_TYPES: dates and amounts beat
phones ("12.03.2025", "1234567.00 EUR"), durations take what dates left ("3 days"),
and phones beat order ids and quantities, so "my order, call 07700 900123" is a phone.
"""

from __future__ import annotations

from datetime import date
from typing import Callable, Iterable

from crm_store.values.amounts import find_amounts
from crm_store.values.dates import find_dates
from crm_store.values.durations import find_durations
from crm_store.values.emails import find_emails
from crm_store.values.order_ids import find_order_ids
from crm_store.values.phones import FALLBACK_REGIONS, find_phones, shop_region
from crm_store.values.quantities import find_quantities
from crm_store.values.spans import Entity, Match, masked, pick

ENTITY_TYPES = ("email", "date", "duration", "amount", "phone", "order_id", "quantity")


def extract_all(
    text: str,
    today: date | None = None,
    *,
    region: str | None = None,
    fallback_regions: Iterable[str] = FALLBACK_REGIONS,
    dayfirst: bool = True,
) -> list[Entity]:
    """Every entity in text, ordered by start; no two share a character."""
    if not text:
        return []
    today = today or date.today()
    regions = (region or shop_region(), *fallback_regions)
    finders: dict[str, Callable[[str], Iterable[Match]]] = {
        "email": find_emails,
        "date": lambda rest: find_dates(rest, today, dayfirst),
        "duration": find_durations,
        "amount": find_amounts,
        "phone": lambda rest: find_phones(rest, regions),
        "order_id": find_order_ids,
        "quantity": find_quantities,
    }
    rest, found = text, []
    for entity in ENTITY_TYPES:
        for start, end, value in pick(finders[entity](rest)):
            found.append(Entity(entity, value, start, end, text[start:end]))
            rest = masked(rest, start, end)
    return sorted(found, key=lambda e: (e.start, e.end))


def parse_quantity(text: str) -> int | None:
    """First quantity in text ('2 of them', 'three', 'x3') as an int, or None."""
    value = next((e.value for e in extract_all(text) if e.entity == "quantity"), None)
    return int(value) if value else None
