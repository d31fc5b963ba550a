"""Which labelled amount is the grand total: the one the rest of the receipt agrees with.

OCR misreads digits, so a label alone does not settle the total. The receipt states
the same amount in other ways, and each that is legible is evidence:
  - the cash tendered minus the change;
  - the subtotal before tax plus the tax (plus the rounding adjustment, or rounded to
    5 cents as cash totals are in Malaysia or Switzerland);
  - a row of the tax summary table ("SR 6% 16.98 1.02": the amount before tax and the
    tax at a usual rate) gives the same sum;
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
from crm_store.ocr.lineitems import items_total

_SUBTOTAL = re.compile(r"sub\s*-?\s*t[oa0]t|excl|before\s+(?:gst|tax)")
_TAX = re.compile(r"\b(?:total\s*)?(?:gst|tax|vat|sst)\b(?!.*in[ce]l)")
_NICKEL = Decimal("0.05")
# Tax rates a tax summary row is checked against (GST / SST / VAT rates in use).
_RATES = tuple(Decimal(r) for r in ("0.05", "0.06", "0.07", "0.08", "0.09", "0.10", "0.16", "0.19", "0.20", "0.21"))
_CENT = Decimal("0.01")
# "Total paid" is a total, "Paid Amount" a payment.
_TOTAL_WORD = re.compile(r"t[oa0]t[a4][l1i]|tota|otal")
_PERCENT = re.compile(r"\d+[.,]\d{2}\s?%")


def tendered_minus_change(lines: list[str], start: int = 0) -> Decimal | None:
    """Cash tendered minus change, read from the lines after `start` (the first total)."""
    paid = _tendered_and_change(lines, start)
    return paid[0] - paid[1] if paid else None


def _tendered_and_change(lines: list[str], start: int = 0) -> tuple[Decimal, Decimal] | None:
    cash = change = None
    for index, line in enumerate(lines[start:], start):
        label = label_of(line)
        if _CHANGE.search(label) and change is None:
            change = amount_for(lines, index)
        elif _CASH.search(label) and cash is None and not _TOTAL_WORD.search(label):
            cash = amount_for(lines, index)
    if cash is None or change is None or change < 0 or cash <= change:
        return None
    return cash, change


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


def summary_rows(lines: list[str]) -> set[Decimal]:
    """Amount plus tax of each row that pairs an amount with its tax at a usual rate ("SR 6% 16.98 1.02").

    The pair must agree to the cent with one of the rates, so an amount beside a quantity or a
    price does not pass for one; a summary table prints the amount before tax, so the sum is
    what the customer paid before rounding.
    """
    found = set()
    for line in lines:
        amounts = amounts_in(line)
        if len(amounts) < 2:
            continue
        amount, tax = amounts[-2], amounts[-1]
        if amount <= 0 or tax <= 0 or tax >= amount:
            continue
        if any(abs((amount * rate).quantize(_CENT, rounding=ROUND_HALF_UP) - tax) <= _CENT for rate in _RATES):
            found.add(amount + tax)
    return found


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
    itemised: set[Decimal],
) -> float:
    """The label's rank plus the evidence that agrees with the amount (or disagrees)."""
    score = float(candidate.rank)
    if candidate.amount in itemised:
        score += 2.5
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
    found = _not_taxes(lines, candidates(lines))
    index, amount, checked = _grand_total(lines, found)
    rounding = _rounding(lines)
    if index is not None and amount is not None and rounding is not None and rounding[1] != 0:
        # "Total 64.13 / Rounding Adjustment 0.02" and no total after it: the amount to pay is
        # the rounded one (cash totals are rounded to 5 cents), not the one before the rounding.
        later = any(c.index > rounding[0] for c in found)
        rounded = amount + rounding[1]
        if index < rounding[0] and not later and rounded % _NICKEL == 0 and amount % _NICKEL != 0:
            return index, rounded, checked
    if index is not None and amount is not None and amount % _NICKEL != 0 and _has_rounding_line(lines):
        # "Total Sales 181.98 / Rounding Adjustment RM 02 / Rounding RM 182.00": the receipt rounds
        # to 5 cents and a later line states the rounded amount (its adjustment misread or its
        # label not a total's); that is the amount to pay.
        repaired = _rounded_below(lines, index, amount)
        if repaired is not None:
            return index, repaired, checked
    return index, amount, checked


