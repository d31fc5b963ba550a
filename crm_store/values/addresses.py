"""Postal addresses in chat messages: "ok the new address is Torstrasse 5, 10119 Berlin" -> its parts.

Pure; shared by the address form (read-back before writing) and anything else that needs one.
Covers the shop's market (German-style "street number, postcode town", also "number street"
as in the UK/US, with UK postcodes); anything else is handed back as None, not guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LEAD_IN = re.compile(
    r"^(?:(?:ok(?:ay)?|so|yes|hi|please|pls|and|then)[,.!]?\s+)*"
    r"(?:(?:the|my)\s+)?(?:new\s+|correct\s+|right\s+)?(?:delivery\s+|shipping\s+)?(?:address|addr)\s*(?:is|should be|will be|:|=)?\s*"
    r"|^(?:(?:please\s+)?(?:send|deliver|ship)\s+(?:it|them|the order|my order)\s+to|to)\s+",
    re.IGNORECASE,
)
_DE = re.compile(
    r"(?P<street>(?:[^\W\d_](?:[^\W\d_]|[.'\-])*\s){0,3}[^\W\d_](?:[^\W\d_]|[.'\-])*\s\d{1,4}\s?[a-zA-Z]?)\s*,?\s+(?P<postcode>\d{4,5})\s+(?P<town>[^\W\d_][\w.'\- ]*)",
)
# "12 Rue de Rivoli, 75001 Paris": the number before the street, then postcode and town (France, Belgium ...).
_NUMBER_FIRST = re.compile(
    r"(?<![\w-])(?P<street>\d{1,4}[a-zA-Z]?,?\s+[^\W\d_][\w.'\- ]*?)\s*,\s*(?P<postcode>\d{4,5})\s+(?P<town>[^\W\d_][\w.'\- ]*)",
)
_UK = re.compile(
    r"(?P<street>\d{1,4}[a-zA-Z]?\s+[^\W\d_][\w.'\- ]*?)\s*,\s*(?P<town>[^\W\d_][\w.'\- ]*?)\s*,?\s+"
    r"(?P<postcode>[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2})\b",
    re.IGNORECASE,
)


_NOT_STREET = {
    "is",
    "to",
    "at",
    "the",
    "my",
    "new",
    "address",
    "of",
    "change",
    "deliver",
    "send",
    "ship",
    "it",
    "please",
    "now",
    "be",
    "it's",
    "its",
    "order",
    "place",
    "office",
    "home",
    "instead",
    "insted",
    "moved",
    "live",
    "we",
    "i",
    "our",
    "u",
    "here",
}


@dataclass(frozen=True)
class Address:
    street: str
    postcode: str
    town: str

    def __str__(self) -> str:
        if self.postcode[:1].isdigit():
            return f"{self.street}, {self.postcode} {self.town}"
        return f"{self.street}, {self.town} {self.postcode}"


def _clean(part: str) -> str:
    return " ".join(part.strip(" ,.;").split())


def parse_address(text: str) -> Address | None:
    """The address in a message, without the words around it; None if there is no full address."""
    body = _LEAD_IN.sub("", " ".join((text or "").split()), count=1)
    for pattern in (_DE, _UK, _NUMBER_FIRST):
        found = pattern.search(body)
        if found:
            street, town = _clean(found["street"]), _clean(found["town"])
            town = re.split(
                r"\s+(?:please|thanks|thank you|pls|instead|insted|asap|now)\b|[.!?]",
                town,
                maxsplit=1,
                flags=re.IGNORECASE,
            )[0].strip()
            street = _LEAD_IN.sub("", street, count=1)
            while (words := street.split(" ", 1)) and len(words) == 2 and words[0].lower() in _NOT_STREET:
                street = words[1]
            if len(street) >= 4 and town:
                postcode = found["postcode"].upper()
                return Address(street[:1].upper() + street[1:], postcode, town[:1].upper() + town[1:])
    return None
