"""A second look at the lines tesseract read badly, from a cleaned, enlarged copy of each.

On a scanned receipt the line that matters most is often the one read worst: a date
underlined by a dashed rule that touches its digits, a total in small faint print.
Tesseract's word boxes say where each line sits and how sure it was of it; the weak
lines are cut out, freed of horizontal rules, enlarged to the text height tesseract
reads best, stacked into one strip (one tesseract run for all of them) and read again.
A line's new reading replaces the old one only when tesseract is surer of it.
"""

from __future__ import annotations

import re
from typing import Callable

import numpy as np
from PIL import Image

from crm_store.ocr.layout import Line

WEAK_CONFIDENCE = 70.0  # mean word confidence under which a line is read again
MAX_LINES = 12  # the weakest lines only: each costs tesseract time
TEXT_HEIGHT = 30  # px: the text height the enlarged copy is given (larger read worse)
GAP = 24  # px of white between the stacked lines
RULE_GAP = 6  # px: gaps of a dashed or dotted rule closed before measuring its runs
RULE_SHARE = 0.4  # a pixel row with one ink run this long (share of the width) is a rule
_USEFUL = re.compile(r"\d")


def weak_lines(lines: list[Line]) -> list[int]:
    """Indexes of the lines worth a second look: low confidence, with a digit in them, weakest first."""
    weak = [i for i, line in enumerate(lines) if line.confidence < WEAK_CONFIDENCE and _USEFUL.search(line.text)]
    return sorted(sorted(weak, key=lambda i: lines[i].confidence)[:MAX_LINES])


def _without_rules(crop: np.ndarray) -> np.ndarray:
    """The crop with its horizontal rules (solid, dashed or dotted) whitened.

    A rule is a pixel row whose ink, once gaps of a few pixels are closed, runs unbroken
    across much of the line; the gaps between words break every run of text long before.
    """
    ink = crop < 230  # rules are often printed fainter than the text
    closed = ink.copy()
    for shift in range(1, RULE_GAP + 1):
        closed[:, shift:] |= ink[:, :-shift]
    longest = np.zeros(ink.shape[0], dtype=np.int32)
    run = np.zeros(ink.shape[0], dtype=np.int32)
    for column in range(closed.shape[1]):
        run = np.where(closed[:, column], run + 1, 0)
        longest = np.maximum(longest, run)
    rows = longest >= RULE_SHARE * crop.shape[1]
    rows[1:] |= rows[:-1].copy()  # and the faint rows either side of it
    rows[:-1] |= rows[1:].copy()
    cleaned = crop.copy()
    cleaned[rows, :] = 255
    return cleaned


def _text_height(crop: np.ndarray, fallback: int) -> int:
    """The height of the tallest band of inked rows in a line's crop (its text), in px."""
    inked = (crop < 200).mean(axis=1) > 0.01
    best = run = 0
    for row in inked:
        run = run + 1 if row else 0
        best = max(best, run)
    return best if best >= 6 else max(fallback, 1)


def strip_of(
    gray: Image.Image, lines: list[Line], indexes: list[int]
) -> tuple[Image.Image, list[tuple[int, int, int]]]:
    """The weak lines cut out, cleaned, enlarged and stacked; with (index, top, bottom) of each in the strip."""
    pixels = np.asarray(gray.convert("L"))
    pieces: list[tuple[int, np.ndarray]] = []
    places = []
    y = GAP
    for index in indexes:
        line = lines[index]
        pad = max(2, line.height // 4)
        top, bottom = max(line.top - pad, 0), min(line.bottom + pad, pixels.shape[0])
        if bottom - top < 4:
            continue
        cleaned = _without_rules(pixels[top:bottom])
        factor = min(max(TEXT_HEIGHT / _text_height(cleaned, line.word_height or line.height), 1.0), 4.0)
        crop = Image.fromarray(cleaned)
        crop = crop.resize((round(crop.width * factor), round(crop.height * factor)), Image.Resampling.LANCZOS)
        pieces.append((y, np.asarray(crop)))
        # Where the line itself sits in the strip (the padding may hold bits of its neighbours).
        places.append((index, y + round((line.top - top) * factor), y + round((line.bottom - top) * factor)))
        y += crop.height + GAP
    width = max((piece.shape[1] for _, piece in pieces), default=1)
    strip = np.full((y, width), 255, dtype=np.uint8)
    for start, piece in pieces:
        strip[start : start + piece.shape[0], : piece.shape[1]] = piece
    return Image.fromarray(strip), places


def reread(gray: Image.Image, lines: list[Line], recognise: Callable[[Image.Image], list[Line]]) -> list[Line]:
    """lines with each weak one replaced by its second reading where that is surer."""
    indexes = weak_lines(lines)
    if not indexes:
        return lines
    strip, places = strip_of(gray, lines, indexes)
    if not places:
        return lines
    again: dict[int, list[Line]] = {}
    for new in recognise(strip):
        middle = (new.top + new.bottom) / 2
        for index, top, bottom in places:
            if top <= middle <= bottom:
                again.setdefault(index, []).append(new)
    result = list(lines)
    for index, news in again.items():
        text = " ".join(n.text for n in news)
        confidence = sum(n.confidence for n in news) / len(news)
        if confidence > lines[index].confidence:
            old = lines[index]
            result[index] = Line(text, confidence, old.top, old.bottom, old.word_height)
    return result if result != lines else lines