def _has_rounding_line(lines: list[str]) -> bool:
    return any(_ROUNDING.search(label_of(line)) and not _BEST.search(label_of(line)) for line in lines)


def _rounded_below(lines: list[str], index: int, amount: Decimal) -> Decimal | None:
    """The one amount after line `index` that is `amount` rounded to 5 cents (0.01 or 0.02 away)."""
    found = set()
    for line in lines[index + 1 :]:
        label = label_of(line)
        if any(p.search(label) for p in (_CHANGE, _SUBTOTAL, _TAX)):
            continue
        found |= {a for a in amounts_in(line) if a % _NICKEL == 0 and 0 < abs(a - amount) <= Decimal("0.02")}
    return found.pop() if len(found) == 1 else None


def _not_taxes(lines: list[str], found: list[Candidate]) -> list[Candidate]:
    """The candidates that are not the tax of a larger amount on the receipt.

    "(Bill Inclusive of 6% GST : RM2.21)" and "(Total Included GST @ 6%: 1.42)" carry the
    labels of a total, but their amount is the tax inside (or on top of) another amount the
    receipt states: 2.21 is 6/106 of 39.00. Cash tendered and change are left out of the
    comparison (a 5.00 total paid with 50.00 is not a tax of it); what was paid is kept in.
    """
    tendered = _tendered_and_change(lines)
    larger = {value for value in ([tendered[0] - tendered[1]] if tendered else [])}
    for line in lines:
        label = label_of(line)
        if not (_CASH.search(label) or _CHANGE.search(label)):
            # "GST(Included) 6.00 %": a rate, not an amount (1.00 is not the 20 % VAT of 6.00).
            larger.update(amounts_in(_PERCENT.sub(" ", line)))

    def tax_of_another(amount: Decimal) -> bool:
        for other in larger:
            if other <= amount * 5:
                continue
            for rate in _RATES:
                inside = (other * rate / (1 + rate)).quantize(_CENT, rounding=ROUND_HALF_UP)
                on_top = (other * rate).quantize(_CENT, rounding=ROUND_HALF_UP)
                if amount in (inside, on_top):
                    return True
        return False

    return [c for c in found if not tax_of_another(c.amount)]


def _stated(line: str, values: set[Decimal], labelled: bool) -> Decimal | None:
    """The one of values this line states: its last amount or, on a total's line, its digits
    with the point lost ("GRAND TOTAL 1000" for 10.00)."""
    amounts = amounts_in(line)
    if amounts:
        return amounts[-1] if amounts[-1] in values else None
    digits = re.findall(r"\d+", line)
    if labelled and len(digits) == 1 and len(digits[0]) >= 3:
        return next((value for value in values if f"{value}".replace(".", "") == digits[0]), None)
    return None


def _itemised(lines: list[str], found: list[Candidate], min_items: int = 2) -> set[Decimal]:
    """The totals the line items' sum implies: the sum itself (prices with tax), rounded to 5 cents,
    or plus the tax printed under it (prices without tax)."""
    subtotals = [i for i, line in enumerate(lines) if _SUBTOTAL.search(label_of(line))]
    end = min([c.index for c in found] + subtotals, default=None)
    items = items_total(lines, end, min_items) if end is not None else None
    if items is None or items <= 0:
        return set()
    implied = {items, _nickel(items)}
    for index in range(end or 0, len(lines)):
        if _TAX.search(label_of(lines[index])) and not _SUBTOTAL.search(label_of(lines[index])):
            tax = amount_for(lines, index)
            if tax is not None and 0 < tax < items * Decimal("0.25"):
                implied |= {items + tax, _nickel(items + tax)}
            break
    return implied


