"""Language codes as people read them: "fr" -> "French" (Babel's English names), for the agent
console and the digest."""

from __future__ import annotations

from babel import Locale

_ENGLISH = Locale("en")


def language_name(code: str | None) -> str:
    """The English name of an ISO 639-1 code; "unknown" for none, the code itself when Babel
    does not know it."""
    if not code or code == "unknown":
        return "unknown"
    return str(_ENGLISH.languages.get(code, code))
