"""Money amounts: a figure next to a currency mark or word.

The span is found here (price-parser parses a price string, it does not find one in a
sentence); the figure itself ("1.234,56", "1,000", "49,90") is read by price-parser.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Iterator

from price_parser import Price

from crm_store.values.spans import Match

_NUM = r"(?:\d{1,3}(?:[.,']\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)"
_CURRENCY_WORDS = {
    "€": "EUR",
    "eur": "EUR",
    "euro": "EUR",
    "euros": "EUR",
    "$": "USD",
    "usd": "USD",
    "dollar": "USD",
    "dollars": "USD",
    "bucks": "USD",
    "£": "GBP",
    "gbp": "GBP",
    "chf": "CHF",
    "francs": "CHF",
}
_CUR = r"(?:[€$£]|(?:eur|euros?|usd|dollars?|bucks|gbp|chf|francs)\b)"
_AMOUNT = re.compile(
    rf"(?<![\w.,])(?:(?P<cur1>{_CUR})\s?:?\s?(?P<num1>{_NUM})"
    rf"|(?P<num2>{_NUM})\s?(?P<cur2>{_CUR}))(?!\d|[.,]\d)",
    re.IGNORECASE,
)


def _decimal(raw: str) -> Decimal | None:
    amount = Price.fromstring(raw).amount
    if amount is None:
        return None
    try:
        return amount.quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def parse_number(text: str) -> Decimal | None:
    """A bare money figure without a currency ('1.299,00', '89.90') as a Decimal, or None."""
    raw = (text or "").strip()
    return _decimal(raw) if re.fullmatch(_NUM, raw) else None


def parse_amount(text: str) -> tuple[str, str] | None:
    """First amount in text as ('49.90', 'EUR'), or None."""
    found = next(find_amounts(text or ""), None)
    if found is None:
        return None
    amount, currency = found[2].split(" ")
    return amount, currency


def find_amounts(text: str) -> Iterator[Match]:
    for found in _AMOUNT.finditer(text):
        number = _decimal(found.group("num1") or found.group("num2"))
        currency = _CURRENCY_WORDS[(found.group("cur1") or found.group("cur2")).lower()]
        if number is not None:
            yield found.start(), found.end(), f"{number} {currency}"
