"""Everyday requests on CRM data through the real actions (SQLite and PostgreSQL): an invoice copy,
when a refund reaches the bank, the warranty route outside the return window."""

from __future__ import annotations

from datetime import datetime, timedelta

from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from crm_store import stages
from crm_store.models import Order, Return, Ticket
from crm_store.services import returns
from crm_store.settings import Settings
from tests.support.action_calls import DOMAIN, an_order, replies, slot, tracker


def out_of_scope(sender: str, text: str, said_before: str | None = None) -> tuple[CollectingDispatcher, list]:
    from actions.everyday import ActionOutOfScope

    dispatcher = CollectingDispatcher()
    earlier = [{"event": "bot", "text": said_before}] if said_before else []
    return dispatcher, ActionOutOfScope().run(
        dispatcher, tracker(sender, text, intent="out_of_scope", events=earlier), DOMAIN
    )


def tickets_with_orders(engine, customer_id: int) -> list:  # type: ignore[no-untyped-def]
    """(subject, order number) of each of the customer's tickets that names an order."""
    with engine.connect() as conn:
        return conn.execute(
            select(Ticket.subject, Order.number)
            .join(Order, Order.id == Ticket.order_id)
            .where(Ticket.customer_id == customer_id)
        ).all()


def test_an_invoice_copy_is_a_link_when_the_shop_configured_one(uow_factory, chat, monkeypatch):
    import actions.everyday

    monkeypatch.setattr(
        actions.everyday,
        "get_settings",
        lambda: Settings(invoice_url="https://shop.example/orders/{order}/invoice.pdf"),
    )
    sender, owner = chat
    number = an_order(uow_factory, owner, "delivered", "desk lamp", 5)

    dispatcher, events = out_of_scope(sender, "can I get a copy of my invoice please")

    assert f"https://shop.example/orders/{number}/invoice.pdf" in replies(dispatcher)
    assert slot(events, "order_id") == number


def test_without_a_link_the_account_page_is_named_and_nothing_written(engine, uow_factory, chat):
    sender, owner = chat
    number = an_order(uow_factory, owner, "delivered", "desk lamp", 5)

    dispatcher, _ = out_of_scope(sender, "I need the receipt for my lamp")

    with engine.connect() as conn:
        assert conn.execute(select(Ticket.id).where(Ticket.customer_id == owner)).all() == []
    assert number in replies(dispatcher) and "Account > Orders" in replies(dispatcher)


def test_asked_again_without_a_link_the_team_is_asked_to_email_it_with_the_order_on_the_request(
    engine, uow_factory, chat
):
    sender, owner = chat
    number = an_order(uow_factory, owner, "delivered", "desk lamp", 5)
    told = f"The invoice for order {number} (with the VAT shown) ... under Account > Orders. ..."

    dispatcher, _ = out_of_scope(sender, "I can't find it, please send me the receipt for my lamp", said_before=told)

    rows = tickets_with_orders(engine, owner)
    assert rows == [(f"Invoice copy ({number})", number)]
    assert "email you a copy" in replies(dispatcher)


def test_other_out_of_scope_messages_get_the_usual_answer_and_no_row(engine, uow_factory, chat):
    sender, owner = chat

    dispatcher, _ = out_of_scope(sender, "what's the weather in Berlin")

    assert [m.get("response") for m in dispatcher.messages] == ["utter_out_of_scope"]
    with engine.connect() as conn:
        assert conn.execute(select(Ticket.id).where(Ticket.customer_id == owner)).all() == []


def test_a_received_return_says_when_the_money_reaches_the_bank(uow_factory, chat):
    from actions.refunds import ActionRefundStatus

    sender, owner = chat
    number = an_order(uow_factory, owner, "delivered", "desk lamp", 12)
    ret = returns.open_return(
        uow_factory(), owner, number, "desk lamp", "changed my mind", datetime.utcnow() - timedelta(days=3)
    )
    received = datetime(2026, 11, 30, 9)  # a Monday
    uow = uow_factory()
    with uow:
        row = uow.session.get(Return, ret.id)
        stages.move(uow.session, "return", row, "approved", received - timedelta(days=1))
        stages.move(uow.session, "return", row, "received", received)
        uow.commit()
    dispatcher = CollectingDispatcher()

    ActionRefundStatus().run(
        dispatcher, tracker(sender, "when will I get my money back?", intent="refund_status"), DOMAIN
    )

    said = " ".join(str(m.get("returns") or "") for m in dispatcher.messages)
    assert (
        "item received on 30 Nov 2026" in said
        and "pay it out by 7 Dec 2026" in said
        and "on your account by 10 Dec 2026" in said
    )


def test_a_fault_after_the_return_window_goes_the_warranty_route(uow_factory, chat):
    from actions.orders import ActionCheckOrder

    sender, owner = chat
    number = an_order(uow_factory, owner, "delivered", "desk lamp", 90)
    dispatcher = CollectingDispatcher()

    ActionCheckOrder().run(
        dispatcher, tracker(sender, f"the desk lamp from {number} stopped working", {"order_id": number}), DOMAIN
    )

    assert "return window has passed" in replies(dispatcher) and "warranty" in replies(dispatcher)
    assert "utter_offer_remedy" not in replies(dispatcher)


def test_a_named_return_is_answered_alone(uow_factory, chat):
    from actions.refunds import ActionRefundStatus

    sender, owner = chat
    lamp = an_order(uow_factory, owner, "delivered", "desk lamp", 12)
    mat = an_order(uow_factory, owner, "delivered", "yoga mat", 12)
    first = returns.open_return(uow_factory(), owner, lamp, "desk lamp", "changed my mind", datetime.utcnow())
    second = returns.open_return(uow_factory(), owner, mat, "yoga mat", "changed my mind", datetime.utcnow())
    dispatcher = CollectingDispatcher()

    ActionRefundStatus().run(
        dispatcher, tracker(sender, f"any news on {second.number.lower()}?", intent="refund_status"), DOMAIN
    )

    said = " ".join(str(m.get("returns") or "") for m in dispatcher.messages)
    assert second.number in said and first.number not in said


def test_after_the_warranty_route_a_yes_opens_one_claim_for_that_order(engine, uow_factory, chat):
    from actions.tickets import answer_warranty

    sender, owner = chat
    number = an_order(uow_factory, owner, "delivered", "smart watch", 200)
    offered = {"requested_info": f"warranty:{number}"}

    asked = CollectingDispatcher()
    assert answer_warranty(asked, tracker(sender, "what do you need?", slots=offered)) == []
    assert "photo" in replies(asked)
    opened = CollectingDispatcher()
    events = answer_warranty(opened, tracker(sender, "ok open the claim, i'll send the photo", slots=offered))

    rows = tickets_with_orders(engine, owner)
    assert rows == [(f"Warranty claim ({number})", number)]
    assert slot(events or [], "requested_info") is None
    assert answer_warranty(CollectingDispatcher(), tracker(sender, "ok", slots={})) is None
