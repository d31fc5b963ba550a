"""Which CSV column holds which field: detected from the header, overridable (`--map email=E-Mail`)."""

from __future__ import annotations

import re

from analytics.importing.csvfile import ImportFileError

SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "customers": {
        "name": ("name", "full name", "customer", "customer name", "contact", "contact name", "kunde"),
        "first_name": ("first name", "firstname", "given name", "forename", "vorname"),
        "last_name": ("last name", "lastname", "surname", "family name", "nachname"),
        "email": ("email", "e mail", "mail", "email address", "e mail address", "emailaddress"),
        "phone": ("phone", "telephone", "tel", "mobile", "phone number", "cell", "telefon", "handy"),
        "address": ("address", "street", "street address", "address line 1", "adresse", "strasse"),
        "city": ("city", "town", "ort", "stadt"),
        "created_at": ("created", "created at", "customer since", "signup date", "signed up", "registered", "date"),
    },
    "orders": {
        "number": (
            "number",
            "order",
            "order number",
            "order no",
            "order id",
            "invoiceno",
            "invoice no",
            "invoice",
            "invoice number",
            "bestellnummer",
        ),
        "customer_id": ("customerid", "customer id", "customer number", "customer no", "client id", "kundennummer"),
        "email": ("email", "e mail", "customer email", "mail", "email address"),
        "phone": ("phone", "customer phone", "telephone", "mobile"),
        "placed_at": (
            "date",
            "order date",
            "invoicedate",
            "invoice date",
            "placed",
            "placed at",
            "created",
            "created at",
            "datum",
        ),
        "paid_at": ("paid at", "paid", "payment date", "paid date"),
        "shipped_at": ("shipped at", "shipped", "fulfilled at", "shipping date", "ship date"),
        "delivered_at": ("delivered at", "delivered", "delivery date"),
        "cancelled_at": ("cancelled at", "canceled at", "cancelled", "cancellation date"),
        "sku": (
            "stockcode",
            "stock code",
            "sku",
            "lineitem sku",
            "product code",
            "item code",
            "product sku",
            "artikelnummer",
        ),
        "description": ("description", "lineitem name", "product name", "item name", "product", "title"),
        "quantity": ("quantity", "qty", "lineitem quantity", "menge"),
        "unit_price": ("unitprice", "unit price", "lineitem price", "item price", "price per unit", "einzelpreis"),
        "total": ("total", "amount", "order total", "sum", "price", "value", "betrag"),
        "status": ("status", "state", "order status", "financial status"),
        "country": ("country", "billing country", "shipping country", "land"),
    },
}
# Order lines that are charges, not products (the Online Retail set's postage, manual, bank charges, ...).
ADJUSTMENT_SKUS = frozenset({"POST", "DOT", "C2", "M", "D", "S", "B", "BANK CHARGES", "AMAZONFEE", "CRUK", "ADJUST"})
REQUIRED = {
    "customers": (("name", "first_name", "last_name", "email", "phone"),),
    "orders": (("number",), ("total", "quantity")),
}


def _key(header: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", header.lower()).split())


def detect(kind: str, header: list[str], overrides: dict[str, str] | None = None) -> dict[str, str]:
    """{field: header}; overrides win. Raises ImportFileError naming what is missing."""
    fields = SYNONYMS[kind]
    mapping: dict[str, str] = {}
    by_key = {_key(h): h for h in header}
    for field, names in fields.items():
        for name in names:
            if name in by_key and by_key[name] not in mapping.values():
                mapping[field] = by_key[name]
                break
    for field, column in (overrides or {}).items():
        if field not in fields:
            raise ImportFileError(f"--map {field}=...: {kind} have no field {field!r}; fields: {', '.join(fields)}")
        if column not in header:
            raise ImportFileError(f"--map {field}={column}: the file has no column {column!r}")
        mapping[field] = column
    if kind == "orders" and ("quantity" in mapping) != ("unit_price" in mapping):
        has, lacks = ("quantity", "unit_price") if "quantity" in mapping else ("unit_price", "quantity")
        raise ImportFileError(
            f"order lines need {lacks} as well as {has} (columns: {', '.join(header)}); "
            f"name it with --map {lacks}=COLUMN"
        )
    for needed in REQUIRED[kind]:
        if not any(f in mapping for f in needed):
            raise ImportFileError(
                f"no column found for {' or '.join(needed)} (columns: {', '.join(header)}); "
                f"name one with --map {needed[0]}=COLUMN"
            )
    return mapping


def parse_overrides(text: str | None) -> dict[str, str]:
    """ "email=E-Mail Address,name=Kunde" -> {"email": "E-Mail Address", "name": "Kunde"}."""
    out: dict[str, str] = {}
    for part in (text or "").split(","):
        if part.strip():
            field, sep, column = part.partition("=")
            if not sep:
                raise ImportFileError(f"--map takes FIELD=COLUMN pairs, not {part!r}")
            out[field.strip()] = column.strip()
    return out
