"""Receipt fields from OCR text: a pure function, no I/O.

Each kind of value is parsed by the project's one parser for it (crm_store/values/):
order numbers, dates, amounts, emails and phones. This module only decides *where*
on a receipt each value sits: the total on the last line that says "total", line
items between the header and the total, the merchant on the first line of words.
OCR's usual confusions (O for 0, l for 1) are repaired inside number-shaped tokens only.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from crm_store.values import extract_all, normalize_order_id, parse_amount, parse_date, parse_number

FIELD_NAMES = ("order_number", "date", "total", "currency", "merchant", "email", "phone", "items")

_TOTAL_WORDS = re.compile(
    r"\b(?:grand\s+total|total|amount\s+due|balance\s+due|to\s+pay|summe|gesamt|totale)\b", re.I
)
_NOT_TOTAL = re.compile(r"\b(?:sub[\s-]?total|zwischensumme|tax|vat|mwst|items?\s+total)\b", re.I)
_NOT_ITEM = re.compile(
    r"\b(?:total|subtotal|sub-total|tax|vat|mwst|change|cash|card|paid|tip|discount|balance|due"
    r"|summe|gesamt|visa|mastercard)\b",
    re.I,
)
_CURRENCY_MARKS = {"€": "EUR", "eur": "EUR", "$": "USD", "usd": "USD", "£": "GBP", "gbp": "GBP", "chf": "CHF"}
_CURRENCY = re.compile(r"€|\$|£|\b(?:EUR|USD|GBP|CHF)\b", re.I)
_MONEY = r"-?\d{1,3}(?:[.,']\d{3})*[.,]\d{2}"
_LAST_MONEY = re.compile(rf"({_MONEY})(?!.*\d)")
_ITEM = re.compile(
    rf"^(?:(?P<qty>\d{{1,3}})\s*[xX×*]\s+)?(?P<desc>.*?[A-Za-z]{{2}}.*?)\s+"
    rf"(?:[€$£]\s?)?(?P<price>{_MONEY})\s*(?:€|EUR|\$|USD|£|GBP)?$"
)
# "A-1O423" read with a letter O: repair letters that look like digits inside the token.
_ORDER_TOKEN = re.compile(r"(?<![\w-])[A4][-–—=~]?\s?([0-9OoDQIl|SBZ](?: ?[0-9OoDQIl|SBZ]){4})(?![\w])")
_DIGIT_LOOKALIKES = str.maketrans("OoDQIl|SBZ", "0000111582")


@dataclass(frozen=True)
class LineItem:
    description: str
    quantity: int
    price: str  # the line's amount, e.g. "59.90"


@dataclass(frozen=True)
class ReceiptFields:
    order_number: str | None = None
    date: str | None = None  # ISO
    total: str | None = None  # "89.90"
    currency: str | None = None  # ISO 4217
    merchant: str | None = None
    email: str | None = None
    phone: str | None = None  # E.164
    items: tuple[LineItem, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["items"] = [asdict(i) for i in self.items]
        return data

    @property
    def found(self) -> tuple[str, ...]:
        """Names of the fields that have a value."""
        return tuple(name for name in FIELD_NAMES if getattr(self, name))

    @property
    def readable(self) -> bool:
        """Enough to be worth confirming: an order number, or a total with a date."""
        return bool(self.order_number or (self.total and self.date))


def parse_receipt(text: str, today: date | None = None) -> ReceiptFields:
    lines = [clean_line(line) for line in (text or "").splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        return ReceiptFields()
    entities = extract_all("\n".join(lines), today)
    first = {}
    for entity in entities:
        first.setdefault(entity.entity, entity.value)
    total_index, total, currency = _total(lines)
    currency = currency or _dominant_currency(lines)
    return ReceiptFields(
        order_number=_order_number(lines) or first.get("order_id"),
        date=_date(lines, today),
        total=total,
        currency=currency if total else None,
        merchant=_merchant(lines),
        email=first.get("email"),
        phone=first.get("phone"),
        items=_items(lines[: total_index if total_index is not None else len(lines)]),
    )


_EDGE_JUNK = " \t'\"‘’“”°:;*_.,=~|>«»-—–"
_SPLIT_DECIMALS = re.compile(r"(\d)\s?([.,])\s(\d)")
_SPLIT_DOMAIN = re.compile(r"(@[\w-]+)[.,]\s(\w)")


def _meaningful(token: str) -> bool:
    return any(ch.isalnum() or ch in "€$£" for ch in token)


def clean_line(line: str) -> str:
    """One OCR line without the specks tesseract reads at its ends, gaps inside numbers closed."""
    tokens = line.split()
    while tokens and not _meaningful(tokens[-1]):
        tokens.pop()
    while tokens and not _meaningful(tokens[0]):
        tokens.pop(0)
    line = " ".join(tokens).strip(_EDGE_JUNK)
    line = _SPLIT_DECIMALS.sub(r"\1\2\3", line)
    return _SPLIT_DOMAIN.sub(r"\1.\2", line)


def _order_number(lines: list[str]) -> str | None:
    labelled = [line for line in lines if re.search(r"\border\b|\bbestell", line, re.I)]
    for line in labelled + lines:
        for found in _ORDER_TOKEN.finditer(line):
            digits = found.group(1).replace(" ", "").translate(_DIGIT_LOOKALIKES)
            number = normalize_order_id("A-" + digits)
            if number:
                return number
    return None


_MIXED_SEPARATORS = re.compile(r"\b(\d{1,2})[.,]\s?(\d{1,2})[.,]\s?(\d{4})\b")


def _date(lines: list[str], today: date | None) -> str | None:
    labelled = [line for line in lines if re.search(r"\bdate\b|\bdatum\b", line, re.I)]
    for line in labelled + lines:
        # "12, 06.2026": OCR mixes up the separators the numeric date parser insists on.
        line = _MIXED_SEPARATORS.sub(r"\1.\2.\3", line)
        found = parse_date(line, today)
        if found:
            return found
    return None


def _total(lines: list[str]) -> tuple[int | None, str | None, str | None]:
    """Index of the last total line, its amount and its currency."""
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index]
        if not _TOTAL_WORDS.search(line) or _NOT_TOTAL.search(line):
            continue
        amount = parse_amount(line)
        if amount:
            return index, amount[0], amount[1]
        money = _LAST_MONEY.search(line)
        number = parse_number(money.group(1)) if money else None
        if number is not None:
            return index, f"{number}", None
    return None, None, None


def _dominant_currency(lines: list[str]) -> str | None:
    marks = Counter(_CURRENCY_MARKS[m.lower()] for line in lines for m in _CURRENCY.findall(line))
    return marks.most_common(1)[0][0] if marks else None


def _merchant(lines: list[str]) -> str | None:
    for line in lines[:4]:
        letters = sum(ch.isalpha() for ch in line)
        if letters >= 3 and letters >= 0.6 * len(line.replace(" ", "")) and "@" not in line:
            return line
    return None


def _items(lines: list[str]) -> tuple[LineItem, ...]:
    items = []
    for line in lines:
        if _NOT_ITEM.search(line):
            continue
        found = _ITEM.match(line)
        if not found:
            continue
        price = parse_number(found.group("price").lstrip("-"))
        if price is None:
            continue
        description = found.group("desc").strip(_EDGE_JUNK)
        items.append(LineItem(description, int(found.group("qty") or 1), f"{price}"))
    return tuple(items)
