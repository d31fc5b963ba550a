"""Currencies by their printed marks: symbols, ISO codes and the local names shops print.

A receipt rarely names its currency on every line: the marks found anywhere on it
decide, and where it has none the shop's own currency (a setting) stands. "$" alone
is the US dollar unless the receipt says S$ or SGD; "RM" is the Malaysian ringgit.
"""

from __future__ import annotations

import re
from collections import Counter

CURRENCY_CODES = ("EUR", "GBP", "USD", "CHF", "PLN", "MYR", "SGD", "IDR", "INR")
_MARKS = {
    "€": "EUR",
    "eur": "EUR",
    "euro": "EUR",
    "£": "GBP",
    "gbp": "GBP",
    "$": "USD",
    "us$": "USD",
    "usd": "USD",
    "chf": "CHF",
    "fr.": "CHF",
    "sfr": "CHF",
    "zł": "PLN",
    "zl": "PLN",
    "pln": "PLN",
    "rm": "MYR",
    "myr": "MYR",
    "ringgit": "MYR",
    "s$": "SGD",
    "sgd": "SGD",
    "rp": "IDR",
    "idr": "IDR",
    "rupiah": "IDR",
    "₹": "INR",
    "rs.": "INR",
    "rs": "INR",
    "inr": "INR",
}
SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$", "INR": "₹", "MYR": "RM ", "SGD": "S$", "IDR": "Rp ", "PLN": "zł "}
# Longest first, so "S$" is not read as "$" and "US$" not as "S$"; words need their boundaries,
# and "RM" must touch or precede a figure (a word "RM" in a name is not money).
_MARK = re.compile(
    r"US\$|S\$|[€£$₹]|zł|\bRM(?=\s?\d)|\b(?:EUR|GBP|USD|CHF|PLN|MYR|SGD|IDR|INR|SFR|ringgit|rupiah)\b"
    r"|\bRp\.?(?=\s?\d)|\bRs\.?(?=\s?\d)|\bFr\.(?=\s?\d)|\bzl(?=\s?\d)",
    re.I,
)


def currency_of(mark: str) -> str | None:
    """The ISO code of one printed mark ('RM', 'S$', '€'), or None."""
    key = mark.strip().lower()
    return _MARKS.get(key) or _MARKS.get(key.rstrip("."))


def find_currencies(text: str) -> list[str]:
    """ISO codes of the currency marks in text, in order."""
    codes = []
    for found in _MARK.finditer(text or ""):
        code = currency_of(found.group())
        if code:
            codes.append(code)
    return codes


def dominant_currency(text: str, default: str | None = None) -> str | None:
    """The currency a document is in: its most frequent mark (S$ beats a bare $), else default."""
    counts = Counter(find_currencies(text))
    if not counts:
        return default
    if "SGD" in counts and "USD" in counts:
        counts["SGD"] += counts.pop("USD")
    return counts.most_common(1)[0][0]
