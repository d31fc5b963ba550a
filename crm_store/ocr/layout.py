"""Text lines of a receipt from tesseract's word boxes (image_to_data), with their confidence.

Tesseract's word table gives each word a box, a confidence and the line it belongs
to. Lines are rebuilt from it top to bottom; a line whose words sit at the height of
the line before (a label on the left, its amount far to the right, read as two lines)
is joined to it, so a label and its amount are read together. The mean confidence of
a line's words lets the field parser pass over logo noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence


@dataclass(frozen=True)
class Line:
    text: str
    confidence: float  # mean word confidence, 0-100 (100 for text without boxes)
    top: int = 0
    bottom: int = 0
    word_height: int = 0  # median height of the line's word boxes (0 without boxes)

    @property
    def height(self) -> int:
        return max(self.bottom - self.top, 1)


def lines_from_text(text: str) -> list[Line]:
    """Plain text (no boxes): one Line per text line, fully confident."""
    return [Line(line, 100.0, i, i + 1) for i, line in enumerate((text or "").splitlines())]


def lines_from_data(data: Mapping[str, Sequence[Any]]) -> list[Line]:
    """Lines from pytesseract.image_to_data(..., output_type=DICT), top to bottom."""
    groups: dict[tuple[int, int, int], list[int]] = {}
    for index, word in enumerate(data.get("text", ())):
        if not str(word).strip():
            continue
        key = (int(data["block_num"][index]), int(data["par_num"][index]), int(data["line_num"][index]))
        groups.setdefault(key, []).append(index)
    rows = []
    for indexes in groups.values():
        indexes.sort(key=lambda i: int(data["left"][i]))
        words = [str(data["text"][i]).strip() for i in indexes]
        confidences = [max(float(data["conf"][i]), 0.0) for i in indexes]
        tops = [int(data["top"][i]) for i in indexes]
        bottoms = [int(data["top"][i]) + int(data["height"][i]) for i in indexes]
        lefts = [int(data["left"][i]) for i in indexes]
        heights = sorted(int(data["height"][i]) for i in indexes)
        rows.append((min(tops), max(bottoms), min(lefts), words, confidences, heights))
    rows.sort(key=lambda row: (row[0], row[2]))
    lines: list[Line] = []
    merged: list[_Row] = []
    for row in rows:
        if merged and _same_height(merged[-1], row):
            top, bottom, left, words, confidences, heights = merged[-1]
            # Keep reading order left to right whichever part tesseract listed first.
            parts = [(left, words, confidences), (row[2], row[3], row[4])]
            parts.sort(key=lambda part: part[0])
            merged[-1] = (
                min(top, row[0]),
                max(bottom, row[1]),
                parts[0][0],
                parts[0][1] + parts[1][1],
                parts[0][2] + parts[1][2],
                sorted(heights + row[5]),
            )
        else:
            merged.append(row)
    for top, bottom, _left, words, confidences, heights in merged:
        median = heights[len(heights) // 2]
        lines.append(Line(" ".join(words), sum(confidences) / len(confidences), top, bottom, median))
    return lines


_Row = tuple[int, int, int, list[str], list[float], list[int]]


def _same_height(before: "_Row", row: "_Row") -> bool:
    """Two rows whose vertical extents overlap by most of the smaller one's height."""
    overlap = min(before[1], row[1]) - max(before[0], row[0])
    smaller = min(before[1] - before[0], row[1] - row[0])
    return smaller > 0 and overlap >= 0.6 * smaller
