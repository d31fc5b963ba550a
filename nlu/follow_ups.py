"""Short questions about what the assistant just did: "do I have to pay for sending them back?" after a
return was opened, "how long does it take?" after a data erasure, "and if they miss me again?" after a
failed delivery.

Out of context such a message reads as anything (a new return, the delivery-time FAQ, out of scope), so
the classifier cannot be trusted with it. Here the topic comes from the assistant's own recent replies
and the question from a few words; both the dialogue policy (nlu/components/follow_up_policy.py, which
decides that `action_follow_up` answers) and that action (actions/follow_ups.py, which answers) ask
`follow_up` the same thing. Pure: no Rasa, no database.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# A conversation as the two sides see it: ("user" | "bot", text), oldest first, this session only.
History = Sequence[tuple[str, str]]

# How many of the assistant's latest turns a follow-up may refer back to.
TURNS_BACK = 3
# A follow-up is a short question; a long message is a request of its own.
MAX_WORDS = 16

_I = re.IGNORECASE

# What the assistant's reply was about, recognised by its own wording (the English replies).
TOPICS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("erasure", re.compile(r"request to delete your personal data", _I)),
    ("cancelled", re.compile(r"\bis cancelled\. If you already paid\b", _I)),
    ("parcel_missing", re.compile(r"missing-parcel claim|claim for order A-\d{5} is already open", _I)),
    ("delivery_attempt", re.compile(r"\bdelivery attempts?\b", _I)),
    ("reset_offer", re.compile(r"\bour team can send you a new reset link by hand\b", _I)),
    ("login_help", re.compile(r"\buse \"Forgot password\" on the sign-in page\b", _I)),
    (
        "lead",
        re.compile(r"\b(?:passed|pass) (?:your|this) (?:inquiry|enquiry|on )?.{0,40}\bto our business team\b", _I),
    ),
    ("warranty", re.compile(r"\bwarranty claim\b", _I)),
    ("return", re.compile(r"\bI've opened (?:return|exchange|replacement) R-\d{5}", _I)),
    ("refund", re.compile(r"\bopened refund F-\d{5}|\brefund of [\d.]+ EUR goes back", _I)),
    ("payment", re.compile(r"\bSorry about the payment trouble\b", _I)),
    ("reservation", re.compile(r"\bwe don't take reservations\b", _I)),
    ("promo", re.compile(r"\bI can't create or hand out a discount code\b", _I)),
    ("invoice", re.compile(r"\binvoice for order A-\d{5}", _I)),
    ("payment_methods", re.compile(r"\bKlarna \(pay later", _I)),
    ("late", re.compile(r"\bI'm sorry it's late\b", _I)),
    ("address_locked", re.compile(r"\bso its delivery address can't be changed any more\b", _I)),
    ("cancel_locked", re.compile(r"\bso it can no longer be cancelled\b", _I)),
    ("status", re.compile(r"^Order A-\d{5} \(.*\) is \w+ \(since", _I)),
    ("promo_failed", re.compile(r"\bSorry the code didn't work\b", _I)),
    ("anything_else", re.compile(r"\bAnything else I can help with\?", _I)),
    ("rating", re.compile(r"\bhow would you rate (?:this conversation|your experience|us)\b", _I)),
    ("opening_hours", re.compile(r"\bOur support team is available Monday\b", _I)),
    ("ticket", re.compile(r"\bT-\d{5}\b")),
    # Last: a ticket, enquiry or return number anywhere, for "when will someone get back to me?"
    ("record", re.compile(r"\b[TDR]-\d{5}\b")),
)

_WHEN = r"\b(?:when|how (?:long|soon|many days)|by when|how quickly)\b"

# "When will someone get back to me?": asked after a ticket, a business enquiry or a return (actions/forms.py
# answers it from the newest of them), or at the read-back of a business enquiry.
WHEN_BACK = re.compile(
    r"\b(?:when|how (?:long|soon)|by when)\b.{0,40}\b(?:get(?:s|ting)? back|call|contact|reach (?:out|me)|hear (?:back|from)|"
    r"reply|respond|answer|get in touch)\b|\bwait for (?:your|an|the) (?:email|call|reply|answer)\b",
    _I,
)

# "So what now?", "what can I do?": what happens next, asked about the answer just given.
_WHAT_NOW = re.compile(
    r"^\W*(?:(?:ok(?:ay)?|so|and|well|hm+|right|alright)\W+)*(?:what now|now what|what next|what happens (?:now|next)|"
    r"what (?:can|should|do|shall) (?:i|we) do(?: now| about (?:it|this|that))?|what are (?:my|the) options)\W*$",
    _I,
)
# "What do you need from me?" about a ticket: whether the customer has to do anything.
_NEED_FROM_ME = re.compile(
    r"\bwhat (?:else )?(?:do|would|will) (?:you|u|they) need\b|\bdo (?:you|u|they) need (?:anything|something)\b"
    r"|\b(?:anything|something) (?:i (?:need|have) to|for me to) do\b|\bdo i (?:need|have) to do (?:anything|something)\b",
    _I,
)
# "Yes please do it anyway" to a change the assistant just said it cannot make: still no, and why.
_INSIST = re.compile(
    r"\b(?:anyway|anyways|regardless|all the same|just do it|do it|go ahead|try (?:it|anyway)|can'?t you (?:just|still)|"
    r"are you sure|no exceptions?|make an exception)\b",
    _I,
)
# Questions that the classifier may read as a goodbye ("so what now" ends like "ok, bye" does) and that still
# ask about the answer just given.
NOT_A_GOODBYE = frozenset({"late:what_now", "ticket:need_from_me"})

# The reset email is not there ("checked spam too, nothing", "send me one manually").
_RESET_NOT_THERE = re.compile(
    r"\b(?:checked|spam|junk|manually|by hand|new link|send (?:me )?(?:one|it|a new one|another)|"
    r"still (?:no|not|nothing)|nothing (?:there|came|arrived)|not there|didn'?t (?:come|arrive|get))\b",
    _I,
)

# The questions each topic answers, best first: (topic, question, pattern).
QUESTIONS: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("record", "when_back", WHEN_BACK),
    ("late", "what_now", _WHAT_NOW),
    ("address_locked", "insist", _INSIST),
    ("cancel_locked", "insist", _INSIST),
    ("ticket", "need_from_me", _NEED_FROM_ME),
    (
        "promo_failed",
        "check",
        re.compile(r"^\W*(?:yes|yeah|yep|sure|please|pls)\b|\b(?:check|look into|ticket|someone)\b", _I),
    ),
    ("invoice", "vat", re.compile(r"\b(?:vat|tax)\b", _I)),
    ("return", "keep_rest", re.compile(r"\bi(?:'ll| will)? keep\b|\bkeeping\b|\bstays? with me\b", _I)),
    (
        "payment",
        "will_try",
        re.compile(
            r"\b(?:i'?ll|ill|i will|will|gonna|let me) (?:try|use|pay with)\b|\btry (?:paypal|again|another)\b", _I
        ),
    ),
    # "4 - would be 5 if the colour had been right": the rating asked for, with a comment that reads as anything.
    (
        "anything_else",
        "rating",
        re.compile(r"^\W*[1-5]\s*(?:/\s*5|stars?|out of 5)?\s*(?:$|[-\u2013\u2014:,.!]\s*\D)", _I),
    ),
    ("rating", "rating", re.compile(r"^\W*[1-5]\s*(?:/\s*5|stars?|out of 5)?\s*(?:$|[-\u2013\u2014:,.!]\s*\D)", _I)),
    (
        "cancelled",
        "refund",
        re.compile(_WHEN + r".{0,40}\b(?:back|money|refund\w*)\b|\b(?:money|refund)\b.{0,30}" + _WHEN, _I),
    ),
    (
        "erasure",
        "orders_kept",
        re.compile(
            r"\b(?:keep|kept|store|stored|delete|deleted|remove|removed)\b.{0,30}\b(?:orders?|invoices?|purchases?|history)\b"
            r"|\b(?:orders?|invoices?|purchases?)\b.{0,30}\b(?:kept|deleted|gone|stay|remain)\b|\btax\b",
            _I,
        ),
    ),
    (
        "erasure",
        "how_long",
        re.compile(
            r"\bhow (?:long|soon)\b|\bwhen will (?:it|that|this) be\b|\btakes?\b|\bdone\b|\bfinished\b|\bcomplete", _I
        ),
    ),
    (
        "parcel_missing",
        "not_found",
        re.compile(r"\bnot (?:be )?found\b|\bcan'?t find\b|\bnever (?:turns|shows) up\b|\blost\b", _I),
    ),
    (
        "parcel_missing",
        "claim",
        re.compile(
            r"\bneighbou?rs?\b|\bdo something\b|\bstill nothing\b|\bnot (?:there|here)\b|\bchecked\b|\bclaim\b"
            r"|\b(?:nobody|no one|noone) (?:has|took|got) it\b",
            _I,
        ),
    ),
    (
        "reset_offer",
        "by_hand",
        _RESET_NOT_THERE,
    ),
    # "Tried that twice, nothing came, checked spam too" to the standard login answer: the reset email is missing.
    ("login_help", "not_received", _RESET_NOT_THERE),
    (
        "lead",
        "prices",
        re.compile(r"\b(?:discount\w*|price\w*|pricing|cheaper|rebates?|quote|special offer)\b", _I),
    ),
    ("parcel_missing", "when", re.compile(_WHEN + r".{0,30}\b(?:hear|know|news|answer|reply)\b", _I)),
    (
        "delivery_attempt",
        "was_home",
        re.compile(
            r"\bi was (?:at )?home\b|\bi was (?:in|there)\b|\b(?:nobody|no one) (?:rang|knocked|came)\b"
            r"|\bdidn'?t (?:even )?(?:ring|knock|try)\b",
            _I,
        ),
    ),
    (
        "delivery_attempt",
        "again",
        re.compile(
            r"\b(?:again|next time|miss(?:es|ed)? me|not (?:at )?home|(?:nobody|no one|no-one)(?:'s| is)? (?:home|in|there)|pick(?:ed)?[ -]?up|pickup|collect|post office|"
            r"locker|packstation|where is it now|where does it go)\b",
            _I,
        ),
    ),
    (
        "delivery_attempt",
        "reschedule",
        re.compile(
            r"\b(?:change the (?:day|date|time)|another (?:day|time)|different (?:day|time)|other day|reschedul\w*|"
            r"come (?:on|back|later|tomorrow)|redeliver\w*|deliver (?:it )?(?:on|later|tomorrow)|at work|"
            r"on (?:monday|tuesday|wednesday|thursday|friday|saturday|the weekend))\b",
            _I,
        ),
    ),
    (
        "delivery_attempt",
        "where",
        re.compile(r"\bwhere do i\b|\bhow do i\b|\bwhich (?:post office|one|shop)\b|\blink\b", _I),
    ),
    ("delivery_attempt", "wait", re.compile(r"\bwait\b", _I)),
    (
        "warranty",
        "claim",
        re.compile(
            r"\b(?:open (?:the |a )?(?:warranty )?claim|go ahead|do it|what (?:else )?do you need|photo|picture)\b", _I
        ),
    ),
    (
        "return",
        "cost",
        re.compile(r"\b(?:pay|paying|cost|costs|charge|fee|free|postage)\b", _I),
    ),
    (
        "return",
        "new_item",
        re.compile(
            r"\b(?:new (?:ones?|pair|size|item)|the (?:other|right|bigger|smaller) (?:size|one|ones)|replacement)\b", _I
        ),
    ),
    ("return", "refund", re.compile(r"\b(?:money|refund\w*|paid back|reimburs\w*)\b", _I)),
    ("return", "label", re.compile(r"\blabel\b", _I)),
    (
        "return",
        "drop_off",
        re.compile(
            r"\bwhere (?:do|can|should) i (?:drop|take|bring|send|post|leave|hand)\b|\bdrop(?:ped)? (?:it |them )?off\b"
            r"|\bpost office\b|\bpackstation\b|\bhow do i (?:send|ship|post)\b",
            _I,
        ),
    ),
    (
        "refund",
        "when",
        re.compile(
            _WHEN + r".{0,40}\b(?:back|card|account|bank|paypal|money|refund|see it)\b|\bback on (?:my|the)\b", _I
        ),
    ),
    (
        "payment",
        "charged_no_order",
        re.compile(
            r"\b(?:money|charged|debited|taken|paid)\b.{0,40}\bno order\b|\bno order\b.{0,40}\b(?:money|charged|paid)\b",
            _I,
        ),
    ),
    (
        "promo",
        "make_one",
        re.compile(
            r"\b(?:make|create|generate|give|send|do)\s+(?:me\s+)?(?:one|a code|a discount|an exception)\b|\bjust (?:one|this once)\b",
            _I,
        ),
    ),
    ("reservation", "sold_out", re.compile(r"\b(?:sold out|out of stock|gone|none left|run(?:s)? out)\b", _I)),
    (
        "invoice",
        "self_service",
        # "find it", but not "I can't find it there": that customer wants the copy sent.
        re.compile(
            r"\b(?:myself|next time|download|where (?:do|can) i (?:find|get|see))\b"
            r"|(?<!n't )(?<!nt )(?<!not )(?<!never )\bfind it\b",
            _I,
        ),
    ),
    (
        "payment_methods",
        "payment_methods",
        re.compile(
            r"^\W*(?:and|what about|how about|also|do you take|can i (?:use|pay with))?\s*"
            r"(?:amex|american express|visa|mastercard|paypal|klarna|bank transfer|apple pay|google pay|"
            r"credit cards?|debit cards?)\W*$",
            _I,
        ),
    ),
    (
        "opening_hours",
        "contact",
        re.compile(
            r"^\W*(?:and|what about|how about|also)?\s*(?:your\s+)?(?:e-?mail|phone(?: number)?|number)\W*$", _I
        ),
    ),
    (
        "status",
        "status",
        re.compile(
            r"\b(?:hasn'?t|hasnt|has not|not yet|still)\b.{0,20}\b(?:left|shipped|sent|dispatched|arrived|here|moving)\b"
            r"|^\W*(?:and|so|ok)?\W*when\b.{0,30}\b(?:arriv\w*|come|get (?:it|here)|deliver\w*|ship\w*)\b"
            r"|\btracking\b|\bhow long\b",
            _I,
        ),
    ),
)

# A one-time code the assistant sent and that was not used yet (the English replies), and six digits as typed.
_CODE_SENT = re.compile(r"\bI've (?:just )?sent a 6-digit code\b|\bthat code isn't right\b", _I)
_CODE_USED = re.compile(
    r"\bthe code is right\b|\bthat's confirmed\b|\brequest to delete your personal data is ticket\b|\btoo many codes\b",
    _I,
)
_CODE_IN = re.compile(r"(?<![\d+\-/.])\d{3}[ \-.]?\d{3}(?![\d\-/])")
_ORDER_IN = re.compile(r"\b[A-Za-z]-?\d{5}\b")


def code_pending(history: History) -> bool:
    """Whether the assistant's latest word on a one-time code was that it sent one (or that one was wrong)."""
    for side, text in reversed(history):
        if side != "bot":
            continue
        if _CODE_USED.search(text):
            return False
        if _CODE_SENT.search(text):
            return True
    return False


