"""Who is the same customer: same email, same phone, or a close name in the same city (unless
both have a phone number and the numbers differ).

One pass in file order: each row is looked up in an index of the CRM's customers and the rows
before it. A close-name comparison only runs inside a block of the same city and the same
initials, so a million rows stay a million small comparisons, not a trillion.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Hashable

from rapidfuzz import fuzz, process

NAME_SIMILARITY = 0.86  # SequenceMatcher ratio of the sorted, accent-free name tokens
_CUTOFF = NAME_SIMILARITY * 100 - 1e-6  # rapidfuzz's ratio is in percent; the margin absorbs float rounding


_TOKEN = re.compile(r"[a-z]+")
_TITLES = frozenset(("mr", "mrs", "ms", "miss", "dr", "prof"))


def name_key(name: str | None) -> str:
    return name_keys(name)[0]


def name_keys(name: str | None) -> tuple[str, str]:
    """(the key names are compared by: sorted accent-free tokens without titles, "|" and its initials)."""
    if not name:
        return "", ""
    if not name.isascii():
        name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    tokens = [t for t in _TOKEN.findall(name.lower()) if t not in _TITLES]
    if not tokens:
        return "", ""
    tokens.sort()
    return " ".join(tokens), "|" + "".join([t[0] for t in tokens])


def block_key(key: str, place: str) -> str | None:
    """The block a close-name comparison runs in: the same city and the same initials (None: no name or city)."""
    if not key or not place:
        return None
    return place + "|" + "".join(t[0] for t in key.split())


def city_key(city: str | None) -> str:
    """ "10119 Berlin" / "BERLIN " -> "berlin"."""
    if not city:
        return ""
    ascii_city = unicodedata.normalize("NFKD", city).encode("ascii", "ignore").decode().lower()
    return " ".join(re.findall(r"[a-z]+", ascii_city))


def city_from_address(address: str | None) -> str:
    """The city of "Torstrasse 1, 10119 Berlin": the last comma part without its postcode."""
    if not address:
        return ""
    return city_key(address.rsplit(",", 1)[-1])


@dataclass(frozen=True)
class Match:
    target: Hashable
    reason: str


class Matcher:
    """Remembers who is who (by email, phone, and name within a city) and finds the earlier twin."""

    def __init__(self) -> None:
        self._email: dict[str, Hashable] = {}
        self._phone: dict[str, Hashable] = {}
        self._names: dict[str, list[tuple[str, Hashable, str | None]]] = {}
        self._name_keys: dict[str, list[str]] = {}  # the keys of _names, for rapidfuzz

    def add(
        self,
        target: Hashable,
        email: str | None = None,
        phone: str | None = None,
        name: str | None = None,
        city: str | None = None,
    ) -> None:
        key = name_key(name)
        self.add_keyed(target, email, phone, key, block_key(key, city_key(city)))

    def find(
        self, email: str | None = None, phone: str | None = None, name: str | None = None, city: str | None = None
    ) -> Match | None:
        key = name_key(name)
        return self.find_keyed(email, phone, key, block_key(key, city_key(city)))

    def add_keyed(self, target: Hashable, email: str | None, phone: str | None, key: str, block: str | None) -> None:
        """add() with the name key and its block already computed (a bulk import computes them column-wide)."""
        if email:
            self._email.setdefault(email, target)
        if phone:
            self._phone.setdefault(phone, target)
        if block is not None:
            self._names.setdefault(block, []).append((key, target, phone))
            self._name_keys.setdefault(block, []).append(key)

    def find_keyed(self, email: str | None, phone: str | None, key: str, block: str | None) -> Match | None:
        if email and email in self._email:
            return Match(self._email[email], "same email")
        if phone and phone in self._phone:
            return Match(self._phone[phone], "same phone")
        if block is not None and block in self._names:
            entries = self._names[block]
            if len(entries) > 4:
                # Only names whose LCS ratio (rapidfuzz, in C) reaches the threshold can have a SequenceMatcher
                # ratio that does: its matching blocks are a common subsequence. So this keeps every match.
                keep = {
                    i
                    for _name, _score, i in process.extract(
                        key, self._name_keys[block], scorer=fuzz.ratio, score_cutoff=_CUTOFF, limit=None
                    )
                }
                entries = [e for i, e in enumerate(entries) if i in keep]
            for other, target, other_phone in entries:
                if phone and other_phone and phone != other_phone:
                    continue  # namesakes in one city with different phones are two people
                if other == key or _close(key, other):
                    return Match(target, "close name and same city")
        return None


def _close(a: str, b: str) -> bool:
    """SequenceMatcher's ratio >= NAME_SIMILARITY, its cheap upper bounds tried first (the same answer)."""
    if 2.0 * min(len(a), len(b)) / (len(a) + len(b)) < NAME_SIMILARITY:
        return False
    matcher = SequenceMatcher(None, a, b)
    return matcher.quick_ratio() >= NAME_SIMILARITY and matcher.ratio() >= NAME_SIMILARITY
