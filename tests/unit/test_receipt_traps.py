"""Real-receipt traps in OCR text: the total, the date, the currency and the shop, each
where a plausible wrong answer sits beside the right one (as on scanned receipts)."""

from __future__ import annotations

from datetime import date

import pytest

from crm_store.ocr.fields import ReceiptLocale, parse_lines, parse_receipt
from crm_store.ocr.layout import Line
from crm_store.ocr.merchant import merchant
from crm_store.values.currencies import dominant_currency
from crm_store.values.printed_dates import parse_printed_date

TODAY = date(2026, 12, 7)
MY = ReceiptLocale(dayfirst=True, currency="MYR", phone_region="MY")

GST_SUMMARY = """SOON HUAT MACHINERY ENTERPRISE
(JM0078109-W)
NO.53, JALAN SAGU 18, TAMAN DAYA
TEL : 07-354 1303
GST REG NO : 000306020352
TAX INVOICE
Invoice No : CS00012 Date : 11/01/2019
1 x SPRAYER PUMP 414.15
Total Sales (Excluding GST) 414.15
Total GST 24.85
Total Sales (Inclusive of GST) 439.00
CASH 500.00
CHANGE 61.00
GST Summary Amount(RM) Tax(RM)
SR @ 6% 414.15 24.85
Total : 439.00 26.34"""


def test_gst_summary_row_is_not_the_total_and_registration_is_not_a_phone():
    fields = parse_receipt(GST_SUMMARY, TODAY, MY)

    assert (fields.total, fields.currency) == ("439.00", "MYR")
    assert fields.date == "2019-01-11"
    assert fields.phone == "+6073541303"
    assert fields.merchant == "SOON HUAT MACHINERY ENTERPRISE"


def test_gst_summary_row_after_the_total_gives_the_tax_not_the_total():
    text = """HOCK HUAT TRADING
Date 11/01/2019
TOTAL RM 439.00
GST Summary Amount(RM) Tax(RM)
SR @ 6% 414.15 24.85
Total : 439.00 26.34"""

    assert parse_receipt(text, TODAY, MY).total == "439.00"


def test_tax_included_in_total_and_savings_are_not_the_total():
    text = """FAMILY MART SDN BHD
SIMPLIFIED TAX INVOICE
05-Jan-2017 13:02
BREAD RM 3.50
MILK RM 8.20
TOTAL RM 11.70
GST @6% included in total RM 0.66
TOTAL SAVING: RM 5.30
YOUR SAVINGS FOR TODAY RM 5.30"""
    fields = parse_receipt(text, TODAY, MY)

    assert (fields.total, fields.currency) == ("11.70", "MYR")
    assert fields.date == "2017-01-05"


def test_total_after_rounding_not_before():
    text = """KEDAI RUNCIT AH KOW
Date: 18Mar 2018
Total 9.02
Rounding Adj -0.02
Total 9.00
Cash 10.00
Change 1.00"""

    assert parse_receipt(text, TODAY, MY).total == "9.00"


def test_a_misread_rounded_total_loses_to_what_the_receipt_agrees_on():
    text = """BOOK TA .K (TAMAN DAYA) SDN BHD
Date 25/12/2018 8:13:39 PM
1 PC * 9.00 9.00
Total 9.00
Rounding Adjustment 0.00
Rounded Total (RM): 9.60
Cash 10.00
CHANGE 1.00"""

    assert parse_receipt(text, TODAY, MY).total == "9.00"


def test_a_total_misread_alike_on_the_cash_line_is_checked_by_the_tax_summary():
    # OCR read the 1 of 18.00 as a 4 on the total and on the cash line alike (paid exactly, no
    # change); the tax summary row (16.98 before tax, 1.02 GST at 6 %) says 18.00.
    text = """TEO HENG STATIONERY & BOOKS
Date: 23/01/2018
Total Qty: 2 16.98
SUB-TOTAL (RM) 16.98
TOTAL 48.00
CASH 48.00
CHANGE 0.00
GST SUMMARY AMOUNT TAX
SR 6.00 16.98 1.02"""

    assert parse_receipt(text, TODAY, MY).total == "18.00"


