"""Read-only look-ups tests use to assert on rows."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from crm_store.models import Base, Conversation, Message


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in Base.metadata.tables.items()
        }


def messages_of(engine: Engine, sender: str) -> list[dict]:
    stmt = (
        select(
            Message.direction,
            Message.text,
            Message.intent,
            Message.confidence,
            Message.action,
            Message.entities,
            Conversation.customer_id,
            Conversation.channel,
        )
        .join(Conversation, Message.conversation_id == Conversation.id)
        .where(Conversation.sender_id == sender)
        .order_by(Message.sent_at, Message.id)
    )
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]
