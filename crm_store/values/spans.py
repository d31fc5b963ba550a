"""What every value finder returns, and how overlapping finds are settled."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

Match = tuple[int, int, str]  # start, end, canonical value

MASK = "\x00"


@dataclass(frozen=True)
class Entity:
    entity: str
    value: str
    start: int
    end: int
    text: str


def pick(matches: Iterable[Match]) -> list[Match]:
    """Longest first, then leftmost; a match overlapping a kept one is dropped."""
    kept: list[Match] = []
    for match in sorted(set(matches), key=lambda m: (m[0] - m[1], m[0])):
        if all(match[1] <= other[0] or match[0] >= other[1] for other in kept):
            kept.append(match)
    return sorted(kept)


def masked(text: str, start: int, end: int) -> str:
    """text with [start, end) blanked, so weaker finders cannot claim it again."""
    return text[:start] + MASK * (end - start) + text[end:]
