"""Telegram -> Rasa -> action -> CRM, and an agent's message back by customer id,
with the whole system running against the local fake Bot API."""

from __future__ import annotations

import json
import random
import time
import urllib.error
import urllib.request

import pytest
from sqlalchemy import select

from bot.channels.push import CustomerUnreachable, send_to_customer
from crm_store.db import UnitOfWork
from crm_store.models import ChannelIdentity, Conversation, ConversationEvent
from crm_store.settings import reset_settings_cache
from tests.e2e.conftest import RASA_TOKEN, TELEGRAM_SECRET
from tests.e2e.test_order_status import customer_with_order
from tests.support.queries import messages_of
from bot.local_stack import Stack, eventually

pytestmark = pytest.mark.e2e


def post_update(stack: Stack, update: dict, secret: str | None = TELEGRAM_SECRET) -> int:
    headers = {"Content-Type": "application/json"}
    if secret:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    req = urllib.request.Request(
        f"{stack.rasa_url}/webhooks/telegram/webhook", data=json.dumps(update).encode(), headers=headers
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def text_update(chat_id: int, text: str) -> dict:
    return {
        "update_id": random.randint(1, 2**31),
        "message": {
            "message_id": random.randint(1, 10**6),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Grace"},
            "from": {
                "id": chat_id,
                "is_bot": False,
                "first_name": "Grace",
                "last_name": "Hopper",
                "language_code": "en",
            },
            "text": text,
        },
    }


def replies_to(telegram, chat_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    return [c["text"] for c in telegram.calls_to("sendMessage") if c.get("chat_id") == chat_id]


def test_order_status_over_telegram(stack: Stack, telegram):  # type: ignore[no-untyped-def]
    chat_id = random.randint(10**8, 10**9)
    sender, number = customer_with_order(stack, channel="telegram", sender=str(chat_id))

    status = post_update(stack, text_update(chat_id, f"hi, where is my order {number}?"))

    assert status == 200
    answers = eventually(lambda: replies_to(telegram, chat_id), timeout=60)
    assert any(f"Order {number} (" in a and ") is shipped" in a for a in answers), stack.log()
    rows = eventually(
        lambda: (
            [r for r in messages_of(stack.engine, sender) if r["direction"] == "out"]
            and messages_of(stack.engine, sender)
        )
    )
    assert rows[0]["channel"] == "telegram" and rows[0]["intent"] == "order_status"


def test_webhook_without_the_secret_is_refused_and_not_processed(stack: Stack, telegram):  # type: ignore[no-untyped-def]
    chat_id = random.randint(10**8, 10**9)

    status = post_update(stack, text_update(chat_id, "hello, without the secret"), secret=None)
    # The chat's next message, with the secret: Rasa takes one chat's messages in the order they came,
    # so once this one is answered and in the transcript, the refused one would have been too.
    accepted = post_update(stack, text_update(chat_id, "hello"))

    assert (status, accepted) == (403, 200)
    eventually(lambda: replies_to(telegram, chat_id), timeout=60)
    inbound = eventually(lambda: [r["text"] for r in messages_of(stack.engine, str(chat_id)) if r["direction"] == "in"])
    assert inbound == ["hello"]


def test_agent_message_reaches_the_customer_on_telegram_and_the_transcript(stack: Stack, telegram, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("RASA_AUTH_TOKEN", RASA_TOKEN)
    reset_settings_cache()
    monkeypatch.setattr("crm_store.settings._cached", None)
    chat_id = random.randint(10**8, 10**9)
    post_update(stack, text_update(chat_id, "hello"))
    sender = str(chat_id)
    eventually(lambda: replies_to(telegram, chat_id), timeout=60)
    with stack.engine.connect() as conn:
        customer_id = eventually(
            lambda: conn.execute(
                select(ChannelIdentity.customer_id).where(
                    ChannelIdentity.channel == "telegram", ChannelIdentity.external_id == sender
                )
            ).scalar()
        )

    channel = telegram.loop.run(
        send_to_customer(
            UnitOfWork(stack.engine), customer_id, "Your refund was approved today.", rasa_url=stack.rasa_url
        )
    )

    assert channel == "telegram"
    assert eventually(lambda: "Your refund was approved today." in replies_to(telegram, chat_id))
    transcript = eventually(
        lambda: [r for r in messages_of(stack.engine, sender) if r["text"] == "Your refund was approved today."]
    )
    assert transcript and transcript[0]["direction"] == "out"


def test_customer_without_a_push_channel_is_reported(stack: Stack, telegram):  # type: ignore[no-untyped-def]
    sender, _ = customer_with_order(stack)  # known on REST only
    with stack.engine.connect() as conn:
        customer_id = conn.execute(
            select(ChannelIdentity.customer_id).where(ChannelIdentity.external_id == sender)
        ).scalar()

    with pytest.raises(CustomerUnreachable):
        telegram.loop.run(send_to_customer(UnitOfWork(stack.engine), customer_id, "hello", rasa_url=stack.rasa_url))


def undelivered(stack: Stack, sender: str) -> list[dict]:
    """The payloads of the sender's `delivery_failed` events in the CRM."""
    with stack.engine.connect() as conn:
        return [
            row.payload
            for row in conn.execute(
                select(ConversationEvent.payload)
                .join(Conversation)
                .where(Conversation.sender_id == sender, ConversationEvent.kind == "delivery_failed")
            )
        ]


def outbound_rows(stack: Stack, sender: str) -> list[dict]:
    return [r for r in messages_of(stack.engine, sender) if r["direction"] == "out"]


def test_replies_to_a_chat_that_blocked_the_bot_are_recorded_as_undelivered(stack: Stack, telegram):  # type: ignore[no-untyped-def]
    chat_id = random.randint(10**8, 10**9)
    sender = str(chat_id)
    telegram.blocked.add(chat_id)

    status = post_update(stack, text_update(chat_id, "hello"))

    assert status == 200
    eventually(
        lambda: outbound_rows(stack, sender) and len(undelivered(stack, sender)) >= len(outbound_rows(stack, sender)),
        timeout=60,
    )
    first_turn = len(outbound_rows(stack, sender))
    # The chat unblocks the bot and writes again. Rasa takes one chat's turns in order and the CRM
    # keeps their events in order, so once the second turn is delivered and in the transcript, a
    # duplicate mark or a retried send of the first turn would be there too.
    telegram.blocked.discard(chat_id)
    post_update(stack, text_update(chat_id, "hello again"))
    eventually(
        lambda: (
            telegram.delivered_to(chat_id)
            and len(outbound_rows(stack, sender)) == first_turn + len(telegram.delivered_to(chat_id))
        ),
        timeout=60,
    )
    failed = undelivered(stack, sender)
    assert failed and all(f["permanent"] and f["error"] == "Forbidden" for f in failed), failed
    assert len(failed) == first_turn >= 1, "each reply of the blocked turn is marked as never delivered, once"
    sends = [c for c in telegram.calls_to("sendMessage") if c.get("chat_id") == chat_id]
    assert len(sends) == first_turn + len(telegram.delivered_to(chat_id)), "a blocked chat is not retried"
