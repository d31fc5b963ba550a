"""German, French and Spanish customers served end to end over REST: order status, a cancellation
with its read-back and yes, a return with a reason, thanks, goodbye and the rating, each in the
customer's language; a customer switching language mid-conversation. Uses the session's stack."""

from __future__ import annotations

import json
import random
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.local_stack import Stack, eventually
from crm_store import stages
from crm_store.db import UnitOfWork
from crm_store.models import (
    ChannelIdentity,
    Conversation,
    Customer,
    Feedback,
    Handoff,
    Message,
    Order,
    OrderItem,
    Product,
    Return,
)
from tests.support.events import unique_sender

pytestmark = pytest.mark.e2e

FLOW = ["paid", "packed", "shipped", "delivered"]


def texts(replies: list[dict]) -> str:
    return " ".join(r.get("text", "") for r in replies)


def customer_with_orders(
    stack: Stack, *statuses: str, channel: str = "rest", sender: str | None = None
) -> tuple[str, int, list[str]]:
    """A new customer known on `channel` (REST unless said), owning one order (one yoga mat,
    29.90) per status given."""
    sender = sender or unique_sender("lang")
    placed = datetime.utcnow() - timedelta(days=6)
    numbers = []
    uow = UnitOfWork(stack.engine)
    with uow:
        person = uow.customers.add(Customer(name="Test Person", created_at=placed))
        uow.identities.add(
            ChannelIdentity(customer_id=person.id, channel=channel, external_id=sender, created_at=placed)
        )
        mat = uow.session.scalars(select(Product).where(Product.name == "yoga mat")).one()
        for status in statuses:
            number = f"A-{random.randint(20000, 99999)}"
            order = uow.orders.add(
                Order(
                    number=number,
                    customer_id=person.id,
                    status="pending",
                    stage_entered_at=placed,
                    placed_at=placed,
                    total=Decimal("29.90"),
                    shipping_address="Torstrasse 1, 10119 Berlin",
                )
            )
            uow.session.add(OrderItem(order_id=order.id, product_id=mat.id, quantity=1, unit_price=Decimal("29.90")))
            for step, stage in enumerate(FLOW[: FLOW.index(status) + 1]):
                stages.move(uow.session, "order", order, stage, placed + timedelta(days=step + 1))
            numbers.append(number)
        uow.commit()
        return sender, person.id, numbers


def rows(stack: Stack, stmt):  # type: ignore[no-untyped-def]
    with stack.engine.connect() as conn:
        return conn.execute(stmt).all()


@dataclass(frozen=True)
class Script:
    """What a customer writes in one language, and what the replies must say."""

    code: str
    hello: str
    greeting: str
    where: str  # "{number}" is the shipped order
    status: str  # "{number}" again; the amount and the status word in the language
    cancel: str
    read_back: str
    yes: str
    cancelled: str
    ret: str
    why: str
    reason: str
    check: str
    created: str
    thanks: str
    welcome: str
    bye: str
    rate: str
    rated: str


