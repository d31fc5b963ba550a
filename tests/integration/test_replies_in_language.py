"""Replies that actions compose around CRM values, for German, French and Spanish customers, through
the real actions and a real CRM: several problems in one message, the warranty route and its
claim, when a refund reaches the bank, the parcel in the order status."""

from __future__ import annotations

from datetime import datetime, timedelta

from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from crm_store import stages
from crm_store.models import Return, Ticket
from crm_store.services import returns
from tests.support.action_calls import DOMAIN, an_order, replies, tracker


def test_several_problems_in_german_get_one_ticket_each_and_a_german_list(engine, uow_factory, chat):
    from actions.tickets import ActionOpenTicket

    sender, owner = chat
    number = an_order(uow_factory, owner, "delivered", "travel mug", 3)
    dispatcher = CollectingDispatcher()

    ActionOpenTicket().run(
        dispatcher,
        tracker(
            sender,
            f"Bestellung {number}: die Tasse kam kaputt an und der Deckel fehlt",
            {"language": "de", "order_id": number},
            intent="complaint",
        ),
        DOMAIN,
    )

    [reply] = [m for m in dispatcher.messages if m.get("response") == "utter_several_problems"]
    assert reply["count"] == 2 and reply["sorry"] == "Das tut mir leid. "
    lines = reply["problems"].splitlines()
    assert [line.split(": Ticket ")[0] for line in lines] == [
        "- Artikel beschädigt angekommen",
        "- Artikel fehlt im Paket",
    ]
    with engine.connect() as conn:
        subjects = conn.scalars(select(Ticket.subject).where(Ticket.customer_id == owner)).all()
    assert sorted(subjects) == [f"Item arrived damaged ({number})", f"Item missing from the parcel ({number})"]


def test_a_fault_after_the_return_window_goes_the_warranty_route_in_french(engine, uow_factory, chat):
    from actions.orders import ActionCheckOrder
    from actions.tickets import answer_warranty

    sender, owner = chat
    number = an_order(uow_factory, owner, "delivered", "desk lamp", 90)
    offered = CollectingDispatcher()

    ActionCheckOrder().run(
        offered,
        tracker(sender, f"la lampe de la {number} ne marche plus", {"order_id": number, "language": "fr"}),
        DOMAIN,
    )
    claimed = CollectingDispatcher()
    answer_warranty(
        claimed, tracker(sender, "oui", {"requested_info": f"warranty:{number}", "language": "fr"}, intent="affirm")
    )

    said = replies(offered)
    assert said.startswith(f"Je suis désolé que desk lamp de la commande {number} pose problème.")
    assert "délai de retour de 30 jours est donc dépassé" in said and "garantie de 24 mois" in said
    assert "warranty" not in said and "delivered" not in said
    assert replies(claimed).startswith("J'ai ouvert la demande de garantie T-")
    with engine.connect() as conn:
        assert conn.scalars(select(Ticket.subject).where(Ticket.customer_id == owner)).all() == [
            f"Warranty claim ({number})"
        ]


def test_a_received_return_says_when_the_money_reaches_the_bank_in_spanish(uow_factory, chat):
    from actions.refunds import ActionRefundStatus

    sender, owner = chat
    number = an_order(uow_factory, owner, "delivered", "yoga mat", 12)
    opened = returns.open_return(uow_factory(), owner, number, "yoga mat", "demasiado pequeña", datetime(2026, 11, 26))
    uow = uow_factory()
    with uow:
        row = uow.session.get(Return, opened.id)
        stages.move(uow.session, "return", row, "approved", datetime(2026, 11, 27))
        stages.move(uow.session, "return", row, "received", datetime(2026, 11, 30, 9))
        uow.commit()
    dispatcher = CollectingDispatcher()

    ActionRefundStatus().run(
        dispatcher, tracker(sender, "¿dónde está mi dinero?", {"language": "es"}, intent="refund_status"), DOMAIN
    )

    said = " ".join(str(m.get("returns") or "") for m in dispatcher.messages)
    assert f"- {opened.number} (yoga mat, pedido {number}): artículo recibido el 30 de noviembre de 2026; " in said
    assert "pagamos el reembolso como tarde el 7 de diciembre de 2026" in said
    assert "working days" not in said and "account" not in said


def test_the_order_status_tells_a_german_customer_where_the_parcel_is(uow_factory, chat):
    from actions.orders import answer_status
    from crm_store.services import orders

    sender, owner = chat
    number = an_order(uow_factory, owner, "paid", "desk lamp", 1)
    dispatcher = CollectingDispatcher()

    answer_status(dispatcher, orders.lookup(uow_factory(), number, owner))

    [reply] = dispatcher.messages
    assert reply["details_de"] == (
        "Sie ist bezahlt und wird bald verpackt. Sie hat unser Lager noch nicht verlassen; Bestellungen gehen "
        "meist innerhalb von 1-2 Werktagen raus."
    )
    assert reply["details"] == (
        "It's paid and will be packed soon. It hasn't left our warehouse yet; orders usually ship within 1-2 "
        "working days."
    )
    assert reply["details_fr"].startswith("Elle est payée") and reply["details_es"].startswith("Está pagado")


def test_a_ticket_moved_by_the_team_is_reported_in_french(uow_factory, chat):
    from actions.tickets import ActionTicketStatus
    from crm_store.services import tickets

    sender, owner = chat
    ticket = tickets.open_ticket(uow_factory(), owner, "Lampe cassée", datetime.utcnow() - timedelta(days=2))
    uow = uow_factory()
    with uow:
        row = uow.session.get(Ticket, ticket.id)
        stages.move(uow.session, "ticket", row, "in_progress", datetime.utcnow() - timedelta(days=1))
        uow.commit()
    dispatcher = CollectingDispatcher()

    ActionTicketStatus().run(
        dispatcher, tracker(sender, "du nouveau sur mon ticket ?", {"language": "fr"}, intent="ticket_status"), DOMAIN
    )

    said = replies(dispatcher)
    assert f"Dernière nouvelle sur {ticket.number} (" in said
    assert "le ticket est passé à « en cours »" in said and "moved" not in said