def test_the_amount_to_pay_is_after_a_rounding_line_even_when_no_total_repeats_it():
    # "Incl" read as "Inel", the amount's point read as a space, and the rounded amount never printed.
    text = """GEOVENTURE SDN BHD
Date 05/03/2018
Total Sales(Inel GST 6%) RM 64 13
Rounding Adjustment RM 0.02
CASH RM 100.00
GST Summary Amount (RM) Tax (RM)
S 6% 60.50 3.63"""

    assert parse_receipt(text, TODAY, MY).total == "64.15"


def test_a_total_whose_point_was_lost_is_read_from_the_cash_and_the_change():
    text = """MYNEWS RETAIL SB
23/03/2018 9:34:40 AM
SUB TOTAL 10.00
GRAND TOTAL 1000
CASH 20.00
CHANGE DUE 10.00"""

    assert parse_receipt(text, TODAY, MY).total == "10.00"


def test_a_subtotal_whose_point_was_lost_still_checks_the_total():
    # "51.42" read as "5142", and the 5 of the total read as a 6.
    text = """AIK HUAT HARDWARE ENTERPRISE
Date: 06/03/2018
Total Qty: 7 51.42
Total Sales (Excluding GST) 5142
Total GST 3.08
Rounding 0.00
Total Sales (Inclusive of GST) 64.50"""

    assert parse_receipt(text, TODAY, MY).total == "54.50"


def test_a_speck_after_the_cents_is_not_a_third_decimal():
    text = """SLF CASH & CARRY
Date: 16/03/2018
ROYAL BAKING POWDER 450G
TOTAL 48.004
GOODS SOLD ARE NOT RETURNABLE"""

    assert parse_receipt(text, TODAY, MY).total == "48.00"


def test_with_a_rounding_line_a_misread_total_is_repaired_to_the_rounded_amount():
    # The tax summary gives 106.10 + 6.37 = 112.47; after the rounding line the bill is 112.45.
    # The total read "112.46" is one digit away from both: the receipt rounds, so 112.45.
    text = """SYARIKAT PERNIAGAAN GIN KEE
Date: 04/01/2018
Total GST (RM) 6.37
Rounding (RM) : -0.02
Total (RM) : 112.46
Change (RM) : 0.00
GST SUMMARY
Tax Code Amount GST
SR 6 106.10 6.37"""

    assert parse_receipt(text, TODAY, MY).total == "112.45"


def test_a_doubled_point_in_the_cash_line_still_checks_the_total():
    text = """SECRET RECIPE CAKES & CAFE SDN BHD
Date 22/02/2018
Grand Total obs, 00
(Bill Inclusive of 6% GST : RM2.21)
| Cash RM50..00 |
Change RM11.00"""

    assert parse_receipt(text, TODAY, MY).total == "39.00"


@pytest.mark.parametrize(
    "paid_lines",
    [
        "Cashier :F T8303 Ctr 302\nChange 0.08",  # the cashier is no cash payment
        "RM CASH ~~ 106.006\nCHANGE 71.36",  # 100.06 or 106.00: a garbled cash line settles nothing
    ],
)
def test_no_total_is_made_up_from_a_line_that_only_looks_like_a_payment(paid_lines: str):
    text = f"""KING'S CONFECTIONERY S/B
Date 11/03/18
{paid_lines}
GOODS SOLD ARE NOT RETURNABLE"""

    assert parse_receipt(text, TODAY, MY).total is None


def test_with_no_total_line_legible_the_total_is_what_was_paid():
    text = """LIM SENG THO HARDWARE TRADING
Date 29/12/2017 11:41
3.00 x 200 6.00 SR
Payment 6.00
Change Due 0.00"""

    assert parse_receipt(text, TODAY, MY).total == "6.00"