SCRIPTS = [
    Script(
        "de",
        "Hallo, guten Tag zusammen",
        "Ich bin der Shop-Assistent",
        "Wo bleibt meine Bestellung {number}?",
        "Bestellung {number} (1 x yoga mat, 29,90\xa0€) ist versandt",
        "Ich möchte die Bestellung {number} stornieren",
        "kann noch storniert werden",
        "ja",
        "ist storniert",
        "Ich möchte etwas aus Bestellung {number} zurückschicken",
        "Warum schicken Sie es zurück?",
        "Die Matte ist mir leider viel zu klein",
        "Zur Kontrolle: Rücksendung",
        "Ich habe die Rücksendung",
        "Vielen Dank für die Hilfe",
        "Gern geschehen",
        "Tschüss, bis bald",
        "Wie bewerten Sie dieses Gespräch",
        "Danke für Ihr Feedback",
    ),
    Script(
        "fr",
        "Bonjour, je voudrais de l'aide s'il vous plaît",
        "Je suis l'assistant de la boutique",
        "Où en est ma commande {number} ?",
        "La commande {number} (1 x yoga mat, 29,90\xa0€) est expédiée",
        "Je veux annuler ma commande {number}",
        "peut encore être annulée",
        "oui",
        "est annulée",
        "Je voudrais retourner un article de la commande {number}",
        "Pourquoi le retournez-vous ?",
        "Le tapis est beaucoup trop petit pour moi",
        "Pour vérifier : retour",
        "J'ai ouvert le retour",
        "Merci beaucoup pour votre aide",
        "Avec plaisir",
        "Au revoir, bonne journée",
        "comment évaluez-vous cette conversation",
        "Merci pour votre avis",
    ),
    Script(
        "es",
        "Hola, buenos días",
        "Soy el asistente de la tienda",
        "¿Dónde está mi pedido {number}?",
        "El pedido {number} (1 x yoga mat, 29,90\xa0€) está enviado",
        "Quiero cancelar mi pedido {number}",
        "todavía se puede cancelar",
        "sí",
        "está cancelado",
        "Quiero devolver un artículo del pedido {number}",
        "¿Por qué lo devuelve?",
        "La esterilla es demasiado pequeña para mí",
        "Para confirmar: devolución",
        "He abierto la devolución",
        "Muchas gracias por la ayuda",
        "De nada",
        "Adiós, hasta luego",
        "cómo valora esta conversación",
        "Gracias por su opinión",
    ),
]


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.code for s in SCRIPTS])
def test_a_customer_is_served_in_their_language(stack: Stack, script: Script):
    sender, customer_id, (shipped, paid, delivered) = customer_with_orders(stack, "shipped", "paid", "delivered")

    hello = texts(stack.say(sender, script.hello))
    status = texts(stack.say(sender, script.where.format(number=shipped)))
    ask = stack.say(sender, script.cancel.format(number=paid))
    done = texts(stack.say(sender, script.yes))
    why = texts(stack.say(sender, script.ret.format(number=delivered)))
    check = texts(stack.say(sender, script.reason))
    created = texts(stack.say(sender, script.yes))
    welcome = texts(stack.say(sender, script.thanks))
    bye = texts(stack.say(sender, script.bye))
    rated = texts(stack.say(sender, "4"))

    assert script.greeting in hello, hello
    assert script.status.format(number=shipped) in status, status
    assert script.read_back in texts(ask) and paid in texts(ask), ask
    # the buttons are in the language too, and still answer yes / no
    assert [b["payload"] for b in ask[-1]["buttons"]] == ["/affirm", "/deny"]
    assert "Yes" not in " ".join(b["title"] for b in ask[-1]["buttons"])
    assert script.cancelled in done and paid in done, done
    assert rows(stack, select(Order.status).where(Order.number == paid)) == [("cancelled",)]
    assert script.why in why, why
    assert script.check in check and script.reason in check, check
    returned = rows(stack, select(Return.number, Return.reason).where(Return.customer_id == customer_id))
    assert len(returned) == 1 and returned[0][0] in created and script.created in created, (created, returned)
    assert script.reason in returned[0][1]
    assert script.welcome in welcome, welcome
    assert script.rate in bye, bye
    assert script.rated in rated, rated
    assert rows(stack, select(Feedback.rating).where(Feedback.customer_id == customer_id)) == [(4,)]

    def languages() -> list[str | None]:
        return [
            code
            for (code,) in rows(
                stack,
                select(Message.language)
                .join(Conversation, Message.conversation_id == Conversation.id)
                .where(Conversation.sender_id == sender, Message.direction == "in"),
            )
        ]

    # messages.language as before: the language of each message that says enough to tell
    assert script.code in eventually(languages)


