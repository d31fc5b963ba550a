"""Why a customer is waiting, in plain words from their own messages, for the agent's queue:
"parcel arrived damaged (order A-10423); asked for a person".

The stored reason (actions/common.py) names intents and actions the assistant tried; an agent
reads the customer's words better. What the customer wrote before the handoff is in the CRM
transcript, so the console composes this line from there.
"""

from __future__ import annotations

import re
import textwrap

from sqlalchemy import select

from crm_store.db import UnitOfWork
from crm_store.models import Handoff, Message
from crm_store.values import normalize_order_id

_PERSON = r"(?:a\s+|an\s+|some\s+|the\s+)?(?:real\s+|actual\s+)?(?:human(?:\s+being)?|person|agent|someone|somebody|operator|people|staff)"
_ASK_FOR_PERSON = re.compile(
    rf"\b(?:(?:i\s+)?(?:want|need|would\s+like|wanna|'d\s+like)\s+(?:to\s+(?:talk|speak|chat)\s+(?:to|with)\s+)?{_PERSON}"
    rf"|(?:can\s+i\s+|let\s+me\s+|please\s+)?(?:talk|speak|chat)\s+(?:to|with)\s+{_PERSON}"
    rf"|(?:get|give|put)\s+me\s+(?:through\s+to\s+)?{_PERSON}|{_PERSON}\s+please)\b[^.!?,;]*",
    re.IGNORECASE,
)
_FILLER = re.compile(
    r"^(?:(?:hi|hello|hey|hallo|ok|okay|so|well|and|but|please|pls|thanks|thank you)\b[\s,!.]*)+", re.IGNORECASE
)
_ORDER = re.compile(
    r"\b(?:(?:my|the|your)\s+)?(?:order\s+(?:number\s+|no\.?\s+|#\s*)?)?([A-Za-z]-?\s?\d{5})\b", re.IGNORECASE
)
_OWNER = re.compile(r"^(?:my|our)\s+", re.IGNORECASE)
_DANGLING = {
    "is",
    "are",
    "was",
    "for",
    "of",
    "about",
    "with",
    "on",
    "to",
    "from",
    "where",
    "status",
    "check",
    "track",
    "my",
    "the",
}
_SMALL_TALK = {"thanks", "thank you", "ok", "okay", "yes", "no", "hi", "hello", "hey", "anyone there", "are you there"}


def plain_reason(uow: UnitOfWork, handoff_id: int) -> str:
    with uow:
        handoff = uow.session.get(Handoff, handoff_id)
        if handoff is None:
            return ""
        texts = list(
            uow.session.scalars(
                select(Message.text)
                .where(
                    Message.conversation_id == handoff.conversation_id,
                    Message.direction == "in",
                    Message.sent_at <= handoff.requested_at,
                )
                .order_by(Message.sent_at.desc(), Message.id.desc())
                .limit(10)
            )
        )
        return describe(texts, handoff.reason)


def describe(newest_first: list[str | None], stored_reason: str | None) -> str:
    """The customer's latest request in their words, the order it is about, and why it came to a person."""
    why = (stored_reason or "asked for a person").split(";")[0].strip() or "asked for a person"
    order, request, named = None, "", False
    for text in newest_first:
        words, number, says_order = _request_words(text or "")
        order = order or number
        if words and not request:
            request, named = words, says_order
        if request and order:
            break
    if request and order and not named:
        about = f"{request} (order {order})"
    else:
        about = request or (f"order {order}" if order else "")
    line = f"{about}; {why}" if about else why
    return textwrap.shorten(line, width=160, placeholder=" …")


def _request_words(text: str) -> tuple[str, str | None, bool]:
    """(the request in a few words, the order number in it, whether those words name the order)."""
    number = None
    for match in _ORDER.finditer(text):
        number = number or normalize_order_id(match.group(1))
    without = _clean(_ORDER.sub(" ", text))
    if number and (len(without.split()) <= 2 or without.split()[-1].lower() in _DANGLING):
        # "where is my order A-10423?": without the number the words say nothing; keep it in them.
        return _clean(text), number, True
    return without, number, False


def _clean(text: str) -> str:
    words = re.sub(r"\s+", " ", _ASK_FOR_PERSON.sub(" ", text)).strip(" ,;:-.!?")
    words = _OWNER.sub("", _FILLER.sub("", words)).strip(" ,;:-.!?")
    if len(words.split()) < 2 or words.lower() in _SMALL_TALK:
        return ""
    return words[:1].lower() + words[1:] if not words[:2].isupper() else words


def plain_reasons(uow_factory, handoff_ids: list[int]) -> dict[int, str]:  # type: ignore[no-untyped-def]
    return {h: plain_reason(uow_factory(), h) for h in handoff_ids}
