"""The grand total of a receipt: chosen by the label beside each amount, then cross-checked.

A receipt prints many amounts next to the word "total": the subtotal, the tax, the
total before rounding, a GST summary row ("Total : 439.00 26.34"), "GST @6% included
in total RM 0.70", "TOTAL SAVING: RM 5.30", the total quantity. Each labelled amount
gets a rank: the words that name the amount to pay (rounded total, grand total, net
total, amount due, jumlah) rank highest, a plain "total" next; any word that names
something else (subtotal, tax, service charge, savings, change, cash tendered,
rounding, quantity) rules the line out, and so do the rows of a tax summary table.
Which candidate is the total is decided in evidence.py, by the amounts that must agree
with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

_MONEY = re.compile(r"(?<![\d.,])(-?)(\d{1,3}(?:,\d{3})+|\d+)\s?(?:[.,]|\.\.)\s?(\d{2})(?![\d])(-?)")
_LABEL_SLIPS = str.maketrans("0151|", "oisll")

_BEST = re.compile(
    r"round(?:ed|ing)?\s*total|total\s*(?:after\s+)?round|total\s*\(?rounded|grand\s*total|net+\s*total"
    r"|net+\s*amount|amount\s*due|total\s*due|balance\s*due|(?:total\s*)?amount\s*payable|total\s*payable"
    r"|jumlah|to\s*pay|total\s*in[ce]l|total\s*inclusive|in[ce]l(?:usive)?\.?\s*(?:of\s*)?(?:gst|tax|vat|sst)"
    r"|total\s*sales?\s*\(?in[ce]l|total\s*amount|net\s*amt|nett|(?<!ex)clu[s5]iv|total\s*with|total\s*after|after\s*round"
    r"|nclud(?:es|ing)\s*(?:gst|tax|vat|sst)|a[ft]t[e]r\s*adj"
    r"|am(?:oun)?t\s*payable"
)
_TOTAL = re.compile(r"t[oa0]t[a4][l1i]|tota|otal|amount|amt|summe|gesamt|totale|payable|jumlah")
_NOT_TOTAL = re.compile(
    r"sub\s*-?\s*t[o0]tal|excl|exclusive|before|total\s*(?:gst|tax|vat|sst)|(?:gst|tax|vat|sst)\s*(?:amount|amt|total|payable)"
    r"|service|svc|srv|s\.?\s?charge|sav(?:e|ing)|discount|disc\b|change|chanqe|baki|kembali|cash|tender|paid"
    r"|payment|visa|master|card|credit|debit|included\s+in|round(?:ing)?\s*(?:adj|adjustment)?\s*[:\-]?\s*$"
    r"|\bround(?:ing)?\s*adj|adjust|[qo]ty|quantity|items?\b|pcs|price|desc|\brsp\b|u/p|no\.?\s*of|point|pts|deposit|voucher|tip\b"
    r"|ta[xz]\s*-?able|\bgst\b\s*@|@\s*\d+\s*%|\btax\b|\bvat\b|\bsst\b|\bgst\b(?!.*(?:in[ce]l|clusiv))|zwischensumme|mwst"
)
_SUMMARY = re.compile(r"summary|tax\s*code|amount\s*\(?rm\)?\s*tax|gst\s*\(?rm\)|\btax\s*\(rm\)|code\s+amount")
_CASH = re.compile(r"cash(?!ier)|tender|paid|payment|visa|master|card|credit|debit")
_ROUNDING = re.compile(r"r[o0]u[nr]\s*d|adj")
_CHANGE = re.compile(r"change|chanqe|baki|kembali")


@dataclass(frozen=True)
class Candidate:
    index: int
    amount: Decimal
    rank: int  # 2: names the amount to pay; 1: a plain "total"; 0: no label left, under a total


def amounts_in(text: str) -> list[Decimal]:
    """The money figures in a line, left to right ('1,234.50', '9 .00', '-0.02', '0.02-')."""
    found = []
    for match in _MONEY.finditer(text):
        sign = "-" if match.group(1) or match.group(4) else ""
        found.append(Decimal(f"{sign}{match.group(2).replace(',', '')}.{match.group(3)}"))
    return found


def label_of(text: str) -> str:
    """The words of a line before its first amount, lower-cased, digit look-alikes repaired."""
    match = _MONEY.search(text)
    label = text[: match.start()] if match else text
    return label.lower().translate(_LABEL_SLIPS) if label else ""


# At the end of a labelled line only: "RM 28 60" (the point lost), "174.9" (a cent digit lost).
_LOOSE_END = re.compile(r"(?<![\d.,])(\d{1,5})(?:\s|[.,]\s?)(\d{1,2})\W{0,3}$")
# "Total Sales (Excluding GST) 5142": the point lost.
_POINT_LOST = re.compile(r"(?<![\d.,])(\d{1,4})(\d{2})\W{0,3}$")
# "TOTAL 42.004": a speck after the cents read as a third decimal.
_SPECK = re.compile(r"(?<![\d.,])(\d{1,4})[.,](\d{2})\d\W{0,3}$")
_SPECKLED_TOTAL = re.compile(r"^\W*(?:grand\s*|net+\s*)?t[o0]ta[l1i]\b")


def amount_for(lines: list[str], index: int) -> Decimal | None:
    amounts = amounts_in(lines[index])
    if amounts:
        return amounts[-1]
    loose = _LOOSE_END.search(lines[index])
    if loose and sum(ch.isalpha() for ch in lines[index]) >= 2:
        return Decimal(f"{loose.group(1)}.{loose.group(2).ljust(2, '0')}")
    point_lost = _POINT_LOST.search(lines[index])
    if point_lost is None and _SPECKLED_TOTAL.search(label_of(lines[index])):
        # Only on a total's own line: on a cash line "106.006" is as likely "100.06".
        point_lost = _SPECK.search(lines[index])
    if point_lost and sum(ch.isalpha() for ch in lines[index]) >= 2:
        return Decimal(f"{point_lost.group(1)}.{point_lost.group(2)}")
    # A label alone on its line: the amount printed under it, on a line of its own.
    if index + 1 < len(lines):
        below = lines[index + 1]
        if sum(ch.isalpha() for ch in label_of(below)) <= 3:
            amounts = amounts_in(below)
            return amounts[-1] if amounts else None
    return None


def _tax_pair(amounts: list[Decimal]) -> bool:
    """'439.00 26.34': an amount and its tax, as a tax summary row prints them."""
    if len(amounts) < 2 or amounts[0] <= 0:
        return False
    ratio = amounts[1] / amounts[0]
    return Decimal("0.04") <= ratio <= Decimal("0.12")


def candidates(lines: list[str]) -> list[Candidate]:
    found = []
    summary_until = -1
    for index, line in enumerate(lines):
        label = label_of(line)
        if _SUMMARY.search(label) and not amounts_in(line):
            summary_until = index + 4
            continue
        best = bool(_BEST.search(label))
        if not (_TOTAL.search(label) or best):
            continue
        if index <= summary_until or _tax_pair(amounts_in(line)) or (_NOT_TOTAL.search(label) and not best):
            continue
        if best and re.search(r"included\s+in|excl|sav(?:e|ing)|change|tender", label):
            continue
        amount = amount_for(lines, index)
        if amount is not None and amount > 0:
            found.append(Candidate(index, amount, 2 if best else 1))
    return found + _unlabelled(lines, found)


def _unlabelled(lines: list[str], found: list[Candidate]) -> list[Candidate]:
    """An amount alone on the line under a total or a rounding line whose label OCR lost ("RH 60.30")."""
    after = {c.index + 1 for c in found}
    after |= {i + 1 for i, line in enumerate(lines) if _ROUNDING.search(label_of(line))}
    extra = []
    for index in sorted(after):
        if index >= len(lines) or any(c.index == index for c in found):
            continue
        amounts = amounts_in(lines[index])
        if amounts and sum(ch.isalpha() for ch in label_of(lines[index])) <= 3 and amounts[-1] > 0:
            extra.append(Candidate(index, amounts[-1], 0))
    return extra
