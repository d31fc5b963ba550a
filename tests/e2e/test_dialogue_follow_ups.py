"""Turns that lean on what was just said, through the running assistant (REST -> Rasa -> actions -> CRM):
"what can you do?", "cancel it" and "when will it arrive?" after a status answer, and "yes" where
the return form asks why."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from crm_store.models import Conversation, Handoff, Message, Order, Shipment
from bot.local_stack import Stack, eventually
from tests.e2e.test_skills import customer, rows, texts

pytestmark = pytest.mark.e2e


def test_what_can_you_do_gets_the_list_of_skills_not_small_talk(stack: Stack):
    sender, _, _ = customer(stack)

    reply = texts(stack.say(sender, "what can you do?"))

    assert "I can tell you where an order is" in reply and "cancel an order" in reply, stack.log()
    assert "I'm doing well" not in reply


def test_cancel_it_after_a_status_answer_reads_that_order_back(stack: Stack):
    sender, _, number = customer(stack, "paid")

    texts(stack.say(sender, f"where is my order {number}?"))
    reply = texts(stack.say(sender, "cancel it"))

    assert f"Order {number} (1 x yoga mat, 29.90 EUR) can still be cancelled" in reply, stack.log()
    assert (
        rows(stack, select(Order.status).where(Order.number == number))[0][0] == "paid"
    )  # nothing written before "yes"


def test_when_will_it_arrive_after_a_status_answer_gives_the_delivery_only(stack: Stack):
    sender, _, number = customer(stack, "shipped")
    eta = datetime.utcnow() + timedelta(days=3)
    with stack.engine.begin() as conn:
        order_id = conn.execute(select(Order.id).where(Order.number == number)).scalar_one()
        conn.execute(
            Shipment.__table__.insert().values(
                order_id=order_id,
                carrier="UPS",
                status="in_transit",
                tracking_url="https://track.example/e2e",
                eta=eta,
                dispatched_at=datetime.utcnow() - timedelta(days=1),
                delivery_attempts=0,
            )
        )

    status = texts(stack.say(sender, f"where is my order {number}?"))
    reply = texts(stack.say(sender, "when will it arrive?"))

    assert f"Order {number} (1 x yoga mat" in status
    assert "UPS" in reply and eta.strftime("%A") in reply and "https://track.example/e2e" in reply, stack.log()
    assert "1 x yoga mat" not in reply and "(since" not in reply


def test_yes_as_the_return_reason_is_asked_in_other_words_and_not_logged_as_not_understood(stack: Stack):
    sender, _, number = customer(stack, "delivered")

    why = texts(stack.say(sender, "I want to return an item"))
    again = stack.say(sender, "yes")
    done = texts(stack.say(sender, "it is the wrong size"))

    assert "Why are you returning it?" in why, stack.log()
    assert "Pick one of these" in texts(again) and "Why are you returning it?" not in texts(again)
    assert any(b.get("title") == "Wrong size" for r in again for b in r.get("buttons") or [])
    assert "reason: wrong size" in done  # the form went on to its read-back
    # The digest's "could not answer" list is fallback messages and the last one before a handoff.
    intents = eventually(
        lambda: rows(
            stack,
            select(Message.intent)
            .join(Conversation, Message.conversation_id == Conversation.id)
            .where(Conversation.sender_id == sender, Message.direction == "in", Message.text == "it is the wrong size"),
        )
    )
    yes = rows(
        stack,
        select(Message.intent)
        .join(Conversation, Message.conversation_id == Conversation.id)
        .where(Conversation.sender_id == sender, Message.direction == "in", Message.text == "yes"),
    )
    assert intents and yes and yes[0][0] != "nlu_fallback"
    assert (
        rows(
            stack,
            select(Handoff.id)
            .join(Conversation, Handoff.conversation_id == Conversation.id)
            .where(Conversation.sender_id == sender),
        )
        == []
    )


def test_a_fallback_the_assistant_answered_itself_leaves_no_suggestion_waiting(stack: Stack):
    # The classifier was unsure, but the message named an order, so the "did you mean ...?" step answered
    # with its status instead of a menu. The next message is a new turn, not an answer to a menu nobody saw.
    sender, _, number = customer(stack, "shipped")

    status = texts(stack.say(sender, '/nlu_fallback{"order_id": "%s"}' % number))
    reply = texts(stack.say(sender, "/out_of_scope"))

    assert f"Order {number}" in status and "Did you mean" not in status, stack.log()
    assert "Sorry, I can't help with that" in reply, stack.log()
    assert "say it in other words" not in reply
