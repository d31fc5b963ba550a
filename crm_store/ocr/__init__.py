"""OCR of receipt photos: safe loading, Pillow preprocessing, tesseract, field parsing.

A service beside the CRM services, used by the chat actions and `crmbot ocr`:
    reading = read_receipt(path, OcrOptions.from_settings(settings))
    reading.fields.order_number, reading.fields.total, reading.text
"""

from crm_store.ocr.errors import ImageRejected, UnreadableImage
from crm_store.ocr.fields import FIELD_NAMES, LineItem, ReceiptFields, parse_receipt
from crm_store.ocr.reader import OcrOptions, Reading, read_receipt, read_receipt_async

__all__ = [
    "FIELD_NAMES",
    "ImageRejected",
    "LineItem",
    "OcrOptions",
    "Reading",
    "ReceiptFields",
    "UnreadableImage",
    "parse_receipt",
    "read_receipt",
    "read_receipt_async",
]
