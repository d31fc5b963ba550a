"""Sizes a customer wants in an exchange: "can I get a 43 instead?" -> "size 43".

Shoe sizes (EU 30-50, halves too, and UK/US with their prefix), clothing sizes (XXS-XXXL, and
small/medium/large), jeans sizes (W34, W32/L34), and "one size up/down". Only the size is returned, never the question
around it; None when the message names no size. Pure.
"""

from __future__ import annotations

import re

_LETTER = {
    "xxs": "XXS",
    "xs": "XS",
    "s": "S",
    "m": "M",
    "l": "L",
    "xl": "XL",
    "xxl": "XXL",
    "xxxl": "XXXL",
    "2xl": "XXL",
    "3xl": "XXXL",
    "small": "S",
    "medium": "M",
    "large": "L",
    "extra small": "XS",
    "extra large": "XL",
}
_WITH_WORD = re.compile(
    r"\bsize\s+(?P<v>(?:uk|us|eu)\s?\d{1,2}(?:[.,]5)?|\d{1,2}(?:[.,]5)?|x{0,3}[sml]|[23]xl|small|medium|large|extra (?:small|large))\b",
    re.I,
)
_REGION = re.compile(r"\b(?P<v>(?:uk|us|eu)\s?\d{1,2}(?:[.,]5)?)\b", re.I)
_NUMBER = re.compile(
    r"\b(?:a|an|the|in|for|to|into)\s+(?P<v>(?:3\d|4\d|50)(?:[.,]5)?)\b(?!\s*(?:%|eur|euro|€|\$|days?|min|items?|pieces?|x\b))",
    re.I,
)
_LETTER_ALONE = re.compile(
    r"\b(?:an?|the|in|for|to|into)\s+(?P<v>x{1,3}[sl]|[23]xl|small|medium|large|extra (?:small|large))\b", re.I
)
# Jeans: waist (and length) as W34 or W32/L34.
_WAIST = re.compile(r"\b(?P<v>W\s?[2-4]\d(?:\s?/?\s?L\s?[2-3]\d)?)\b", re.I)
_RELATIVE = re.compile(
    r"\b(?P<n>one|a|two|half a)\s+sizes?\s+(?P<dir>up|down|bigger|smaller|larger)\b|"
    r"\b(?:a\s+)?(?P<dir2>bigger|smaller|larger)\s+(?:one|size)\b",
    re.I,
)


def _canonical(value: str) -> str:
    value = " ".join(value.lower().replace(",", ".").split())
    if value in _LETTER:
        return f"size {_LETTER[value]}"
    region = re.match(r"(uk|us|eu)\s?(.+)", value)
    if region:
        return f"size {region.group(1).upper()} {region.group(2)}"
    return f"size {value}"


def parse_size(text: str) -> str | None:
    """'size 43', 'size M', 'size UK 9', 'one size larger'; None when no size is named."""
    text = text or ""
    waist = _WAIST.search(text)
    if waist:
        return "size " + re.sub(r"\s|/", "", waist.group("v").upper()).replace("L", "/L")
    for pattern in (_WITH_WORD, _REGION, _NUMBER, _LETTER_ALONE):
        found = pattern.search(text)
        if found:
            return _canonical(found.group("v"))
    relative = _RELATIVE.search(text)
    if relative:
        direction = (relative.group("dir") or relative.group("dir2")).lower()
        larger = direction in ("up", "bigger", "larger")
        step = (
            "two sizes"
            if (relative.group("n") or "").lower() == "two"
            else "half a size"
            if (relative.group("n") or "").lower() == "half a"
            else "one size"
        )
        return f"{step} {'larger' if larger else 'smaller'}"
    return None
