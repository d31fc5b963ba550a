"""Receipt fields from OCR lines: a pure function, no I/O.

Each kind of value is parsed by the project's one parser for it (crm_store/values/):
order numbers, printed dates, amounts, currencies, emails and phones. This module only
decides *where* on a receipt each value sits: the total by the label beside it
(totals.py), the date on a line that says "date" before any other, the shop's name in
the top block (merchant.py), line items above the total. OCR's usual confusions
(O for 0, l for 1) are repaired inside number-shaped tokens only.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

from crm_store.ocr.layout import Line, lines_from_text
from crm_store.ocr.merchant import merchant
from crm_store.ocr.evidence import grand_total
from crm_store.values import extract_all, normalize_order_id, parse_number
from crm_store.values.currencies import dominant_currency
from crm_store.values.printed_dates import find_printed_dates

FIELD_NAMES = ("order_number", "date", "total", "currency", "merchant", "email", "phone", "items")

_NOT_ITEM = re.compile(
    r"\b(?:total|subtotal|sub-total|tax|vat|mwst|gst|change|cash|card|paid|tip|discount|balance|due"
    r"|summe|gesamt|visa|mastercard|rounding)\b",
    re.I,
)
# Registration and tax numbers look like phone numbers; a line that names one is not searched for phones.
_REGISTRATION = re.compile(r"\b(?:gst|sst|vat|tax|tin|reg|roc|brn|co\.?\s*no|company|ust|mwst|steuer)", re.I)
_DATE_LABEL = re.compile(r"\b(?:date|dated|tarikh|datum|data|dt)\b", re.I)
_EARLIEST_YEAR = 1990
NOISE_CONFIDENCE = 20.0  # mean word confidence under which a line is most likely not text
_MONEY = r"-?\d{1,3}(?:[.,']\d{3})*[.,]\d{2}"
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
    # The total agrees with other amounts on the receipt (tendered - change, subtotal + tax...).
    total_checked: bool = field(default=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("total_checked")
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


@dataclass(frozen=True)
class ReceiptLocale:
    """What the shop's settings say about receipts that do not say it themselves."""

    dayfirst: bool = True  # "04/05/2018" is 4 May
    currency: str | None = None  # for amounts with no mark anywhere on the receipt
    phone_region: str | None = None  # None: the shop's DEFAULT_PHONE_REGION


def parse_receipt(text: str, today: date | None = None, locale: ReceiptLocale | None = None) -> ReceiptFields:
    """Fields of a receipt given as plain OCR text."""
    return parse_lines(lines_from_text(text), today, locale)


def parse_lines(raw_lines: list[Line], today: date | None = None, locale: ReceiptLocale | None = None) -> ReceiptFields:
    """Fields of a receipt given as OCR lines (with their confidence, from word boxes)."""
    locale = locale or ReceiptLocale()
    lines_info = [Line(clean_line(line.text), line.confidence, line.top, line.bottom) for line in raw_lines]
    lines_info = [line for line in lines_info if line.text]
    lines = [line.text for line in lines_info]
    if not lines:
        return ReceiptFields()
    searchable = "\n".join(line for line in lines if not _REGISTRATION.search(line))
    entities = extract_all(searchable, today, region=locale.phone_region, dayfirst=locale.dayfirst)
    first: dict[str, str] = {}
    for entity in entities:
        first.setdefault(entity.entity, entity.value)
    total_index, total, checked = grand_total(lines)
    currency = dominant_currency("\n".join(lines), locale.currency)
    return ReceiptFields(
        order_number=_order_number(lines) or first.get("order_id"),
        date=_date(lines, today, locale.dayfirst, [line.confidence for line in lines_info]),
        total=f"{total}" if total is not None else None,
        currency=currency if total is not None else None,
        merchant=merchant(lines_info),
        email=first.get("email"),
        phone=first.get("phone"),
        items=_items(lines[: total_index if total_index is not None else len(lines)]),
        total_checked=checked,
    )


def merge(first: ReceiptFields, second: ReceiptFields) -> ReceiptFields:
    """Two readings of one receipt (two images of it): each field from the reading that is surer of it."""
    use_second = (second.total_checked and not first.total_checked) or (first.total is None and second.total)
    total_from = second if use_second else first
    return ReceiptFields(
        order_number=first.order_number or second.order_number,
        date=first.date or second.date,
        total=total_from.total,
        currency=total_from.currency,
        merchant=first.merchant or second.merchant,
        email=first.email or second.email,
        phone=first.phone or second.phone,
        items=total_from.items,
        total_checked=total_from.total_checked,
    )