def _grand_total(lines: list[str], found: list[Candidate]) -> tuple[int | None, Decimal | None, bool]:
    start = min((c.index for c in found), default=0)
    tendered = _tendered_and_change(lines, start)
    paid = tendered[0] - tendered[1] if tendered else None
    # Paid exactly (no change): the cash line repeats the total's digits in the same print, so
    # it repeats a misread too ("TOTAL 48,00" / "CASH 48,00" for 18.00) and settles nothing
    # against the arithmetic of the subtotal and the tax.
    exact_cash = tendered is not None and tendered[1] == 0
    rounding = _rounding(lines)
    implied = subtotal_plus_tax(lines, rounding[1] if rounding else None)
    for exact in summary_rows(lines):
        implied |= {exact, _nickel(exact)} | ({exact + rounding[1]} if rounding else set())
    itemised = _itemised(lines, found)
    evidence = {value for value in (paid, *implied) if value is not None}
    chosen = max(
        found, key=lambda c: (_score(c, found, lines, paid, rounding, implied, itemised), c.index), default=None
    )
    if chosen is not None and (chosen.amount in evidence or chosen.amount in itemised):
        slips = {value for value in implied if _one_slip(chosen.amount, value)}
        if exact_cash and chosen.amount not in implied and len(slips) == 1:
            return chosen.index, slips.pop(), True
        return chosen.index, chosen.amount, True
    # A line whose label OCR garbled ("TOze RM 73.00") that states the amount the rest implies,
    # or a total line whose amount lost its point ("GRAND TOTAL 1000" paid with 20.00, change 10.00).
    for index, line in enumerate(lines):
        label = label_of(line)
        if any(p.search(label) for p in (_CASH, _CHANGE, _SUBTOTAL, _TAX)):
            continue
        labelled = bool(_TOTAL.search(label) or _BEST.search(label))
        stated = _stated(line, implied, labelled)
        if stated is None and paid is not None and labelled:
            stated = _stated(line, {paid}, labelled)
        if stated is not None:
            return index, stated, True
    # What was paid agrees with the arithmetic, or with the items (one item will do: the cash
    # and change lines do not repeat its digits).
    paid_checked = paid is not None and (paid in implied or paid in _itemised(lines, found, min_items=1))
    if chosen is None:
        # No total line legible at all: what was paid (tendered minus change) is the total.
        if paid is not None:
            return None, paid, paid_checked
        bare = _paid_under_bare_total(lines)
        return bare if bare[1] is not None else _subtotal_as_total(lines)
    if sum(c.amount == chosen.amount for c in found) > 1:  # two labels agree: trust them over arithmetic
        return chosen.index, chosen.amount, True
    if paid_checked:
        return chosen.index, paid, True
    repairs = {value for value in evidence if _one_slip(chosen.amount, value)}
    if len(repairs) > 1 and rounding is not None and rounding[1] != 0:
        # A receipt that prints a rounding adjustment is paid to 5 cents: of "112.47" (the
        # tax summary's sum) and "112.45" (after the rounding) for a misread "112.46", the latter.
        repairs = {value for value in repairs if value % _NICKEL == 0} or repairs
    if len(repairs) == 1:
        return chosen.index, repairs.pop(), True
    return chosen.index, chosen.amount, False


def _paid_under_bare_total(lines: list[str]) -> tuple[int | None, Decimal | None, bool]:
    """A bare "TOTAL AMOUNT" with no amount, then "CASH RM 6.00" and no change: the cash paid is the total.

    A till that prints the amount only beside the payment; with change given, tendered minus
    change says it already.
    """
    for index, line in enumerate(lines[:-1]):
        label = label_of(line)
        if amounts_in(line) or not (_TOTAL.search(label) or _BEST.search(label)):
            continue
        if any(p.search(label) for p in (_CASH, _CHANGE, _SUBTOTAL, _TAX, _ROUNDING)):
            continue
        below = lines[index + 1]
        if not _CASH.search(label_of(below)) or _CHANGE.search(label_of(below)):
            continue
        amounts = amounts_in(below)
        later_change = any(
            _CHANGE.search(label_of(other)) and any(a != 0 for a in amounts_in(other)) for other in lines[index + 2 :]
        )
        if amounts and amounts[-1] > 0 and not later_change:
            return index + 1, amounts[-1], False
    return None, None, False


def _subtotal_as_total(lines: list[str]) -> tuple[int | None, Decimal | None, bool]:
    """No total, no payment legible: the last subtotal (plus the rounding after it), when no tax
    is added under it. A till that prints "SubTotal: 635.00 / Rounding Adj: 0.00" and the
    total only on a line OCR lost; better than no total at all, and never confirmed."""
    found = None
    for index, line in enumerate(lines):
        label = label_of(line)
        if _SUBTOTAL.search(label) and not _BEST.search(label) and "excl" not in label:
            amount = amount_for(lines, index)
            if amount is not None and amount > 0:
                found = (index, amount)
    if found is None:
        return None, None, False
    index, amount = found
    for line in lines[index + 1 :]:
        label = label_of(line)
        if _TAX.search(label) and any(a > 0 for a in amounts_in(line)):
            return None, None, False
    rounding = _rounding(lines[index + 1 :])
    return index, amount + (rounding[1] if rounding else 0), False
