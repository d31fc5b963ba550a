"""Counts written as digits or English words ("three", "twenty-five"), shared by
dates, durations and quantities."""

from __future__ import annotations

_SMALL = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_WORD_NUMBERS = {word: n for n, word in enumerate(_SMALL) if n}
_WORD_NUMBERS.update({word: 20 + 10 * i for i, word in enumerate(_TENS)})

# A regex fragment (no groups) for one to ninety-nine in words.
WORD_NUM = (
    rf"(?:(?:{'|'.join(_TENS)})(?:[\s-](?:{'|'.join(_SMALL[1:10])}))?"
    rf"|{'|'.join(sorted(_SMALL[1:], key=len, reverse=True))})"
)


def count(raw: str) -> int:
    """'3', '1,200', 'a', 'twenty-five' -> int."""
    raw = raw.lower().replace("-", " ")
    digits = raw.replace(",", "").replace(".", "").replace("'", "")
    if digits.isdigit():
        return int(digits)
    if raw in ("a", "an"):
        return 1
    return sum(_WORD_NUMBERS[part] for part in raw.split())
