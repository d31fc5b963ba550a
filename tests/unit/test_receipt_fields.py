"""Receipt fields from OCR text (pure parsing, no tesseract)."""

from __future__ import annotations

from datetime import date

from crm_store.ocr.fields import LineItem, parse_receipt

OCR_TEXT = """‘NORDWIND AUDIO GmbH °
Torstrasse 1, 10119 Berlin
Tel: +49 30 1234567 |
shop@nordwind. example
Order: A-1O4 23
Date: 12, 03.2026
2 x Wireless Earbuds 59. 90
1 x Phone Case 9.99 _—
Subtotal 69.89
VAT 19% 11.16
TOTAL EUR 89.90
Thank you!"""


def test_ocr_slips_are_repaired_and_every_field_found():
    fields = parse_receipt(OCR_TEXT, today=date(2026, 11, 30))

    assert fields.order_number == "A-10423"
    assert fields.date == "2026-03-12"
    assert (fields.total, fields.currency) == ("89.90", "EUR")
    assert fields.merchant == "NORDWIND AUDIO GmbH"
    assert fields.email == "shop@nordwind.example"
    assert fields.phone == "+49301234567"
    assert fields.items == (LineItem("Wireless Earbuds", 2, "59.90"), LineItem("Phone Case", 1, "9.99"))
    assert fields.readable


def test_total_without_currency_takes_the_receipts_currency_and_skips_subtotal():
    fields = parse_receipt("Shop\n1 x Tea 4.50 €\nSubtotal 4.50\nTotal 4.50\nCash 10.00")

    assert (fields.total, fields.currency) == ("4.50", "EUR")


def test_text_without_receipt_fields_is_not_readable():
    fields = parse_receipt("lorem ipsum dolor\nsit amet")

    assert not fields.readable and fields.found == ("merchant",)
