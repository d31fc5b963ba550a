"""Words, dates and money in the customer's language (English, German, French, Spanish).

The `language` slot (actions/language_slot.py) picks the response variation in domain.yml;
the values those variations show come from here, formatted with Babel for the language's
locale: "29,90 €" and "3. Dezember 2026" for German, "29,90 €" and "3 décembre 2026" for
French. English keeps the wording the rest of actions/ uses.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from babel.numbers import format_currency

SERVED_LANGUAGES = ("en", "de", "fr", "es")
OTHER_LANGUAGES = ("de", "fr", "es")
_LOCALES = {"en": "en_GB", "de": "de_DE", "fr": "fr_FR", "es": "es_ES"}

# Order stages (crm_store/stages.py) as a customer reads them.
_STATUS = {
    "de": {
        "pending": "eingegangen",
        "paid": "bezahlt",
        "packed": "verpackt",
        "shipped": "versandt",
        "delivered": "zugestellt",
        "cancelled": "storniert",
        "returned": "zurückgeschickt",
    },
    "fr": {
        "pending": "enregistrée",
        "paid": "payée",
        "packed": "emballée",
        "shipped": "expédiée",
        "delivered": "livrée",
        "cancelled": "annulée",
        "returned": "retournée",
    },
    "es": {
        "pending": "registrado",
        "paid": "pagado",
        "packed": "empaquetado",
        "shipped": "enviado",
        "delivered": "entregado",
        "cancelled": "cancelado",
        "returned": "devuelto",
    },
}


def language_of(tracker: Any) -> str:
    """The conversation's language (the `language` slot), English when unset or unknown."""
    code = tracker.get_slot("language")
    return code if code in SERVED_LANGUAGES else "en"


def money(amount: Decimal | float, language: str, currency: str = "EUR") -> str:
    if language == "en":
        return f"{Decimal(amount):.2f} {currency}"
    return format_currency(Decimal(amount), currency, locale=_LOCALES[language])


def day(value: datetime, language: str) -> str:
    if language == "en":
        return f"{value.day} {value:%b %Y}"
    return format_date(value.date(), format="long", locale=_LOCALES[language])


def status_word(status: str, language: str) -> str:
    return _STATUS.get(language, {}).get(status, status)


def order_summary(items: tuple[str, ...], total: Decimal, language: str) -> str:
    """'1 x yoga mat, 29,90 €': the items and the amount, the amount in the language's format."""
    amount = money(total, language)
    return f"{', '.join(items)}, {amount}" if items else amount


def order_fields(order: Any) -> dict[str, str]:
    """contents_de, status_de, status_date_de, placed_date_de (and _fr, _es) of an order view.

    Given to every order-status reply, so the variation for the conversation's language
    finds its values without the callers knowing the language.
    """
    fields: dict[str, str] = {}
    for code in OTHER_LANGUAGES:
        fields[f"contents_{code}"] = order_summary(tuple(order.items), order.total, code)
        fields[f"status_{code}"] = status_word(order.status, code)
        fields[f"status_date_{code}"] = day(order.status_since, code)
        fields[f"placed_date_{code}"] = day(order.placed_at, code)
    return fields
