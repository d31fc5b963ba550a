"""OCR settings: languages and limits come from the environment, bad values stop startup."""

from __future__ import annotations

import pytest

from crm_store.errors import SettingsError
from crm_store.ocr import OcrOptions
from crm_store.ocr.fields import ReceiptLocale
from crm_store.settings import load_settings


def test_ocr_options_follow_the_settings():
    settings = load_settings(
        {"OCR_LANGUAGES": "eng+deu", "OCR_TIMEOUT_SECONDS": "7", "OCR_MAX_BYTES": "1000", "OCR_MAX_PIXELS": "2000"}
    )

    assert OcrOptions.from_settings(settings) == OcrOptions(
        "eng+deu", 7.0, 1000, 2000, ReceiptLocale(dayfirst=True, currency="EUR", phone_region="DE")
    )


def test_receipts_follow_the_shops_locale_currency_and_phone_region():
    settings = load_settings({"SHOP_LOCALE": "en_US", "SHOP_CURRENCY": "myr", "DEFAULT_PHONE_REGION": "my"})

    assert OcrOptions.from_settings(settings).locale == ReceiptLocale(dayfirst=False, currency="MYR", phone_region="MY")


@pytest.mark.parametrize(
    "var, value, message",
    [
        (
            "OCR_LANGUAGES",
            "eng; rm -rf",
            "OCR_LANGUAGES='eng; rm -rf' is not a list of tesseract languages like eng+deu",
        ),
        ("OCR_MAX_PIXELS", "lots", "OCR_MAX_PIXELS='lots' is not a whole number"),
        ("SHOP_LOCALE", "xx_QQ", "SHOP_LOCALE='xx_QQ' is not a locale such as en_GB, de_DE or ms_MY"),
        ("SHOP_CURRENCY", "YEN", "SHOP_CURRENCY='YEN' is not one of EUR, GBP, USD, CHF, PLN, MYR, SGD, IDR, INR"),
    ],
)
def test_bad_ocr_setting_is_one_line(var, value, message):
    with pytest.raises(SettingsError) as raised:
        load_settings({var: value})

    assert str(raised.value) == message
