"""A second look at a scan that takes too long is given up, never the receipt (tesseract faked)."""

from __future__ import annotations

from datetime import date

from PIL import Image

from crm_store.ocr import reader
from crm_store.ocr.errors import UnreadableImage
from crm_store.ocr.layout import Line

FIRST_READING = [
    Line("KEDAI RUNCIT MAJU JAYA", 90.0, 20, 40, 18),
    Line("Date: 14/02/2018", 90.0, 60, 80, 18),
    Line("TOTAL 12.40", 55.0, 100, 120, 18),
]


def test_a_darker_reading_that_times_out_keeps_the_first_readings_fields(tmp_path, monkeypatch):
    path = tmp_path / "scan.png"
    Image.new("L", (400, 160), 250).save(path)  # flat and light: a scan, no surface around it
    calls = []

    def recognise(image, options):
        calls.append(image.size)
        if len(calls) == 1:
            return FIRST_READING
        raise UnreadableImage("Reading the image took too long.")

    monkeypatch.setattr(reader, "recognise", recognise)

    fields = reader.read_receipt(path, today=date(2026, 12, 7)).fields

    assert len(calls) > 1  # the second looks were tried
    assert (fields.date, fields.total) == ("2018-02-14", "12.40")
