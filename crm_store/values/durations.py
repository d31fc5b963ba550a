"""Durations: a count and a unit not anchored in time ("3 days", "for two weeks").

dates.py claims "3 days ago" and "in 3 days" first (they are dates); what is left of a
count and a unit is how long something took or should take, written as ISO 8601
("P3D", "P2W", "PT4H").
"""

from __future__ import annotations

import re
from typing import Iterator

from crm_store.values.numbers import WORD_NUM, count
from crm_store.values.spans import Match

_DURATION = re.compile(
    rf"(?<![\w.,:/'\x00-])(?P<n>\d{{1,3}}|an?|{WORD_NUM})\s+"
    r"(?:(?:business|working|full)\s+)?"
    r"(?P<unit>hour|hr|day|week|month|year)s?\b",
    re.I,
)
_ISO = {"hour": "PT{}H", "hr": "PT{}H", "day": "P{}D", "week": "P{}W", "month": "P{}M", "year": "P{}Y"}


def find_durations(text: str) -> Iterator[Match]:
    for found in _DURATION.finditer(text):
        n = count(found.group("n"))
        if n:
            yield found.start(), found.end(), _ISO[found.group("unit").lower()].format(n)
