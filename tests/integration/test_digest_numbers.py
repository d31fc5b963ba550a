"""The digest's numbers for a finished week: checked against SQL, the same on a second run
after more happened, with the flag's owner, and no claims over empty data."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import insert, text

from analytics.digest import build_digest, last_complete, render_html, render_text
from analytics.digest.links import email_from_token, links_for, manage_token
from analytics.stalled import KIND
from crm_store.db import UnitOfWork
from crm_store.models import Customer, Flag, Order, StageHistory
from crm_store.settings import Settings

NOW = datetime(2026, 11, 30, 7, 0)  # Monday: the week of 23-29 November has ended
WEEK = last_complete("week", NOW)


def _order(conn, cid: int, at: datetime, total: float, cancelled_at: datetime | None = None) -> int:  # type: ignore[no-untyped-def]
    oid = conn.execute(
        insert(Order).values(
            number=f"D-{uuid.uuid4().hex[:8]}",
            customer_id=cid,
            status="cancelled" if cancelled_at else "paid",
            stage_entered_at=cancelled_at or at,
            placed_at=at,
            total=total,
        )
    ).inserted_primary_key[0]
    conn.execute(insert(StageHistory).values(process="order", process_id=oid, stage="pending", entered_at=at))
    if cancelled_at:
        conn.execute(
            insert(StageHistory).values(process="order", process_id=oid, stage="cancelled", entered_at=cancelled_at)
        )
    return oid


def _credit(conn, cid: int, at: datetime, total: float, credit_for: int | None = None) -> None:  # type: ignore[no-untyped-def]
    conn.execute(
        insert(Order).values(
            number=f"C-{uuid.uuid4().hex[:8]}",
            customer_id=cid,
            status="cancelled",
            stage_entered_at=at,
            placed_at=at,
            total=total,
            kind="credit_note",
            credit_for_order_id=credit_for,
        )
    )


def plant(engine) -> int:  # type: ignore[no-untyped-def]
    start = WEEK.start
    with engine.begin() as conn:
        cid = conn.execute(
            insert(Customer).values(
                name="Lydia Byrne", email=f"{uuid.uuid4().hex[:8]}@example.com", created_at=start - timedelta(days=90)
            )
        ).inserted_primary_key[0]
        for day, total in ((0, 10.0), (1, 20.0), (2, 30.0)):
            _order(conn, cid, start + timedelta(days=day, hours=9), total)
        gone = _order(conn, cid, start + timedelta(days=3), 100.0, cancelled_at=start + timedelta(days=4))  # no sale
        # Credit notes as an import makes them: the mirror of that cancelled order (already no sale,
        # so it takes nothing more off), and a cancellation invoice of 5.00 (comes off the revenue,
        # is no order placed).
        _credit(conn, cid, start + timedelta(days=4), -100.0, credit_for=gone)
        _credit(conn, cid, start + timedelta(days=4, hours=2), -5.0)
        _order(
            conn, cid, start + timedelta(days=5), 40.0, cancelled_at=start + timedelta(days=9)
        )  # cancelled next week
        _order(conn, cid, start - timedelta(days=3), 500.0)  # the week before
        stuck = _order(conn, cid, start - timedelta(days=6), 15.0)
        conn.execute(
            insert(Flag).values(
                process="order",
                process_id=stuck,
                kind=KIND,
                reason="pending for 6 days",
                raised_at=start + timedelta(days=1),
                stage="pending",
                owner="returns desk",
                customer_id=cid,
                stage_entered_at=start - timedelta(days=6),
                threshold_hours=48,
            )
        )
    return cid


def sql_sales(engine) -> tuple[float, int, float]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT SUM(total), SUM(CASE WHEN kind = 'order' THEN 1 ELSE 0 END), "
                "SUM(CASE WHEN kind = 'order' THEN total ELSE 0 END) FROM orders "
                "WHERE placed_at >= :s AND placed_at < :e AND ("
                "(kind = 'order' AND id NOT IN (SELECT process_id FROM stage_history WHERE process = 'order' "
                "AND stage = 'cancelled' AND entered_at < :e)) OR (kind = 'credit_note' AND "
                "(credit_for_order_id IS NULL OR credit_for_order_id NOT IN (SELECT id FROM orders WHERE status = 'cancelled'))))"
            ),
            {"s": WEEK.start.isoformat(sep=" "), "e": WEEK.end.isoformat(sep=" ")},
        ).one()
    return float(row[0]), int(row[1]), float(row[2])


def test_a_finished_week_reads_the_same_twice_and_matches_sql(engine):
    cid = plant(engine)

    first = build_digest(UnitOfWork(engine), WEEK, NOW)
    with engine.begin() as conn:  # what happens after the week must not change it
        _order(conn, cid, WEEK.end + timedelta(hours=3), 999.0)
        conn.execute(text("UPDATE flags SET cleared_at = :c"), {"c": (WEEK.end + timedelta(days=1)).isoformat(sep=" ")})
    second = build_digest(UnitOfWork(engine), WEEK, NOW + timedelta(days=2))

    revenue, sold, sales = sql_sales(engine)
    for digest in (first, second):
        assert digest.kpis["revenue"] == revenue == 95.0  # net of the 5.00 credit note
        assert digest.kpis["aov"] == revenue / sold == 23.75 and sales == 100.0
        assert digest.kpis["orders_opened"] == 5
        assert digest.previous["revenue"] == 515.0  # the week before: 500 and the stuck 15
        assert [(r.what.split()[0], r.owner, round(r.overdue or 0, 1)) for r in digest.stalled or []] == [
            ("order", "returns desk", 6.5)
        ]
    assert first.kpis == second.kpis and first.stalled == second.stalled and first.open_flags == second.open_flags == 1
    text_ = render_text(first)
    assert "customer Lydia Byrne" not in text_ and "owner: returns desk" in text_
    assert "No conversations in this period: nothing to judge." in text_ and "Every question was answered" not in text_
    assert "Revenue" in text_ and "Average order value" in text_


def test_the_manage_link_is_signed_for_its_recipient(tmp_path):
    settings = Settings(
        console_secret="test-only-secret", console_url="https://crm.shop.example/console/", var_dir=str(tmp_path)
    )

    token = manage_token(settings, "Ops.Lead@Shop.example")
    links = links_for(settings, "ops.lead@shop.example")

    assert email_from_token(settings, token) == "ops.lead@shop.example"
    assert email_from_token(settings, token[:-2] + "xx") is None
    assert email_from_token(Settings(console_secret="another", var_dir=str(tmp_path)), token) is None
    assert links.manage == f"https://crm.shop.example/console/digest/manage?t={token}"


def test_csat_counts_the_rating_after_a_hand_back_as_well_as_the_feedback_form(engine):
    from analytics.digest.kpis import core_kpis
    from crm_store.models import Conversation, Feedback, Handoff

    start = WEEK.start
    with engine.begin() as conn:
        cid = conn.execute(
            insert(Customer).values(
                name="Rita Moss", email=f"{uuid.uuid4().hex[:8]}@example.com", created_at=start - timedelta(days=30)
            )
        ).inserted_primary_key[0]
        conv = conn.execute(
            insert(Conversation).values(
                sender_id=uuid.uuid4().hex,
                customer_id=cid,
                channel="webchat",
                started_at=start + timedelta(days=1),
                last_event_at=start + timedelta(days=1),
                paused=False,
                status="open",
            )
        ).inserted_primary_key[0]
        at = start + timedelta(days=1, hours=1)
        conn.execute(
            insert(Handoff).values(
                conversation_id=conv,
                reason="asked for a person",
                status="resolved",
                agent="agent",
                requested_at=at,
                claimed_at=at + timedelta(minutes=2),
                closed_at=at + timedelta(minutes=9),
                priority="normal",
                csat=5,
                csat_at=at + timedelta(minutes=10),
            )
        )
        conn.execute(
            insert(Handoff).values(
                conversation_id=conv,
                reason="rated the week before",
                status="resolved",
                agent="agent",
                requested_at=start - timedelta(days=2),
                closed_at=start - timedelta(days=2),
                priority="normal",
                csat=1,
                csat_at=start - timedelta(days=2),
            )
        )
        conn.execute(
            insert(Feedback).values(
                customer_id=cid, conversation_id=conv, rating=2, created_at=start + timedelta(days=2)
            )
        )

    with UnitOfWork(engine) as uow:
        kpis = core_kpis(uow.session, WEEK)

    assert kpis["ratings"] == 2
    assert kpis["csat"] == 3.5


def test_revenue_and_order_value_are_written_in_the_shops_currency(engine):
    plant(engine)

    euro = render_text(build_digest(UnitOfWork(engine), WEEK, NOW, currency="EUR", locale="de_DE"))
    pound = build_digest(UnitOfWork(engine), WEEK, NOW, currency="GBP", locale="en_GB")
    text_, html = render_text(pound), render_html(pound)

    assert _kpi_line(euro, "Revenue").split()[1:3] == ["95,00", "€"]  # net of a 5.00 credit note
    assert _kpi_line(euro, "Average order value").split()[3:5] == ["23,75", "€"]
    assert _kpi_line(text_, "Revenue").split()[1] == "£95.00"
    assert "−£420.00 (−82%)" in _kpi_line(text_, "Revenue")  # against the week before's £515.00
    assert "£23.75" in html and "£95.00" in html


def _kpi_line(text_: str, label: str) -> str:
    return next(line for line in text_.splitlines() if line.strip().startswith(label + " "))
