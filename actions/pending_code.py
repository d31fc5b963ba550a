"""Whether a one-time code is expected: from the moment the assistant said it sent one until it was
used, read back from the session's bot messages (so no slot is needed).

The skills ask this before reading digits as an order number; this module imports only actions.common.
"""

from __future__ import annotations

from rasa_sdk import Tracker

from actions.common import session_events
from actions.phrasebook import SENTENCES

CODE_SENT = {"utter_link_code_sent", "utter_forget_code_sent", "utter_reauth_needed"}
CODE_DONE = {"utter_account_linked", "utter_forget_requested", "utter_reauth_ok", "utter_code_too_many"}
# Said by the email-only flow (a text message, no response name), in the customer's language.
EMAIL_CODE_SENT = tuple(SENTENCES["email_code_marker"].values())


def _utter(event: dict) -> str:
    return str((event.get("metadata") or {}).get("utter_action") or "")


def code_expected(tracker: Tracker) -> bool:
    """Whether the assistant sent a code in this session that has not been used yet."""
    for event in reversed(session_events(tracker)):
        if event.get("event") != "bot":
            continue
        if _utter(event) in CODE_DONE:
            return False
        if _utter(event) in CODE_SENT or any(marker in (event.get("text") or "") for marker in EMAIL_CODE_SENT):
            return True
    return False
