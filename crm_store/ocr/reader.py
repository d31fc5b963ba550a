"""Read a receipt image: load within limits, prepare, tesseract's word boxes, parse the fields.

Tesseract is a subprocess (pytesseract), killed when it exceeds the timeout; the
async entry point also runs the whole read in a worker thread under the same
deadline, so a chat server's event loop never waits on OCR.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytesseract
from PIL import Image

from crm_store.ocr.errors import ImageRejected, UnreadableImage
from crm_store.ocr.fields import ReceiptFields, ReceiptLocale, merge, parse_lines
from crm_store.ocr.images import darken, load_image, prepare
from crm_store.ocr.layout import Line, lines_from_data
from crm_store.ocr.reread import reread
from crm_store.settings import Settings

log = logging.getLogger(__name__)

# psm 6: one uniform block of text. (psm 4 and 3 drop a line framed by two dashed rules.)
TESSERACT_CONFIG = "--oem 1 --psm 6"
MIN_TEXT_CHARS = 12


@dataclass(frozen=True)
class OcrOptions:
    languages: str = "eng"
    timeout_seconds: float = 20.0
    max_bytes: int = 10 * 1024 * 1024
    max_pixels: int = 40_000_000
    locale: ReceiptLocale = ReceiptLocale()

    @classmethod
    def from_settings(cls, settings: Settings) -> "OcrOptions":
        return cls(
            languages=settings.ocr_languages,
            timeout_seconds=float(settings.ocr_timeout_seconds),
            max_bytes=settings.ocr_max_bytes,
            max_pixels=settings.ocr_max_pixels,
            locale=ReceiptLocale(
                dayfirst=dayfirst(settings.shop_locale),
                currency=settings.shop_currency,
                phone_region=settings.default_phone_region,
            ),
        )


def dayfirst(locale: str) -> bool:
    """Whether the locale writes the day before the month in a short date (en_GB yes, en_US no)."""
    from babel import Locale

    pattern = Locale.parse(locale).date_formats["short"].pattern
    return pattern.find("d") < pattern.find("M")


@dataclass(frozen=True)
class Reading:
    text: str
    fields: ReceiptFields
    seconds: float


def recognise(image: Image.Image, options: OcrOptions) -> list[Line]:
    """Tesseract's lines (words with boxes and confidence) for a prepared image."""
    # One thread per tesseract: on a shared 2-core machine OpenMP threads only fight.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    try:
        return lines_from_data(
            pytesseract.image_to_data(
                image,
                lang=options.languages,
                config=TESSERACT_CONFIG,
                timeout=options.timeout_seconds,
                output_type=pytesseract.Output.DICT,
            )
        )
    except RuntimeError as exc:  # pytesseract's way of saying "timeout"
        raise UnreadableImage("Reading the image took too long.") from exc
    except pytesseract.TesseractError as exc:
        log.warning("tesseract failed", extra={"status": exc.status})
        raise UnreadableImage("The image could not be read.") from exc


def read_receipt(path: Path, options: OcrOptions | None = None, today: date | None = None) -> Reading:
    """The OCR text and receipt fields of one image file.

    Raises ImageRejected (size, pixels, not an image) or UnreadableImage (no text).
    """
    options = options or OcrOptions()
    started = time.perf_counter()
    image = load_image(Path(path), options.max_bytes, options.max_pixels)
    prepared, scan = prepare(image)
    lines = recognise(prepared, options)
    text = "\n".join(line.text for line in lines)
    darker = None
    if scan and sum(ch.isalnum() for ch in text) < MIN_TEXT_CHARS:
        # A scan of very faint print: the darker copy may hold the text the first pass missed.
        darker = recognise(darken(prepared), options)
        lines, text = darker, "\n".join(line.text for line in darker)
    if sum(ch.isalnum() for ch in text) < MIN_TEXT_CHARS:
        raise UnreadableImage("I could not find any text in the image.")
    fields = parse_lines(lines, today, options.locale)
    if scan and darker is None:
        # The lines tesseract was unsure of (only while the total is unconfirmed or the date
        # missing) and the lines it dropped, read again from a cleaned, enlarged copy (one short
        # run for all of them); a line's new reading is kept only where tesseract is surer of it.
        weak = not (fields.total_checked and fields.date)
        try:
            again = reread(prepared, lines, lambda strip: recognise(strip, options), weak)
        except UnreadableImage:  # a second look that takes too long is given up, not the receipt
            again = lines
        if again is not lines:
            fields = merge(parse_lines(again, today, options.locale), fields)
    if scan and darker is None and not (fields.total_checked and fields.date):
        # Faint thermal print loses digits; a darker copy reads them (and costs a second pass,
        # only for receipts whose total nothing else confirmed or whose date was not found).
        try:
            darker = recognise(darken(prepared), options)
            fields = merge(fields, parse_lines(darker, today, options.locale))
        except UnreadableImage:  # as with the second look: given up, not the receipt
            darker = None
    return Reading(text=text, fields=fields, seconds=time.perf_counter() - started)


async def read_receipt_async(path: Path, options: OcrOptions | None = None, today: date | None = None) -> Reading:
    """read_receipt in a worker thread, given up after the timeout (plus loading time)."""
    options = options or OcrOptions()
    loop = asyncio.get_running_loop()
    try:
        return await asyncio.wait_for(
            loop.run_in_executor(None, read_receipt, Path(path), options, today),
            timeout=options.timeout_seconds + 10.0,
        )
    except asyncio.TimeoutError:
        raise UnreadableImage("Reading the image took too long.") from None


__all__ = ["ImageRejected", "OcrOptions", "Reading", "UnreadableImage", "read_receipt", "read_receipt_async"]
