"""The lists the actions build in code (which order?, all my orders, the order taken, the returns)
in the customer's language, through the real actions and a real CRM."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from rasa_sdk.executor import CollectingDispatcher

from crm_store import stages
from crm_store.models import Return
from crm_store.services import returns
from tests.support.action_calls import DOMAIN, an_order, replies, tracker


def test_which_order_is_asked_in_french_with_french_buttons(uow_factory, chat):
    from actions.resolving import ActionAskOrderId

    sender, owner = chat
    lamp = an_order(uow_factory, owner, "shipped", "desk lamp", 3)
    chair = an_order(uow_factory, owner, "paid", "office chair", 1)
    dispatcher = CollectingDispatcher()

    ActionAskOrderId().run(
        dispatcher, tracker(sender, "où est ma commande ?", {"language": "fr"}, form="order_status_form"), DOMAIN
    )

    assert "De quelle commande s'agit-il" in replies(dispatcher)
    titles = [b["title"] for m in dispatcher.messages for b in m.get("buttons") or []]
    assert [t.split(" ")[0] for t in titles] == [chair, lamp]
    assert all("commandée le" in t and "placed" not in t for t in titles), titles


def test_all_my_orders_are_listed_in_spanish_with_spanish_statuses(uow_factory, chat):
    from actions.resolving import ActionAskOrderId

    sender, owner = chat
    lamp = an_order(uow_factory, owner, "shipped", "desk lamp", 3)
    mat = an_order(uow_factory, owner, "delivered", "yoga mat", 20)
    dispatcher = CollectingDispatcher()

    ActionAskOrderId().run(
        dispatcher,
        tracker(sender, "enséñame todos mis pedidos", {"language": "es"}, form="order_status_form"),
        DOMAIN,
    )

    text = replies(dispatcher)
    assert text.startswith("Estos son sus pedidos:"), text
    assert f"- {lamp} (1 x desk lamp, realizado el" in text and "): enviado" in text
    assert f"- {mat} (1 x yoga mat, realizado el" in text and "): entregado" in text
    assert "¿De cuál quiere saber más?" in text
    assert "shipped" not in text and "placed" not in text


def test_the_order_taken_is_named_in_german(uow_factory, chat):
    from actions.orders import ValidateOrderStatusForm

    sender, owner = chat
    lamp = an_order(uow_factory, owner, "shipped", "desk lamp", 3)
    an_order(uow_factory, owner, "delivered", "yoga mat", 20)
    dispatcher = CollectingDispatcher()

    asyncio.run(
        ValidateOrderStatusForm().run(
            dispatcher,
            tracker(
                sender, "wo ist meine bestellung?", {"language": "de"}, form="order_status_form", intent="order_status"
            ),
            DOMAIN,
        )
    )

    assert f"Ich nehme Bestellung {lamp} (1 x desk lamp, bestellt am" in replies(dispatcher)


def test_english_lists_keep_their_wording(uow_factory, chat):
    from actions.resolving import ActionAskOrderId

    sender, owner = chat
    lamp = an_order(uow_factory, owner, "shipped", "desk lamp", 3)
    an_order(uow_factory, owner, "paid", "office chair", 1)
    dispatcher = CollectingDispatcher()

    ActionAskOrderId().run(dispatcher, tracker(sender, "show me all my orders", form="order_status_form"), DOMAIN)

    text = replies(dispatcher)
    assert text.startswith("Here are your orders:") and f"- {lamp} (1 x desk lamp, placed " in text
    assert "): shipped, on its way" in text


def test_the_list_of_returns_is_in_german(uow_factory, chat):
    from actions.refunds import ActionRefundStatus

    sender, owner = chat
    lamp = an_order(uow_factory, owner, "delivered", "desk lamp", 12)
    mat = an_order(uow_factory, owner, "delivered", "yoga mat", 12)
    received = datetime(2026, 11, 30, 9)
    first = returns.open_return(uow_factory(), owner, lamp, "desk lamp", "zu klein", received - timedelta(days=3))
    second = returns.open_return(uow_factory(), owner, mat, "yoga mat", "gefällt nicht", received - timedelta(days=2))
    uow = uow_factory()
    with uow:
        row = uow.session.get(Return, first.id)
        stages.move(uow.session, "return", row, "approved", received - timedelta(days=1))
        stages.move(uow.session, "return", row, "received", received)
        uow.commit()
    dispatcher = CollectingDispatcher()

    ActionRefundStatus().run(
        dispatcher, tracker(sender, "wo bleibt mein geld?", {"language": "de"}, intent="refund_status"), DOMAIN
    )

    said = " ".join(str(m.get("returns") or "") for m in dispatcher.messages)
    assert f"- {first.number} (desk lamp, Bestellung {lamp}): Artikel am 30. November 2026 bei uns eingegangen" in said
    assert f"- {second.number} (yoga mat, Bestellung {mat}): wird geprüft (seit " in said
    assert "order" not in said and "received" not in said


def test_a_mild_french_complaint_is_offered_a_ticket_in_french(engine, uow_factory, chat):
    from actions.tickets import ActionOpenTicket

    sender, owner = chat
    number = an_order(uow_factory, owner, "shipped", "desk lamp", 9)
    dispatcher = CollectingDispatcher()

    ActionOpenTicket().run(
        dispatcher,
        tracker(
            sender,
            "franchement c'est pénible, mon colis a encore du retard",
            {"language": "fr", "order_id": number},
            intent="complaint",
        ),
        DOMAIN,
    )

    assert "Voulez-vous que j'ouvre un ticket" in replies(dispatcher)
    titles = [b["title"] for m in dispatcher.messages for b in m.get("buttons") or []]
    assert titles == ["Oui, ouvrir un ticket", "Non, merci"]
