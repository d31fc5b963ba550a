"""Two questions in one message: which FAQ answers a multi-intent message gets."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.questions import ActionAnswerQuestions, faq_topics


def latest(intent: str, ranking: list[tuple[str, float]]) -> dict:
    return {
        "intent": {"name": intent, "confidence": 0.8},
        "response_selector": {
            "faq": {"ranking": [{"intent_response_key": key, "confidence": share} for key, share in ranking]}
        },
    }


def test_two_faq_questions_get_the_two_best_ranked_topics():
    message = latest(
        "faq+faq", [("faq/shipping_countries", 0.55), ("faq/delivery_time", 0.4), ("faq/shipping_cost", 0.05)]
    )

    assert faq_topics(message) == ["faq/shipping_countries", "faq/delivery_time"]


def test_a_second_topic_that_stands_out_from_the_rest_is_answered():
    message = latest("faq+faq", [("faq/shipping_cost", 0.97), ("faq/payment_methods", 0.02), ("faq/contact", 0.004)])

    assert faq_topics(message) == ["faq/shipping_cost", "faq/payment_methods"]


def test_a_second_topic_no_better_than_the_rest_is_not_answered():
    message = latest(
        "faq+faq",
        [("faq/delivery_time", 0.95), ("faq/shipping_cost", 0.02), ("faq/contact", 0.015), ("faq/warranty", 0.015)],
    )

    assert faq_topics(message) == ["faq/delivery_time"]


def test_order_status_with_a_question_takes_one_topic():
    message = latest("order_status+faq", [("faq/contact", 0.7), ("faq/opening_hours", 0.3)])

    assert faq_topics(message) == ["faq/contact"]


def test_the_action_utters_each_answer_in_turn():
    message = latest("faq+faq", [("faq/shipping_countries", 0.55), ("faq/delivery_time", 0.4)])
    tracker = Tracker("s", {}, message, [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()

    ActionAnswerQuestions().run(dispatcher, tracker, {})

    assert [m["response"] for m in dispatcher.messages] == ["utter_faq/shipping_countries", "utter_faq/delivery_time"]
