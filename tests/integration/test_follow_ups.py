"""Follow-up delivery when the channel is down or the customer cannot be reached.
(Delivery through a running assistant is in tests/e2e/test_follow_ups.py.)"""

from __future__ import annotations

import socket
from datetime import datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from analytics.jobs import get_job, run_job
from crm_store.models import FollowUp
from crm_store.settings import Settings
from tests.support import planted

NOW = datetime(2026, 11, 30, 12, 0, 0)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def follow_up(engine, channel: str | None) -> int:  # type: ignore[no-untyped-def]
    with Session(engine, future=True) as s:
        customer = planted.customer(s, NOW)
        if channel:
            planted.conversation(s, customer, NOW, channel=channel)
        s.commit()
        cid = customer.id
    with engine.begin() as conn:
        return conn.execute(
            insert(FollowUp).values(
                source_key=f"test:{cid}",
                kind="abandoned_form",
                customer_id=cid,
                text="You were starting a return: shall we finish it?",
                due_at=NOW,
                status="pending",
                attempts=0,
                created_at=NOW,
            )
        ).inserted_primary_key[0]


def test_a_channel_that_is_down_is_retried_later_and_an_unreachable_customer_is_final(engine):
    waiting = follow_up(engine, "webchat")
    unreachable = follow_up(engine, None)
    settings = Settings(rasa_port=closed_port())

    result = run_job(get_job("send_follow_ups"), settings, engine, NOW)

    assert result.status == "ok" and result.summary == {"sent": 0, "retrying": 1, "failed": 1, "as_of": NOW.isoformat()}
    with Session(engine, future=True) as s:
        rows = {f.id: f for f in s.scalars(select(FollowUp))}
    assert (rows[waiting].status, rows[waiting].attempts, rows[waiting].due_at) == (
        "pending",
        1,
        NOW + timedelta(minutes=15),
    )
    assert "cannot be reached" in rows[waiting].last_error
    assert rows[unreachable].status == "failed" and "no conversation" in rows[unreachable].last_error
    # Not due yet: the next run leaves it alone; once due, it is tried again.
    assert run_job(get_job("send_follow_ups"), settings, engine, NOW + timedelta(minutes=5)).summary["retrying"] == 0
    assert run_job(get_job("send_follow_ups"), settings, engine, NOW + timedelta(minutes=16)).summary["retrying"] == 1
