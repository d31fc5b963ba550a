"""Understanding (languages, two questions in one message, another business) through the running stack: a message in another language and
two questions in one message. Uses the session's stack (tests/e2e/conftest.py): no new processes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crm_store.models import Conversation, Message
from tests.support.events import unique_sender
from bot.local_stack import Stack, eventually

pytestmark = pytest.mark.e2e

SHIPPING_COUNTRIES = "We deliver to every EU country, Ireland included."
DELIVERY_TIME = "Delivery within the EU takes 2-4 working days after dispatch."
OPENING_HOURS = "Our support team is available Monday to Friday"


def texts(replies: list[dict]) -> str:
    return " ".join(r.get("text", "") for r in replies)


def test_a_message_in_a_language_we_do_not_speak_gets_one_reply_in_it_with_buttons(stack: Stack):
    # German, French and Spanish are served (tests/e2e/test_languages_stack.py); Italian is not.
    sender = unique_sender("lang")

    replies = stack.say(sender, "dov'è il mio ordine, aspetto da una settimana")

    assert len(replies) == 1, replies
    assert replies[0]["text"].startswith("Posso aiutarla in inglese, tedesco, francese o spagnolo"), stack.log()
    assert [b["payload"] for b in replies[0]["buttons"]] == ["/request_human", "/continue_in_english"]

    def stored() -> list[str | None]:
        with stack.engine.connect() as conn:
            return list(
                conn.execute(
                    select(Message.language)
                    .join(Conversation, Message.conversation_id == Conversation.id)
                    .where(Conversation.sender_id == sender, Message.direction == "in")
                ).scalars()
            )

    assert eventually(stored) == ["it"]
    assert "English" in texts(stack.say(sender, "/continue_in_english"))


def test_two_questions_in_one_message_get_both_answers(stack: Stack):
    replies = stack.say(unique_sender("multi"), "do you ship to Ireland and how long does it take?")

    answer = texts(replies)
    assert SHIPPING_COUNTRIES in answer and DELIVERY_TIME in answer, replies


def test_order_status_and_a_question_get_the_answer_then_the_order_question(stack: Stack):
    replies = stack.say(unique_sender("multi"), "where's my order? and when are you open")

    assert OPENING_HOURS in replies[0]["text"], replies
    assert "Which order is it about?" in texts(replies[1:]), replies
