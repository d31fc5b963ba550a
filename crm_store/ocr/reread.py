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
INK_LEVEL = 140  # a gray level darker than this is ink when looking for lines tesseract dropped
MAX_DROPPED = 6
DROPPED_CONFIDENCE = 60.0  # a dropped band's reading is kept only when tesseract is this sure of it


def weak_lines(lines: list[Line]) -> list[int]:
    """Indexes of the lines worth a second look: low confidence, with a digit in them, weakest first."""
    weak = [i for i, line in enumerate(lines) if line.confidence < WEAK_CONFIDENCE and _USEFUL.search(line.text)]
    return sorted(sorted(weak, key=lambda i: lines[i].confidence)[:MAX_LINES])


def dropped_lines(gray: Image.Image, lines: list[Line]) -> list[Line]:
    """Bands of print that no line of tesseract's covers, as empty Lines (confidence 0).

    With one uniform block of text (psm 6) tesseract drops a line set much larger than
    the rest: the shop's name in a tall condensed font over small body text. A band of
    inked rows at least as tall as the body text, holding several separate marks (glyphs,
    not one rule or a shaded edge), and not covered by any line it read, is such a line.
    """
    if not lines:
        return []
    pixels = np.asarray(gray.convert("L"))
    ink = pixels < INK_LEVEL
    inked_rows = np.append(ink.mean(axis=1) > 0.004, False)
    heights = sorted(line.word_height or line.height for line in lines)
    body = heights[len(heights) // 2]
    covered = np.zeros(len(pixels), dtype=bool)
    for line in lines:
        covered[max(line.top, 0) : max(line.bottom, 0)] = True
    found: list[Line] = []
    start = None
    for row, inked in enumerate(inked_rows):
        if inked and start is None:
            start = row
        elif not inked and start is not None:
            top, bottom, start = start, row, None
            band = ink[top:bottom]
            if (
                bottom - top >= max(body, 6)
                and covered[top:bottom].mean() < 0.3
                and 0.02 <= band.mean() <= 0.5
                and _marks(band) >= 3
            ):
                found.append(Line("", 0.0, top, bottom, bottom - top))
    return found[:MAX_DROPPED]


def _marks(band: np.ndarray) -> int:
    """Separate inked column runs of a band: about one per glyph of a printed line."""
    columns = np.concatenate(([False], band.any(axis=0), [False]))
    return int(np.count_nonzero(columns[1:] & ~columns[:-1]))


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
    gray: Image.Image, lines: list[Line], indexes: list[int], text_height: int = TEXT_HEIGHT
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
        factor = min(max(text_height / _text_height(cleaned, line.word_height or line.height), 1.0), 4.0)
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


def read_cut_out(
    gray: Image.Image,
    lines: list[Line],
    indexes: list[int],
    recognise: Callable[[Image.Image], list[Line]],
    text_height: int = TEXT_HEIGHT,
) -> tuple[dict[int, list[Line]], dict[int, tuple[int, int]]]:
    """The lines at indexes cut out, stacked and read in one run: the rows read for each index,
    and where each index stands in the strip (top, bottom)."""
    strip, places = strip_of(gray, lines, indexes, text_height)
    if not places:
        return {}, {}
    again: dict[int, list[Line]] = {}
    for new in recognise(strip):
        middle = (new.top + new.bottom) / 2
        for index, top, bottom in places:
            if top <= middle <= bottom:
                again.setdefault(index, []).append(new)
    return again, {index: (top, bottom) for index, top, bottom in places}


def reread(
    gray: Image.Image,
    lines: list[Line],
    recognise: Callable[[Image.Image], list[Line]],
    weak: bool = True,
) -> list[Line]:
    """lines with each weak one (if weak) replaced by its second reading where that is surer,
    and the lines tesseract dropped added where they read as text."""
    dropped = dropped_lines(gray, lines)
    everything = lines + dropped
    indexes = (weak_lines(lines) if weak else []) + list(range(len(lines), len(everything)))
    if not indexes:
        return lines
    again, spans = read_cut_out(gray, everything, indexes, recognise)
    if not spans:
        return lines
    result: list[Line] = []
    for index, old in enumerate(everything):
        news = again.get(index, [])
        confidence = sum(n.confidence for n in news) / len(news) if news else 0.0
        # A dropped band must read as text with some certainty: a logo reads as confident noise.
        if news and confidence > (old.confidence if old.text else DROPPED_CONFIDENCE):
            result.extend(_in_place(old, news, *spans[index]))
        elif old.text:
            result.append(old)
    result.sort(key=lambda line: line.top)
    return result if result != lines else lines


def _in_place(old: Line, news: list[Line], top: int, bottom: int) -> list[Line]:
    """The new reading of one cut-out line, placed where it stands on the receipt.

    A weak line's box may have spanned two printed lines (tesseract ran them together);
    read again they come out as separate rows, and stay separate: a shop's name is not
    joined to the registration number and the address under it.
    """
    rows: list[list[Line]] = []
    for new in sorted(news, key=lambda n: n.top):
        if rows and new.top < (rows[-1][-1].top + rows[-1][-1].bottom) / 2:
            rows[-1].append(new)
        else:
            rows.append([new])
    if len(rows) == 1:
        text = " ".join(n.text for n in sorted(news, key=lambda n: n.top))
        return [Line(text, sum(n.confidence for n in news) / len(news), old.top, old.bottom, old.word_height)]
    scale = (old.bottom - old.top) / max(bottom - top, 1)
    placed = []
    for row in rows:
        row_top = old.top + round((min(n.top for n in row) - top) * scale)
        row_bottom = old.top + round((max(n.bottom for n in row) - top) * scale)
        text = " ".join(n.text for n in row)
        confidence = sum(n.confidence for n in row) / len(row)
        placed.append(Line(text, confidence, row_top, max(row_bottom, row_top + 1), round(row[0].word_height * scale)))
    return placed
