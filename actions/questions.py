"""Two questions in one message (multi-intents such as faq+faq, nlu/data/multi_intent.yml).

The classifier ranks the FAQ topics of the whole message in `response_selector`; a message
labelled faq+faq asks two of them, so the two best-ranked topics are answered, in turn.
The first topic often takes most of the ranking ("how much is shipping and can I pay with
PayPal": shipping cost 0.97, payment methods 0.02, the rest 0.00), so a further topic counts
when it has MIN_SHARE, or when it stands out from the topics after it (STANDOUT times the next
one, and at least FLOOR). Otherwise only the first is answered.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

MULTI_INTENT_SEPARATOR = "+"
MIN_SHARE = 0.1
STANDOUT = 3.0
FLOOR = 0.01


def faq_topics(latest_message: dict[str, Any]) -> list[str]:
    """The FAQ response keys (faq/delivery_time, ...) the message asks, best first."""
    intent = (latest_message.get("intent") or {}).get("name") or ""
    wanted = intent.split(MULTI_INTENT_SEPARATOR).count("faq")
    faq = (latest_message.get("response_selector") or {}).get("faq") or {}
    ranking = faq.get("ranking") or []
    shares = [(entry.get("intent_response_key"), float(entry.get("confidence") or 0.0)) for entry in ranking]
    topics: list[str] = []
    for index, (key, share) in enumerate(shares):
        if len(topics) == wanted or not key:
            break
        after = shares[index + 1][1] if index + 1 < len(shares) else 0.0
        if topics and share < MIN_SHARE and (share < FLOOR or share < STANDOUT * after):
            break
        if key not in topics:
            topics.append(key)
    return topics


class ActionAnswerQuestions(Action):
    def name(self) -> str:
        return "action_answer_questions"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        topics = faq_topics(tracker.latest_message)
        if not topics:
            dispatcher.utter_message(response="utter_default")
        for key in topics:
            dispatcher.utter_message(response=f"utter_{key}")
        return []
