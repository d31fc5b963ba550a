"""How a customer points at one of their orders without (or with) its number.

"A-10423", "a10423", "order 10423", "no, I meant 10424"; "the second one" (over a list the
assistant just showed); "the one from March 3", "last Tuesday's"; "the one that hasn't
arrived"; "the headphones"; "the same parcel". This module only reads the cues; which order
they select is decided over the customer's real orders (crm_store/services/order_resolver.py).
Pure: no database, no Rasa.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from crm_store.values.dates import find_dates
from crm_store.values.order_ids import find_order_ids
from crm_store.values.spans import masked, pick

# A bare five-digit number counts as an order number only after words that correct or name one;
# elsewhere five digits are as likely a postcode.
_CORRECTION = re.compile(
    r"\b(?:no|nope|sorry|oops|wrong|actually|instead|rather|not that|i meant|i mean|meant|typo|correction)\b", re.I
)
_BARE_NUMBER = re.compile(r"(?<![\w#.,-])(\d{5})(?![\w-]|[.,]\d)")
_ORDINALS = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "fifth": 5,
    "5th": 5,
    "last": -1,
    "bottom": -1,
    "top": 1,
}
_ORDINAL = re.compile(
    r"\b(?:the\s+)?(?:(?P<word>first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th)"
    r"|(?P<end>last|top|bottom)(?=\s+(?:one|order|of them|on the list|in the list|option)\b|\s*(?:$|[.,!?;])))\b"
    r"|\b(?:number|option|no\.?|#)\s*(?P<digit>[1-5])\b(?!\d)",
    re.I,
)
_ORDINAL_ONLY = re.compile(r"\d{1,2}(?:st|nd|rd|th)", re.I)
_NEWEST = re.compile(r"\b(?:latest|most recent|newest|last)\s+(?:order|one|purchase)\b|\bmy latest\b", re.I)
_SAME = re.compile(
    r"\bsame\s+(?:parcel|package|delivery|shipment|box|order|one)\b|\b(?:that|this)\s+(?:parcel|package|delivery|shipment)\b",
    re.I,
)

# Which statuses a phrase selects; the first matching phrase wins, so the negated ones come first.
NOT_ARRIVED = frozenset({"pending", "paid", "packed", "shipped"})
_STATUS_CUES: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = (
    (
        re.compile(
            r"(?:\bnot|n't|\b(?:hasnt|havent|hadnt|didnt|doesnt|isnt|wasnt)|\bnever|\byet to)\s+(?:been\s+)?(?:shipped|dispatched|sent|left)\b",
            re.I,
        ),
        frozenset({"pending", "paid", "packed"}),
    ),
    (
        re.compile(
            r"(?:\bnot|n't|\b(?:hasnt|havent|hadnt|didnt|doesnt|isnt|wasnt)|\bnever|\byet to|\bstill)\s+(?:\w+\s+){0,2}(?:arrived?|come|came|delivered|received|got|here)\b"
            r"|\bstill (?:waiting|missing|on its way|in transit)\b|\bmissing one\b|\bon (?:its|the) way\b"
            r"|\bin transit\b|\boutstanding\b|\bopen one\b",
            re.I,
        ),
        NOT_ARRIVED,
    ),
    (re.compile(r"\b(?:cancell?ed)\b", re.I), frozenset({"cancelled"})),
    (re.compile(r"\breturned\b", re.I), frozenset({"returned"})),
    (re.compile(r"\b(?:shipped|dispatched)\b", re.I), frozenset({"shipped", "delivered"})),
    (re.compile(r"\b(?:arrived|delivered|received|came|got it)\b", re.I), frozenset({"delivered"})),
)


@dataclass(frozen=True)
class Reference:
    numbers: tuple[str, ...] = ()  # canonical order numbers, in the order written
    ordinal: int | None = None  # 1-based position in the list just shown; -1 = the last
    newest: bool = False  # "my latest order"
    on_date: date | None = None  # "the one from March 3"
    statuses: frozenset[str] | None = None  # "the one that hasn't arrived"
    same: bool = False  # "the same parcel": the order in focus
    correction: bool = False  # "no, I meant ...": replaces the order in focus
    text: str = ""  # the words, for matching item names

    @property
    def specific(self) -> bool:
        """Whether the message points at something (else only the request itself narrows it down)."""
        return bool(self.numbers or self.ordinal or self.newest or self.on_date or self.statuses or self.same)


def order_numbers(text: str) -> tuple[str, ...]:
    """Order numbers in any usual format; a bare five-digit number only in a correction."""
    found = [m for m in pick(find_order_ids(text or ""))]
    numbers = [value for _, _, value in found]
    if not numbers and _CORRECTION.search(text or ""):
        numbers = [f"A-{m.group(1)}" for m in _BARE_NUMBER.finditer(text or "")]
    return tuple(dict.fromkeys(numbers))


def is_correction(text: str) -> bool:
    return bool(_CORRECTION.search(text or ""))


def _ordinal(text: str) -> int | None:
    found = _ORDINAL.search(text)
    if not found:
        return None
    if found.group("digit"):
        return int(found.group("digit"))
    return _ORDINALS[(found.group("word") or found.group("end")).lower()]


def _statuses(text: str) -> frozenset[str] | None:
    for pattern, statuses in _STATUS_CUES:
        if pattern.search(text):
            return statuses
    return None


def parse_reference(text: str, today: date) -> Reference:
    """The cues in one message that say which order the customer means."""
    text = text or ""
    numbers = order_numbers(text)
    newest = bool(_NEWEST.search(text))
    # "the last one" over a list is a position; "my last order" with no list is the newest (the caller decides).
    dates = [] if numbers else pick(find_dates(text, today))
    # "the 2nd" is a date only when nothing reads it as a position; "the 2nd one" never is.
    dates = [d for d in dates if not _ORDINAL_ONLY.fullmatch(text[d[0] : d[1]])]
    rest = text
    for start, end, _ in dates:
        rest = masked(rest, start, end)
    ordinal = None if numbers else _ordinal(rest)
    on_date = date.fromisoformat(dates[0][2]) if dates else None
    if on_date and on_date > today:
        on_date = on_date.replace(year=on_date.year - 1) if not (on_date.month == 2 and on_date.day == 29) else None
    return Reference(
        numbers=numbers,
        ordinal=ordinal,
        newest=newest,
        on_date=on_date,
        statuses=None if numbers else _statuses(text),
        same=bool(_SAME.search(text)),
        correction=is_correction(text) and bool(numbers),
        text=text,
    )
