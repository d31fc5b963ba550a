"""A message in the middle of a form that does not answer its question, and what the form does then.

Pure. Every form validator asks `interruption()` first (`actions.forms.HandoffFormValidation`):

  LEAVE  another task ("I was charged twice for A-10424", "actually, cancel my order"), thanks or
         closing words ("thanks, that's all"): the form ends with nothing written and the rules
         handle the message as if no form had been running (a payment check, a new form, a close)
  ASIDE  a question (price, stock, FAQ, refund or ticket status), or stop / a person: the form steps
         aside for this turn and the rules answer it; after a question the form asks again
  REASK  a bare yes / no where no yes-or-no question was asked: the question is asked again
  STOP   a change of mind about the form itself ("I'll keep them after all"): the form ends,
         nothing is written, and that is all this turn says

A message that fits the question (a product for "which item?", an address, a bare "yes" at a
read-back, a reason with a category) is an answer whatever the classifier guessed, and so is a
message whose intent is the form's own ("I want to return the earbuds" at "which item?") or an
uncertain one: a task intent below SWITCH_CONFIDENCE is read as an attempt to answer.
"""

from __future__ import annotations

import re

LEAVE, ASIDE, REASK, STOP = "leave", "aside", "reask", "stop"

# Below this the classifier is guessing; the message is read as an attempt to answer. Parsed
# answers (an address, a product, a reason category) never get here, so this only weighs
# free-text answers against task requests.
SWITCH_CONFIDENCE = 0.5

TASKS = frozenset(
    {
        "order_status",
        "cancel_order",
        "return_item",
        "exchange_item",
        "change_address",
        "payment_problem",
        "parcel_missing",
        "complaint",
        "account_help",
        "reset_not_received",
        "delete_my_data",
        "unlink_account",
        "business_inquiry",
        "give_feedback",
    }
)
QUESTIONS = frozenset(
    {
        "faq",
        "product_info",
        "product_availability",
        "refund_status",
        "ticket_status",
        "bot_challenge",
        "chitchat",
        "capabilities",
    }
)
# Rules in nlu/rules/ say what these do inside a form (leave it, hand off, read the photo).
RULED = frozenset({"stop", "request_human", "escalate", "send_photo"})
ACKNOWLEDGEMENTS = frozenset({"affirm", "deny"})
# Intents that are another request, not an attempt at an answer (a failed answer is not counted).
REQUESTS = TASKS | QUESTIONS | RULED | {"goodbye", "thank"}

OWN_INTENTS = {
    "order_status_form": frozenset({"order_status"}),
    "cancel_order_form": frozenset({"cancel_order"}),
    "return_form": frozenset({"return_item", "exchange_item"}),
    "address_form": frozenset({"change_address"}),
    "lead_form": frozenset({"business_inquiry"}),
    "feedback_form": frozenset({"give_feedback", "complaint"}),
}
# Intents that are answers to one question in particular: "the quality is awful" is a reason.
ANSWER_INTENTS = {"reason": frozenset({"complaint", "give_feedback"})}
YES_NO_SLOTS = frozenset({"confirmed", "confirm_cancel"})

_CLOSING = re.compile(
    r"\b(that'?s (?:all|everything)|that will be all|nothing else|no more questions|(?:good)?bye|"
    r"i'?m (?:good|done|all set)|all good|have a (?:nice|good) (?:day|one|evening))\b",
    re.IGNORECASE,
)


# A question intent on a statement ("the material feels cheap" -> product_info) is a free-text answer.
_ASKS = re.compile(
    r"\?|^\W*(?:how|what|when|where|which|who|why|is|are|do|does|did|can|could|will|would|has|have)\b", re.IGNORECASE
)


_KEEP = re.compile(
    r"\b(?:i'?ll|i will|i'?d rather|let me|i'?m going to|gonna|i(?:'d| would)? like to|i want to) (?:just )?keep "
    r"(?:it|them|this|that|the \w+)|\bkeep (?:it|them) after all\b|\b(?:don'?t|do not) (?:want|need) to "
    r"(?:return|send back|cancel|change) (?:it|them|anything)"
    r"|\bkeep the (?:old|current|same|existing) (?:address|one)\b|\b(?:it'?s|its) fine,? (?:leave|keep) it\b",
    re.IGNORECASE,
)


# What stopping a form sounds like: the whole message is the wish to stop (a few words at most).
_STOP = re.compile(
    r"^\W*(?:(?:ok|okay|no|please|actually|just|oh)\W+)*(?:stop|cancel|quit|exit|abort|end|enough|never\s*mind|nvm|forget (?:it|this|about it)"
    r"|leave it|drop it|skip (?:it|this)|i'?m done|i changed my mind|don'?t bother|(?:i )?(?:don'?t|do not) want to (?:continue|go on|do this))"
    r"(?:\W+(?:it|this|that|the form|now|please|thanks?|then|asking|already))*\W*$",
    re.IGNORECASE,
)


def means_stop(text: str) -> bool:
    """Whether a message classified as stop really asks to stop (not "drop it off at the door")."""
    return bool(_STOP.match(text or ""))


def closing(text: str) -> bool:
    return bool(_CLOSING.search(text or ""))


def interruption(
    form: str, slot: str | None, intent: str | None, confidence: float, text: str, fits: bool
) -> str | None:
    """LEAVE, ASIDE, REASK or None (an answer) for a message sent while `form` asks for `slot`.

    `fits`: the message parses as a value for `slot` (the caller knows how each slot is read).
    """
    if slot is None or intent is None:
        return None
    if intent == "stop" and not means_stop(text):
        # "drop it off at the back", "the strap came off", "stop by the neighbours": the word, not the wish.
        intent, confidence = "inform", 0.0
    if intent in RULED:
        return ASIDE  # even with a value in it: "talk to a person, it's A-10423" reaches a person
    if (
        fits
        and form == "order_status_form"
        and intent in TASKS
        and intent not in OWN_INTENTS.get(form, ())
        and confidence >= SWITCH_CONFIDENCE
    ):
        # "the first one, can you send it to my office instead: …" after "which order?": the order
        # named, and another task for it; a look-up is left for that task, which takes the order along.
        return LEAVE
    if fits:
        return None
    if _KEEP.search(text):
        return STOP
    sure = confidence >= SWITCH_CONFIDENCE
    if (intent == "goodbye" and sure) or closing(text):
        return LEAVE
    if intent == "thank" and sure and slot not in YES_NO_SLOTS:
        return LEAVE  # "ok thanks" to "which order?" is done; to "shall I go ahead?" it is unclear
    if intent in ANSWER_INTENTS.get(slot, ()):
        return None
    if intent in OWN_INTENTS.get(form, ()):
        # At a read-back the form's own request again ("no wait, return the headphones instead")
        # starts it afresh with what the new message says; elsewhere it is the answer, reworded.
        return LEAVE if slot in YES_NO_SLOTS and sure else None
    if intent in TASKS and sure:
        return LEAVE
    if intent in QUESTIONS and sure and _ASKS.search(text):
        return ASIDE
    if intent in ACKNOWLEDGEMENTS and slot not in YES_NO_SLOTS and slot != "feedback_comment":
        return REASK
    return None


def meant_as_answer(intent: str | None, confidence: float) -> bool:
    """Whether a rejected message counts as a failed answer (two hand the customer to a person)."""
    return intent not in REQUESTS or confidence < SWITCH_CONFIDENCE
