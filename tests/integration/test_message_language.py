"""The language of each customer message in the CRM: ingestion stores it from the
parse data, and the handoff queue shows the customer's language to agents."""

from __future__ import annotations

import time
from datetime import datetime

from sqlalchemy import select

from crm_store.ingestion.events import ingest
from crm_store.models import Conversation, Message
from crm_store.services import handoff_queue, handoffs
from tests.support.events import unique_sender, user_uttered


def said(sender: str, text: str, language: dict | None, ts: float) -> dict:
    event = user_uttered(sender, text, ts=ts)
    if language is not None:
        event["parse_data"]["language"] = language
    return event


def languages_of(engine, sender: str) -> list[str | None]:
    stmt = (
        select(Message.language)
        .join(Conversation, Message.conversation_id == Conversation.id)
        .where(Conversation.sender_id == sender)
        .order_by(Message.sent_at, Message.id)
    )
    with engine.connect() as conn:
        return list(conn.execute(stmt).scalars())


def test_ingestion_stores_the_language_and_none_when_it_could_not_tell(uow_factory, engine):
    sender, t = unique_sender(), time.time()
    for i, (text, language) in enumerate(
        [
            ("wo ist meine bestellung bitte", {"code": "de", "confidence": 0.97}),
            ("A-10423", {"code": "en", "confidence": None}),  # too short to tell
            ("hello", None),  # a model without the detector
        ]
    ):
        ingest(uow_factory(), said(sender, text, language, t + i))

    assert languages_of(engine, sender) == ["de", None, None]


def test_the_handoff_queue_shows_the_customers_language(uow_factory):
    sender, t = unique_sender(), time.time()
    ingest(uow_factory(), said(sender, "je voudrais retourner mon colis", {"code": "fr", "confidence": 0.87}, t))
    ingest(uow_factory(), said(sender, "ok", {"code": "en", "confidence": None}, t + 1))

    handoff = handoffs.request_handoff(uow_factory(), sender, "asked for a person", datetime.utcnow())

    (item,) = [i for i in handoff_queue.queue(uow_factory()) if i.handoff_id == handoff.id]
    assert item.language == "fr"
