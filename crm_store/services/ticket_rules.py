"""When the assistant writes a ticket, and what it writes on it. Pure; one rule each.

Tone, the one rule for priority and for an immediate handoff:
  angry   profanity, strong anger ("furious", "unacceptable", "scam", "fed up"), shouting
          (two words in capitals, "!!")             -> priority high; a complaint goes to a person now
  annoyed milder words ("annoyed", "disappointed", "terrible", "ridiculous", "not happy", "where the hell")
                                                    -> priority normal; nothing is opened unasked
  calm    everything else                           -> priority normal
Besides tone, physical damage and money taken twice are high priority.

A ticket is opened only when the customer asks for one (or for a complaint to be logged), or
by a stated rule: damage, a missing or wrong item, or a double charge. "I'll wait" or a mild
complaint gets an offer, not a ticket.

The subject is written in plain words from what was recognised ("Complaint: late delivery
(A-10423)"), never the customer's raw text (that goes in the description).
"""

from __future__ import annotations

import re
from typing import Iterable

ANGRY, ANNOYED, CALM = "angry", "annoyed", "calm"

_PROFANITY = re.compile(
    r"\b(?:f+u+c+k+\w*|f\*+k\w*|sh[i1]t+\w*|bullsh[i1]t\w*|wtf|piss\w*|arse\w*|ass(?:hole)?s?)\b",
    re.I,
)
# Intensifiers that colour a question without swearing at anyone ("where the hell is my parcel", "bloody
# late"): annoyance, answered with an apology and help, not a person by rule (docs/shop.md, "Anger").
_MILD_SWEARING = re.compile(r"\b(?:the hell|crap\w*|bloody|damn\w*)\b", re.I)
_ANGER = re.compile(
    r"\b(?:angry|furious|livid|outraged?|outrageous|unacceptable|disgust\w*|scam\w*|fraud\w*|lawyer|sue|"
    r"fed up|sick (?:and tired )?of|never (?:again|order(?:ing)? (?:again|from you))|rip-?off|thie(?:f|ves))\b",
    re.I,
)
_SHOUTING = re.compile(r"\b[A-Z]{4,}\b.*\b[A-Z]{4,}\b|!{2,}")
_MILD = re.compile(
    r"\b(?:annoy\w*|disappoint\w*|frustrat\w*|terrible|awful|horrible|worst|ridiculous|joke|upset|unhappy|not happy|"
    r"not great|not ideal|bit (?:much|slow|late)|poor)\b",
    re.I,
)
_URGENT_FACTS = re.compile(
    r"\b(?:damaged|broken|smashed|cracked|crushed|shattered|dented|charged (?:me )?twice|double[- ]charged|charged double|"
    r"twice charged|paid twice|two charges|double payments?|(?:two|2) payments|(?:took|taken) (?:the |my )?money twice)\b",
    re.I,
)
# Asked, in so many words, for something to be written down or looked into.
_ASKS = re.compile(
    r"\b(?:complain\w*|complaint|ticket|report|escalat\w*|case|formal\w*|log (?:it|this)|look into|investigat\w*|"
    r"file|lodge|claim|refund|replace\w*|compensat\w*|do something|sort (?:it|this) out|fix (?:it|this)|chase\w*|"
    r"follow (?:it )?up)\b",
    re.I,
)
_WILL_WAIT = re.compile(
    r"\b(?:i'?ll|i will|i can|i'?m happy to|let'?s|we'?ll|i'?ll just)\s+(?:just\s+)?(?:wait|give it)\b|\bno rush\b|\bno hurry\b"
    r"|\bwait (?:a few|a couple|another|until|till|and see)\b",
    re.I,
)
# Problems a ticket is opened for by rule, without being asked.
RULE_PROBLEMS = ("damaged", "missing_item", "wrong_item", "double_charge")
_TITLE = {
    "damaged": "item arrived damaged",
    "missing_item": "item missing from the parcel",
    "wrong_item": "wrong item delivered",
    "double_charge": "charged twice",
    "late": "late delivery",
}


def tone(text: str) -> str:
    text = text or ""
    if _PROFANITY.search(text) or _ANGER.search(text) or _SHOUTING.search(text):
        return ANGRY
    return ANNOYED if _MILD.search(text) or _MILD_SWEARING.search(text) else CALM


def anger_reason(text: str) -> str | None:
    """Why a complaint goes to a person at once, in words for the handoff reason; None when it does not."""
    text = text or ""
    if _PROFANITY.search(text):
        return "rule: profanity"
    if _ANGER.search(text) or _SHOUTING.search(text):
        return "rule: strong anger"
    return None


_LONG_WAIT = re.compile(
    r"\b(?:wait\w*|for|since|over|more than)\s+(?:\w+\s+)?(?:\d+|two|three|four|several|many)\s+(?:weeks?|months?)\b"
    r"|\b(?:weeks?|months?) (?:now|already|and (?:still )?nothing)\b",
    re.I,
)


_STILL_WAITING = re.compile(r"\bstill waiting\b|\bfor ages\b|\bhello\?{2,}", re.I)
_NOT_HELPED = re.compile(
    r"\b(?:useless|not listening|same (?:answer|message|reply)|repeating myself|had enough|kidding me|"
    r"nobody (?:ever )?(?:answers|responds|replies|respond|answer)|no (?:answer|reply|response)|nothing (?:happened|happens)|"
    r"any(?:one|body) (?:there|home))\b",
    re.I,
)


def handoff_rule(text: str) -> str | None:
    """The stated rule that sends a frustrated message to a person without being asked; None: offer one instead.

    Rules: profanity or strong anger; waited weeks (or "still waiting"); the assistant is not helping
    ("useless", "same answer", "nobody answers"). Milder words ("annoying", "disappointed") offer a person.
    """
    text = text or ""
    if only_waiting(text):
        return None
    if _LONG_WAIT.search(text) or _STILL_WAITING.search(text):
        return "rule: waited long"
    if _NOT_HELPED.search(text):
        return "rule: the assistant is not helping"
    return anger_reason(text)


def priority_for(text: str) -> str:
    """'high' for an angry tone, damage or a double charge; else 'normal' (mild words included)."""
    return "high" if tone(text) == ANGRY or _URGENT_FACTS.search(text or "") else "normal"


def asks_for_a_ticket(text: str) -> bool:
    return bool(_ASKS.search(text or ""))


def only_waiting(text: str) -> bool:
    """'OK, I'll wait a few more days': nothing to open."""
    return bool(_WILL_WAIT.search(text or "")) and not asks_for_a_ticket(text)


def opened_by_rule(problem_kinds: Iterable[str]) -> bool:
    return any(kind in RULE_PROBLEMS for kind in problem_kinds)


def subject_for(topic: str, problem_kinds: Iterable[str], order_number: str | None) -> str:
    """'Complaint: late delivery (A-10423)': what the ticket is about, in plain words."""
    titles = [_TITLE[k] for k in problem_kinds if k in _TITLE]
    subject = f"{topic}: {', '.join(titles)}" if titles else topic
    return f"{subject} ({order_number})" if order_number else subject
