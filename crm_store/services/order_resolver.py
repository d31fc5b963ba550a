"""Which of the customer's orders a message means: one resolver for every skill.

The cues come from crm_store/values/references.py; here they are weighed against the
customer's real orders. A number wins; then "the same parcel" (the order in focus), a
position in the list just shown, "my latest order", a date, a status and item words narrow
the orders down. What the request itself implies (a status question is about an order
still on its way, a cancellation about one that can still be cancelled) narrows further
only where that leaves at least one. Exactly one left is taken; several are offered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Sequence

from crm_store import stages
from crm_store.db import UnitOfWork
from crm_store.services.orders import OrderView, orders_of
from crm_store.values.references import NOT_ARRIVED, Reference, parse_reference

# What each request implies about the order it is about.
PURPOSE_STATUSES: dict[str, frozenset[str]] = {
    "status": NOT_ARRIVED,
    "parcel_missing": frozenset({"shipped", "delivered"}),
    "cancel": frozenset(stages.CANCELLABLE_ORDER_STATUSES),
    "address": frozenset(stages.ADDRESS_CHANGEABLE_STATUSES),
    "return": frozenset({"delivered"}),
    "refund": frozenset({"cancelled", "returned", "delivered"}),
    "invoice": frozenset({"paid", "packed", "shipped", "delivered", "returned"}),
}
MAX_OFFERED = 4
_WORD = re.compile(r"[a-z0-9]+")
_GENERIC = {"the", "a", "an", "and", "of", "for", "with", "set", "pack", "x", "one", "pro", "mini", "new"}


@dataclass(frozen=True)
class Resolution:
    chosen: str | None = None  # the order meant, when exactly one fits
    how: str = ""  # number | same | position | newest | only | implied | date | status | item
    candidates: tuple[str, ...] = ()  # several fit: offer these (newest first)
    foreign: str | None = None  # a number written that is not on this account
    correction: bool = False  # "no, I meant …": the chosen order replaces the one in focus


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def _item_words(order: OrderView) -> set[str]:
    names = [item.split(" x ", 1)[-1].lower() for item in order.items]
    return {_stem(w) for name in names for w in _WORD.findall(name) if len(w) > 2 and w not in _GENERIC}


def _by_items(pool: list[OrderView], text: str) -> list[OrderView]:
    said = {_stem(w) for w in _WORD.findall(text.lower())}
    return [o for o in pool if _item_words(o) & said]


_DELIVERY_DAY = re.compile(
    r"\b(?:come|came|arriv\w*|deliver\w*|due|supposed|expected|meant to|(?:been|be|get) here)\b", re.I
)


def _on(order: OrderView, day: date) -> bool:
    return order.placed_at.date() == day or order.status_since.date() == day


def pick_order(
    orders: Sequence[OrderView],
    ref: Reference,
    purpose: str = "status",
    shown: Sequence[str] = (),
    focus: str | None = None,
) -> Resolution:
    """The order `ref` points at among `orders` (the customer's own, newest first). Pure."""
    own = {o.number: o for o in orders}
    if ref.numbers:
        mine = [n for n in ref.numbers if n in own]
        if mine:
            return Resolution(chosen=mine[0], how="number", correction=ref.correction)
        return Resolution(foreign=ref.numbers[0], correction=ref.correction)
    if ref.same and focus:
        return Resolution(chosen=focus, how="same")
    if ref.ordinal and shown:
        index = ref.ordinal - 1 if ref.ordinal > 0 else len(shown) - 1
        if 0 <= index < len(shown) and shown[index] in own:
            return Resolution(chosen=shown[index], how="position")
    if not orders:
        return Resolution()
    if ref.newest or (ref.ordinal == -1 and not shown):
        return Resolution(chosen=orders[0].number, how="newest")
    pool, how = list(orders), "only"
    # "It was supposed to come yesterday" dates the delivery, not the order: when no order was placed
    # (or changed) that day, that date is not the cue. "The one from 14 February" still is.
    if ref.on_date and (any(_on(o, ref.on_date) for o in pool) or not _DELIVERY_DAY.search(ref.text)):
        pool, how = [o for o in pool if _on(o, ref.on_date)], "date"
    # "It never arrived" is the claim itself, whatever the carrier says. A status word that fits none of
    # the orders ("the DHL guy came while I was out": "came" of a parcel still on its way) is no cue.
    by_status = [o for o in pool if ref.statuses and o.status in ref.statuses]
    if ref.statuses and purpose != "parcel_missing" and by_status:
        pool, how = by_status, "status"
    items = _by_items(pool, ref.text)
    if items:
        pool, how = items, "item"
    implied = [o for o in pool if o.status in PURPOSE_STATUSES.get(purpose, frozenset())]
    if len(pool) > 1 and implied:
        # Taken by what the request implies, among several orders: the reply says so and how to pick another.
        pool, how = implied, "implied" if how == "only" else how
    if len(pool) == 1:
        return Resolution(chosen=pool[0].number, how=how)
    return Resolution(candidates=tuple(o.number for o in pool[:MAX_OFFERED]))


def resolve_order(
    uow: UnitOfWork,
    customer_id: int,
    text: str,
    today: date,
    purpose: str = "status",
    shown: Sequence[str] = (),
    focus: str | None = None,
    limit: int = 20,
) -> Resolution:
    """The customer's order a message means, over their `limit` newest orders."""
    return pick_order(orders_of(uow, customer_id, limit), parse_reference(text, today), purpose, shown, focus)
