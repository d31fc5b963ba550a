"""Which labelled amount is the grand total: the one the rest of the receipt agrees with.

OCR misreads digits, so a label alone does not settle the total. The receipt states
the same amount in other ways, and each that is legible is evidence:
  - the cash tendered minus the change;
  - the subtotal before tax plus the tax (plus the rounding adjustment, or rounded to
    5 cents as cash totals are in Malaysia or Switzerland);
  - the same amount under another total label;
  - after a rounding line, the total before it plus the adjustment (a "rounded total"
    that is not is a misread).
The candidate with the best label rank plus evidence wins, the later one on a tie (the
total after the rounding line, not before it). Where no candidate agrees with anything
but two independent pieces of evidence agree with each other, or one piece differs
from the chosen amount by a single misread character ("48.00" for "18.00"), the
evidence is the total.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from crm_store.ocr.totals import (
    _BEST,
    _CASH,
    _CHANGE,
    _ROUNDING,
    _TOTAL,
    Candidate,
    amount_for,
    amounts_in,
    candidates,
    label_of,
)

_SUBTOTAL = re.compile(r"sub\s*-?\s*t[oa0]t|excl|before\s+(?:gst|tax)")
_TAX = re.compile(r"\b(?:total\s*)?(?:gst|tax|vat|sst)\b(?!.*incl)")
_NICKEL = Decimal("0.05")


def tendered_minus_change(lines: list[str], start: int = 0) -> Decimal | None:
    """Cash tendered minus change, read from the lines after `start` (the first total)."""
    cash = change = None
    for index, line in enumerate(lines[start:], start):
        label = label_of(line)
        if _CHANGE.search(label) and change is None:
            change = amount_for(lines, index)
        elif _CASH.search(label) and cash is None and not _TOTAL.search(label):
            cash = amount_for(lines, index)
    if cash is None or change is None or change < 0 or cash <= change:
        return None
    return cash - change


def _rounding(lines: list[str]) -> tuple[int, Decimal] | None:
    for index, line in enumerate(lines):
        label = label_of(line)
        if _ROUNDING.search(label) and not _BEST.search(label):
            amount = amount_for(lines, index)
            if amount is not None and abs(amount) < Decimal("0.10"):
                return index, amount
    return None


def subtotal_plus_tax(lines: list[str], rounding: Decimal | None) -> set[Decimal]:
    """The total implied by the subtotal before tax and the tax, with the rounding it may have had."""
    subtotal = tax = None
    for index, line in enumerate(lines):
        label = label_of(line)
        if subtotal is None and _SUBTOTAL.search(label) and not _BEST.search(label):
            subtotal = amount_for(lines, index)
        elif subtotal is not None and tax is None and _TAX.search(label):
            tax = amount_for(lines, index)
    if subtotal is None or tax is None or not 0 <= tax < subtotal:
        return set()
    exact = subtotal + tax
    implied = {exact, _nickel(exact)}
    if rounding is not None:
        implied.add(exact + rounding)
    return {amount.quantize(Decimal("0.01")) for amount in implied}


def _nickel(amount: Decimal) -> Decimal:
    return ((amount / _NICKEL).quantize(Decimal(1), rounding=ROUND_HALF_UP) * _NICKEL).quantize(Decimal("0.01"))


def _one_slip(read: Decimal, other: Decimal) -> bool:
    """Whether two amounts differ by one character: one digit misread, lost or added."""
    a, b = f"{read}", f"{other}"
    if a == b:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) == 1
    short, long_ = sorted((a, b), key=len)
    return len(long_) - len(short) == 1 and any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def _score(
    candidate: Candidate,
    found: list[Candidate],
    lines: list[str],
    paid: Decimal | None,
    rounding: tuple[int, Decimal] | None,
    implied: set[Decimal],
) -> float:
    """The label's rank plus the evidence that agrees with the amount (or disagrees)."""
    score = float(candidate.rank)
    if paid is not None and candidate.amount == paid:
        score += 2.5  # two legible amounts agreeing by chance is rare
    if candidate.amount in implied:
        score += 2.5
    if any(other.index != candidate.index and other.amount == candidate.amount for other in found):
        score += 0.5
    if rounding is not None and candidate.index > rounding[0]:
        before = [c for c in found if c.index < rounding[0]]
        if before:
            expected = {before[-1].amount + rounding[1], _nickel(before[-1].amount)}
            # Rounding moves an amount by a few cents; a total after it that is not
            # the total before it plus the adjustment is a misread.
            score += 1.0 if candidate.amount in expected else -1.0
    return score


def grand_total(lines: list[str]) -> tuple[int | None, Decimal | None, bool]:
    """(line index, amount) of the total to pay, or (None, None); and whether other amounts confirm it."""
    found = candidates(lines)
    start = min((c.index for c in found), default=0)
    paid = tendered_minus_change(lines, start)
    rounding = _rounding(lines)
    implied = subtotal_plus_tax(lines, rounding[1] if rounding else None)
    evidence = {value for value in (paid, *implied) if value is not None}
    chosen = max(found, key=lambda c: (_score(c, found, lines, paid, rounding, implied), c.index), default=None)
    if chosen is not None and chosen.amount in evidence:
        return chosen.index, chosen.amount, True
    # A line whose label OCR garbled ("TOze RM 73.00") that states the amount the rest implies.
    for index, line in enumerate(lines):
        amounts = amounts_in(line)
        label = label_of(line)
        stated = amounts and amounts[-1] in implied
        if stated and not any(p.search(label) for p in (_CASH, _CHANGE, _SUBTOTAL, _TAX)):
            return index, amounts[-1], True
    if chosen is None:
        return None, None, False
    if sum(c.amount == chosen.amount for c in found) > 1:  # two labels agree: trust them over arithmetic
        return chosen.index, chosen.amount, True
    if paid is not None and paid in implied:
        return chosen.index, paid, True
    repairs = {value for value in evidence if _one_slip(chosen.amount, value)}
    if len(repairs) == 1:
        return chosen.index, repairs.pop(), True
    return chosen.index, chosen.amount, False