def test_a_customer_switching_language_is_answered_in_the_new_one(stack: Stack):
    sender, _, (shipped, paid) = customer_with_orders(stack, "shipped", "paid")

    german = texts(stack.say(sender, f"Wo ist meine Bestellung {shipped}, ich warte schon lange"))
    french = texts(stack.say(sender, f"Excusez-moi, je voudrais plutôt annuler la commande {paid}"))
    oui = texts(stack.say(sender, "oui"))
    english = texts(stack.say(sender, "Can we speak English please?"))
    status = texts(stack.say(sender, f"where is my order {shipped}"))

    assert f"Bestellung {shipped}" in german and "versandt" in german, german
    assert "peut encore être annulée" in french, french
    assert "est annulée" in oui, oui  # the one-word answer kept French
    assert "English" in english, english
    assert f"Order {shipped} (1 x yoga mat; 29.90 EUR) is shipped" in status, status


@pytest.mark.parametrize(
    "ask, language",
    [
        ("Habt ihr die Yogamatte gerade auf Lager?", "de"),
        ("Est-ce que le tapis de yoga est en stock ?", "fr"),
        ("¿Tenéis la esterilla de yoga en stock?", "es"),
    ],
    ids=["de", "fr", "es"],
)
def test_a_price_is_written_the_way_the_customers_language_writes_it(stack: Stack, ask: str, language: str):
    from actions.locales import money

    uow = UnitOfWork(stack.engine)
    with uow:
        price = uow.session.scalars(select(Product.price).where(Product.name == "yoga mat")).one()
    sender, _, _ = customer_with_orders(stack)

    reply = texts(stack.say(sender, ask))

    assert money(price, language) in reply, reply  # "29,90\xa0€"
    assert "EUR" not in reply, reply


@pytest.mark.parametrize(
    "ask, answer, place, waiting, queued_note, cancel, back",
    [
        (
            "Ich möchte bitte mit einem Menschen sprechen",
            "Ich verbinde Sie mit einer Kollegin oder einem Kollegen",
            r"Sie sind (als Nächstes an der Reihe|auf Platz \d+ der Warteschlange)",
            "Hallo, ist da jemand? Ich warte noch",
            "die nächste Person aus unserem Team sieht diese Nachricht",
            "abbrechen, ich brauche niemanden mehr",
            "ich habe Sie aus der Warteschlange genommen",
        ),
        (
            "Je voudrais parler à un conseiller s'il vous plaît",
            "Je vous mets en relation avec une personne",
            r"(C'est bientôt à vous|Vous êtes en position \d+ dans la file d'attente)",
            "Bonjour, il y a quelqu'un ? J'attends toujours",
            "la prochaine personne de notre équipe verra ce message",
            "annuler, je n'ai plus besoin de personne",
            "je vous ai retiré de la file d'attente",
        ),
        (
            "Quiero hablar con una persona, por favor",
            "Le paso con una persona de nuestro equipo",
            r"(Es el primero de la cola|Está en el puesto \d+ de la cola)",
            "Hola, ¿hay alguien? Sigo esperando",
            "la próxima persona de nuestro equipo verá este mensaje",
            "cancelar, ya no necesito a nadie",
            "le he sacado de la cola",
        ),
    ],
    ids=["de", "fr", "es"],
)
def test_asking_for_a_person_queues_a_handoff_and_the_queue_speaks_the_language(
    stack: Stack, ask: str, answer: str, place: str, waiting: str, queued_note: str, cancel: str, back: str
):
    """The handoff reply with the place and the wait, the answer to a message written while
    queued, and taking oneself out of the queue: all in the customer's language."""
    from tests.e2e.test_console_stack import outgoing

    sender, _, _ = customer_with_orders(stack)

    reply = texts(stack.say(sender, ask))

    assert answer in reply, reply
    assert re.search(place, reply), reply
    assert "queue" not in reply and "You" not in reply, reply  # no English sentence inside
    handoffs = eventually(
        lambda: rows(
            stack,
            select(Handoff.status)
            .join(Conversation, Conversation.id == Handoff.conversation_id)
            .where(Conversation.sender_id == sender),
        )
    )
    assert handoffs == [("queued",)]

    def notices() -> list[str]:
        return [m["text"] for m in outgoing(stack, sender) if m["author"] == "handoff"]

    stack.say(sender, waiting)
    first = eventually(notices, timeout=20)
    assert queued_note in first[0] and re.search(place, first[0]), first

    stack.say(sender, cancel)
    later = eventually(lambda: notices()[1:], timeout=20)
    assert back in later[0], later
    assert eventually(
        lambda: rows(
            stack,
            select(Handoff.status)
            .join(Conversation, Conversation.id == Handoff.conversation_id)
            .where(Conversation.sender_id == sender, Handoff.status == "cancelled"),
        ),
        timeout=20,
    ) == [("cancelled",)]


