"""The OCR pipeline with the real tesseract on generated receipt photos."""

from __future__ import annotations

import asyncio
import random
import struct
import zlib

import pytest
from PIL import Image, ImageFilter

from crm_store.ocr import ImageRejected, OcrOptions, UnreadableImage, read_receipt, read_receipt_async
from tests.support.receipts import Receipt, make_receipt, render, write_receipt

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def clean_receipt(seed: int = 7) -> Receipt:
    receipt = make_receipt(random.Random(seed))
    receipt.font, receipt.font_size = FONT, 24
    return receipt


def test_clean_receipt_gives_every_field(tmp_path):
    receipt = clean_receipt()
    path = write_receipt(receipt, tmp_path, "clean")

    reading = read_receipt(path)

    got = reading.fields.as_dict()
    for name in ("order_number", "date", "total", "currency", "merchant", "email", "phone", "items"):
        assert got[name] == receipt.fields[name], name
    assert receipt.fields["order_number"] in reading.text


def test_rotated_photo_with_exif_orientation_is_read_upright(tmp_path):
    receipt = clean_receipt(8)
    receipt.rotation = 6.0  # held askew ...
    image = render(receipt).rotate(90, expand=True)  # ... and stored sideways, as phones do
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 clockwise to view": undoes the sideways storage
    path = tmp_path / "sideways.jpg"
    image.save(path, "JPEG", quality=90, exif=exif.tobytes())

    fields = read_receipt(path).fields

    assert (fields.order_number, fields.total, fields.date) == (
        receipt.fields["order_number"],
        receipt.fields["total"],
        receipt.fields["date"],
    )


def test_blurry_photo_is_unreadable_not_a_crash(tmp_path):
    image = render(clean_receipt()).filter(ImageFilter.GaussianBlur(12))
    path = tmp_path / "blurry.jpg"
    image.save(path, "JPEG", quality=70)

    with pytest.raises(UnreadableImage):
        read_receipt(path)


def test_text_file_renamed_jpg_is_rejected(tmp_path):
    path = tmp_path / "receipt.jpg"
    path.write_text("Order A-10423, total 89.90 EUR\n" * 20)

    with pytest.raises(ImageRejected, match="not an image"):
        read_receipt(path)


def test_file_over_the_size_limit_is_rejected_before_decoding(tmp_path):
    path = write_receipt(clean_receipt(), tmp_path, "big")

    with pytest.raises(ImageRejected, match="larger than"):
        read_receipt(path, OcrOptions(max_bytes=path.stat().st_size - 1))


def test_image_over_the_pixel_limit_is_rejected(tmp_path):
    path = tmp_path / "huge.png"
    Image.new("L", (3000, 2000), 255).save(path)

    with pytest.raises(ImageRejected, match="too many pixels"):
        read_receipt(path, OcrOptions(max_pixels=5_000_000))


def test_decompression_bomb_is_rejected_without_decoding(tmp_path):
    # A valid PNG header claiming 100,000 x 100,000 pixels (10 gigapixels) in a tiny file.
    path = tmp_path / "bomb.png"
    path.write_bytes(png_header_only(100_000, 100_000))
    assert path.stat().st_size < 1000

    with pytest.raises(ImageRejected, match="too many pixels"):
        read_receipt(path)


async def test_async_read_runs_off_the_loop_and_times_out(tmp_path):
    path = write_receipt(clean_receipt(), tmp_path, "slow")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    reading = await read_receipt_async(path)
    assert reading.fields.order_number is not None
    assert ticks > 5, "the event loop was blocked while tesseract ran"
    with pytest.raises(UnreadableImage, match="too long"):
        await read_receipt_async(path, OcrOptions(timeout_seconds=0.05))
    task.cancel()


def png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1000)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
