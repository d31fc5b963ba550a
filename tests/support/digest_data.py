"""Chat activity planted in the CRM for digest tests and the README screenshot.

`plant_activity` writes conversations, messages (some the assistant could not answer),
handoffs with claim and resolve times, and ratings, day by day, and returns what it planted
per day so a test can compare the digest's numbers with the truth.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter, defaultdict
from datetime import datetime, timedelta

from crm_store.db import UnitOfWork
from crm_store.models import (
    Conversation,
    Customer,
    Feedback,
    Flag,
    Handoff,
    Message,
    Segment,
    SegmentMembership,
    Ticket,
)

ANSWERED = [
    ("order_status", "where is my order A-10423"),
    ("return_item", "I want to return my shoes"),
    ("product_info", "is the desk lamp dimmable"),
    ("cancel_order", "please cancel my last order"),
    ("refund_status", "when do I get my refund"),
    ("greet", "hi there"),
]
UNANSWERED = {
    "shipping abroad": [
        "do you ship to switzerland",
        "do you deliver to Switzerland?",
        "shipping to switzerland possible?",
        "can you ship to norway",
    ],
    "paypal": ["can I pay with paypal", "do you take paypal", "paypal payment possible?"],
    "gift wrap": ["can you gift wrap my order", "is gift wrapping available", "gift wrap for a birthday present"],
    "invoice company": ["I need an invoice with my company VAT number", "invoice with VAT number please"],
}
HANDOFF_REASONS = ["customer asked for a person", "fallback", "complaint"]
# What customers wrote just before a person took over (classified, but not something the bot could settle).
BEFORE_HANDOFF = [
    "my parcel arrived broken and I want to speak to someone",
    "the discount code does not work at checkout",
    "discount code invalid at checkout",
    "I was charged twice, I want a person",
]
CHANNELS = ["telegram", "webchat", "rest"]


def _key() -> str:
    return uuid.uuid4().hex + uuid.uuid4().hex[:32]


def plant_activity(
    uow: UnitOfWork, until: datetime, days: int = 28, seed: int = 7, busy_last_day: float = 1.0
) -> dict[datetime, Counter]:
    """Plant `days` days of chat activity ending at `until` (exclusive, a midnight).
    The last day's volume is multiplied by busy_last_day. Returns per day start: Counter of
    conversations, conv:<channel>, messages, msg:<channel>, in, fallback, handoffs, ratings, rating_sum."""
    rng = random.Random(seed)
    planted: dict[datetime, Counter] = defaultdict(Counter)
    with uow:
        s = uow.session
        customer = Customer(
            name="Planted Customer",
            email=f"planted-{uuid.uuid4().hex[:8]}@example.com",
            created_at=until - timedelta(days=days + 1),
        )
        s.add(customer)
        s.flush()
        for d in range(days, 0, -1):
            day = until - timedelta(days=d)
            c = planted[day]
            n = round(rng.randint(8, 14) * (busy_last_day if d == 1 else 1))
            for _ in range(n):
                channel = rng.choices(CHANNELS, weights=[5, 3, 1])[0]
                start = day + timedelta(minutes=rng.randint(0, 23 * 60))
                conv = Conversation(
                    sender_id=f"p-{uuid.uuid4().hex[:12]}",
                    channel=channel,
                    customer_id=customer.id,
                    started_at=start,
                    last_event_at=start,
                    paused=False,
                    status="open",
                )
                s.add(conv)
                s.flush()
                c["conversations"] += 1
                c[f"conv:{channel}"] += 1
                at = start
                turns = rng.randint(1, 3)
                failed = rng.random() < 0.2
                for t in range(turns):
                    last = t == turns - 1
                    if last and failed:
                        topic = rng.choice(list(UNANSWERED))
                        intent, text = "nlu_fallback", rng.choice(UNANSWERED[topic])
                        c["fallback"] += 1
                    else:
                        intent, text = rng.choice(ANSWERED)
                    at += timedelta(seconds=rng.randint(5, 60))
                    s.add(
                        Message(
                            conversation_id=conv.id,
                            event_key=_key(),
                            direction="in",
                            text=text,
                            intent=intent,
                            confidence=0.3 if intent == "nlu_fallback" else 0.9,
                            sent_at=at,
                        )
                    )
                    at += timedelta(seconds=2)
                    s.add(
                        Message(conversation_id=conv.id, event_key=_key(), direction="out", text="(reply)", sent_at=at)
                    )
                    c["messages"] += 2
                    c[f"msg:{channel}"] += 2
                    c["in"] += 1
                if rng.random() < 0.25:
                    at += timedelta(seconds=30)
                    s.add(
                        Message(
                            conversation_id=conv.id,
                            event_key=_key(),
                            direction="in",
                            text=rng.choice(BEFORE_HANDOFF),
                            intent="request_human",
                            confidence=0.8,
                            sent_at=at,
                        )
                    )
                    c["messages"] += 1
                    c[f"msg:{channel}"] += 1
                    c["in"] += 1
                    requested = at + timedelta(seconds=5)
                    claimed = requested + timedelta(minutes=rng.randint(2, 40))
                    closed = claimed + timedelta(minutes=rng.randint(5, 90))
                    s.add(
                        Handoff(
                            conversation_id=conv.id,
                            reason=rng.choice(HANDOFF_REASONS),
                            status="resolved",
                            agent=rng.choice(["maria", "jonas"]),
                            requested_at=requested,
                            claimed_at=claimed,
                            closed_at=closed,
                        )
                    )
                    c["handoffs"] += 1
                if rng.random() < 0.3:
                    rating = rng.choice([3, 4, 5, 5])
                    s.add(
                        Feedback(
                            customer_id=customer.id,
                            conversation_id=conv.id,
                            rating=rating,
                            created_at=at + timedelta(minutes=1),
                        )
                    )
                    c["ratings"] += 1
                    c["rating_sum"] += rating
        uow.commit()
    return planted


def plant_flags_and_segments(uow: UnitOfWork, now: datetime) -> None:
    """What the analytics jobs would write: stalled flags on old open tickets, and two segments."""
    from sqlalchemy import select

    with uow:
        s = uow.session
        for ticket in s.scalars(
            select(Ticket).where(Ticket.status.in_(("open", "waiting"))).order_by(Ticket.stage_entered_at).limit(6)
        ):
            s.add(
                Flag(
                    process="ticket",
                    process_id=ticket.id,
                    kind="stalled",
                    reason=f"{ticket.status.replace('_', ' ')} longer than 2 days",
                    raised_at=now - timedelta(hours=6),
                )
            )
        customers = s.scalars(select(Customer.id).order_by(Customer.id).limit(40)).all()
        loyal = Segment(name="loyal", description="ordered 3+ times", created_at=now - timedelta(days=30))
        at_risk = Segment(name="at risk", description="no order for 6 months", created_at=now - timedelta(days=30))
        s.add_all([loyal, at_risk])
        s.flush()
        for i, cid in enumerate(customers):
            seg = loyal if i % 3 == 0 else at_risk
            when = now - timedelta(days=10) if i % 7 else now - timedelta(hours=12)
            s.add(SegmentMembership(segment_id=seg.id, customer_id=cid, score=1.0, assigned_at=when))
        uow.commit()
