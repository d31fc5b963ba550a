"""Person and company names as customers write them: "my name is Jana Novak" -> "Jana Novak",
"we're Bohnenhaus GmbH" -> "Bohnenhaus GmbH". The words around the value are dropped; a message
that is no name (an email, a question, a whole sentence) gives None, so nothing else lands in the slot.
Pure.
"""

from __future__ import annotations

import re

_FILLER_HEAD = re.compile(r"^(?:(?:ok(?:ay)?|sure|yes|yeah|hi|hello|hey|well|so|and|oh|right)\W+)*", re.I)
_FILLER_TAIL = re.compile(
    r"(?:\W+(?:thanks?|thank you|thx|cheers|please|pls|here|speaking|bye))+\W*$|(?<!\.\w)[\s.!,;:]+$", re.I
)
_NAME_LEAD = re.compile(
    r"^(?:(?:my |the )?(?:full )?name(?:'s| is|:)|(?:i am|i'm|im|this is|it's|its|call me|you can call me|you're talking to)\b"
    r"|(?:the )?contact(?: person)?(?: is|:))\s*",
    re.I,
)
_COMPANY_LEAD = re.compile(
    r"^(?:(?:the |our |my )?(?:company|business|shop|firm|store|organi[sz]ation)(?: name)?(?:'s| is called| is|:)"
    r"|(?:we are|we're|i'm from|i am from|i work (?:at|for)|from|on behalf of|it's|its|it is|called)\b)\s*",
    re.I,
)
_COMPANY_TAIL = re.compile(r"\s*(?:,|\band\b|\bwe\b|\bmy\b|\bemail\b|\bphone\b|\bcontact\b).*$", re.I)
_NAME_WORD = re.compile(r"^[^\W\d_](?:[^\W\d_]|['.\-])*$")
_NOT_NAMES = {
    "yes",
    "no",
    "ok",
    "okay",
    "sure",
    "thanks",
    "hello",
    "hi",
    "hey",
    "nope",
    "skip",
    "none",
    "nothing",
    "what",
    "why",
}


def _strip(text: str, lead: re.Pattern[str]) -> str:
    body = " ".join((text or "").split())
    body = _FILLER_HEAD.sub("", body, count=1)
    body = lead.sub("", body, count=1)
    return _FILLER_TAIL.sub("", body).strip(" \"'")


def parse_person_name(text: str) -> str | None:
    """A person's name, one to four words of letters, without "my name is" and "thanks"; else None."""
    if "@" in (text or "") or "?" in (text or ""):
        return None
    body = _strip(text, _NAME_LEAD)
    body = re.split(r"\s+(?:from|at|of|with)\s+|,", body, maxsplit=1)[0].strip()
    words = body.split()
    if not 1 <= len(words) <= 4 or not all(_NAME_WORD.match(w) for w in words):
        return None
    if words[0].lower() in _NOT_NAMES:
        return None
    return " ".join(w[:1].upper() + w[1:] for w in words)


def parse_company(text: str) -> str | None:
    """A company name without "we're" / "the company is" and what follows it (", email …"); else None."""
    if not text or "?" in text:
        return None
    body = _strip(text, _COMPANY_LEAD)
    body = _COMPANY_TAIL.sub("", body).strip(" ,;:\"'")
    # The full stop after a name goes, the dot of a legal form stays ("Zelena Kavarna s.r.o.").
    body = body if re.search(r"\.\w\.$", body) else body.strip(" .,;:\"'")
    if not body or "@" in body or re.search(r"\d{5,}", body) or len(body.split()) > 6 or len(body) > 150:
        return None
    if body.lower() in _NOT_NAMES:
        return None
    return body
