"""The `language` slot: which language the assistant answers in, decided on every message.

Run by Rasa after each message as the custom mapping of the `language` slot (domain.yml).
The message's detected language (nlu/components/language.py puts it in the parse data)
switches the conversation only when the evidence is strong: a message of at least three
words of letters (the detector gives no confidence for less) with a confidence of at least
SWITCH_CONFIDENCE. "ok", "ja", an order number or a product name keep the language of
the conversation; a full German sentence switches to German. While the conversation has had
no language but English (the slot still unset), the detector's word is enough: it names a
language other than English only on a clear majority or on that language's own function
words with no English ones, and lingua's share for a short first message ("Où est mon
colis ?") can be as low as 0.3 with nothing else close. Asking to go back to English
("can we speak English?", "auf Englisch bitte": intent continue_in_english) always does.
Languages the assistant does not speak never change the slot: those messages get the polite
reply of actions/languages.py.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.locales import SERVED_LANGUAGES

log = logging.getLogger(__name__)

SLOT = "language"
# Lingua's confidences are shares among eight candidate languages. The detector already
# holds German, French and Spanish to a clear majority with (almost) nothing for English;
# a plain English sentence ("where is my order") gets about 0.5, a mixed one less.
SWITCH_CONFIDENCE = 0.45
BACK_TO_ENGLISH_INTENT = "continue_in_english"


def chosen_language(current: str | None, detected: Any, intent: str | None) -> str | None:
    """The conversation's language after this message, or None when it stays as it is."""
    if intent == BACK_TO_ENGLISH_INTENT:
        return "en" if current not in (None, "en") else None
    if not isinstance(detected, dict):
        return None
    code, confidence = detected.get("code"), detected.get("confidence")
    if code not in SERVED_LANGUAGES or not isinstance(confidence, (int, float)):
        return None
    if code == (current or "en") or (current is not None and confidence < SWITCH_CONFIDENCE):
        return None
    return str(code)


class ActionDetectLanguage(Action):
    def name(self) -> str:
        return "action_detect_language"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        message = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name")
        code = chosen_language(tracker.get_slot(SLOT), message.get("language"), intent)
        if code is None:
            return []
        log.info("conversation language switched", extra={"sender_id": tracker.sender_id, "language": code})
        return [SlotSet(SLOT, code)]
