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

NAME_SIMILARITY = 0.86  # SequenceMatcher ratio of the sorted, accent-free name tokens


def name_key(name: str | None) -> str:
    if not name:
        return ""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    tokens = sorted(t for t in re.findall(r"[a-z]+", ascii_name) if t not in ("mr", "mrs", "ms", "miss", "dr", "prof"))
    return " ".join(tokens)


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
        self._names: dict[tuple[str, str], list[tuple[str, Hashable, str | None]]] = {}

    def add(
        self,
        target: Hashable,
        email: str | None = None,
        phone: str | None = None,
        name: str | None = None,
        city: str | None = None,
    ) -> None:
        self.add_keyed(target, email, phone, name_key(name), city_key(city))

    def find(
        self, email: str | None = None, phone: str | None = None, name: str | None = None, city: str | None = None
    ) -> Match | None:
        return self.find_keyed(email, phone, name_key(name), city_key(city))

    def add_keyed(self, target: Hashable, email: str | None, phone: str | None, key: str, place: str) -> None:
        """add() with the name and city keys already computed (a bulk import computes them column-wide)."""
        if email:
            self._email.setdefault(email, target)
        if phone:
            self._phone.setdefault(phone, target)
        if key and place:
            self._names.setdefault((place, _initials(key)), []).append((key, target, phone))

    def find_keyed(self, email: str | None, phone: str | None, key: str, place: str) -> Match | None:
        if email and email in self._email:
            return Match(self._email[email], "same email")
        if phone and phone in self._phone:
            return Match(self._phone[phone], "same phone")
        if key and place:
            for other, target, other_phone in self._names.get((place, _initials(key)), ()):
                if phone and other_phone and phone != other_phone:
                    continue  # namesakes in one city with different phones are two people
                if other == key or SequenceMatcher(None, key, other).ratio() >= NAME_SIMILARITY:
                    return Match(target, "close name and same city")
        return None


def _initials(key: str) -> str:
    return "".join(t[0] for t in key.split())
