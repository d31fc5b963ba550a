"""The stalled-process job on planted histories: it flags exactly the planted stalled items,
once, with readable reasons, and clears a flag when its process moves on."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from analytics.jobs import get_job, run_job
from crm_store import stages
from crm_store.models import ConversationEvent, Flag, FollowUp, Message, Return, StageThreshold
from crm_store.settings import Settings
from tests.support import planted

NOW = datetime(2026, 11, 30, 12, 0, 0)


def plant(engine):  # type: ignore[no-untyped-def]
    """Returns the ids the job must flag, and the return to move on later."""
    with Session(engine, future=True) as s:
        c = planted.customer(s, NOW)
        for days in range(1, 11):  # finished returns: "received" took 1..10 days, so its p90 is 9 days
            planted.process(
                s,
                "return",
                c,
                [("requested", 10), ("approved", 20), ("received", 24 * days), ("refunded", 1)],
                NOW - timedelta(days=40),
            )
        stalled_return = planted.process(
            s, "return", c, [("requested", 10), ("approved", 20), ("received", 24 * 12)], NOW, number="R-01042"
        )
        planted.process(s, "return", c, [("requested", 10), ("approved", 20), ("received", 24 * 5)], NOW)
        for _ in range(10):  # finished orders: packed took 24 h
            planted.process(
                s,
                "order",
                c,
                [("pending", 2), ("paid", 2), ("packed", 24), ("shipped", 48), ("delivered", 1)],
                NOW - timedelta(days=30),
            )
        stalled_order = planted.process(s, "order", c, [("pending", 2), ("paid", 2), ("packed", 50)], NOW)
        planted.process(s, "order", c, [("pending", 2), ("paid", 2), ("packed", 10)], NOW)
        stalled_ticket = planted.process(s, "ticket", c, [("open", 30)], NOW)  # SLA ticket.open=24
        planted.process(s, "ticket", c, [("open", 10)], NOW)
        # Only two finished in_progress stays: too few for a p90, and no SLA, so never flagged.
        for _ in range(2):
            planted.process(s, "ticket", c, [("open", 1), ("in_progress", 5), ("resolved", 1)], NOW - timedelta(days=3))
        planted.process(s, "ticket", c, [("open", 1), ("in_progress", 1000)], NOW)
        conv = planted.conversation(s, c, NOW)
        for _ in range(6):
            planted.handoff(s, conv, 100, NOW, claimed_after=1)
        stalled_handoff = planted.handoff(s, conv, 5, NOW)
        planted.handoff(s, planted.conversation(s, c, NOW), 0.5, NOW)
        abandoned = planted.conversation(s, c, NOW)
        planted.event(s, abandoned, "slot", "order_id", NOW - timedelta(hours=31), {"value": "A-10423"})
        form = planted.event(s, abandoned, "active_loop", "return_form", NOW - timedelta(hours=30))
        finished = planted.conversation(s, c, NOW)
        planted.event(s, finished, "active_loop", "lead_form", NOW - timedelta(hours=40))
        planted.event(s, finished, "active_loop", None, NOW - timedelta(hours=39))
        recent = planted.conversation(s, c, NOW)
        planted.event(s, recent, "active_loop", "return_form", NOW - timedelta(hours=2))
        anonymous = planted.conversation(s, None, NOW)
        anon_form = planted.event(s, anonymous, "active_loop", "cancel_order_form", NOW - timedelta(hours=30))
        s.commit()
        expected = {
            ("return", stalled_return.id),
            ("order", stalled_order.id),
            ("ticket", stalled_ticket.id),
            ("handoff", stalled_handoff.id),
            ("form", form.id),
            ("form", anon_form.id),
        }
        plant.abandoned = abandoned.id, form.id  # type: ignore[attr-defined]
        return expected, stalled_return.id


def open_flags(engine) -> dict[tuple[str, int], Flag]:  # type: ignore[no-untyped-def]
    with Session(engine, future=True) as s:
        rows = s.scalars(select(Flag).where(Flag.kind == "stalled", Flag.cleared_at.is_(None))).all()
        return {(f.process, f.process_id): f for f in rows}


def run(engine, now=NOW):  # type: ignore[no-untyped-def]
    settings = Settings(stage_slas="ticket.open=24", form_abandon_hours=24)
    result = run_job(get_job("flag_stalled"), settings, engine, now)
    assert result.status == "ok", result.error
    return result


def test_job_flags_exactly_the_planted_stalled_processes(engine):
    expected, _ = plant(engine)

    result = run(engine)

    flags = open_flags(engine)
    assert set(flags) == expected
    assert result.summary["raised"] == len(expected)
    ret = next(f for (p, _), f in flags.items() if p == "return")
    assert ret.reason == "return R-01042 waiting for refund 12 days, p90 for this stage is 9 days"
    assert ret.owner == "returns desk" and ret.stage == "received"
    assert NOW - ret.stage_entered_at == timedelta(days=12)
    ticket = next(f for (p, _), f in flags.items() if p == "ticket")
    assert ticket.reason.endswith("SLA for this stage is 24 hours")
    with Session(engine, future=True) as s:
        p90 = s.scalars(
            select(StageThreshold.p90_hours).where(
                StageThreshold.process == "return", StageThreshold.stage == "received"
            )
        ).one()
    assert p90 == 24 * 9


def test_a_second_run_raises_nothing_and_a_process_that_moves_on_is_cleared(engine):
    expected, return_id = plant(engine)
    run(engine)

    again = run(engine, NOW + timedelta(minutes=5))

    assert again.summary["raised"] == 0 and set(open_flags(engine)) == expected
    with Session(engine, future=True) as s:
        ret = s.get(Return, return_id)
        stages.move(s, "return", ret, "refunded", NOW + timedelta(minutes=10))
        s.commit()
        conversation_id, form_id = plant.abandoned  # type: ignore[attr-defined]
        # The customer came back and finished the form.
        s.add(
            ConversationEvent(
                conversation_id=conversation_id,
                event_key=uuid.uuid4().hex,
                kind="active_loop",
                name=None,
                payload={},
                occurred_at=NOW + timedelta(minutes=12),
            )
        )
        s.commit()
    later = run(engine, NOW + timedelta(minutes=15))
    assert later.summary["closed"] == 2
    assert set(open_flags(engine)) == expected - {("return", return_id), ("form", form_id)}
    with Session(engine, future=True) as s:
        cleared = s.scalars(select(Flag).where(Flag.process == "return", Flag.process_id == return_id)).one()
    assert cleared.cleared_at == NOW + timedelta(minutes=15)


def test_an_abandoned_form_of_a_known_customer_gets_one_follow_up(engine):
    plant(engine)

    run(engine)
    run(engine, NOW + timedelta(hours=1))

    with Session(engine, future=True) as s:
        follow_ups = s.scalars(select(FollowUp)).all()
    assert [f.text for f in follow_ups] == ["You were starting a return for A-10423: shall we finish it?"]
    assert follow_ups[0].status == "pending"


def test_the_follow_up_is_in_the_language_the_customer_last_wrote_in(engine):
    """A French customer's abandoned cancellation gets its follow-up in French; a short "ok"
    (no language detected) after the French does not make it English."""
    with Session(engine, future=True) as s:
        c = planted.customer(s, NOW)
        conv = planted.conversation(s, c, NOW)
        for minutes, text, language in ((32 * 60, "Je veux annuler ma commande A-20417", "fr"), (31 * 60, "ok", None)):
            s.add(
                Message(
                    conversation_id=conv.id,
                    event_key=uuid.uuid4().hex,
                    direction="in",
                    text=text,
                    language=language,
                    sent_at=NOW - timedelta(minutes=minutes),
                )
            )
        planted.event(s, conv, "slot", "order_id", NOW - timedelta(hours=31), {"value": "A-20417"})
        planted.event(s, conv, "active_loop", "cancel_order_form", NOW - timedelta(hours=30))
        s.commit()
        conversation_id = conv.id

    run(engine)

    with Session(engine, future=True) as s:
        texts = s.scalars(select(FollowUp.text).where(FollowUp.conversation_id == conversation_id)).all()
    assert texts == [
        "Vous aviez commencé une demande d'annulation pour la commande A-20417 : voulez-vous la terminer maintenant ?"
    ]


def test_bottleneck_report_times_conversion_and_the_most_stalled_stage(engine):
    from analytics.bottlenecks import bottleneck_report, funnel_chart_png
    from crm_store.db import UnitOfWork

    plant(engine)
    run(engine)

    report = bottleneck_report(UnitOfWork(engine), "return", NOW)

    stages = {s.stage: s for s in report.stages}
    assert [s.stage for s in report.stages] == ["requested", "approved", "received", "refunded"]
    assert (stages["received"].entered, stages["refunded"].entered) == (12, 10)
    assert stages["refunded"].conversion == 10 / 12
    assert (stages["received"].median_hours, stages["received"].p90_hours) == (24 * 5, 24 * 9)
    assert (stages["received"].current, stages["received"].stalled) == (2, 1)
    assert report.bottleneck == "received"
    assert bottleneck_report(UnitOfWork(engine), "order", NOW).bottleneck == "packed"
    png = funnel_chart_png(report)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000


def test_the_digest_shows_every_pipelines_bottleneck_and_the_worst_funnel(engine):
    from analytics.digest import build_digest, render_html, render_text
    from analytics.digest.periods import Period
    from crm_store.db import UnitOfWork

    plant(engine)
    run(engine)

    # The digest counts only its period: one that holds all the planted history and the flag run.
    digest = build_digest(UnitOfWork(engine), Period("week", NOW - timedelta(days=364), NOW + timedelta(hours=1)), NOW)

    rows = {row.pipeline: row for row in digest.bottlenecks.rows}
    # 12 returns entered, 10 were refunded; "received" takes longest and holds the stalled one
    assert (rows["return"].entered, rows["return"].finished, rows["return"].last_stage) == (12, 10, "refunded")
    assert (rows["return"].slowest_stage, rows["return"].slowest_median_hours) == ("received", 24 * 5)
    assert (rows["return"].stalled_stage, rows["return"].stalled) == ("received", 1)
    assert rows["order"].stalled_stage == "packed"
    assert digest.charts["funnel"].startswith(b"\x89PNG")
    assert (
        "return: 12 entered, 10 reached refunded (83%); slowest stage received (median 5 days); most stalled: received (1)"
        in render_text(digest)
    )
    html = render_html(digest)
    assert "received: 1" in html and "cid:funnel" in html
