"""How an agent is shown to customers: a display name and initials, from the console user name.

Console user names are log-in names, often lower case ("sam", "bea-1a2b"); customers see the
name with a capital and separators as spaces ("Sam", "Bea 1a2b"), and an avatar with initials.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[._\-]+")


def display_name(username: str | None) -> str:
    """'sam' -> 'Sam', 'anna.lee' -> 'Anna Lee'; an empty name reads as 'Our team'."""
    words = [w for w in _SEPARATORS.sub(" ", username or "").split() if w]
    if not words:
        return "Our team"
    return " ".join(w[:1].upper() + w[1:] for w in words)


def initials(name: str | None) -> str:
    """Up to two letters for an avatar: 'Anna Lee' -> 'AL', 'Sam' -> 'S'."""
    words = [w for w in (name or "").split() if w[:1].isalpha()]
    return "".join(w[0].upper() for w in words[:2]) or "?"


def speaker_prefix(name: str | None) -> str:
    """The line a text-only channel (Telegram, the terminal) puts before an agent's message."""
    return f"{display_name(name)} (our team): "
