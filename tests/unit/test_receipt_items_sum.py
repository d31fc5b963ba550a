"""The line items' sum as evidence for a receipt's total (crm_store/ocr/lineitems.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from crm_store.ocr.fields import ReceiptLocale, merge, parse_receipt
from crm_store.ocr.lineitems import items_total

TODAY = date(2026, 12, 7)
MY = ReceiptLocale(dayfirst=True, currency="MYR", phone_region="MY")

HEADER = """KEDAI BUKU ANGSANA SDN BHD
NO. 12, JALAN MERANTI 3
TEL: 03-5521 8890
Date: 14/02/2018 10:21
ITEM QTY PRICE AMOUNT"""


def test_the_items_add_up_below_the_header():
    lines = (HEADER + "\nEXERCISE BOOK A4 2 x 3.50 7.00 SR\n9555011200345\nPENCIL 2B 1 1.20 1.20 SR\nTOTAL 8.20").split(
        "\n"
    )

    assert items_total(lines, len(lines) - 1) == Decimal("8.20")


def test_a_payment_line_above_the_totals_means_no_item_list():
    lines = (HEADER + "\nPENCIL 2B 1.20\nCASH 10.00\nTOTAL 8.20").split("\n")

    assert items_total(lines, len(lines) - 1) is None


def test_the_items_sum_confirms_one_of_two_readings_of_the_total():
    # The total is printed twice and read differently; the items' sum agrees with the first.
    text = (
        HEADER
        + """
EXERCISE BOOK A4 2 x 3.50 7.00 SR
PENCIL 2B 1 1.20 1.20 SR
ERASER 1 1.50 1.50 SR
TOTAL 9.70
TOTAL 9.76
THANK YOU"""
    )

    fields = parse_receipt(text, TODAY, MY)

    assert (fields.total, fields.total_checked) == ("9.70", True)


def _garbled_totals(change: str) -> str:
    return f"""{HEADER}
2 x 42.50 85.00 SR
Total (Excluding GST): 8O.1Q
GST 6%: 4.81
Total (Inclusive of GST): e5o0
CASH : 100.00
CHANGE : {change}"""


def test_what_was_paid_is_confirmed_by_a_single_item():
    fields = parse_receipt(_garbled_totals("15.00"), TODAY, MY)

    assert (fields.total, fields.total_checked) == ("85.00", True)


def test_of_two_readings_the_one_whose_payment_agrees_with_the_items_wins():
    misread = parse_receipt(_garbled_totals("16.00"), TODAY, MY)  # the 5 of the change read as a 6
    clean = parse_receipt(_garbled_totals("15.00"), TODAY, MY)

    assert (misread.total, misread.total_checked) == ("84.00", False)
    assert merge(misread, clean).total == "85.00"