@pytest.mark.parametrize(
    "tax_line",
    ["(Bill Inclusive of 6% GST : RM2.21)", "(Total Included GST @ 6%: 2.21)"],
)
def test_the_tax_inside_the_total_is_never_the_total_even_under_a_total_label(tax_line: str):
    # The grand total's amount is illegible; the only labelled amount left is the tax in it.
    text = f"""SECRET RECIPE CAKES & CAFE SDN BHD
Date 11/03/2018
Original Slice 2 RM26.00
DoubleChoc Slice 1 RM13.00
Grand Total obs, 00
{tax_line}
Cash RM50.00
Change RM11.00"""

    assert parse_receipt(text, TODAY, MY).total == "39.00"


def test_today_on_a_receipt_is_never_a_date():
    text = """GREEN LEAF MARKET
YOUR SAVINGS FOR TODAY RM 2.00
TOTAL RM 12.00"""

    fields = parse_receipt(text, TODAY, MY)

    assert fields.date is None and fields.total == "12.00"


@pytest.mark.parametrize(
    ("printed", "iso"),
    [
        ("05-Jan-2017", "2017-01-05"),
        ("18Mar 2018", "2018-03-18"),
        ("05 MAR 2018", "2018-03-05"),
        ("12-01-19", "2019-01-12"),
        ("25/12/2018", "2018-12-25"),
        ("12/28/2017", "2017-12-28"),
        ("2018-03-23", "2018-03-23"),
        ("March 5, 2018", "2018-03-05"),
        ("2S/l2/2O18", None),
        ("Date: 04/05/2018", "2018-05-04"),
        ("8 Okt 2018", "2018-10-08"),
        ("27:03/2018", "2018-03-27"),  # OCR read one separator as a colon
        ("Order Time :12:54:37 Date :26/03/18", "2018-03-26"),  # a colon right before the date
        ("12:30-01-18", None),  # the minutes of a time are not a day
        ("CBH: 45076840325 26/Fen/2017 07:43:54", "2017-02-26"),  # one letter of the month misread
        ("CBE: 78293158323 14/dun/2017 08:34:22", "2017-06-14"),
        ("12/Mav/2018", None),  # Mar or May: one letter away from both, so neither
    ],
)
def test_printed_date_forms(printed: str, iso: str | None):
    assert parse_printed_date(printed) == iso


def test_ambiguous_day_and_month_follow_the_shop_locale():
    assert parse_printed_date("04/05/2018", dayfirst=True) == "2018-05-04"
    assert parse_printed_date("04/05/2018", dayfirst=False) == "2018-04-05"
    us = ReceiptLocale(dayfirst=False, currency="USD", phone_region="US")
    assert parse_receipt("DINER\nDate 04/05/2018\nTotal $12.00", TODAY, us).date == "2018-04-05"


@pytest.mark.parametrize(
    ("line", "iso"),
    [
        ("Inv No KSB80051978 Dater11/03/18 21:30", "2018-03-11"),  # the label run into the date
        ("Inv No KI130459712 Mate:O9/02/17 13:12", "2017-02-09"),
        ("14 Mar 2048 18:40", "2018-03-14"),  # a year in the future is a misread digit
        ("12-02-2618 11:34:45 AM", "2018-02-12"),
    ],
)
def test_dates_as_ocr_garbles_them_on_scans(line: str, iso: str):
    text = f"RESTORAN WAN SHENG\n{line}\nTotal RM 6.00"

    assert parse_receipt(text, TODAY, MY).date == iso


def test_a_future_year_is_repaired_only_when_no_other_date_is_printed():
    text = "SHOP\nValid until 31/12/2048\nDate 01/12/2026\nTotal 5.00"

    assert parse_receipt(text, TODAY, MY).date == "2026-12-01"


