"""An abandoned form's follow-up, with the whole system running: found by one process, sent by
another through the customer's own channel (Telegram, the local fake), and only once."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import insert, select

from crm_store.models import ChannelIdentity, Conversation, ConversationEvent, FollowUp, JobRun
from tests.e2e.test_telegram_stack import post_update, replies_to, text_update
from tests.integration.test_cli import crmbot
from tests.support.queries import messages_of
from bot.local_stack import Stack, eventually

pytestmark = pytest.mark.e2e

TEXT = "You were starting a return for A-10423: shall we finish it?"  # "hello": an English conversation


def test_abandoned_form_gets_one_follow_up_across_process_restarts(stack: Stack, telegram):  # type: ignore[no-untyped-def]
    chat_id = random.randint(10**8, 10**9)
    post_update(stack, text_update(chat_id, "hello"))
    eventually(lambda: replies_to(telegram, chat_id), timeout=60)
    with stack.engine.begin() as conn:
        customer_id = eventually(
            lambda: conn.execute(
                select(ChannelIdentity.customer_id).where(
                    ChannelIdentity.channel == "telegram", ChannelIdentity.external_id == str(chat_id)
                )
            ).scalar()
        )
        conversation_id = conn.execute(
            select(Conversation.id)
            .where(Conversation.sender_id == str(chat_id))
            .order_by(Conversation.last_event_at.desc(), Conversation.id.desc())
            .limit(1)
        ).scalar_one()
        started = datetime.utcnow() - timedelta(hours=30)  # the customer left a return form a day ago
        for kind, name, payload, at in (
            ("slot", "order_id", {"value": "A-10423"}, started),
            ("active_loop", "return_form", {}, started + timedelta(seconds=1)),
        ):
            conn.execute(
                insert(ConversationEvent).values(
                    conversation_id=conversation_id,
                    event_key=uuid.uuid4().hex,
                    kind=kind,
                    name=name,
                    payload=payload,
                    occurred_at=at,
                )
            )
    env = {**stack.env, "LOG_LEVEL": "WARNING"}

    flagged = crmbot("job", "run", "flag_stalled", **env)
    first = crmbot("job", "run", "send_follow_ups", **env)
    second = crmbot("job", "run", "send_follow_ups", **env)

    assert "follow_ups: 1" in flagged.stdout, flagged.stdout + flagged.stderr
    assert "sent: 0" in second.stdout, second.stdout + second.stderr
    if "sent: 1" not in first.stdout:
        # The stack's own scheduler runs send_follow_ups every five minutes: a fire time that
        # fell between the two commands (on a busy machine it runs late) sent it first, once.
        with stack.engine.connect() as conn:
            runs = conn.execute(
                select(JobRun.summary).where(
                    JobRun.job == "send_follow_ups", JobRun.scheduled_for.is_not(None), JobRun.status == "ok"
                )
            ).scalars()
            scheduler_sent = sum(int((summary or {}).get("sent", 0)) for summary in runs)
        assert "sent: 0" in first.stdout and scheduler_sent >= 1, first.stdout + first.stderr
    assert eventually(lambda: TEXT in replies_to(telegram, chat_id))
    assert replies_to(telegram, chat_id).count(TEXT) == 1
    with stack.engine.connect() as conn:
        row = conn.execute(
            select(FollowUp.status, FollowUp.channel, FollowUp.customer_id).where(
                FollowUp.conversation_id == conversation_id
            )
        ).one()
    assert tuple(row) == ("sent", "telegram", customer_id)
    assert eventually(lambda: [m for m in messages_of(stack.engine, str(chat_id)) if m["text"] == TEXT])
