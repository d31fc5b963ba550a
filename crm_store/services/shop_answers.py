"""Everyday questions answered from the shop's configuration and the CRM's rows, never guessed.

Pure: each function takes settings values and dates and returns the sentence (or None when it
does not apply). Which question a message asks is read by `everyday_request`, a cheap cue list
used where the classifier said "out of scope" (an invoice request is in scope).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

INVOICE, INVOICE_FIX, PRICE_MATCH, PROMO, RESERVE = "invoice", "invoice_fix", "price_match", "promo", "reserve"
PROMO_FAILED = "promo_failed"
VAT = "vat"
VAT_ANSWER = (
    "Yes: every invoice shows the VAT, and all our prices include it. The invoice is emailed with the order "
    "confirmation and is under Account > Orders."
)
# Something wrong on an invoice (a name, an address, a VAT number) is for the team, not a copy.
_FIX = re.compile(
    r"\b(?:wrong|incorrect|mistake|error|typo|misspel\w*|change|correct\w*|fix|update|amend|instead of|says \w+ instead)\b",
    re.I,
)
_VAT = re.compile(r"\b(?:vat|tax)\b.{0,30}\?|\b(?:show|include|incl\.?|with|shown)\w*\b.{0,20}\b(?:vat|tax)\b", re.I)
_CUES = (
    (INVOICE, re.compile(r"\b(?:invoice|receipt|bill|vat (?:invoice|receipt)|proof of purchase)s?\b", re.I)),
    (
        PRICE_MATCH,
        re.compile(
            r"\b(?:price ?match\w*|match (?:the|a|their|that) price|cheaper (?:at|on|elsewhere|somewhere)|"
            r"lower price (?:at|on|elsewhere)|beat (?:the|their|that) price)\b",
            re.I,
        ),
    ),
    (
        PROMO,
        re.compile(
            r"\b(?:promo(?:tion(?:al)?)?|discount|voucher|coupon)(?:\s+codes?)?\b|\b(?:any|a) (?:deals?|sale)\b", re.I
        ),
    ),
    (
        RESERVE,
        re.compile(
            r"\b(?:reserv\w*|pre-?orders?|put (?:one|it|them) aside|set (?:one|it|them) aside)\b"
            r"|\b(?:hold|keep|save)\s+(?:a|an|one|it|them|the)\b.{0,30}\b(?:for me|until|till|for a (?:few )?days?)\b",
            re.I,
        ),
    ),
)


# A discount code named by its value or its percentage ("my code WELCOME10", "a 10% code"), never a one-time
# code ("my code is 935006"): case matters here, codes are written in capitals.
_CODE_NAMED = re.compile(
    r"\b\d+\s?%\s*(?:off\s+)?code\b|\bcode\s+(?=[A-Z0-9]*[A-Z])[A-Z][A-Z0-9]{3,}\b|\b[A-Z]{3,}\d{1,3}\b.{0,20}\bcode\b"
)
_CODE_FAILED = re.compile(
    r"\b(?:didn'?t|did not|doesn'?t|does not|won'?t|wouldn'?t|isn'?t|not)\s+(?:work\w*|accept\w*|apply|applied|valid|go through)\b"
    r"|\b(?:invalid|rejected|declined)\b",
    re.I,
)


def reservation_answer(product: str | None, stock: int | None) -> str:
    """We take no reservations or pre-orders (docs/shop.md); what the stock is now, if a product was named."""
    now = ""
    if product and stock:
        now = f" The {product} is in stock right now ({stock} available)."
    elif product:
        now = f" The {product} is out of stock right now."
    return (
        "Sorry, we don't take reservations or pre-orders: stock changes all the time." + now + " If an item sells "
        "out, it's usually back in stock within two weeks."
    )


def everyday_request(text: str) -> str | None:
    """INVOICE, INVOICE_FIX, PRICE_MATCH, PROMO, RESERVE, VAT or None for a message the classifier could not place."""
    if _VAT.search(text or "") and not _FIX.search(text or ""):
        return VAT  # "does it show the VAT?", "is VAT included?"
    kind = next((kind for kind, cue in _CUES if cue.search(text or "")), None)
    if kind is None and _CODE_NAMED.search(text or ""):
        kind = PROMO
    if kind == PROMO and _CODE_FAILED.search(text or ""):
        return PROMO_FAILED
    return INVOICE_FIX if kind == INVOICE and _FIX.search(text or "") else kind


def price_match_answer(policy: str) -> str:
    if policy.strip():
        return policy.strip()
    return (
        "We don't match other shops' prices, sorry. The price on our site is the price you pay; "
        "if it drops within a few days of your order, ask for a person and our team will look at it."
    )


def promo_answer(policy: str) -> str:
    if policy.strip():
        return policy.strip()
    return (
        "Sorry, I can't create or hand out a discount code here. A code is entered at checkout, one code per "
        "order, and can't be added to an order that was already placed. Current offers are on our website, "
        "and newsletter subscribers hear about them first."
    )


def promo_failed_answer() -> str:
    """A code that did not work at checkout: how codes work, and the team checks it if the customer wants."""
    return (
        "Sorry the code didn't work. A code is entered at checkout, one code per order, and can't be added to an "
        "order afterwards. If you think it should have worked, our team can check the code: just say so and I'll "
        "open a ticket for them."
    )


def invoice_link(template: str, order_number: str) -> str | None:
    """The download link for an order's invoice, when the shop configured one."""
    return template.replace("{order}", order_number) if template.strip() and "{order}" in template else None