def test_a_date_after_the_reading_is_not_the_receipts():
    assert parse_receipt("SHOP\nValid until 31/12/2030\nDate 01/12/2026\nTotal 5.00", TODAY, MY).date == "2026-12-01"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("TOTAL RM 9.00", "MYR"),
        ("Total MYR 9.00", "MYR"),
        ("Total S$ 9.00", "SGD"),
        ("Total Rp 15.000", "IDR"),
        ("Total ₹ 250.00", "INR"),
        ("Razem 12,50 zł", "PLN"),
        ("Total CHF 9.00", "CHF"),
        ("Total £9.00", "GBP"),
        ("Summe 9,00 €", "EUR"),
        ("Total $9.00", "USD"),
    ],
)
def test_currency_marks(text: str, code: str):
    assert dominant_currency(text) == code


def test_no_mark_means_the_shops_currency():
    assert dominant_currency("TOTAL 9.00", "MYR") == "MYR"
    assert parse_receipt("SHOP\nDate 01/12/2026\nTOTAL 9.00", TODAY, MY).currency == "MYR"


def test_shop_name_skips_titles_and_logo_noise():
    lines = [
        Line("Y ae 7", 21.0),
        Line("SIMPLIFIED TAX INVOICE", 95.0),
        Line("tan woon yann", 92.0),
        Line("AIK HUAT HARDWARE ENTERPRISE", 90.0),
        Line("(SETIA ALAM) SDN BHD", 88.0),
        Line("NO. 17-6, JALAN SETIA INDAH", 90.0),
    ]

    assert merchant(lines) == "AIK HUAT HARDWARE ENTERPRISE (SETIA ALAM) SDN BHD"


@pytest.mark.parametrize(
    ("top", "name"),
    [
        (["POPULAR BOOK", "CO. (M) SDN BHD", "(Co. No. 113825-W)"], "POPULAR BOOK CO. (M) SDN BHD"),
        (
            ["PERI-PERI CHICKEN", "Nando's Chickenland Malaysia", "Sdn Bhd", "Unit G-13"],
            "Nando's Chickenland Malaysia Sdn Bhd",
        ),
        (["TSH POWER HARDWARE", "TRADING", "002458685-T"], "TSH POWER HARDWARE TRADING"),
    ],
)
def test_a_name_printed_over_two_lines_is_joined_again(top: list[str], name: str):
    assert merchant([Line(text, 90.0) for text in top]) == name


@pytest.mark.parametrize(
    ("read", "name"),
    [
        ("MR. D.1.¥. (M) SDN BHD", "MR. D.I.Y. (M) SDN BHD"),  # symbols OCR reads for letters
        ("KING'S CONFECTIONERY $/B 273500-U (6KJ)", "KING'S CONFECTIONERY S/B"),  # number after S/B cut off
        ("KING’S CONFECTIONERY §/B8 273500-U (KSB)", "KING’S CONFECTIONERY S/B"),
    ],
)
def test_a_name_ocr_garbled_with_symbols_is_repaired(read: str, name: str):
    lines = [Line("tan woon yann", 92.0), Line(read, 80.0), Line("(CO.REG :860671-D)", 75.0)]

    assert merchant(lines) == name


def test_one_phone_region_setting_for_every_parser(monkeypatch):
    from crm_store.settings import reset_settings_cache
    from crm_store.values import extract_all, normalize_phone

    monkeypatch.setenv("DEFAULT_PHONE_REGION", "MY")
    reset_settings_cache()
    try:
        assert normalize_phone("07-354 1303") == "+6073541303"
        assert [e.value for e in extract_all("call us on 07-354 1303") if e.entity == "phone"] == ["+6073541303"]
        assert parse_receipt("SHOP\nTEL 07-354 1303\nTOTAL 5.00", TODAY).phone == "+6073541303"
    finally:
        reset_settings_cache()


