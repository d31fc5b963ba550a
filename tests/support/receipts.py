"""Synthetic receipt photos with known fields, for OCR tests and bench/ocr_accuracy.py.

Drawn with Pillow in fonts from Debian packages (fonts-dejavu-core, fonts-liberation),
then degraded like a phone photo: slight rotation, perspective, noise, blur, JPEG.
Deterministic for a given seed.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/liberation"))
FONT_FILES = (
    "DejaVuSans.ttf",
    "DejaVuSansMono.ttf",
    "DejaVuSerif.ttf",
    "DejaVuSansCondensed.ttf",
    "LiberationSans-Regular.ttf",
    "LiberationMono-Regular.ttf",
    "LiberationSerif-Regular.ttf",
)
MERCHANTS = (
    "NORDWIND AUDIO GmbH",
    "Kaffee Haus Mitte",
    "City Sport Store",
    "Green Leaf Market",
    "Techno Point Berlin",
    "Blue Harbor Books",
    "Maple Home & Garden",
    "Sunrise Electronics",
)
PRODUCTS = (
    "Wireless Earbuds",
    "USB-C Cable",
    "Phone Case",
    "Yoga Mat",
    "Coffee Beans",
    "Desk Lamp",
    "Running Socks",
    "Water Bottle",
    "Notebook A5",
    "HDMI Adapter",
    "Tea Sampler",
    "Bike Light",
)
STREETS = ("Torstrasse 12", "Hauptstrasse 5", "Market Street 44", "Lindenallee 9")
TOWNS = ("10119 Berlin", "80331 Munich", "20095 Hamburg", "50667 Cologne")
PHONES = ("+49 30 1234567", "+49 89 7654321", "+49 40 5550123", "+49 221 998877")
CURRENCIES = (("EUR", "€"), ("EUR", "EUR "), ("USD", "$"), ("GBP", "£"))


def font_paths() -> list[Path]:
    return [d / f for d in FONT_DIRS for f in FONT_FILES if (d / f).is_file()]


@dataclass
class Receipt:
    """What is printed on one receipt (the truth) and how it was photographed."""

    fields: dict[str, Any]
    lines: list[str]
    font: str
    font_size: int
    rotation: float = 0.0
    perspective: bool = False
    noise: float = 0.0
    blur: float = 0.0
    jpeg_quality: int | None = None
    hard: bool = False
    scan: bool = False  # a flat scan on white, not a photo of paper lying on a table
    meta: dict[str, Any] = field(default_factory=dict)


def make_receipt(rng: random.Random, today: date = date(2026, 11, 30)) -> Receipt:
    merchant = rng.choice(MERCHANTS)
    day = today - timedelta(days=rng.randint(1, 300))
    number = f"A-{rng.randint(10000, 99999)}"
    code, symbol = rng.choice(CURRENCIES)
    phone = rng.choice(PHONES)
    email = f"shop@{merchant.split()[0].lower()}.example"
    items = []
    for product in rng.sample(PRODUCTS, rng.randint(1, 4)):
        quantity = rng.randint(1, 3)
        price = Decimal(rng.randint(199, 8999)) / 100 * quantity
        items.append({"description": product, "quantity": quantity, "price": f"{price:.2f}"})
    total = sum(Decimal(i["price"]) for i in items)
    date_text = rng.choice((f"{day:%d.%m.%Y}", f"{day:%Y-%m-%d}", f"{day.day} {day:%B %Y}"))
    lines = [
        merchant,
        f"{rng.choice(STREETS)}, {rng.choice(TOWNS)}",
        f"Tel: {phone}",
        email,
        "",
        f"Order: {number}",
        f"Date: {date_text}",
        "-" * 28,
    ]
    lines += [f"{i['quantity']} x {i['description']}  {i['price']}" for i in items]
    lines += [
        "-" * 28,
        f"TOTAL {symbol}{total:.2f}".replace(
            f"{symbol}{total:.2f}", f"{symbol.strip()} {total:.2f}" if symbol.endswith(" ") else f"{symbol}{total:.2f}"
        ),
    ]
    lines += ["", "Thank you for shopping!"]
    fields = {
        "order_number": number,
        "date": day.isoformat(),
        "total": f"{total:.2f}",
        "currency": code,
        "merchant": merchant,
        "email": email,
        "phone": phone.replace(" ", ""),
        "items": items,
    }
    return Receipt(fields=fields, lines=lines, font="", font_size=0)


def degrade(receipt: Receipt, rng: random.Random, hard: bool) -> Receipt:
    """Choose the photo conditions: mild for most, all at once for the hard ones."""
    receipt.font = str(rng.choice(font_paths()))
    receipt.font_size = rng.randint(18, 30)
    receipt.hard = hard
    if hard:
        receipt.rotation = rng.choice((-1, 1)) * rng.uniform(3.0, 7.0)
        receipt.perspective = True
        receipt.noise = rng.uniform(10.0, 20.0)
        receipt.blur = rng.uniform(0.0, 0.6)
        receipt.jpeg_quality = rng.randint(55, 80)
    else:
        receipt.rotation = rng.uniform(-2.5, 2.5)
        receipt.perspective = rng.random() < 0.25
        receipt.noise = rng.uniform(0.0, 10.0)
        receipt.blur = rng.uniform(0.0, 0.4)
        receipt.jpeg_quality = rng.choice((None, 60, 75, 90))
    return receipt


def render(receipt: Receipt, seed: int = 0) -> Image.Image:
    font = ImageFont.truetype(receipt.font, receipt.font_size)
    line_height = round(receipt.font_size * 1.45)
    width = max(int(font.getlength(line)) for line in receipt.lines if line) + 2 * receipt.font_size
    height = line_height * len(receipt.lines) + 2 * receipt.font_size
    paper = Image.new("L", (width, height), 250)
    draw = ImageDraw.Draw(paper)
    for index, line in enumerate(receipt.lines):
        draw.text((receipt.font_size, receipt.font_size + index * line_height), line, font=font, fill=25)
    # The receipt lies on a darker table, as in a photo (a scanner's lid is white).
    margin = 3 * receipt.font_size
    photo = Image.new("L", (width + 2 * margin, height + 2 * margin), 250 if receipt.scan else 120)
    photo.paste(paper, (margin, margin))
    if receipt.rotation:
        photo = photo.rotate(receipt.rotation, resample=Image.BICUBIC, expand=True, fillcolor=120)
    if receipt.perspective:
        photo = _perspective(photo, random.Random(seed))
    if receipt.blur:
        photo = photo.filter(ImageFilter.GaussianBlur(receipt.blur))
    if receipt.noise:
        pixels = np.asarray(photo, dtype=np.float32)
        pixels += np.random.default_rng(seed).normal(0.0, receipt.noise, pixels.shape)
        photo = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    return photo.convert("RGB")


def _perspective(image: Image.Image, rng: random.Random) -> Image.Image:
    """A phone held slightly off-axis: the top edge narrower than the bottom."""
    w, h = image.size
    inset = rng.uniform(0.03, 0.07) * w
    drop = rng.uniform(0.0, 0.03) * h
    # Corners of the output quad taken from the input (upper-left, lower-left, lower-right, upper-right).
    quad = (-inset, -drop, 0, h, w, h, w + inset, -drop)
    return image.transform((w, h), Image.QUAD, quad, resample=Image.BICUBIC, fillcolor=120)


def encode(image: Image.Image, jpeg_quality: int | None) -> bytes:
    buffer = io.BytesIO()
    if jpeg_quality:
        image.save(buffer, "JPEG", quality=jpeg_quality)
    else:
        image.save(buffer, "PNG")
    return buffer.getvalue()


def scanned_receipt(lines: list[str], font_size: int = 22, font: str = "DejaVuSansMono.ttf") -> Receipt:
    """A receipt with exactly these lines, as a flat scan (light noise, JPEG), for trap tests."""
    path = next((p for p in font_paths() if p.name == font), None) or font_paths()[0]
    return Receipt(fields={}, lines=lines, font=str(path), font_size=font_size, noise=4.0, jpeg_quality=85, scan=True)


def receipt_set(count: int, seed: int = 15) -> list[Receipt]:
    """`count` receipts; the last tenth are the hard ones (rotation + perspective + noise)."""
    rng = random.Random(seed)
    hard_from = count - max(1, count // 10)
    return [degrade(make_receipt(rng), rng, hard=index >= hard_from) for index in range(count)]


def write_receipt(receipt: Receipt, folder: Path, name: str, seed: int = 0) -> Path:
    suffix = ".jpg" if receipt.jpeg_quality else ".png"
    path = Path(folder) / f"{name}{suffix}"
    path.write_bytes(encode(render(receipt, seed), receipt.jpeg_quality))
    return path
