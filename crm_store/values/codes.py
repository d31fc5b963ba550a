"""One-time codes as customers type them: "123456", "123 456", "123-456", "code: 123 456".

Six digits, read only where the caller knows a code is expected: elsewhere six digits may be
a postcode or part of a phone number. Pure.
"""

from __future__ import annotations

import re

_CODE = re.compile(r"(?<![\d+\-/.])(\d{3})[ \-.]?(\d{3})(?![\d\-/])")
_WHOLE = re.compile(r"^\W*(?:(?:my |the )?(?:code|pin)(?: is)?\W*)?(\d{3})[ \-.]?(\d{3})\W*$", re.I)


def find_code(text: str) -> str | None:
    """The six digits of a code in the message, spaces and dashes removed; None when there is none."""
    found = _CODE.search(text or "")
    return found.group(1) + found.group(2) if found else None


def is_only_code(text: str) -> bool:
    """The whole message is a code ("123 456", "code: 123-456"), nothing else."""
    return bool(_WHOLE.match(text or ""))