_EDGE_JUNK = " \t'\"‘’“”°:;*_.,=~|>«»-—–"
_SPLIT_DECIMALS = re.compile(r"(\d)\s?([.,])\s(\d)")
_SPLIT_DOMAIN = re.compile(r"(@[\w-]+)[.,]\s(\w)")


def _meaningful(token: str) -> bool:
    return any(ch.isalnum() or ch in "€$£&" for ch in token)


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
# "Dater11/03/18", "Mate:O9/02/17": the label's last letter or its colon misread and run into the date.
_GLUED_LABEL = re.compile(r"\b(?:[dm]ate?r?|tarikh)\s?[:;.,'’]?\s?(?=[0-9O]{1,2}[/.-])", re.I)
_YEAR = re.compile(r"(?<!\d)2\d{3}(?!\d)")
_DATE_LOOKALIKES = str.maketrans("OSIl", "0511")


def _date(lines: list[str], today: date | None, dayfirst: bool, confidences: list[float] | None = None) -> str | None:
    """The receipt's own date: on a line labelled "date" first, else the first one printed.

    Only full printed dates count (never "today" in a promotion), and never one after
    the day of reading: a receipt cannot come from the future. Where no date is found, a
    year that lies in the future is taken for a misread one ("14 Mar 2048", "12-02-2618")
    and read as the latest past year one digit away from it.
    """
    latest = (today or date.today()) + timedelta(days=1)
    lines = [_GLUED_LABEL.sub("Date: ", line) for line in lines]
    if confidences and len(confidences) == len(lines):
        # A line tesseract was almost sure is not text (a rule, a logo: "2-22-25") is read last.
        noise = [line for line, confidence in zip(lines, confidences) if confidence < NOISE_CONFIDENCE]
        lines = [line for line, confidence in zip(lines, confidences) if confidence >= NOISE_CONFIDENCE] + noise
    found = _first_date(lines, latest, dayfirst)
    if found is None:
        found = _first_date(
            [_YEAR.sub(lambda m: _past_year(m.group(), latest.year), line) for line in lines], latest, dayfirst
        )
    if found is None:
        found = _first_date([_LOOKALIKE_DATE.sub(_digits_of_date, line) for line in lines], latest, dayfirst)
    return found.isoformat() if found else None


# "OS~-05-17": a numeric date with a letter read for a digit (O, S, I, l) or a speck by a separator.
_LOOKALIKE_DATE = re.compile(
    r"(?<![\w])([0-9OSIl]{2})[~\s]?([/.-])[~\s]?([0-9OSIl]{2})[~\s]?\2[~\s]?([0-9OSIl]{4}|[0-9OSIl]{2})(?![\w])"
)


def _digits_of_date(found: re.Match[str]) -> str:
    day, separator, month, year = found.groups()
    if sum(ch.isdigit() for ch in day + month + year) < 4:
        return found.group()
    return separator.join(part.translate(_DATE_LOOKALIKES) for part in (day, month, year))


def _first_date(lines: list[str], latest: date, dayfirst: bool) -> date | None:
    labelled = [line for line in lines if _DATE_LABEL.search(line)]
    for number, line in enumerate(labelled + lines):
        # "12, 06.2026": OCR mixes up the separators of a numeric date.
        line = _MIXED_SEPARATORS.sub(r"\1.\2.\3", line)
        compact = number < len(labelled)  # "20180304" only beside a date label
        found = sorted(
            (position, day)
            for position, day in find_printed_dates(line, dayfirst, compact)
            if _EARLIEST_YEAR <= day.year and day <= latest
        )
        if found:
            return found[0][1]
    return None


def _past_year(year: str, latest: int) -> str:
    """A four-digit year after `latest` replaced by the latest year one digit away from it, if any."""
    if int(year) <= latest:
        return year
    near = [int(year[:i] + digit + year[i + 1 :]) for i in range(1, 4) for digit in "0123456789" if digit != year[i]]
    past = [value for value in near if _EARLIEST_YEAR <= value <= latest]
    return f"{max(past)}" if past else year


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
