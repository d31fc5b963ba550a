"""Look-alikes of real scanned receipts, read by real tesseract: the traps of the SROIE receipts.

The SROIE images themselves are not redistributed here (the repository that hosts them
states no licence for the data), so each test renders a receipt with the same trap.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFont

from crm_store.ocr import OcrOptions, read_receipt
from crm_store.ocr.fields import ReceiptLocale
from crm_store.ocr.images import load_image, prepare
from crm_store.ocr.reader import recognise
from crm_store.ocr.reread import reread
from tests.support.receipts import font_paths, scanned_receipt, write_receipt

pytestmark = pytest.mark.integration

MALAYSIA = OcrOptions(locale=ReceiptLocale(dayfirst=True, currency="MYR", phone_region="MY"))
TODAY = date(2026, 12, 7)


def test_gst_summary_row_and_registration_number(tmp_path):
    receipt = scanned_receipt(
        [
            "SOON HUAT MACHINERY ENTERPRISE",
            "(JM0078109-W)",
            "NO.53, JALAN SAGU 18, TAMAN DAYA",
            "TEL : 07-354 1303",
            "GST REG NO : 000306020352",
            "TAX INVOICE",
            "Invoice No : CS00012",
            "Date : 11/01/2019",
            "1 x SPRAYER PUMP        414.15",
            "Total Sales (Excluding GST)  414.15",
            "Total GST                 24.85",
            "Total Sales (Inclusive of GST) 439.00",
            "CASH                     500.00",
            "CHANGE                    61.00",
            "GST Summary  Amount(RM)  Tax(RM)",
            "SR @ 6%        414.15    24.85",
            "Total :        439.00    26.34",
        ]
    )
    path = write_receipt(receipt, tmp_path, "gst-summary")

    fields = read_receipt(path, MALAYSIA, today=TODAY).fields

    assert (fields.total, fields.currency, fields.date) == ("439.00", "MYR", "2019-01-11")
    assert fields.phone == "+6073541303"
    assert fields.merchant == "SOON HUAT MACHINERY ENTERPRISE"


def test_savings_today_included_tax_and_month_name_date(tmp_path):
    receipt = scanned_receipt(
        [
            "SIMPLIFIED TAX INVOICE",
            "FAMILY FRESH MART SDN BHD",
            "05-Jan-2017 13:02",
            "BREAD                 RM 3.50",
            "MILK                  RM 8.20",
            "TOTAL SAVING:         RM 5.30",
            "TOTAL                 RM 11.70",
            "GST @6% included in total RM 0.66",
            "YOUR SAVINGS FOR TODAY RM 5.30",
        ]
    )
    path = write_receipt(receipt, tmp_path, "savings")

    fields = read_receipt(path, MALAYSIA, today=TODAY).fields

    assert (fields.total, fields.currency, fields.date) == ("11.70", "MYR", "2017-01-05")
    assert fields.merchant == "FAMILY FRESH MART SDN BHD"


def test_total_after_rounding_and_no_date_from_today(tmp_path):
    receipt = scanned_receipt(
        [
            "KEDAI RUNCIT AH KOW",
            "YOUR SAVINGS FOR TODAY RM 1.00",
            "Total            RM 9.02",
            "Rounding Adj     -0.02",
            "Total            RM 9.00",
            "Cash             RM 10.00",
            "Change           RM 1.00",
        ]
    )
    path = write_receipt(receipt, tmp_path, "rounding")

    fields = read_receipt(path, MALAYSIA, today=TODAY).fields

    assert (fields.total, fields.currency) == ("9.00", "MYR")
    assert fields.date is None


def _underlined_date_scan(path: Path) -> Path:
    """A small faint scan whose date line has a dotted rule printed into the foot of its digits."""
    font_file = next(p for p in font_paths() if p.name.startswith("DejaVuSans."))
    font = ImageFont.truetype(str(font_file), 12)
    image = Image.new("L", (460, 200), 250)
    draw = ImageDraw.Draw(image)
    rows = [
        "UAN HING STATIONERY SDN BHD",
        "GST ID : 002139201536",
        "Tax Invoice",
        "27/03/2018          No.: CS-20242",
        "Qty  Tax  RM",
        "Total Amt Payable    79.50",
    ]
    for number, row in enumerate(rows):
        top = 10 + number * 26
        draw.text((30, top), row, fill=110, font=font)
        if row.startswith("27/"):
            for left in range(20, 440, 3):
                draw.line((left, top + 13, left + 1, top + 13), fill=120, width=1)
    image.save(path)
    return path


def test_a_date_underlined_by_a_dotted_rule_is_read_again_from_a_cleaned_copy(tmp_path):
    path = _underlined_date_scan(tmp_path / "underlined.png")
    prepared, scan = prepare(load_image(path, 10_000_000, 10_000_000))
    lines = recognise(prepared, MALAYSIA)
    assert scan and not any("27/03/2018" in line.text for line in lines)  # the trap: the first pass garbles it

    again = reread(prepared, lines, lambda strip: recognise(strip, MALAYSIA))

    assert any("27/03/2018" in line.text for line in again)
    assert read_receipt(path, MALAYSIA, today=TODAY).fields.date == "2018-03-27"


def _stamped_scan(path: Path) -> Path:
    """A scan whose shop name is crossed by a red "PAID" stamp, as on many SROIE receipts."""
    font_file = next(p for p in font_paths() if p.name.startswith("DejaVuSans."))
    image = Image.new("RGB", (620, 300), (246, 246, 246))
    draw = ImageDraw.Draw(image)
    draw.text((40, 20), "FUYI MINI MARKET", fill=(25, 25, 25), font=ImageFont.truetype(str(font_file), 34))
    body = ImageFont.truetype(str(font_file), 16)
    for number, row in enumerate(["TAX INVOICE", "26/01/2018 1:22:56PM", "Total Includes GST 6% 9.00"]):
        draw.text((40, 110 + number * 30), row, fill=(40, 40, 40), font=body)
    # The stamp: thick red strokes through the name's letters, in ink that darkens what is under it.
    stamp = Image.new("RGB", image.size, (255, 255, 255))
    pen = ImageDraw.Draw(stamp)
    pen.ellipse((60, 5, 420, 95), outline=(235, 70, 100), width=7)
    pen.line((30, 90, 450, 15), fill=(235, 70, 100), width=7)
    ImageChops.multiply(image, stamp).save(path)
    return path


def test_a_red_stamp_across_the_shop_name_is_read_through(tmp_path):
    path = _stamped_scan(tmp_path / "stamped.png")

    fields = read_receipt(path, MALAYSIA, today=TODAY).fields

    assert fields.merchant == "FUYI MINI MARKET"
    assert (fields.date, fields.total) == ("2018-01-26", "9.00")


def _small_print_under_a_large_name(path: Path) -> Path:
    """A scan with a large name over small grey body text: tesseract's one-block reading
    (psm 6) keeps the name and some body lines and drops others altogether."""
    condensed = next(p for p in font_paths() if p.name == "DejaVuSansCondensed.ttf")
    regular = next(p for p in font_paths() if p.name == "DejaVuSans.ttf")
    image = Image.new("L", (620, 420), 245)
    draw = ImageDraw.Draw(image)
    name = ImageFont.truetype(str(condensed), 34)
    draw.text((40, 20), "RESTORAN HASSAN BISTRO", fill=20, font=name, stroke_width=2, stroke_fill=20)
    body = ImageFont.truetype(str(regular), 13)
    rows = [
        "NO.2-1-1 JALAN SETIA PRIMA",
        "40170 SHAH ALAM SELANGOR",
        "TAX INVOICE",
        "DATE: 28/12/2017 10:17 PM",
        "1 NASI LEMAK 15.00",
        "Total Incl. GST RM 15.00",
        "CASH 20.00",
        "CHANGE 5.00",
    ]
    for number, row in enumerate(rows):
        draw.text((60, 74 + number * 26), row, fill=60, font=body)
    image.save(path)
    return path


def test_lines_tesseract_dropped_are_found_and_read_again(tmp_path):
    path = _small_print_under_a_large_name(tmp_path / "dropped.png")
    prepared, scan = prepare(load_image(path, 10_000_000, 10_000_000))
    lines = recognise(prepared, MALAYSIA)
    assert scan and not any("CHANGE" in line.text for line in lines)  # the trap: the first pass drops it

    again = reread(prepared, lines, lambda strip: recognise(strip, MALAYSIA), weak=False)

    texts = [line.text for line in again]
    assert "CASH 20.00" in texts and "CHANGE 5.00" in texts
    assert texts.index("CASH 20.00") < texts.index("CHANGE 5.00")  # in their place on the receipt
    fields = read_receipt(path, MALAYSIA, today=TODAY).fields
    assert (fields.total, fields.total_checked) == ("15.00", True)


def test_a_bare_total_label_over_the_cash_line_gives_what_was_paid(tmp_path):
    # The till prints the amount only beside the payment, and gives no change.
    receipt = scanned_receipt(
        [
            "PETRON JALAN KLANG LAMA",
            "24-03-2018 22:02:55 Cashier: 465",
            "Item         U/Price  Qnty  Amount",
            "TOTAL AMOUNT",
            "CASH RM                      6.00",
            "Thank you, please come again",
        ]
    )
    path = write_receipt(receipt, tmp_path, "bare-total")

    fields = read_receipt(path, MALAYSIA, today=TODAY).fields

    assert (fields.total, fields.date) == ("6.00", "2018-03-24")


def test_a_tax_rate_is_not_an_amount_the_total_could_be_the_tax_of(tmp_path):
    # 1.00 would be the 20 % VAT inside 6.00, if the rate "6.00 %" were an amount.
    receipt = scanned_receipt(
        [
            "SHAH ALAM CITY PARKING",
            "Paid Time 30/04/2017 21:51",
            "Parking Fee          RM0.94",
            "GST(Included) 6.00 % RM0.06",
            "Total                RM1.00",
        ]
    )
    path = write_receipt(receipt, tmp_path, "rate")

    fields = read_receipt(path, MALAYSIA, today=TODAY).fields

    assert (fields.total, fields.date) == ("1.00", "2017-04-30")
