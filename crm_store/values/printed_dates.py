"""Dates as printed on receipts and invoices: always a full calendar date, never relative.

A receipt says "25/12/2018", "12-01-19", "2018-03-23", "05-Jan-2017", "18Mar 2018",
"05 MAR 2018" or "March 5, 2018"; a promotion on it may say "today" or "this week".
Only the first kind is a date here: a word like "today" never becomes the day of the
reading. Day and month in "04/05/2018" are read in the shop's order (day first unless
the shop's locale writes the month first), and the other order is tried only when the
first one is impossible ("12/28/2017"). OCR's usual slips inside a number (O for 0,
l or I for 1) are repaired in date-shaped tokens only.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Iterator

_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
    # Malay abbreviations printed on receipts in Malaysia (Mei, Ogos, Okt, Dis).
    "mei": 5,
    "ogo": 8,
    "okt": 10,
    "dis": 12,
}
_MONTH_WORD = (
    r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|mei|june?|july?"
    r"|aug(?:ust)?|ogos|sep(?:t(?:ember)?)?|o[ck]t(?:ober)?|nov(?:ember)?|d[ei][cs](?:ember)?)\.?"
)
_D = r"[0-9OoIl]"  # a digit as OCR may print it
_SEP = r"\s?[/.\-]\s?"
_YEAR4 = r"(?P<y>(?:19|20)\d\d)(?!\d)"
_PATTERNS = (
    # 2018-03-23, 2018/03/23
    ("ymd", re.compile(r"(?<![\d/.-])(?P<y>(?:19|20)\d\d)(?P<s>[/.-])(?P<m>\d{1,2})(?P=s)(?P<d>\d{1,2})(?![\d/])")),
    # 25/12/2018, 12-01-19, 25.12.2018, 2S/l2/2018 (slips repaired below)
    (
        "num",
        re.compile(
            rf"(?<![\w/.-])(?<!\d:)(?P<a>{_D}{{1,2}})(?P<s>{_SEP})(?P<b>{_D}{{1,2}})(?P=s)"
            rf"(?P<y>{_D}{{4}}|{_D}{{2}})(?![\d/]|[.,]\d)"
        ),
    ),
    # 27:03/2018, 27/03-2018: OCR read one separator as another (a four-digit year only)
    (
        "num",
        re.compile(
            rf"(?<![\w/.-])(?<!\d:)(?P<a>{_D}{{1,2}})\s?[/.:\-]\s?(?P<b>{_D}{{1,2}})\s?[/.\-]\s?(?P<y>(?:19|20)\d\d)(?![\d/]|[.,]\d)"
        ),
    ),
    # 05-Jan-2017, 18Mar 2018, 05 MAR 2018, 5 March, 2018, 05/Mar/18
    (
        "dmy",
        re.compile(
            rf"(?<![\d])(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s?[-/.\s]?\s?{_MONTH_WORD}"
            rf"\s?[-/.,\s]?\s?(?P<y>(?:19|20)?\d\d)(?!\d)",
            re.I,
        ),
    ),
    # 26/Fen/2017, 14-dun-2017: a three-letter month with one letter misread, between separators
    ("dmy?", re.compile(r"(?<![\d])(?P<d>\d{1,2})(?P<s>[/-])(?P<mon>[A-Za-z]{3})(?P=s)(?P<y>(?:19|20)\d\d)(?!\d)")),
    # March 5, 2018, Mar-05-2018
    (
        "mdy",
        re.compile(
            rf"(?<![a-z]){_MONTH_WORD}\s?[-/.\s]\s?(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s?[-/.\s]?\s?{_YEAR4}", re.I
        ),
    ),
    # 20180304 next to a date label only (see find_printed_dates)
    ("compact", re.compile(r"(?<!\d)(?P<y>20\d\d)(?P<m>[01]\d)(?P<d>[0-3]\d)(?!\d)")),
)
_SLIPS = str.maketrans("OoIl", "0011")


def _year(raw: str) -> int:
    year = int(raw)
    return year + 2000 if year < 100 else year


def _make(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


_ABBREVIATIONS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def _month_misread(word: str) -> int | None:
    """The month whose English abbreviation differs from word in one letter, if only one does."""
    near = [n for n, name in enumerate(_ABBREVIATIONS, 1) if sum(a != b for a, b in zip(word, name)) == 1]
    return near[0] if len(near) == 1 else None


def _resolve(kind: str, found: re.Match[str], dayfirst: bool) -> date | None:
    groups = found.groupdict()
    if kind in ("ymd", "compact"):
        return _make(int(groups["y"]), int(groups["m"]), int(groups["d"]))
    if kind == "dmy?":
        month = _MONTHS.get(groups["mon"].lower()) or _month_misread(groups["mon"].lower())
        return _make(_year(groups["y"]), month, int(groups["d"])) if month else None
    if kind in ("dmy", "mdy"):
        month = _MONTHS.get(groups["mon"].lower()[:3].replace("dic", "dec"))
        return _make(_year(groups["y"]), month, int(groups["d"])) if month else None
    a, b, y = (groups[k].translate(_SLIPS) for k in ("a", "b", "y"))
    first, second = (int(a), int(b)) if dayfirst else (int(b), int(a))
    return _make(_year(y), second, first) or _make(_year(y), first, second)


def find_printed_dates(text: str, dayfirst: bool = True, compact: bool = False) -> Iterator[tuple[int, date]]:
    """(position, date) of every full date printed in text, in the order found per form."""
    for kind, pattern in _PATTERNS:
        if kind == "compact" and not compact:
            continue
        for found in pattern.finditer(text or ""):
            resolved = _resolve(kind, found, dayfirst)
            if resolved is not None:
                yield found.start(), resolved


def parse_printed_date(
    text: str, dayfirst: bool = True, earliest: int = 1990, latest: date | None = None
) -> str | None:
    """The leftmost full date in text as ISO, within [earliest year, latest], or None."""
    found = sorted(
        (position, day)
        for position, day in find_printed_dates(text, dayfirst)
        if day.year >= earliest and (latest is None or day <= latest)
    )
    return found[0][1].isoformat() if found else None
