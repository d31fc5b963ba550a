"""Real scanned receipts (ICDAR 2019 SROIE) for bench/ocr_accuracy.py --real DIR.

DIR holds `data/img/*.jpg` and `data/key/*.json` as in the public repository
zzzDavid/ICDAR-2019-SROIE (or `img/` and `key/` directly). The image names are
sorted and split in two halves: the first half is for development and is the
default; the second half is kept for acceptance and is read only with
`--half second`, which development never runs. `--half all` reads every receipt
in the folder, for a copy that holds only the development half.

Fields scored against each key:
  date   the same calendar day (the key's own format read day-first, as in Malaysia)
  total  the same amount to the cent
  shop   the company's name, normalised, with a similarity of at least 0.8
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pytesseract
from PIL import Image

REAL_FIELDS = ("date", "total", "shop")
SHOP_SIMILARITY = 0.8


@dataclass(frozen=True)
class Sample:
    image: Path
    date: str | None  # ISO
    total: str | None  # "9.00"
    company: str | None


def folders(root: Path) -> tuple[Path, Path]:
    for base in (root / "data", root):
        if (base / "img").is_dir() and (base / "key").is_dir():
            return base / "img", base / "key"
    raise SystemExit(f"{root} has no img/ and key/ folders (expected data/img and data/key)")


def samples(root: Path, half: str = "first", limit: int | None = None) -> list[Sample]:
    """The receipts of one half of the set (or all of the folder), in name order."""
    img, key = folders(root)
    names = sorted(p.name for p in img.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    middle = (len(names) + 1) // 2
    halves = {"first": names[:middle], "second": names[middle:], "all": names}
    if half not in halves:
        raise ValueError(f"half must be one of {', '.join(halves)}, not {half!r}")
    chosen = halves[half]
    if limit:
        chosen = chosen[:limit]
    result = []
    for name in chosen:
        key_file = key / (Path(name).stem + ".json")
        truth = json.loads(key_file.read_text(encoding="utf-8")) if key_file.is_file() else {}
        result.append(
            Sample(
                img / name,
                key_date(truth.get("date")),
                key_total(truth.get("total")),
                (truth.get("company") or "").strip() or None,
            )
        )
    return result


def key_date(raw: str | None) -> str | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    for pattern in (
        "%d/%m/%Y",
        "%d/%m/%y",
        "%d-%m-%Y",
        "%d-%m-%y",
        "%d.%m.%y",
        "%d.%m.%Y",
        "%Y-%m-%d",
        "%Y/%m/%d",
        "%d %b %Y",
        "%d %b %y",
        "%d/%b/%Y",
        "%d-%b-%Y",
        "%Y%m%d",
        "%m/%d/%Y",
    ):
        try:
            return datetime.strptime(raw.title(), pattern).date().isoformat()
        except ValueError:
            continue
    return None


def key_total(raw: str | None) -> str | None:
    figure = re.sub(r"[^\d.]", "", raw or "")
    try:
        return f"{Decimal(figure).quantize(Decimal('0.01'))}" if figure else None
    except InvalidOperation:
        return None


def normalise_name(name: str) -> str:
    return " ".join(re.sub(r"[^A-Z0-9&]+", " ", (name or "").upper()).split())


def shop_matches(guess: str | None, company: str | None) -> bool:
    if not guess or not company:
        return False
    return difflib.SequenceMatcher(None, normalise_name(guess), normalise_name(company)).ratio() >= SHOP_SIMILARITY


def hits(sample: Sample, guess: dict[str, Any] | None) -> dict[str, bool | None]:
    """Per field: True / False, or None where the key has no value for it."""
    guess = guess or {}
    return {
        "date": None if sample.date is None else guess.get("date") == sample.date,
        "total": None if sample.total is None else key_total(guess.get("total")) == sample.total,
        "shop": None if sample.company is None else shop_matches(guess.get("shop"), sample.company),
    }


# The baseline a new user would write: tesseract's text of the image as it is, then the
# first date-shaped token, the last amount on the last line saying "total", the first line.
_NAIVE_DATE = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})\b")
_NAIVE_AMOUNT = re.compile(r"\d+[.,]\d{2}")


def naive_fields(text: str) -> dict[str, Any]:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    found: dict[str, Any] = {"date": None, "total": None, "shop": lines[0] if lines else None}
    for line in lines:
        match = _NAIVE_DATE.search(line)
        if match:
            day, month, year = (int(g) for g in match.groups())
            year += 2000 if year < 100 else 0
            try:
                found["date"] = date(year, month, day).isoformat()
                break
            except ValueError:
                continue
    for line in reversed(lines):
        amounts = _NAIVE_AMOUNT.findall(line)
        if "total" in line.lower() and amounts:
            found["total"] = amounts[-1].replace(",", ".")
            break
    return found


def baseline(path: Path) -> dict[str, Any]:
    with Image.open(path) as image:
        return naive_fields(pytesseract.image_to_string(image))
