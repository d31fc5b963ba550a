"""Verification that keeps the request, through the real actions and a real CRM: an email alone
starts the code flow, codes are read with spaces or dashes only while one is expected, and the
interrupted request (erasure, an order status) goes on after the code."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from crm_store.models import ChannelIdentity, Customer, Ticket
from tests.support.action_calls import DOMAIN, an_order, linked_chat, point_actions_at, replies, slot, tracker


@pytest.fixture
def visitor(uow_factory, monkeypatch):  # type: ignore[no-untyped-def]
    """A new web visitor's chat (no email on record) and a real customer with an email and orders.
    Codes are delivered the default way (LINK_CODE_DELIVERY=console: printed), so the test reads them."""
    point_actions_at(monkeypatch, uow_factory)
    _, owner = linked_chat(uow_factory)
    sender = f"visitor-{uuid.uuid4().hex[:8]}"
    uow = uow_factory()
    with uow:
        guest = uow.customers.add(Customer(name="rest visitor", created_at=datetime.utcnow()))
        uow.identities.add(
            ChannelIdentity(customer_id=guest.id, channel="rest", external_id=sender, created_at=datetime.utcnow())
        )
        email = uow.customers.get(owner).email
        uow.commit()
    return sender, owner, email


def user(text: str, intent: str) -> dict:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}}


def bot(text: str, utter: str | None = None) -> dict:
    return {"event": "bot", "text": text, "metadata": {"utter_action": utter} if utter else {}}


def printed_code(capsys) -> str:  # type: ignore[no-untyped-def]
    found = re.search(r"one-time code (\d{6})", capsys.readouterr().out)
    assert found, "no code was delivered"
    return found.group(1)


def test_a_visitors_erasure_asks_for_the_email_and_goes_on_after_the_code(engine, uow_factory, visitor, capsys):
    from actions.account import ActionRequestErasure
    from actions.answers import ActionAnswer

    sender, owner, email = visitor
    first = CollectingDispatcher()
    asked = ActionRequestErasure().run(first, tracker(sender, "please delete my data", intent="delete_my_data"), DOMAIN)
    assert slot(asked, "requested_info") == "email:delete_my_data" and "email address" in replies(first)

    history = [user("please delete my data", "delete_my_data"), bot(replies(first))]
    second = CollectingDispatcher()
    ActionAnswer().run(
        second,
        tracker(
            sender,
            f"it's {email}",
            {"requested_info": "email:delete_my_data"},
            history,
            entities=[{"entity": "email", "value": email}],
        ),
        DOMAIN,
    )
    code = printed_code(capsys)

    history += [user(f"it's {email}", "inform"), bot(replies(second))]
    third = CollectingDispatcher()
    ActionAnswer().run(third, tracker(sender, f"{code[:3]} {code[3:]}", {}, history, intent="give_code"), DOMAIN)

    with engine.connect() as conn:
        subjects = conn.scalars(select(Ticket.subject).where(Ticket.customer_id == owner)).all()
    assert any("Delete my personal data" in s for s in subjects)
    assert [m.get("response") for m in third.messages] == ["utter_account_linked", "utter_forget_requested"]


def test_an_email_alone_links_and_answers_the_status_that_was_asked(engine, uow_factory, visitor, capsys):
    from actions.account import ActionVerifyCode
    from actions.answers import ActionAnswer

    sender, owner, email = visitor
    number = an_order(uow_factory, owner, "shipped", "desk lamp", 3)
    an_order(uow_factory, owner, "delivered", "yoga mat", 30)
    history = [user("where is my order?", "order_status"), bot("Which order is it about?", "utter_ask_order_id")]
    first = CollectingDispatcher()
    ActionAnswer().run(
        first, tracker(sender, email, {}, history, entities=[{"entity": "email", "value": email}]), DOMAIN
    )
    code = printed_code(capsys)

    history += [user(email, "inform"), bot(replies(first))]
    second = CollectingDispatcher()
    events = ActionVerifyCode().run(
        second, tracker(sender, f"{code[:3]}-{code[3:]}", {}, history, intent="give_code"), DOMAIN
    )

    assert slot(events, "order_id") == number
    assert any(m.get("response") == "utter_order_status" and m.get("order_id") == number for m in second.messages)


@pytest.mark.parametrize("digits", ["123456", "123 456"])
def test_six_digits_when_no_code_was_sent_are_not_checked_as_a_code(uow_factory, visitor, digits):
    from actions.answers import ActionAnswer

    sender, _, _ = visitor
    dispatcher = CollectingDispatcher()

    ActionAnswer().run(
        dispatcher, tracker(sender, digits, {}, [bot("Hi! How can I help?", "utter_greet")], intent="give_code"), DOMAIN
    )

    assert "utter_code_wrong" not in replies(dispatcher) and "utter_account_linked" not in replies(dispatcher)


def code_sent_after_where_is_my_order(uow_factory, visitor, capsys) -> tuple[str, str, list[dict], str]:  # type: ignore[no-untyped-def]
    """A visitor with a shipped order asked where it is and gave their email: the code went out.
    (sender, order number, the chat so far, the code)."""
    from actions.answers import ActionAnswer

    sender, owner, email = visitor
    number = an_order(uow_factory, owner, "shipped", "desk lamp", 3)
    history = [user("where is my order?", "order_status"), bot("Which order is it about?", "utter_ask_order_id")]
    first = CollectingDispatcher()
    ActionAnswer().run(
        first, tracker(sender, email, {}, history, entities=[{"entity": "email", "value": email}]), DOMAIN
    )
    code = printed_code(capsys)
    return sender, number, [*history, user(email, "inform"), bot(replies(first))], code


def test_a_spaced_code_read_as_out_of_scope_still_links_while_a_code_is_expected(engine, uow_factory, visitor, capsys):
    from actions.everyday import ActionOutOfScope

    sender, number, history, code = code_sent_after_where_is_my_order(uow_factory, visitor, capsys)
    second = CollectingDispatcher()
    events = ActionOutOfScope().run(
        second, tracker(sender, f"{code[:3]} {code[3:]}", {}, history, intent="out_of_scope"), DOMAIN
    )

    assert slot(events, "order_id") == number
    assert "utter_out_of_scope" not in [m.get("response") for m in second.messages]


def test_a_code_inside_a_sentence_links_while_a_code_is_expected(engine, uow_factory, visitor, capsys):
    from actions.answers import ActionAnswer

    sender, number, history, code = code_sent_after_where_is_my_order(uow_factory, visitor, capsys)
    second = CollectingDispatcher()
    events = ActionAnswer().run(second, tracker(sender, f"alright, got it: {code} thanks", {}, history), DOMAIN)

    assert slot(events, "order_id") == number
    assert "utter_order_id_invalid" not in [m.get("response") for m in second.messages]