# A number, an email or a code in the message is a request of its own, never a follow-up.
_OWN_REQUEST = re.compile(r"\b[A-Za-z]-?\d{5}\b|@|\b\d{5,6}\b")


def recent_topics(history: History, turns_back: int = TURNS_BACK) -> list[str]:
    """The topics of the assistant's replies in its latest `turns_back` turns, newest first."""
    topics: list[str] = []
    turns = 0
    last_was_bot = False
    for side, text in reversed(history):
        if side == "bot":
            if not last_was_bot:
                turns += 1
                if turns > turns_back:
                    break
            last_was_bot = True
            for topic, pattern in TOPICS:
                if pattern.search(text) and topic not in topics:
                    topics.append(topic)
        else:
            last_was_bot = False
    return topics


def follow_up(text: str, history: History) -> str | None:
    """ "topic:question" when `text` asks about what the assistant just said (history ends before
    `text`), else None."""
    text = " ".join((text or "").split())
    if (
        len(text.split()) <= 10
        and _CODE_IN.search(text)
        and not _ORDER_IN.search(text)
        and "@" not in text
        and code_pending(history)
    ):
        # "ok I got it, it's 249439 thanks" right after the code was sent: the code, whatever it was read as.
        return "code:code"
    if not text or text.startswith("/") or len(text.split()) > MAX_WORDS or _OWN_REQUEST.search(text):
        return None
    for topic in recent_topics(history):
        for question_topic, question, pattern in QUESTIONS:
            if question_topic == topic and pattern.search(text):
                return f"{topic}:{question}"
    return None
