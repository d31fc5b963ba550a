"""A few weeks of demo conversations for a seeded CRM, stored through the real ingestion path.

`crmbot seed` (and so `make run`) adds them after the customers and orders, so a new user's
first digest and the console's pages show real numbers. Each conversation is the tracker
events Rasa's broker would publish (session start, the customer's message with its parsed
intent, the assistant's reply), handed to `ingest_batch`; the customers write from a Telegram
or web chat identity linked to their CRM record. Deterministic for a seed: timestamps and
message ids are derived from it, so seeding twice would store nothing new.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select

from crm_store.db import UnitOfWork
from crm_store.models import ChannelIdentity, Customer

log = logging.getLogger(__name__)

# (intent, confidence, what the customer writes, what the assistant answers)
TURNS = [
    ("order_status", 0.95, "where is my order?", "Your order is on its way."),
    ("order_status", 0.91, "has my parcel shipped yet", "It shipped yesterday."),
    ("product_info", 0.9, "do you have the wireless earbuds in stock", "Yes, 12 are in stock."),
    ("return_request", 0.88, "I want to return my shoes", "I can start a return for you."),
    ("opening_hours", 0.93, "when are you open on saturday", "Saturdays 10:00 to 16:00."),
    ("nlu_fallback", 0.31, "is the desk lamp dimmable", "Sorry, I did not get that."),
    ("nlu_fallback", 0.27, "can I pay with a gift card from the shop in town", "Sorry, I did not get that."),
    ("nlu_fallback", 0.35, "do you deliver to the islands", "Sorry, I did not get that."),
]
PER_DAY = (3, 9)


def _ts(at: datetime) -> float:
    return at.replace(tzinfo=timezone.utc).timestamp()


def seed_conversations(uow: UnitOfWork, now: datetime, weeks: int = 4, seed: int = 42) -> int:
    """Conversations over the `weeks` before `now`; returns how many were stored."""
    from crm_store.ingestion.events import ingest_batch

    rng = random.Random(seed)
    with uow:
        customers = uow.session.scalars(select(Customer).order_by(Customer.id)).all()
        chatters = []
        for c in rng.sample(list(customers), k=min(len(customers), 30)):
            channel = rng.choice(["telegram", "telegram", "webchat"])
            sender = f"demo-{channel}-{seed}-{c.id}"
            uow.session.add(
                ChannelIdentity(
                    customer_id=c.id, channel=channel, external_id=sender, display_name=c.name, created_at=c.created_at
                )
            )
            chatters.append((sender, channel))
        uow.commit()
    stored = 0
    for day in range(weeks * 7, 0, -1):
        for n in range(rng.randint(*PER_DAY)):
            sender, channel = rng.choice(chatters)
            at = (now - timedelta(days=day)).replace(
                hour=rng.randint(8, 20), minute=rng.randint(0, 59), second=0, microsecond=0
            )
            intent, confidence, text, reply = rng.choice(TURNS)
            # A visit is a new Rasa session of the same sender: its own conversation row.
            events: list[Mapping[str, Any]] = [
                {"sender_id": sender, "event": "session_started", "timestamp": _ts(at)},
                {
                    "sender_id": sender,
                    "event": "user",
                    "timestamp": _ts(at + timedelta(seconds=5)),
                    "text": text,
                    "input_channel": channel,
                    "message_id": f"{sender}-{day}-{n}",
                    "metadata": {},
                    "parse_data": {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": []},
                },
                {
                    "sender_id": sender,
                    "event": "bot",
                    "timestamp": _ts(at + timedelta(seconds=6)),
                    "text": reply,
                    "data": {},
                    "metadata": {},
                },
            ]
            stored += int(ingest_batch(uow, events)[0])
    log.info("demo conversations stored", extra={"conversations": stored})
    return stored
