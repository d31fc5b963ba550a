"""A ticket, complaint or handoff is written only when asked or by a stated rule: the real ticket
action against a real CRM (SQLite and PostgreSQL)."""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from crm_store.models import Handoff, Order, Ticket
from tests.support.action_calls import DOMAIN, an_order, replies, slot, tracker


def tickets_of(engine, customer_id: int) -> list[tuple]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(
            select(Ticket.subject, Ticket.priority, Ticket.order_id, Ticket.description).where(
                Ticket.customer_id == customer_id
            )
        ).all()


def run_ticket(sender: str, text: str, intent: str = "complaint", **slots):  # type: ignore[no-untyped-def]
    from actions.tickets import ActionOpenTicket

    dispatcher = CollectingDispatcher()
    events = ActionOpenTicket().run(dispatcher, tracker(sender, text, slots, intent=intent), DOMAIN)
    return dispatcher, events


def test_saying_one_will_wait_opens_nothing(engine, uow_factory, chat):
    sender, owner = chat

    dispatcher, _ = run_ticket(sender, "ok, I'll wait a few more days then")

    assert tickets_of(engine, owner) == []
    assert "look into it" in replies(dispatcher)


def test_a_mild_complaint_gets_an_offer_and_the_yes_opens_one_ticket_with_the_order_and_a_plain_subject(
    engine, uow_factory, chat
):
    from actions.answers import ActionAnswer

    sender, owner = chat
    number = an_order(uow_factory, owner, "shipped", "desk lamp", 9)
    complaint = "bit annoying that my lamp is so late tbh"

    _, offered = run_ticket(sender, complaint, order_id=number)
    assert tickets_of(engine, owner) == [] and slot(offered, "requested_info") == "ticket:complaint"

    said = [{"event": "user", "text": complaint, "parse_data": {"intent": {"name": "complaint"}}}]
    dispatcher = CollectingDispatcher()
    events = ActionAnswer().run(
        dispatcher,
        tracker(
            sender, "yes please", {"requested_info": "ticket:complaint", "order_id": number}, said, intent="affirm"
        ),
        DOMAIN,
    )
    ticket_id = slot(events, "ticket_id")
    again, _ = run_ticket(sender, "yes", intent="affirm", ticket_id=ticket_id, order_id=number)

    rows = tickets_of(engine, owner)
    with engine.connect() as conn:
        order_row = conn.scalar(select(Order.id).where(Order.number == number))
    assert len(rows) == 1
    subject, priority, order_id, description = rows[0]
    assert subject == f"Complaint: late delivery ({number})" and priority == "normal" and order_id == order_row
    assert description == complaint
    assert ticket_id in replies(again) or any(m.get("ticket_id") == ticket_id for m in again.messages)


def test_profanity_is_high_priority_and_the_handoff_names_the_rule(engine, uow_factory, chat):
    sender, owner = chat

    run_ticket(sender, "I want to complain, this shitty lamp came smashed to pieces")

    assert [r[1] for r in tickets_of(engine, owner)] == ["high"]
    with engine.connect() as conn:
        reasons = conn.scalars(select(Handoff.reason)).all()
    assert any(r and r.startswith("rule: profanity") for r in reasons)


def test_a_return_without_fault_is_no_complaint(engine, uow_factory, chat):
    sender, owner = chat

    _, events = run_ticket(sender, "these shoes are too small, I want to send them back")

    assert tickets_of(engine, owner) == []
    assert {"event": "followup", "name": "return_form"} in [{k: e.get(k) for k in ("event", "name")} for e in events]


def handoff_reasons(engine) -> list[str]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return [r or "" for r in conn.scalars(select(Handoff.reason)).all()]


def test_mild_frustration_offers_a_person_and_writes_no_handoff(engine, uow_factory, chat):
    from actions.handoff import ActionHandoff

    sender, _ = chat
    dispatcher = CollectingDispatcher()

    events = ActionHandoff().run(dispatcher, tracker(sender, "this is a bit annoying", intent="escalate"), DOMAIN)

    assert handoff_reasons(engine) == []
    assert slot(events, "requested_info") == "handoff" and "get a person" in replies(dispatcher)


def test_a_stated_rule_hands_over_and_the_reason_names_it(engine, uow_factory, chat):
    from actions.handoff import ActionHandoff

    sender, _ = chat

    ActionHandoff().run(
        CollectingDispatcher(), tracker(sender, "i've been waiting 3 weeks for this", intent="escalate"), DOMAIN
    )

    assert [r.split(";")[0] for r in handoff_reasons(engine)] == ["rule: waited long"]


def test_the_yes_to_an_offered_person_is_recorded_as_the_customers_request(engine, uow_factory, chat):
    from actions.handoff import ActionHandoff

    sender, _ = chat

    ActionHandoff().run(
        CollectingDispatcher(), tracker(sender, "yes please", {"requested_info": "handoff"}, intent="affirm"), DOMAIN
    )

    assert [r.split(";")[0] for r in handoff_reasons(engine)] == ["asked for a person (accepted the offer)"]
