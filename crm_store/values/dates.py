"""Dates in messages, read by dateparser and resolved against today.

dateparser's own search (`search_dates`) reads "3 days", "may" and bare numbers as
dates and costs milliseconds per message, so it is never run over a whole message.
Cheap regexes find the phrases that are dates ("12.03.2025", "the 12th", "last week",
"next Monday", "2 weeks ago") and only those spans go to dateparser. A message with
no such cue costs a few regex scans. Spans of a count and a unit that are not anchored
in time ("3 days", "for two weeks") are durations (durations.py), not dates.

dateparser 1.2 reads neither "next monday" nor "last friday" (it returns None), so a
weekday's modifier chooses dateparser's PREFER_DATES_FROM instead: "next" looks
forward, "last" and a bare weekday look back (customers report what already happened).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Iterator

from crm_store.values.numbers import WORD_NUM, count
from crm_store.values.spans import Match, pick

# Italian words as well: the shop's first customers wrote "ieri" and "domani".
LANGUAGES = ("en", "it")

_MONTH_NAMES = (
    "january|jan|february|feb|march|mar|april|apr|may|june|jun|july|jul|august|aug"
    "|september|sept|sep|october|oct|november|nov|december|dec"
)
_WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_MONTH = rf"(?:{_MONTH_NAMES})\.?"
_DAY = r"(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?(?!\d)"
_YEAR = r"(?:,?\s+(?P<year>(?:19|20)\d\d)(?!\d))?"
_COUNT = rf"(?P<n>\d{{1,3}}|an?|{WORD_NUM})"
_UNIT = r"(?P<unit>day|week|month|year)s?"

_PATTERNS = (
    ("numeric", re.compile(r"(?<![\d.])\d{4}-\d{1,2}-\d{1,2}(?!\d)")),
    ("numeric", re.compile(r"(?<![\d.,/-])\d{1,2}(?P<sep>[./-])\d{1,2}(?P=sep)(?:\d{4}|\d{2})(?!\d|[.,/]\d)")),
    ("calendar", re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}(?!\w){_YEAR}", re.I)),
    ("calendar", re.compile(rf"\b{_MONTH}\s+(?:the\s+)?{_DAY}\b{_YEAR}", re.I)),
    # "the 12th": only where it cannot be "the 2nd one" (after on/since/... or at a stop).
    # The span is the ordinal alone, as nlu/data annotates it ("on the [3rd](date)").
    (
        "ordinal",
        re.compile(
            r"\b(?:(?:on|since|until|by|from|before|after)\s+the\s+(?P<d1>(?:3[01]|[12]\d|0?[1-9])"
            r"(?:st|nd|rd|th))\b"
            r"|the\s+(?P<d2>(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th))(?=\s*(?:$|[.,!?;])))",
            re.I,
        ),
    ),
    ("relative", re.compile(r"\b(?:the\s+)?day\s+(?:before\s+yesterday|after\s+tomorrow)\b", re.I)),
    ("relative", re.compile(r"\b(?:today|tonight|yesterday|tomorrow|oggi|ieri|domani)\b", re.I)),
    ("weekday", re.compile(rf"\b(?:(?P<mod>last|past|this|next|coming)\s+)?(?P<wd>{_WEEKDAYS})\b", re.I)),
    ("period", re.compile(r"\b(?P<mod>last|past|previous|this|next|coming)\s+(?P<period>week|month|year)\b", re.I)),
    ("count", re.compile(rf"\b{_COUNT}\s+{_UNIT}\s+ago\b", re.I)),
    ("count", re.compile(rf"\bin\s+{_COUNT}\s+{_UNIT}\b", re.I)),
)
_SYNONYMS = {"tonight": "today", "past": "last", "previous": "last", "coming": "next"}
_PREFER = {"last": "past", "next": "future", "this": "current_period", "": "past"}


@lru_cache(maxsize=64)
def _parser(today: date, order: str, prefer: str) -> Any:
    # Imported here: dateparser takes about a second to import, and most processes
    # that import crm_store.values never read a date.
    from dateparser.date import DateDataParser

    return DateDataParser(
        languages=list(LANGUAGES),
        settings={
            "RELATIVE_BASE": datetime(today.year, today.month, today.day),
            "DATE_ORDER": order,
            "PREFER_DATES_FROM": prefer,
        },
    )


@lru_cache(maxsize=4096)
def _read(phrase: str, today: date, order: str, prefer: str = "past") -> date | None:
    found = _parser(today, order, prefer).get_date_data(phrase).date_obj
    return found.date() if found else None


def _nearest_year(found: date, today: date) -> date:
    # "on 3 March" without a year: the occurrence closest to today, so late
    # December "3 January" is next month and early January "20 December" last month.
    options = []
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            options.append(found.replace(year=year))
        except ValueError:  # 29 February
            continue
    return min(options, key=lambda d: abs(d - today)) if options else found


def _filled(groups: dict[str, str | None], name: str) -> str:
    """A group the kind's pattern always fills (only the optional ones may be None)."""
    value = groups[name]
    if value is None:
        raise ValueError(f"the pattern left the group {name!r} empty")
    return value


def _resolve(kind: str, phrase: str, groups: dict[str, str | None], today: date, dayfirst: bool) -> date | None:
    if kind == "numeric":
        if phrase[:4].isdigit():  # ISO "2026-02-11": dateparser reads it day-first under DMY
            return _read(phrase, today, "YMD")
        # "12/31/2025" is a US date even in a day-first shop: try the other order.
        first = "DMY" if dayfirst or groups.get("sep") == "." else "MDY"
        second = "MDY" if first == "DMY" else "DMY"
        return _read(phrase, today, first) or _read(phrase, today, second)
    order = "DMY" if dayfirst else "MDY"
    if kind == "calendar":
        found = _read(phrase, today, order, "current_period")
        return found if found is None or groups.get("year") else _nearest_year(found, today)
    if kind == "weekday":
        mod = _SYNONYMS.get((groups["mod"] or "").lower(), (groups["mod"] or "").lower())
        return _read(_filled(groups, "wd").lower(), today, order, _PREFER[mod])
    if kind == "period":
        mod = _SYNONYMS.get(_filled(groups, "mod").lower(), _filled(groups, "mod").lower())
        return _read(f"{mod} {_filled(groups, 'period').lower()}", today, order)
    if kind == "count":
        ago = phrase.lower().endswith("ago")
        n, unit = count(_filled(groups, "n")), _filled(groups, "unit").lower()
        return _read(f"{n} {unit}s ago" if ago else f"in {n} {unit}s", today, order)
    if kind == "ordinal":
        return _read(f"the {groups['d1'] or groups['d2']}", today, order)
    phrase = phrase.lower()
    return _read(_SYNONYMS.get(phrase, phrase), today, order)


def find_dates(text: str, today: date, dayfirst: bool = True) -> Iterator[Match]:
    for kind, pattern in _PATTERNS:
        for found in pattern.finditer(text):
            resolved = _resolve(kind, found.group(), found.groupdict(), today, dayfirst)
            if resolved is None:
                continue
            group = "d1" if kind == "ordinal" and found.group("d1") else "d2" if kind == "ordinal" else 0
            yield found.start(group), found.end(group), resolved.isoformat()


def parse_date(text: str, today: date | None = None, dayfirst: bool = True) -> str | None:
    """First date in text as an ISO string, relative ones resolved against today."""
    found = pick(find_dates(text or "", today or date.today(), dayfirst))
    return found[0][2] if found else None
