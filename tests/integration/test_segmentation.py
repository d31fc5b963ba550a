"""Segmentation on a planted customer base: three behaviours the job must find, name, keep
named across runs, and record moves between."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from analytics.jobs import get_job, run_job
from crm_store.models import Conversation, Customer, Handoff, Order, Segment, SegmentChange, SegmentMembership, Ticket
from crm_store.db import UnitOfWork
from crm_store.services.segments import segment_of
from crm_store.settings import Settings

NOW = datetime(2026, 11, 30, 12, 0, 0)
GROUP = 60


def plant(engine, now: datetime = NOW) -> dict[str, list[int]]:  # type: ignore[no-untyped-def]
    """loyal: many recent, large orders; lapsed: a few small orders a year ago; support: tickets and handoffs
    (as seen at `now`)."""
    rng = random.Random(5)
    groups: dict[str, list[int]] = {"champions": [], "hibernating": [], "support-heavy": []}
    orders, tickets, handoffs = [], [], []
    with engine.begin() as conn:
        for name, ids in groups.items():
            for _ in range(GROUP):
                cid = conn.execute(
                    insert(Customer).values(
                        name="x",
                        email=f"{uuid.uuid4().hex[:12]}@example.com",
                        created_at=now - timedelta(days=rng.randint(500, 700)),
                    )
                ).inserted_primary_key[0]
                ids.append(cid)
                if name == "champions":
                    spans = [(rng.randint(1, 60), rng.randint(150, 400)) for _ in range(rng.randint(10, 14))]
                elif name == "hibernating":
                    spans = [(rng.randint(300, 450), rng.randint(20, 60)) for _ in range(rng.randint(1, 3))]
                else:
                    spans = [(rng.randint(60, 120), rng.randint(20, 60)) for _ in range(rng.randint(1, 2))]
                    tickets += [
                        {
                            "customer_id": cid,
                            "subject": "help",
                            "status": "open",
                            "stage_entered_at": now,
                            "created_at": now,
                        }
                        for _ in range(rng.randint(5, 8))
                    ]
                    conv = conn.execute(
                        insert(Conversation).values(
                            sender_id=uuid.uuid4().hex,
                            channel="webchat",
                            customer_id=cid,
                            started_at=now,
                            last_event_at=now,
                            paused=False,
                            status="open",
                        )
                    ).inserted_primary_key[0]
                    handoffs += [
                        {"conversation_id": conv, "status": "resolved", "requested_at": now}
                        for _ in range(rng.randint(3, 5))
                    ]
                for days, total in spans:
                    at = now - timedelta(days=days)
                    orders.append(
                        {
                            "number": f"P-{uuid.uuid4().hex[:10]}",
                            "customer_id": cid,
                            "status": "delivered",
                            "stage_entered_at": at,
                            "placed_at": at,
                            "total": total,
                        }
                    )
        conn.execute(insert(Order), orders)
        conn.execute(insert(Ticket), tickets)
        conn.execute(insert(Handoff), handoffs)
    return groups


def memberships(engine) -> dict[int, str]:  # type: ignore[no-untyped-def]
    with Session(engine, future=True) as s:
        rows = s.execute(
            select(SegmentMembership.customer_id, Segment.name).join(
                Segment, Segment.id == SegmentMembership.segment_id
            )
        ).all()
    return dict(rows)


def run(engine, now=NOW):  # type: ignore[no-untyped-def]
    result = run_job(get_job("segment_customers"), Settings(segment_max_k=6), engine, now)
    assert result.status == "ok", result.error
    return result


def buy_like_a_loyal_customer(engine, customer_id: int, now: datetime) -> None:  # type: ignore[no-untyped-def]
    """A lapsed customer comes back: twelve large orders in the twelve days before `now`."""
    with engine.begin() as conn:
        conn.execute(
            insert(Order),
            [
                {
                    "number": f"M-{uuid.uuid4().hex[:10]}",
                    "customer_id": customer_id,
                    "status": "delivered",
                    "stage_entered_at": now - timedelta(days=d),
                    "placed_at": now - timedelta(days=d),
                    "total": 300,
                }
                for d in range(1, 13)
            ],
        )


def test_the_job_finds_the_planted_segments_and_names_them(engine):
    groups = plant(engine)

    result = run(engine)

    assert result.summary["k"] == 3
    assigned = memberships(engine)
    for name, ids in groups.items():
        assert Counter(assigned[c] for c in ids) == Counter({name: GROUP}), name
    assert set(result.summary["gmm_comparison"]) == {
        "kmeans_silhouette",
        "gmm_silhouette",
        "adjusted_rand_kmeans_vs_gmm",
    }
    assert result.summary["missing_left_missing"]["csat"] == 3 * GROUP  # nobody rated: left missing, and counted


def test_names_persist_across_runs_and_a_move_is_recorded(engine):
    groups = plant(engine)
    run(engine)
    first_ids = dict(memberships(engine))
    mover = groups["hibernating"][0]
    buy_like_a_loyal_customer(engine, mover, NOW)

    again = run(engine, NOW + timedelta(days=1))

    after = memberships(engine)
    assert after[mover] == "champions"
    assert {c: n for c, n in after.items() if c != mover} == {c: n for c, n in first_ids.items() if c != mover}
    assert again.summary["moved"] == 1 and again.summary["kept_names"] == 3
    with Session(engine, future=True) as s:
        names = dict(s.execute(select(Segment.id, Segment.name)).all())
        change = s.execute(
            select(SegmentChange.from_segment_id, SegmentChange.to_segment_id, SegmentChange.changed_at)
            .where(SegmentChange.customer_id == mover)
            .order_by(SegmentChange.id)
        ).all()
        row = s.scalars(select(SegmentMembership).where(SegmentMembership.customer_id == mover)).one()
    assert [(names.get(a), names[b]) for a, b, _ in change] == [(None, "hibernating"), ("hibernating", "champions")]
    assert change[-1][2] == NOW + timedelta(days=1)
    assert names[row.previous_segment_id] == "hibernating"
    view = segment_of(UnitOfWork(engine), mover)
    assert (view.name, view.previous, view.since) == ("champions", "hibernating", NOW + timedelta(days=1))
