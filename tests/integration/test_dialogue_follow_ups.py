"""Follow-ups on what was just said, through the real actions on a test CRM (SQLite and PostgreSQL):
"when will it arrive?" after a status answer, "cancel it" with an order in focus, and a bare "yes"
where the return form asks for a reason."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from crm_store.models import Order, Shipment
from tests.support.action_calls import DOMAIN, an_order, replies, tracker

ANSWERED = [{"event": "action", "name": "action_check_order"}]


def shipped(uow_factory, owner: int) -> tuple[str, datetime]:  # type: ignore[no-untyped-def]
    number = an_order(uow_factory, owner, "shipped", "yoga mat", 3)
    eta = datetime.utcnow() + timedelta(days=2)
    uow = uow_factory()
    with uow:
        order_id = uow.session.scalars(select(Order.id).where(Order.number == number)).one()
        uow.session.add(
            Shipment(
                order_id=order_id,
                carrier="DHL",
                tracking_url="https://track.example/123",
                status="in_transit",
                dispatched_at=datetime.utcnow() - timedelta(days=1),
                eta=eta,
            )
        )
        uow.commit()
    return number, eta


def rendered(dispatcher: CollectingDispatcher) -> str:
    """The replies as the customer reads them: each response's text filled in with its values."""
    out = []
    for message in dispatcher.messages:
        name = message.get("response")
        out.append(DOMAIN["responses"][name][0]["text"].format(**message) if name else str(message.get("text") or ""))
    return " ".join(out)


def check(sender: str, text: str, number: str, events: list, entities: list | None = None) -> str:
    from actions.orders import ActionCheckOrder

    dispatcher = CollectingDispatcher()
    ActionCheckOrder().run(
        dispatcher,
        tracker(sender, text, {"order_id": number}, events=events, entities=entities, intent="order_status"),
        DOMAIN,
    )
    return rendered(dispatcher)


def test_when_will_it_arrive_after_the_status_gives_the_delivery_only(uow_factory, chat):
    sender, owner = chat
    number, eta = shipped(uow_factory, owner)

    status = check(sender, f"where is my order {number}?", number, [])
    follow_up = check(sender, "when will it arrive?", number, ANSWERED)

    assert "is shipped (since" in status  # the first answer is the whole status paragraph
    assert "is shipped (since" not in follow_up and "yoga mat" not in follow_up
    assert number in follow_up and "DHL" in follow_up and eta.strftime("%A") in follow_up
    assert "https://track.example/123" in follow_up


def test_an_order_not_yet_shipped_gets_when_it_ships(uow_factory, chat):
    sender, owner = chat
    number = an_order(uow_factory, owner, "paid", "desk lamp", 1)

    follow_up = check(sender, "how long until i get it", number, ANSWERED)

    assert "hasn't left our warehouse yet" in follow_up and "is paid (since" not in follow_up


def test_a_delivery_question_naming_an_order_still_gets_its_status(uow_factory, chat):
    sender, owner = chat
    number, _ = shipped(uow_factory, owner)

    reply = check(sender, f"when will {number} arrive?", number, ANSWERED, [{"entity": "order_id", "value": number}])

    assert "is shipped (since" in reply


def stray_stop(sender: str, text: str, slots: dict) -> tuple[str, list]:
    from actions.cancel import ActionStrayStop

    dispatcher = CollectingDispatcher()
    events = ActionStrayStop().run(dispatcher, tracker(sender, text, slots, intent="stop"), DOMAIN)
    return replies(dispatcher), events


def test_cancel_it_with_an_order_in_focus_starts_its_cancellation(chat):
    sender, _ = chat

    said, events = stray_stop(sender, "cancel it", {"order_id": "A-10424"})

    assert said == ""  # the form's read-back speaks next
    assert events == [{"event": "followup", "name": "cancel_order_form", "timestamp": None}]


@pytest.mark.parametrize(
    "text, slots", [("cancel it", {}), ("stop", {"order_id": "A-10424"}), ("never mind", {"order_id": "A-10424"})]
)
def test_a_stop_with_nothing_to_cancel_is_only_acknowledged(chat, text: str, slots: dict):
    sender, _ = chat

    said, events = stray_stop(sender, text, slots)

    assert said == "utter_anything_else" and events == []


REASON_ASKED = [{"event": "slot", "name": "requested_slot", "value": "reason"}]


def test_yes_as_the_reason_is_asked_again_with_choices_and_not_counted_as_a_failure(chat):
    from actions.returns import ActionAskReason, ValidateReturnForm

    sender, _ = chat
    said = tracker(
        sender,
        "yes",
        {"requested_slot": "reason", "failed_attempts": 0.0},
        events=REASON_ASKED,
        form="return_form",
        intent="affirm",
    )

    validator = CollectingDispatcher()
    result = ValidateReturnForm().validate_reason("yes", validator, said, DOMAIN)
    asker = CollectingDispatcher()
    ActionAskReason().run(asker, said, DOMAIN)

    assert result == {"reason": None} and validator.messages == []
    assert [m.get("response") for m in asker.messages] == ["utter_ask_reason_choices"]
    buttons = DOMAIN["responses"]["utter_ask_reason_choices"][0]["buttons"]
    assert len(buttons) >= 4


def test_the_reason_is_first_asked_in_the_usual_words(chat):
    from actions.returns import ActionAskReason

    sender, _ = chat
    # "yes" confirmed the order; the reason question comes for the first time.
    first = tracker(
        sender,
        "yes",
        {"requested_slot": "reason"},
        events=[{"event": "slot", "name": "requested_slot", "value": "order_id"}],
        form="return_form",
        intent="affirm",
    )
    asker = CollectingDispatcher()
    ActionAskReason().run(asker, first, DOMAIN)

    assert [m.get("response") for m in asker.messages] == ["utter_ask_reason"]


def test_a_real_reason_is_still_taken(chat):
    from actions.returns import ValidateReturnForm

    sender, _ = chat
    said = tracker(sender, "it's too small", {"requested_slot": "reason"}, events=REASON_ASKED, form="return_form")

    result = ValidateReturnForm().validate_reason("too small", CollectingDispatcher(), said, DOMAIN)

    assert "too small" in str(result["reason"])
