"""`crmbot ocr FILE_OR_DIR...`: read receipt photos for back-office data entry.

Prints one JSON line per image on stdout ({"file", "fields", "seconds"} or {"file",
"error"}), a progress bar on stderr, and exits 1 when any image could not be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterator

from crm_store.settings import Settings

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".gif", ".bmp"}


def register(sub: argparse._SubParsersAction) -> dict[str, Callable[[Settings, argparse.Namespace], int]]:
    parser = sub.add_parser("ocr", help="read receipt photos and print their fields as JSON lines")
    parser.add_argument(
        "paths", nargs="+", metavar="FILE_OR_DIR", help="images, or folders of images (searched recursively)"
    )
    parser.add_argument("--text", action="store_true", help="include the raw OCR text")
    parser.add_argument("--jobs", type=int, default=1, help="images read at once (each runs one tesseract)")
    return {"ocr": cmd_ocr}


def image_files(paths: list[str]) -> Iterator[Path]:
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        else:
            yield path  # named explicitly: read it, or say why not


def cmd_ocr(settings: Settings, args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from crm_store.ocr import OcrOptions, read_receipt
    from crm_store.errors import CrmError

    options = OcrOptions.from_settings(settings)
    files = list(image_files(args.paths))

    def one(path: Path) -> dict[str, Any]:
        try:
            reading = read_receipt(path, options)
        except CrmError as exc:
            return {"file": str(path), "error": str(exc)}
        line = {"file": str(path), "fields": reading.fields.as_dict(), "seconds": round(reading.seconds, 3)}
        if args.text:
            line["text"] = reading.text
        return line

    failures = 0
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        bar = tqdm(pool.map(one, files), total=len(files), unit="image", file=sys.stderr, disable=None)
        for line in bar:
            failures += "error" in line
            print(json.dumps(line, ensure_ascii=False), flush=True)
    print(f"{len(files) - failures} of {len(files)} images read", file=sys.stderr)
    return 1 if failures or not files else 0
