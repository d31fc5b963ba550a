"""Canned replies filled from the conversation itself: the customer's first name, the order the
chat is about, the ticket opened in it, the agent's name.

A value that is missing never shows as a placeholder. Templates mark the words that only make
sense with a value as optional: `[order {order_id}|your order]` reads "order A-10423" when the
chat is about one and "your order" when not; `Thanks[ {first_name}],` drops the name for a
visitor whose name we do not know.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select

from crm_store.db import UnitOfWork
from crm_store.models import (
    CannedReply,
    ChannelIdentity,
    Conversation,
    Customer,
    Message,
    Ticket,
)
from crm_store.services.tickets import ticket_number
from crm_store.values import normalize_order_id

DEFAULT_CANNED = {
    "Greeting": "Hi[ {first_name}], this is {agent} from the support team. I'm reading your chat now.",
    "Order check": "Thanks[ {first_name}], I'm checking [order {order_id}|your order] for you right now.",
    "Ticket opened": "I've opened [ticket {ticket_id}|a ticket] for this; our team answers it by email.",
    "Anything else": "Is there anything else I can do for you[, {first_name}]?",
    "Goodbye": "Glad I could help[, {first_name}]. I'm handing you back to our assistant now. Have a good day!",
}
# The same replies in the languages the assistant serves beside English: offered on the
# conversation page when the customer writes in one of them (titles say the language).
CANNED_BY_LANGUAGE = {
    "de": {
        "Greeting": "Hallo[ {first_name}], hier ist {agent} vom Support-Team. Ich lese gerade Ihren Chat.",
        "Order check": "Danke[ {first_name}], ich sehe mir [Bestellung {order_id}|Ihre Bestellung] gleich für Sie an.",
        "Ticket opened": "Ich habe dafür [Ticket {ticket_id}|ein Ticket] eröffnet; unser Team antwortet per E-Mail.",
        "Anything else": "Kann ich sonst noch etwas für Sie tun[, {first_name}]?",
        "Goodbye": "Schön, dass ich helfen konnte[, {first_name}]. Ich übergebe Sie jetzt wieder an unseren "
        "Assistenten. Einen schönen Tag noch!",
    },
    "fr": {
        "Greeting": "Bonjour[ {first_name}], ici {agent} de l'équipe support. Je lis votre conversation.",
        "Order check": "Merci[ {first_name}], je vérifie [la commande {order_id}|votre commande] tout de suite.",
        "Ticket opened": "J'ai ouvert [le ticket {ticket_id}|un ticket] pour cela ; notre équipe vous répondra par e-mail.",
        "Anything else": "Puis-je faire autre chose pour vous[, {first_name}] ?",
        "Goodbye": "Ravi d'avoir pu vous aider[, {first_name}]. Je vous laisse à nouveau avec notre assistant. "
        "Bonne journée !",
    },
    "es": {
        "Greeting": "Hola[ {first_name}], soy {agent} del equipo de soporte. Estoy leyendo su conversación.",
        "Order check": "Gracias[ {first_name}], reviso [el pedido {order_id}|su pedido] ahora mismo.",
        "Ticket opened": "He abierto [el ticket {ticket_id}|un ticket] para esto; nuestro equipo le responderá por correo.",
        "Anything else": "¿Puedo ayudarle en algo más[, {first_name}]?",
        "Goodbye": "Me alegra haberle ayudado[, {first_name}]. Le paso de nuevo con nuestro asistente. ¡Que tenga un buen día!",
    },
}
# Bodies this project shipped before, replaced by the ones above where nobody edited them.
_OLD_DEFAULTS = {
    "Hi {first_name}, this is {agent} from the support team. I'm reading your chat now.",
    "Thanks {first_name}, I'm checking order {order_id} for you right now.",
    "Is there anything else I can do for you, {first_name}?",
    "Glad I could help, {first_name}. I'm handing you back to our assistant now. Have a good day!",
}
_VARIABLE = re.compile(r"\{(\w+)\}")
_OPTIONAL = re.compile(r"\[([^\[\]|]*)(?:\|([^\[\]]*))?\]")
_GENERATED_NAME = re.compile(r"^\w+ customer \S+$")  # "webchat customer 3f9c…": made up when a chat starts
_ORDER_IN_TEXT = re.compile(r"\b[A-Za-z]-?\s?\d{5}\b")


def fill(template: str, variables: dict) -> str:
    """The template with every {name} filled; optional [ … | fallback ] parts need all their values."""
    known = {k: str(v) for k, v in variables.items() if v not in (None, "")}

    def has_all(part: str) -> bool:
        return all(name in known for name in _VARIABLE.findall(part))

    def optional(m: re.Match) -> str:
        if has_all(m.group(1)):
            return m.group(1)
        fallback = m.group(2) or ""
        return fallback if has_all(fallback) else ""

    text = _VARIABLE.sub(lambda m: known.get(m.group(1), ""), _OPTIONAL.sub(optional, template))
    return re.sub(r"\s+([,.!?])", r"\1", re.sub(r"[ \t]{2,}", " ", text)).strip()


def in_language(language: str | None, variables: dict) -> list[tuple[str, str]]:
    """The built-in replies in the customer's language, filled, titled "Greeting (FR)"; none
    for English or a language without translations."""
    replies = CANNED_BY_LANGUAGE.get(language or "en", {})
    return [(f"{title} ({(language or '').upper()})", fill(body, variables)) for title, body in replies.items()]


def conversation_language(messages: list) -> str | None:
    """The language the customer writes in: that of their latest message long enough to tell."""
    for message in reversed(messages):
        if message.direction == "in" and message.language:
            return str(message.language)
    return None


def conversation_variables(uow: UnitOfWork, conversation_id: int, agent: str) -> dict[str, str | None]:
    """What a canned reply may name, read from this conversation (never from the newest order on file)."""
    with uow:
        s = uow.session
        conv = s.get(Conversation, conversation_id)
        customer = s.get(Customer, conv.customer_id) if conv and conv.customer_id else None
        identity = s.get(ChannelIdentity, conv.identity_id) if conv and conv.identity_id else None
        texts = s.execute(
            select(Message.text, Message.entities)
            .where(Message.conversation_id == conversation_id, Message.direction == "in")
            .order_by(Message.sent_at.desc(), Message.id.desc())
        ).all()
        ticket = s.scalar(
            select(Ticket.id).where(Ticket.conversation_id == conversation_id).order_by(Ticket.id.desc()).limit(1)
        )
        return {
            "first_name": _first_name(customer, identity),
            "order_id": _order_in_focus(texts),
            "ticket_id": ticket_number(ticket) if ticket else None,
            "agent": agent,
            "email": customer.email if customer else None,
        }


def _first_name(customer: Customer | None, identity: ChannelIdentity | None) -> str | None:
    for name in (customer.name if customer else None, identity.display_name if identity else None):
        if name and not _GENERATED_NAME.match(name):
            return name.split()[0]
    return None


def _order_in_focus(texts: list[tuple[str | None, object]]) -> str | None:
    """The order the customer wrote about last: an order entity, else an order number in the text."""
    for text, entities in texts:
        for entity in entities if isinstance(entities, list) else []:
            if isinstance(entity, dict) and entity.get("entity") == "order_id":
                number = normalize_order_id(str(entity.get("value") or ""))
                if number:
                    return number
        for candidate in _ORDER_IN_TEXT.findall(text or ""):
            number = normalize_order_id(candidate)
            if number:
                return number
    return None


def ensure_canned_replies(uow: UnitOfWork, now: datetime) -> int:
    """The default replies, added once; an old default body nobody edited is brought up to date."""
    with uow:
        rows = {c.title: c for c in uow.session.scalars(select(CannedReply))}
        added = 0
        for title, body in DEFAULT_CANNED.items():
            row = rows.get(title)
            if row is None:
                uow.session.add(CannedReply(title=title, body=body, created_at=now))
                added += 1
            elif row.body in _OLD_DEFAULTS:
                row.body = body
        uow.commit()
        return added
