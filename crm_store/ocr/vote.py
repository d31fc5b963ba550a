"""Readings of one receipt that vote, digit by digit, on the numbers of each line.

Tesseract misreads a faded digit as another valid digit ("26/01/2018" for the 25th,
"78.00" for 75.00), and reading the same pixels again repeats the slip. Readings of
differently prepared copies (darker, enlarged, cut out line by line) slip on different
digits, so where two readings agree on a digit against a third, the two are taken.
A number is voted on only where the readings agree on its shape (the same count of
digits and the same separators at the same places), so a digit lost or a speck read
as one never shifts the others.
"""

from __future__ import annotations

import re
from collections import Counter

from crm_store.ocr.layout import Line

_NUMBER = re.compile(r"\d(?:[\d.,:/-]*\d)?")


def _shape(token: str) -> str:
    return re.sub(r"\d", "9", token)


def vote_text(readings: list[str]) -> str:
    """The first reading with each of its numbers voted digit by digit among the readings.

    Numbers are paired from the end of the line (where the amount stands), each with the
    number at the same place from the end in every other reading, if it has the same shape.
    A digit of the first reading changes only where a strict majority of all readings,
    counted with it, agrees on another digit.
    """
    first, others = readings[0], readings[1:]
    if not others:
        return first
    own = list(_NUMBER.finditer(first))
    other_numbers = [[m.group() for m in _NUMBER.finditer(text)] for text in others]
    pieces = []
    last = 0
    for place, match in enumerate(own):
        from_end = len(own) - place
        token = match.group()
        peers = [numbers[-from_end] for numbers in other_numbers if len(numbers) >= from_end]
        peers = [peer for peer in peers if _shape(peer) == _shape(token)]
        voters = len(peers) + 1
        voted = []
        for position, digit in enumerate(token):
            counts = Counter([digit] + [peer[position] for peer in peers])
            best, votes = counts.most_common(1)[0]
            voted.append(best if best != digit and votes * 2 > voters else digit)
        pieces.append(first[last : match.start()] + "".join(voted))
        last = match.end()
    pieces.append(first[last:])
    return "".join(pieces)


def matching_line(line: Line, reading: list[Line]) -> Line | None:
    """The line of another reading of the same image that stands where `line` stands."""
    best, overlap = None, 0.0
    for other in reading:
        shared = min(line.bottom, other.bottom) - max(line.top, other.top)
        share = shared / max(min(line.height, other.height), 1)
        if share > overlap:
            best, overlap = other, share
    return best if overlap >= 0.6 else None


# A line worth a vote: it carries a numeric date ("25/12/2018", "12-01-19").
_DATE = re.compile(r"\d{1,2}\s?[/.-]\s?\d{1,2}\s?[/.-]\s?\d{2,4}")
MAX_VOTED = 4


def lines_to_vote(lines: list[Line]) -> list[int]:
    """Indexes of the lines whose numbers are worth more readings: those with a numeric date."""
    return [index for index, line in enumerate(lines) if _DATE.search(line.text)][:MAX_VOTED]


def voted_lines(lines: list[Line], readings: list[list[Line]], cut_outs: list[dict[int, list[Line]]]) -> list[Line]:
    """lines with the numbers of each voted by the other readings of the same receipt.

    `readings` are whole-page readings of the same image (the same geometry), `cut_outs`
    the rows read for each line from copies of it cut out and enlarged. A reading that
    holds the very same line (not read again there) does not vote twice.
    """
    voted = []
    for index, line in enumerate(lines):
        texts = [line.text]
        for reading in readings:
            match = matching_line(line, reading)
            if match is not None and match is not line:
                texts.append(match.text)
        for cut_out in cut_outs:
            if index in cut_out:
                texts.append(" ".join(row.text for row in sorted(cut_out[index], key=lambda row: row.top)))
        text = vote_text(texts) if len(texts) > 2 else line.text
        voted.append(
            line if text == line.text else Line(text, line.confidence, line.top, line.bottom, line.word_height)
        )
    return voted