def test_a_date_on_a_line_tesseract_took_for_noise_comes_after_the_printed_one():
    lines = [
        Line("MR. D.I.Y. (M) SDN BHD", 90.0, 10, 30),
        Line("TOTAL INCL. GST@6% RM 38.80", 90.0, 40, 60),
        Line("CASH RM 50.00", 94.0, 70, 90),
        Line("CHANGE RM 11.20", 94.0, 100, 120),
        Line("(Rene oo ee e222 2-22-25 ----------4", 5.7, 130, 134),  # a dotted rule
        Line("~ 28-03-18 18:05 SHO1 ZJ42 12 R000246362", 65.0, 140, 160),
    ]

    assert parse_lines(lines, TODAY, MY).date == "2018-03-28"


def test_a_total_after_the_adjustment_is_the_total_even_with_its_label_garbled():
    # "Total After Adj Incl GST" read as "lotal Atter Adj [acl GST": the GST no longer says "incl".
    text = """AEON CO. (M) BHD
Date 28/02/2018
Sub-total 88.97
Rounding Adj -J.02
lotal Atter Adj [acl GST 88.95
CASH 100.00
GST Summary Amount Tax
Total 83,93 5.04"""

    assert parse_receipt(text, TODAY, MY).total == "88.95"


def test_a_date_with_letters_read_for_its_digits_is_repaired_when_no_other_date_is_printed():
    text = """99 SPEED MART S/B
INVOICE NO : 18023/103/70052
02:49PM 565287 OS~-05-17
Total Sales (Inclusive GST) RM 42.35"""

    assert parse_receipt(text, TODAY, MY).date == "2017-05-05"
    # A printed date elsewhere wins over the repair.
    assert parse_receipt(text + "\nDate: 06/05/2017", TODAY, MY).date == "2017-05-06"


def test_a_later_line_stating_the_total_rounded_to_5_cents_is_the_amount_to_pay():
    # The adjustment lost its point ("RM 02") and the rounded total is labelled "Rounding".
    text = """PASARAYA BORONG PINTAR SDN BHD
Date 22/11/2017
Total Sales (Inclusive GST) RM 181.98
Rounding Adjustment RM 02
Rounding RM 182.00
CHANGE RM 00"""

    assert parse_receipt(text, TODAY, MY).total == "182.00"
    # Without a rounding line on the receipt, a nearby round amount is not a rounded total.
    assert parse_receipt(text.replace("Rounding Adjustment RM 02\nRounding", "Voucher"), TODAY, MY).total == "181.98"


def test_the_taxable_amount_is_not_the_total():
    text = """KEDAI ALAT TULIS SDN BHD
Date 11/01/2018
SUBTOTAL RM53. 60
CASH RM100. 00
CHANGE RM46. 40
TAXABLE AMOUNT RM50. 57
6% GST RM3. 03"""

    assert parse_receipt(text, TODAY, MY).total == "53.60"


def test_paid_amount_is_a_payment_not_a_total():
    # The total's line is illegible; "Paid Amount" less the change says what it was.
    text = """TEA GARDEN SDN BHD
Date 27/03/2018
Rounding Adjustment : (0.07)
Tote! Aut Peyshte: 8.50
Paid Amount: 100.00
Change - 91.50"""

    assert parse_receipt(text, TODAY, MY).total == "8.50"


def test_with_no_total_and_no_payment_legible_the_subtotal_and_its_rounding_are_the_total():
    text = """FARMASI SRI SENTOSA
CASH RECEIPT
Date 09/04/2018
DERMAPRO OINT 15G 5 127.00 635.00
SubTotal: 635.00
Rounding Adj : 0.00
GST Summary: Amount Tax"""

    fields = parse_receipt(text, TODAY, MY)

    assert (fields.total, fields.total_checked) == ("635.00", False)
    # A tax added under the subtotal: the subtotal is not what was paid.
    assert parse_receipt(text.replace("Rounding Adj : 0.00", "GST 6% 38.10"), TODAY, MY).total is None