def working_days_after(start: date, days: int) -> date:
    current, left = start, days
    while left > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            left -= 1
    return current


def refund_arrival_dates(
    received_on: date | None, paid_on: date | None, expected_paid_by: date | None, processing_days: int, bank_days: int
) -> tuple[str, date, date] | None:
    """When the money shows on the customer's account, from the refund row (or the return received):
    ("paid", paid out on, on the account by) or ("due", paid out by, on the account by); None when unknown.

    Paid out: that day plus the bank's working days. Not yet paid: the expected payout (or the
    return's arrival plus the processing days) plus the bank's days.
    """
    if paid_on:
        return "paid", paid_on, working_days_after(paid_on, bank_days)
    payout = expected_paid_by or (working_days_after(received_on, processing_days) if received_on else None)
    if payout is None:
        return None
    return "due", payout, working_days_after(payout, bank_days)


def refund_arrival(
    received_on: date | None, paid_on: date | None, expected_paid_by: date | None, processing_days: int, bank_days: int
) -> str | None:
    """refund_arrival_dates in English words (actions/locales.py words it in the customer's language)."""
    dates = refund_arrival_dates(received_on, paid_on, expected_paid_by, processing_days, bank_days)
    if dates is None:
        return None
    kind, first, by = dates
    if kind == "paid":
        return (
            f"it was paid out on {_day(first)}, and banks take up to {bank_days} working days, "
            f"so it should be on your account by {_day(by)}"
        )
    return (
        f"we pay it out by {_day(first)}, and with up to {bank_days} working days at the bank "
        f"it should be on your account by {_day(by)}"
    )


WARRANTY_COVERED, WARRANTY_EXPIRED = "covered", "expired"


def warranty_case(delivered_at: datetime | None, now: datetime, window_days: int, warranty_months: int) -> str | None:
    """WARRANTY_COVERED or WARRANTY_EXPIRED for a fault found after the return window; None while a
    return is still possible."""
    if delivered_at is None or (now - delivered_at).days <= window_days:
        return None
    return WARRANTY_EXPIRED if (now - delivered_at).days > warranty_months * 30.44 else WARRANTY_COVERED


def warranty_route(delivered_at: datetime | None, now: datetime, window_days: int, warranty_months: int) -> str | None:
    """The warranty route for a fault found after the return window, in English; None while a return
    is still possible."""
    case = warranty_case(delivered_at, now, window_days, warranty_months)
    if case is None or delivered_at is None:
        return None
    if case == WARRANTY_EXPIRED:
        return (
            f"It was delivered on {_day(delivered_at.date())}, more than {warranty_months} months ago, so it is outside "
            "both the return window and the warranty. A person from our team can still look at it if you like."
        )
    return (
        f"It was delivered on {_day(delivered_at.date())}, so the {window_days}-day return window has passed, but a fault "
        f"is covered by our {warranty_months}-month warranty: send a photo of the fault here (or describe it) and I'll "
        "open a warranty claim; we repair or replace the item, or refund you."
    )


def _day(value: date) -> str:
    return f"{value.day} {value:%b %Y}"
