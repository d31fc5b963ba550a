"""The handoff queue as customers and agents see it: order, positions and an honest wait.

The expected wait is measured, not a constant: the median time recent handoffs waited
for their first agent response, times the customer's place in the queue, divided by the
agents online. With no recent handoffs to go by, we say we cannot estimate it.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select

from crm_store.db import UnitOfWork
from crm_store.models import ChannelIdentity, Conversation, Customer, Handoff, Message
from crm_store.services.console_users import agents_online

RECENT = timedelta(days=7)
RECENT_COUNT = 20
_PRIORITY = case((Handoff.priority == "high", 0), else_=1)


@dataclass(frozen=True)
class WaitEstimate:
    position: int  # 1 = next in line; 0 = not queued
    minutes: int | None  # None: no recent handoffs to estimate from
    agents_online: int
    recent_median_minutes: float | None


@dataclass(frozen=True)
class QueueItem:
    handoff_id: int
    conversation_id: int
    status: str
    priority: str
    reason: str | None
    trigger: str | None
    agent: str | None
    requested_at: datetime
    claimed_at: datetime | None
    customer_id: int | None
    customer_name: str
    channel: str | None
    last_message: str | None
    escalated: bool
    # The language of the customer's latest message that had enough words to tell
    language: str | None = None


def queued_order(uow: UnitOfWork) -> list[int]:
    """Ids of queued handoffs, next in line first: high priority, then longest waiting."""
    with uow:
        return list(
            uow.session.scalars(
                select(Handoff.id)
                .where(Handoff.status == "queued")
                .order_by(_PRIORITY, Handoff.requested_at, Handoff.id)
            )
        )


def position(uow: UnitOfWork, handoff_id: int) -> int:
    order = queued_order(uow)
    return order.index(handoff_id) + 1 if handoff_id in order else 0


def recent_first_responses(uow: UnitOfWork, now: datetime) -> list[float]:
    """Minutes from request to the first agent reply (or the claim) of the latest handoffs."""
    with uow:
        rows = uow.session.execute(
            select(Handoff.requested_at, func.coalesce(Handoff.first_response_at, Handoff.claimed_at))
            .where(Handoff.claimed_at.is_not(None), Handoff.claimed_at >= now - RECENT)
            .order_by(Handoff.claimed_at.desc())
            .limit(RECENT_COUNT)
        ).all()
        return [max((answered - asked).total_seconds(), 0) / 60 for asked, answered in rows if answered]


def expected_wait(uow: UnitOfWork, handoff_id: int, now: datetime) -> WaitEstimate:
    place = position(uow, handoff_id)
    online = agents_online(uow, now)
    recent = recent_first_responses(uow, now)
    if not recent or place == 0:
        return WaitEstimate(place, None, online, statistics.median(recent) if recent else None)
    median = statistics.median(recent)
    minutes = max(1, math.ceil(median * place / max(online, 1)))
    return WaitEstimate(place, minutes, online, median)


# What a queued customer reads about their place and wait, in the languages the assistant serves
# ({n}: place, {m}: minutes without an agent before a ticket, {recent} / {wait}: minutes).
_WAIT: dict[str, dict[str, str]] = {
    "en": {
        "next": "You're next in the queue.",
        "place": "You're number {n} in the queue.",
        "nobody": "Nobody from the team is at the console right now: if nobody takes your chat within {m} minutes, "
        "I'll open a ticket with this conversation so the team answers by email, and you can carry on with me.",
        "unknown": "I can't estimate the wait yet, as there are no recent chats to go by.",
        "estimate": "Recent chats were answered after about {recent}, so the expected wait is about {wait}.",
        "minute": "minute",
        "minutes": "minutes",
    },
    "de": {
        "next": "Sie sind als Nächstes an der Reihe.",
        "place": "Sie sind auf Platz {n} der Warteschlange.",
        "nobody": "Gerade ist niemand aus dem Team an der Konsole: Übernimmt innerhalb von {m} Minuten niemand "
        "Ihren Chat, eröffne ich ein Ticket mit diesem Gespräch, damit das Team per E-Mail antwortet, und Sie "
        "können so lange mit mir weitermachen.",
        "unknown": "Die Wartezeit kann ich noch nicht schätzen, weil es keine aktuellen Chats als Anhaltspunkt gibt.",
        "estimate": "Zuletzt kam die Antwort nach etwa {recent}, Sie warten also voraussichtlich etwa {wait}.",
        "minute": "Minute",
        "minutes": "Minuten",
    },
    "fr": {
        "next": "C'est bientôt à vous : vous êtes en tête de la file d'attente.",
        "place": "Vous êtes en position {n} dans la file d'attente.",
        "nobody": "Personne de l'équipe n'est à la console pour le moment : si personne ne prend votre conversation "
        "d'ici {m} minutes, j'ouvrirai un ticket avec cette conversation pour que l'équipe vous réponde par "
        "e-mail, et vous pourrez continuer avec moi.",
        "unknown": "Je ne peux pas encore estimer l'attente : il n'y a pas de conversations récentes pour me guider.",
        "estimate": "Les dernières conversations ont eu une réponse après environ {recent} ; l'attente prévue est "
        "donc d'environ {wait}.",
        "minute": "minute",
        "minutes": "minutes",
    },
    "es": {
        "next": "Es el primero de la cola.",
        "place": "Está en el puesto {n} de la cola.",
        "nobody": "Ahora mismo no hay nadie del equipo en la consola: si nadie atiende su chat en {m} minutos, "
        "abriré un ticket con esta conversación para que el equipo le responda por correo, y puede seguir conmigo.",
        "unknown": "Todavía no puedo estimar la espera, porque no hay chats recientes en los que basarme.",
        "estimate": "Los últimos chats se respondieron en alrededor de {recent}, así que la espera prevista es de "
        "alrededor de {wait}.",
        "minute": "minuto",
        "minutes": "minutos",
    },
}


def describe_wait(wait: WaitEstimate, no_agent_minutes: int, language: str | None = "en") -> str:
    """The sentence the customer reads about their place and wait, in their language (English
    for a language the assistant does not serve)."""
    words = _WAIT.get(language or "en", _WAIT["en"])

    def minutes(n: int) -> str:
        return f"{n} {words['minute'] if n == 1 else words['minutes']}"

    place = words["next"] if wait.position == 1 else words["place"].format(n=wait.position)
    if wait.agents_online == 0:
        return f"{place} {words['nobody'].format(m=no_agent_minutes)}"
    if wait.minutes is None:
        return f"{place} {words['unknown']}"
    recent = max(1, round(wait.recent_median_minutes or 0))
    return f"{place} {words['estimate'].format(recent=minutes(recent), wait=minutes(wait.minutes))}"


def written_while_queued(uow: UnitOfWork, handoff_id: int, message_ids: list[int]) -> set[int]:
    """Of these customer messages, those written since the handoff last entered the queue. After a
    release, what the customer wrote while an agent had the chat was read by that agent: it is not
    a message waiting for the next person, and the queue does not acknowledge it."""
    if not message_ids:
        return set()
    with uow:
        h = uow.session.get(Handoff, handoff_id)
        if h is None:
            return set()
        since = h.stage_entered_at or h.requested_at
        return set(uow.session.scalars(select(Message.id).where(Message.id.in_(message_ids), Message.sent_at >= since)))


def queue(uow: UnitOfWork, statuses: tuple[str, ...] = ("queued", "claimed")) -> list[QueueItem]:
    """Open handoffs for the console: queued ones in queue order, then claimed ones."""
    with uow:
        last = (
            select(Message.text)
            .where(Message.conversation_id == Handoff.conversation_id, Message.direction == "in")
            .order_by(Message.sent_at.desc(), Message.id.desc())
            .limit(1)
            .correlate(Handoff)
            .scalar_subquery()
        )
        language = (
            select(Message.language)
            .where(
                Message.conversation_id == Handoff.conversation_id,
                Message.direction == "in",
                Message.language.is_not(None),
            )
            .order_by(Message.sent_at.desc(), Message.id.desc())
            .limit(1)
            .correlate(Handoff)
            .scalar_subquery()
        )
        rows = uow.session.execute(
            select(
                Handoff,
                Conversation.customer_id,
                Conversation.channel,
                Customer.name,
                ChannelIdentity.display_name,
                last,
                language,
            )
            .join(Conversation, Handoff.conversation_id == Conversation.id)
            .outerjoin(Customer, Conversation.customer_id == Customer.id)
            .outerjoin(ChannelIdentity, Conversation.identity_id == ChannelIdentity.id)
            .where(Handoff.status.in_(statuses))
            .order_by(case((Handoff.status == "queued", 0), else_=1), _PRIORITY, Handoff.requested_at, Handoff.id)
        ).all()
        return [
            QueueItem(
                h.id,
                h.conversation_id,
                h.status,
                h.priority or "normal",
                h.reason,
                h.trigger,
                h.agent,
                h.requested_at,
                h.claimed_at,
                customer_id,
                name or display or "unknown customer",
                channel,
                text,
                h.escalated_at is not None,
                lang,
            )
            for h, customer_id, channel, name, display, text, lang in rows
        ]


def queue_signature(uow: UnitOfWork) -> tuple:
    """Changes whenever the queue does (for the console's live updates)."""
    with uow:
        return tuple(
            uow.session.execute(
                select(Handoff.id, Handoff.status, Handoff.agent, Handoff.priority)
                .where(Handoff.status.in_(("queued", "claimed")))
                .order_by(Handoff.id)
            ).all()
        )
