"""Quantities: how many of something ("2 of them", "x3", "1,200 pieces", "three").

A count is read only in a quantity context (a unit word, "x", "qty", a verb such as
"ordered", or the whole message), so sizes, times and house numbers stay out.
Counts run from 1 to 999,999; a five-digit number that names an order is claimed by
order_ids.py first.
"""

from __future__ import annotations

import re
from typing import Iterator

from crm_store.values.numbers import WORD_NUM, count
from crm_store.values.spans import Match

MAX_QUANTITY = 999_999

_EDGE = r"(?<![\w#+\-./,:€$£'\x00])"
# digits: "1,200" and "1.200" group thousands; "1.5" is not a count
_DIGITS = r"(?:\d{1,3}(?:[,.']\d{3})+|\d{1,6})(?!\d|[.,:/'-]\d)"
_N = rf"(?P<n>{_EDGE}{_DIGITS}|\b{WORD_NUM}\b)"
_N_NOT_ONE = rf"(?P<n>{_EDGE}{_DIGITS}|\b(?!one\b){WORD_NUM}\b)"
_PATTERNS = (
    re.compile(r"(?<![\w\x00])x\s?(?P<n>\d{1,6})(?!\w|[.,]\d)", re.I),
    re.compile(rf"{_EDGE}(?P<n>\d{{1,6}})\s?x(?!\w)", re.I),
    re.compile(rf"\b(?:qty|quantity|qnt|menge|quantità)\s*[:.=]?\s*{_N}", re.I),
    re.compile(
        rf"{_N}\s*(?:pcs|pc|pieces?|units?|items?|pairs?|packs?|boxes|box|bottles?|stk"
        rf"|pezzi)\b",
        re.I,
    ),
    re.compile(rf"{_N}\s+of\s+(?:them|these|those|it|each|the|my|your|our|this|that)\b", re.I),
    re.compile(
        r"\b(?:ordered|order|bought|buy|purchased|purchase|want|need|received|receive"
        r"|got|get|return|returning|returned|send|sent|missing|only|just|add|take|took"
        rf"|exchange)\s+(?:only\s+|just\s+)?{_N}(?!\w|[.,:/'-]\d)",
        re.I,
    ),
    re.compile(rf"^[^\w\x00]*{_N}[^\w\x00]*$", re.I),
)
_NOUN_AFTER = re.compile(rf"{_N_NOT_ONE}\s+(?P<noun>[^\W\d_][\w'-]*)", re.I)
_NOT_NOUNS = frozenset(
    """
    second seconds sec secs minute minutes min mins hour hours hrs h day days week weeks
    month months year years yrs times time am pm o'clock oclock euro euros eur dollar
    dollars usd bucks cent cents pound pounds gbp chf francs percent pct kg g gr gram grams
    kilo kilos lb lbs oz cm mm m km ml l liter liters litre litres inch inches ft feet
    meter meters metres of and or to in on at for by with from is are was were be been i
    you he she it we they me him her us them my your his its our their more less than but
    so if the a an as not no yes any some all this that these those which who what when
    where why how st nd rd th star stars out x
    mah wh kwh watt watts w kw volt volts v mb gb tb mp megapixel megapixels hz khz rpm
    lumen lumens lm dpi kcal calories mg
""".split()
)
_NOT_BEFORE = frozenset(
    """
    size number no nr n # room floor version page step option code id model street str
    apartment apt flat house level chapter article art sku ref plz zip postcode pin line
    gate track season episode ticket case at since until before after around top rated
    customer invoice account
""".split()
)
_WORD_BEFORE = re.compile(r"([\w#]+)[^\w\x00]*$")


def _value(raw: str) -> str | None:
    number = count(raw)
    return str(number) if 1 <= number <= MAX_QUANTITY else None


def find_quantities(text: str) -> Iterator[Match]:
    candidates = []
    for index, pattern in enumerate(_PATTERNS):
        group = 0 if index < 2 else "n"  # "x3" and "3x" are one token: span all of it
        for found in pattern.finditer(text):
            candidates.append((found.start(group), found.end(group), found.group("n")))
    candidates += [
        (found.start("n"), found.end("n"), found.group("n"))
        for found in _NOUN_AFTER.finditer(text)
        if found.group("noun").lower() not in _NOT_NOUNS
    ]
    for start, end, raw in candidates:
        before = _WORD_BEFORE.search(text, max(0, start - 20), start)
        if before and before.group(1).lower() in _NOT_BEFORE:
            continue
        value = _value(raw)
        if value:
            yield start, end, value
