"""The demo's conversations go through the real ingestion path, belong to seeded customers,
and give a first digest something to report."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from analytics.digest import build_digest, last_complete, render_text
from crm_store.db import UnitOfWork
from crm_store.demo_chats import seed_conversations
from crm_store.models import Conversation, Message
from crm_store.seed import seed

NOW = datetime(2026, 11, 30, 7, 0)


def test_a_seeded_crm_has_weeks_of_conversations_for_the_digest(engine):
    seed(UnitOfWork(engine), size=40, now=NOW)

    stored = seed_conversations(UnitOfWork(engine), NOW, weeks=3)

    with engine.connect() as conn:
        conversations = conn.scalar(select(func.count()).select_from(Conversation))
        linked = conn.scalar(
            select(func.count()).select_from(Conversation).where(Conversation.customer_id.is_not(None))
        )
        messages = conn.scalar(select(func.count()).select_from(Message))
        fallbacks = conn.scalar(select(func.count()).select_from(Message).where(Message.intent == "nlu_fallback"))
    assert stored == conversations >= 3 * 7 * 3 and messages == 2 * conversations
    assert linked == conversations and fallbacks > 0
    digest = build_digest(UnitOfWork(engine), last_complete("week", NOW), NOW)
    assert digest.kpis["conversations"] > 0 and digest.unanswered
    assert "No conversations in this period" not in render_text(digest)
