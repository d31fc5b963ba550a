"""The sum of a receipt's line items: one more statement of its total.

A receipt lists what was bought above its totals, one amount per item at the end of
its line ("KF MODELLING CLAY 1 PC * 9.00 9.00", "2 x 3.50 7.00 SR"). Prices on
Malaysian receipts include the tax, so the items add up to the total (before any
rounding); where they do not, they add up to the subtotal, and the subtotal plus the
tax is the total. The sum is only evidence when every item line reads cleanly: one
misread digit in any item breaks it, so it never names an amount by chance, but it
also says nothing about which digit of a total is wrong.
"""

from __future__ import annotations

import re
from decimal import Decimal

from crm_store.ocr.totals import amounts_in, label_of

# The amount ends the line; a tax code ("SR", "ZR", "S", "Z") or a mark may follow it.
_LAST_AMOUNT = re.compile(r"\d[.,]\d{2}-?\s*(?:[A-Z]{1,2}\b|[*#])?\W{0,2}$")
# Lines above the items: the shop's block, the document's header and the column titles.
_HEADER = re.compile(
    r"date|time|tarikh|invoice|inv\s*no|receipt|bill\s*no|cashier|counter|table|pax|member|tel\b|fax|gst\s*(?:reg|id|no)"
    r"|reg\s*no|co\.?\s*no|description|qty|u/?p|price|amount|\bamt\b|item|\d{1,2}:\d{2}"
)
# Lines among the items that are not one: totals, payments, tax, rounding.
_NOT_ITEM = re.compile(
    r"t[o0]ta|sub|\btax|gst|sst|vat|service|change|cash|tender|paid|payment|card|visa|master|round|adj|balance|due"
    r"|deposit|voucher|saving|point"
)
MIN_ITEMS = 2
MAX_ITEMS = 60


def items_total(lines: list[str], end: int, min_items: int = MIN_ITEMS) -> Decimal | None:
    """The sum of the item amounts printed above line `end` (the first total line), or None.

    One item's amount is the total's digits printed again and repeats their misread
    ("15.50 x 2 = 31.00" read as 34.00 on both lines), so by default it takes two items
    to make a sum that is another statement of the total.

    The items start after the last header line (the date, the invoice number, the column
    titles); a line among them that carries no amount (a description on a line of its
    own, an article number) is passed over.
    """
    start = 0
    for index in range(end):
        if _HEADER.search(lines[index].lower()) and not _LAST_AMOUNT.search(lines[index]):
            start = index + 1
    amounts = []
    for line in lines[start:end]:
        if not _LAST_AMOUNT.search(line):
            continue
        if _NOT_ITEM.search(label_of(line)):
            return None  # a payment or tax line above the totals: the block is not a list of items
        found = amounts_in(line)
        if found:
            amounts.append(found[-1])
    if not min_items <= len(amounts) <= MAX_ITEMS:
        return None
    return sum(amounts, Decimal("0.00"))
