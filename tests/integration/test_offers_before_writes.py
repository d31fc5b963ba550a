"""Answered first, written on the customer's word: a parcel recorded as delivered, a reset email that never
came and a faulty item get the proof, what to check or the remedies, and a ticket only once the customer
agrees or asks (docs/shop.md); a business enquiry typed in full is passed on at once. The real actions
against a real CRM (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta

from rasa_sdk import Action
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from crm_store.models import Deal, Order, Shipment
from tests.integration.test_ticket_writes import tickets_of
from tests.support.action_calls import DOMAIN, an_order, replies, slot, tracker


def a_delivered_parcel(uow_factory, owner: int, product: str, proof: str) -> str:  # type: ignore[no-untyped-def]
    number = an_order(uow_factory, owner, "delivered", product, 6)
    uow = uow_factory()
    with uow:
        order = uow.session.scalars(select(Order).where(Order.number == number)).one()
        uow.session.add(
            Shipment(
                order_id=order.id,
                carrier="DHL",
                status="delivered",
                dispatched_at=datetime.utcnow() - timedelta(days=5),
                delivered_at=datetime.utcnow() - timedelta(days=2),
                proof_of_delivery=proof,
            )
        )
        uow.commit()
    return number


def run(action: Action, sender: str, text: str, intent: str, **slots):  # type: ignore[no-untyped-def]
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, tracker(sender, text, slots, intent=intent), DOMAIN)
    return dispatcher, events


def test_a_missing_parcel_gets_the_proof_and_the_claim_offered_and_the_yes_opens_one_claim(engine, uow_factory, chat):
    from actions.answers import ActionAnswer
    from actions.delivery import ActionParcelMissing

    sender, owner = chat
    number = a_delivered_parcel(uow_factory, owner, "backpack", "left at the front door")

    first, offered = run(
        ActionParcelMissing(), sender, "the app says delivered but there is nothing here", "parcel_missing"
    )
    assert tickets_of(engine, owner) == []
    assert "left at the front door" in replies(first) and "neighbours" in replies(first)
    assert slot(offered, "requested_info") == "ticket:parcel_missing"

    yes, _ = run(ActionAnswer(), sender, "yes", "affirm", requested_info="ticket:parcel_missing", order_id=number)

    assert [(s, p) for s, p, *_ in tickets_of(engine, owner)] == [(f"Parcel not received: {number}", "high")]
    assert number in replies(yes)


def test_a_customer_who_already_asked_the_neighbours_gets_the_claim_at_once(engine, uow_factory, chat):
    from actions.delivery import ActionParcelMissing

    sender, owner = chat
    number = a_delivered_parcel(uow_factory, owner, "backpack", "handed to a neighbour")

    said, _ = run(
        ActionParcelMissing(), sender, "marked as delivered but the neighbours haven't got it either", "parcel_missing"
    )

    rows = tickets_of(engine, owner)
    assert len(rows) == 1 and "handed to a neighbour" in rows[0][3]
    assert number in replies(said)


def test_a_reset_email_that_never_came_gets_what_to_check_and_checking_again_sends_one_new_link(
    engine, uow_factory, chat
):
    from actions.answers import ActionAnswer
    from actions.login import ActionResendReset

    sender, owner = chat

    first, offered = run(ActionResendReset(), sender, "the password reset mail isn't arriving", "reset_not_received")
    assert tickets_of(engine, owner) == [] and "spam" in replies(first)
    asked = slot(offered, "requested_info")

    run(ActionAnswer(), sender, "looked in spam as well, still nothing", "deny", requested_info=asked)
    again, _ = run(ActionResendReset(), sender, "still no reset email", "reset_not_received", requested_info=asked)

    assert [(s, p) for s, p, *_ in tickets_of(engine, owner)] == [("Password reset email not received", "high")]
    assert "already open" in replies(again)


def test_a_faulty_item_told_calmly_gets_the_remedies_for_its_order_and_no_ticket(engine, uow_factory, chat):
    from actions.tickets import ActionOpenTicket

    sender, owner = chat
    number = an_order(uow_factory, owner, "delivered", "bluetooth speaker", 6)

    dispatcher, _ = run(ActionOpenTicket(), sender, "my bluetooth speaker won't charge anymore", "complaint")

    assert tickets_of(engine, owner) == []
    offer = dispatcher.messages[-1]  # after "I've taken order …, the only one that fits"
    assert offer["response"] == "utter_offer_remedy" and offer["order_id"] == number


def test_an_order_number_too_short_read_as_out_of_scope_gets_the_format(uow_factory, chat):
    from actions.everyday import ActionOutOfScope

    sender, _ = chat

    dispatcher, events = run(ActionOutOfScope(), sender, "could you look at A-204 for me", "out_of_scope")

    assert [m.get("response") for m in dispatcher.messages] == ["utter_order_id_invalid"]
    assert slot(events, "requested_info") == "order:status"


def test_an_enquiry_typed_in_full_is_passed_on_at_once_and_says_what_was_stored(engine, uow_factory, chat):
    from actions.leads import ActionCreateLead, _taken_as_typed

    sender, _ = chat
    details = {
        "contact_name": "Ines Vogt",
        "company": "Vogt Architektur GmbH",
        "email": "ines@vogt.example",
        "phone": "+49895553344",
        "volume": "25 desk lamps",
    }
    form_started = [{"event": "active_loop", "name": "lead_form"}]
    typed = tracker(sender, "…", {**details, "requested_slot": None}, form_started, form="lead_form")
    asked = tracker(
        sender,
        "…",
        details,
        [*form_started, *({"event": "slot", "name": "requested_slot", "value": s} for s in ("company", "email"))],
        form="lead_form",
    )

    passed_on = _taken_as_typed(typed, [])
    assert slot(passed_on, "confirmed") == "yes" and slot(passed_on, "requested_slot") is None
    assert _taken_as_typed(asked, []) == []  # put together by asking: read back first
    assert _taken_as_typed(tracker(sender, "…", {**details, "contact_name": None}, form_started), []) == []

    dispatcher = CollectingDispatcher()
    ActionCreateLead().run(dispatcher, tracker(sender, "…", {**details, "confirmed": "yes"}, form_started), DOMAIN)

    with engine.connect() as conn:
        stored = conn.execute(select(Deal.company, Deal.contact_name).where(Deal.email == "ines@vogt.example")).all()
    assert stored == [("Vogt Architektur GmbH", "Ines Vogt")]
    assert "Vogt Architektur GmbH" in replies(dispatcher) and "D-" in replies(dispatcher)


def test_a_bare_ok_to_a_ticket_offer_is_asked_again_and_only_the_yes_writes(engine, uow_factory, chat):
    from actions.answers import ActionAnswer

    sender, owner = chat

    heard, _ = run(ActionAnswer(), sender, "ok", "affirm", requested_info="ticket:payment_problem")
    assert tickets_of(engine, owner) == [] and "anything else" in replies(heard)

    run(ActionAnswer(), sender, "yes please", "affirm", requested_info="ticket:payment_problem")
    assert len(tickets_of(engine, owner)) == 1


def test_the_yes_to_a_late_parcels_offer_opens_a_late_delivery_ticket_for_it(engine, uow_factory, chat):
    from actions.answers import ActionAnswer

    sender, owner = chat
    number = an_order(uow_factory, owner, "shipped", "smart watch", 12)
    asked = [
        {
            "event": "user",
            "text": "the watch should have come last week",
            "parse_data": {"intent": {"name": "order_status"}},
        }
    ]

    dispatcher = CollectingDispatcher()
    ActionAnswer().run(
        dispatcher,
        tracker(
            sender,
            "yes please chase it",
            {"requested_info": "ticket:late_delivery", "order_id": number},
            asked,
            intent="affirm",
        ),
        DOMAIN,
    )

    assert [s for s, *_ in tickets_of(engine, owner)] == [f"Complaint: late delivery ({number})"]


def test_a_fault_past_the_return_window_offers_the_warranty_claim_and_the_yes_opens_it(engine, uow_factory, chat):
    from actions.answers import ActionAnswer
    from actions.tickets import ActionOpenTicket

    sender, owner = chat
    number = an_order(uow_factory, owner, "delivered", "coffee grinder", 200)

    offered, events = run(ActionOpenTicket(), sender, "the coffee grinder motor died, what now", "complaint")
    assert "warranty" in replies(offered) and tickets_of(engine, owner) == []

    run(ActionAnswer(), sender, "yes please", "affirm", requested_info=slot(events, "requested_info"))
    assert [s for s, *_ in tickets_of(engine, owner)] == [f"Warranty claim ({number})"]


def test_thanks_read_as_a_yes_or_not_understood_is_answered_as_thanks(uow_factory, chat):
    from actions.answers import ActionAnswer
    from actions.fallback import ActionDefaultAskAffirmation

    sender, _ = chat

    yes, _ = run(ActionAnswer(), sender, "ok ty", "affirm")
    unsure, _ = run(ActionDefaultAskAffirmation(), sender, "grazie mille!", "nlu_fallback")

    assert [m.get("response") for m in (*yes.messages, *unsure.messages)] == ["utter_you_are_welcome"] * 2


def test_out_of_scope_messages_that_plainly_are_ours_go_where_they_belong(engine, uow_factory, chat):
    from actions.everyday import ActionOutOfScope

    sender, owner = chat
    an_order(uow_factory, owner, "shipped", "rain jacket", 3)

    def followup(text: str) -> list[str]:
        _, events = run(ActionOutOfScope(), sender, text, "out_of_scope")
        return [e["name"] for e in events if e.get("event") == "followup"]

    assert followup("we're Nordwind Cafe, 30 french presses a month, ops@nordwind.example, +49 40 5550101") == [
        "lead_form"
    ]
    assert followup("ugh this chat. just tell me where my rain jacket is") == ["order_status_form"]
    assert followup("the shoes are too tight, could I have them in 44 instead") == ["return_form"]
    angry, _ = run(ActionOutOfScope(), sender, "where the hell is my jacket, this is bullshit", "out_of_scope")
    assert "utter_handoff" in replies(angry)


def test_a_fault_with_the_product_named_finds_its_order_whatever_date_words_come_with_it(engine, uow_factory, chat):
    from actions.tickets import ActionOpenTicket

    sender, owner = chat
    number = an_order(uow_factory, owner, "delivered", "coffee grinder", 200)

    dispatcher, events = run(
        ActionOpenTicket(),
        sender,
        "got the coffee grinder ages ago last winter and now it's dead",
        "complaint",
    )

    assert "warranty" in replies(dispatcher) and slot(events, "requested_info") == f"warranty:{number}"
    assert tickets_of(engine, owner) == []


def test_another_broken_item_right_after_a_replacement_from_that_order_starts_its_own_replacement(uow_factory, chat):
    from actions.faults import ActionOfferRemedy

    sender, owner = chat
    number = an_order(uow_factory, owner, "delivered", "desk lamp", 4)
    uow = uow_factory()
    with uow:  # a second item in the same parcel
        from crm_store.models import OrderItem, Product

        order = uow.session.scalars(select(Order).where(Order.number == number)).one()
        candle = uow.products.add(Product(sku=f"SKU-{number}", name="scented candle", price=12, stock=3))
        uow.session.add(OrderItem(order_id=order.id, product_id=candle.id, quantity=1, unit_price=12))
        uow.commit()
    replaced = {"event": "bot", "text": f"I've opened replacement R-00015 for the desk lamp from order {number}."}

    dispatcher = CollectingDispatcher()
    events = ActionOfferRemedy().run(
        dispatcher,
        tracker(
            sender,
            "the candle is broken too",
            {"order_id": number, "item": "desk lamp"},
            [replaced],
            intent="complaint",
        ),
        DOMAIN,
    )

    assert slot(events, "item") == "scented candle" and slot(events, "return_kind") == "swap"
    assert [e["name"] for e in events if e.get("event") == "followup"] == ["return_form"]