@pytest.mark.parametrize(
    "where, status, cancel, read_back, yes, done, faq, answer",
    [
        (
            "Wo bleibt meine Bestellung {number}?",
            "ist versandt",
            "Bitte stornieren Sie meine Bestellung {number}",
            "kann noch storniert werden",
            "ja",
            "ist storniert",
            "Welche Zahlungsarten bietet ihr an?",
            "Sie können mit Kredit- oder Debitkarte",
        ),
        (
            # lingua gives this short first message French 0.55 but English 0.11; its French
            # function words (où, en, est, ma) and no English ones make it French
            "Où en est ma commande {number} ?",
            "est expédiée",
            "Je veux annuler ma commande {number}",
            "peut encore être annulée",
            "oui",
            "est annulée",
            "Quels moyens de paiement acceptez-vous ?",
            "Vous pouvez payer par carte",
        ),
        (
            "¿Dónde está mi pedido {number}?",
            "está enviado",
            "Quiero cancelar mi pedido {number}",
            "todavía se puede cancelar",
            "sí",
            "está cancelado",
            "¿Qué formas de pago aceptan?",
            "Puede pagar con tarjeta",
        ),
    ],
    ids=["de", "fr", "es"],
)
def test_a_customer_on_telegram_is_served_in_their_language(
    stack: Stack,
    telegram,  # type: ignore[no-untyped-def]
    where: str,
    status: str,
    cancel: str,
    read_back: str,
    yes: str,
    done: str,
    faq: str,
    answer: str,
):
    from tests.e2e.test_telegram_stack import post_update, replies_to, text_update

    chat_id = random.randint(10**8, 10**9)
    sender, customer_id, (shipped, paid) = customer_with_orders(
        stack, "shipped", "paid", channel="telegram", sender=str(chat_id)
    )

    def say(text: str) -> str:
        before = len(replies_to(telegram, chat_id))
        assert post_update(stack, text_update(chat_id, text)) == 200
        eventually(lambda: len(replies_to(telegram, chat_id)) > before, timeout=90)
        # a turn may send more than one message: take them all, up to a second without a new one
        seen = -1
        while seen != len(replies_to(telegram, chat_id)):
            seen = len(replies_to(telegram, chat_id))
            time.sleep(1.0)
        return " ".join(replies_to(telegram, chat_id)[before:])

    assert status in (reply := say(where.format(number=shipped))) and shipped in reply, reply
    assert read_back in (reply := say(cancel.format(number=paid))), reply
    markups = [c.get("reply_markup") for c in telegram.calls_to("sendMessage") if c.get("chat_id") == chat_id]
    buttons = [
        b["text"]
        for m in markups
        if m
        for row in (json.loads(m) if isinstance(m, str) else m).get("inline_keyboard", [])
        for b in row
    ]
    assert buttons and not any("Yes" in b for b in buttons), buttons
    assert done in (reply := say(yes)), reply
    assert rows(stack, select(Order.status).where(Order.number == paid)) == [("cancelled",)]
    assert answer in (reply := say(faq)), reply
