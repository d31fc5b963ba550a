"""Which order the customer means, through the real actions and a real CRM (SQLite and PostgreSQL).

The actions read the CRM through `crm()`; here it is pointed at the test database, nothing else
is replaced.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from rasa_sdk.executor import CollectingDispatcher

from crm_store.services.order_resolver import resolve_order
from tests.support.action_calls import DOMAIN, an_order, replies, slot, tracker

NOW = datetime.utcnow()


def test_the_service_picks_by_item_words_over_the_customers_own_orders(uow_factory, chat):
    _, owner = chat
    lamp = an_order(uow_factory, owner, "shipped", "desk lamp", 3)
    an_order(uow_factory, owner, "delivered", "yoga mat", 20)

    found = resolve_order(uow_factory(), owner, "where's the lamp I ordered?", NOW.date())

    assert (found.chosen, found.how) == (lamp, "item")


def test_a_status_question_takes_the_only_order_on_its_way_and_says_which(uow_factory, chat):
    from actions.orders import ValidateOrderStatusForm

    sender, owner = chat
    lamp = an_order(uow_factory, owner, "shipped", "desk lamp", 3)
    an_order(uow_factory, owner, "delivered", "yoga mat", 20)
    dispatcher = CollectingDispatcher()

    events = asyncio.run(
        ValidateOrderStatusForm().run(
            dispatcher, tracker(sender, "where is my order?", form="order_status_form", intent="order_status"), DOMAIN
        )
    )

    assert slot(events, "order_id") == lamp
    assert f"order {lamp} (1 x desk lamp" in replies(dispatcher)


def test_which_order_offers_the_fitting_orders_as_buttons(uow_factory, chat):
    from actions.resolving import ActionAskOrderId

    sender, owner = chat
    lamp = an_order(uow_factory, owner, "shipped", "desk lamp", 3)
    chair = an_order(uow_factory, owner, "paid", "office chair", 1)
    mat = an_order(uow_factory, owner, "delivered", "yoga mat", 20)
    dispatcher = CollectingDispatcher()

    ActionAskOrderId().run(dispatcher, tracker(sender, "where is my order?", form="order_status_form"), DOMAIN)

    buttons = [b["payload"] for m in dispatcher.messages for b in m.get("buttons") or []]
    assert buttons == [f'/inform{{"order_id":"{chair}"}}', f'/inform{{"order_id":"{lamp}"}}']
    assert mat not in replies(dispatcher)


def test_the_second_one_is_counted_over_the_list_just_shown(uow_factory, chat):
    from actions.answers import ActionAnswer

    sender, owner = chat
    lamp = an_order(uow_factory, owner, "shipped", "desk lamp", 3)
    chair = an_order(uow_factory, owner, "paid", "office chair", 1)
    shown = {
        "event": "bot",
        "text": "Which order is it about?",
        "data": {"buttons": [{"title": chair, "payload": "x"}, {"title": lamp, "payload": "y"}]},
    }
    dispatcher = CollectingDispatcher()

    events = ActionAnswer().run(
        dispatcher, tracker(sender, "the second one", {"requested_info": "order:status"}, [shown]), DOMAIN
    )

    assert slot(events, "order_id") == lamp
    assert f"Order {lamp}" in replies(dispatcher) or any(m.get("order_id") == lamp for m in dispatcher.messages)


def test_a_corrected_number_is_an_order_not_a_wrong_code(uow_factory, chat):
    from actions.account import ActionVerifyCode

    sender, owner = chat
    first = an_order(uow_factory, owner, "shipped", "desk lamp", 3)
    second = an_order(uow_factory, owner, "paid", "office chair", 1)
    dispatcher = CollectingDispatcher()
    digits = second.removeprefix("A-")

    events = ActionVerifyCode().run(
        dispatcher, tracker(sender, f"no sorry, I meant {digits}", {"order_id": first}, intent="give_code"), DOMAIN
    )

    assert "utter_code_wrong" not in replies(dispatcher)
    assert slot(events, "order_id") == second
    assert any(m.get("response") == "utter_order_status" and m.get("order_id") == second for m in dispatcher.messages)


def test_a_correction_while_confirming_a_cancellation_replaces_the_order_and_asks_again(uow_factory, chat):
    from actions.cancel import ValidateCancelOrderForm

    sender, owner = chat
    first = an_order(uow_factory, owner, "paid", "desk lamp", 3)
    second = an_order(uow_factory, owner, "paid", "office chair", 1)
    asked = [
        {"event": "slot", "name": "requested_slot", "value": "confirm_cancel"},
        {"event": "action", "name": "cancel_order_form"},
    ]
    dispatcher = CollectingDispatcher()

    events = asyncio.run(
        ValidateCancelOrderForm().run(
            dispatcher,
            tracker(
                sender,
                f"no, I meant {second}",
                {"order_id": first, "requested_slot": "confirm_cancel"},
                asked,
                form="cancel_order_form",
                intent="deny",
            ),
            DOMAIN,
        )
    )

    assert slot(events, "order_id") == second
    assert slot(events, "confirm_cancel") is None
    assert first not in {e.get("value") for e in events if e.get("name") == "order_id"}


def test_another_task_with_an_order_number_inside_a_form_is_that_task_not_a_correction(uow_factory, chat):
    from actions.returns import ValidateReturnForm

    sender, owner = chat
    delivered = an_order(uow_factory, owner, "delivered", "french press", 10)
    other = an_order(uow_factory, owner, "paid", "office chair", 1)
    asked = [{"event": "slot", "name": "requested_slot", "value": "item"}, {"event": "action", "name": "return_form"}]
    text = f"hmm actually I'd rather cancel my other order {other}"
    turn = tracker(
        sender,
        text,
        {"order_id": delivered, "requested_slot": "item"},
        asked,
        form="return_form",
        intent="cancel_order",
        entities=[{"entity": "order_id", "value": other}],
    )

    events = asyncio.run(ValidateReturnForm().run(CollectingDispatcher(), turn, DOMAIN))

    # The return form steps out (rejected) so the cancellation is handled; the return's order is not replaced.
    assert {"event": "action_execution_rejected", "name": "return_form"} in [
        {k: e.get(k) for k in ("event", "name")} for e in events
    ]
    assert slot(events, "order_id") != other


def test_the_item_named_with_its_reason_fills_both_and_the_reason_is_not_asked_again(uow_factory, chat):
    from actions.returns import ValidateReturnForm

    sender, owner = chat
    number = an_order(uow_factory, owner, "delivered", "winter gloves", 5)
    text = "the gloves, i just dont like them"
    turn = tracker(sender, text, {"order_id": number, "requested_slot": "item"}, [], form="return_form")

    filled = ValidateReturnForm().validate_item("gloves", CollectingDispatcher(), turn, DOMAIN)

    assert filled["item"] == "winter gloves"
    assert filled["reason"] == "i just dont like them"


def test_yes_to_checking_a_failed_discount_code_opens_one_ticket_with_the_order(uow_factory, chat):
    from sqlalchemy import select

    from actions.follow_ups import ActionFollowUp
    from crm_store.models import Order, Ticket

    sender, owner = chat
    number = an_order(uow_factory, owner, "paid", "backpack", 1)
    offered = {"event": "bot", "text": "Sorry the code didn't work. A code is entered at checkout, one code per order."}
    turn = tracker(sender, "yes please have someone check it", {"order_id": number}, [offered])
    dispatcher = CollectingDispatcher()

    ActionFollowUp().run(dispatcher, turn, DOMAIN)

    with uow_factory() as uow:
        rows = [
            (t.subject, f"T-{t.id:05d}", uow.session.get(Order, t.order_id).number if t.order_id else None)
            for t in uow.session.scalars(select(Ticket).where(Ticket.customer_id == owner))
        ]
    assert [(subject, order) for subject, _, order in rows] == [("Discount code did not work", number)]
    assert rows[0][1] in replies(dispatcher)
