"""The handoff service's own voice towards a waiting customer, run inside the console process.

While a conversation is paused, Rasa predicts nothing: the assistant sends no reply of its own.
What a queued customer still hears comes from here, the handoff service, never from the
assistant's policy, and it is stored with author "handoff" (not as an assistant turn):
- a short "you're still in the queue, position N" when they write, at most once per
  HANDOFF_NOTICE_MINUTES, an answer to every message in between ("the next person from our team
  will see this message", with the expected wait); messages written while an agent had the chat
  (before a release) are not answered again; and an honest update when the watchdog escalated
  their chat;
- "cancel, I don't need a person anymore" takes them out of the queue;
- every ended handoff (resolved, cancelled, expired, ticket) is handed back: ConversationResumed,
  a sentence saying what happened, and after a resolve the rating question (csat_form).
All of it is driven by rows (returned_at, seen_message_id, last_notice_at), so a restart
neither repeats nor loses a step; a delivery that fails is retried on the next tick.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import datetime, timedelta
from typing import Any, Callable

from bot.channels import push
from crm_store.db import UnitOfWork
from crm_store.errors import CrmError
from crm_store.services import handoff_queue, handoffs
from crm_store.services.agents import display_name
from crm_store.settings import Settings

log = logging.getLogger(__name__)

_CANCEL = re.compile(
    r"\b(cancel|never\s*mind|nevermind|forget it)\b|\b(don'?t|do not|no longer)\s+need\b|\bnot\s+needed\s+any\s*more\b"
    # "abbrechen, ich brauche niemanden mehr", "annuler, je n'ai plus besoin", "cancelar, ya no necesito a nadie"
    r"|\babbrechen\b|\bbrauche\s+(doch\s+)?(keine[nm]?|niemand(en)?)\b|\bannuler\b|\bplus\s+besoin\b"
    r"|\bcancelar\b|\bya\s+no\s+(lo\s+|la\s+)?necesito\b",
    re.IGNORECASE,
)
_ABOUT_AN_ORDER = re.compile(r"\b(order|bestellung|commande|pedido)\b|\b[A-Z]-?\d{5}\b", re.IGNORECASE)
# Back with the assistant, nothing half-asked: no form, no question waiting for an answer. A
# form or "which order?" left active would take the customer's next message as its answer.
RESUME: list[dict[str, Any]] = [
    {"event": "resume"},
    {"event": "active_loop", "name": None},
    {"event": "slot", "name": "requested_slot", "value": None},
    {"event": "slot", "name": "requested_info", "value": None},
]
# A paused conversation's last action is the one that paused it (action_handoff), not the
# action_listen a turn ends with; the policies (rules, memoization) read the customer's next
# message as coming after action_listen, and without it predicted nonsense (a fallback that
# handed off again, action_create_return). /execute (csat_form) also stops without one.
LISTEN = {"event": "action", "name": "action_listen"}

# What the handoff service says, in the customer's language (their latest message's; English for a
# language the assistant does not serve). {agent}, {ticket} and {wait} are filled in.
NOTICES: dict[str, dict[str, str]] = {
    "en": {
        "back": "Thanks for your patience! You're back with me, the shop assistant.",
        "back_from": "{agent} from our team has handed the chat back. Thanks for your patience! You're back with "
        "me, the shop assistant.",
        "cancelled": "OK, I've taken you out of the queue. You're back with me, the shop assistant: what can I do "
        "for you?",
        "ticket": "Nobody from our team can take the chat right now, so I've opened ticket {ticket} with this "
        "conversation; the team will answer it by email. Meanwhile you're back with me, the shop assistant.",
        "expired": "Sorry, nobody from our team could take the chat in time. I've opened ticket {ticket} with this "
        "conversation and the team will answer it by email. Meanwhile you're back with me, the shop assistant.",
        "escalated": "Sorry for the wait. I've flagged your chat as urgent to our team. {wait}",
        "still_queued": "You're still in the queue for a person. {wait}",
        # Worded like the release notice ("the next person from our team will take over"): after a
        # release there is no "your agent" any more.
        "will_see": "Thanks, the next person from our team will see this message when they take your chat. {wait}",
    },
    "de": {
        "back": "Danke für Ihre Geduld! Sie sind wieder bei mir, dem Shop-Assistenten.",
        "back_from": "{agent} aus unserem Team hat den Chat zurückgegeben. Danke für Ihre Geduld! Sie sind wieder "
        "bei mir, dem Shop-Assistenten.",
        "cancelled": "In Ordnung, ich habe Sie aus der Warteschlange genommen. Sie sind wieder bei mir, dem "
        "Shop-Assistenten: Was kann ich für Sie tun?",
        "ticket": "Gerade kann niemand aus unserem Team den Chat übernehmen, deshalb habe ich Ticket {ticket} mit "
        "diesem Gespräch eröffnet; das Team antwortet per E-Mail. Bis dahin sind Sie wieder bei mir, dem "
        "Shop-Assistenten.",
        "expired": "Leider konnte niemand aus unserem Team den Chat rechtzeitig übernehmen. Ich habe Ticket {ticket} "
        "mit diesem Gespräch eröffnet, und das Team antwortet per E-Mail. Bis dahin sind Sie wieder bei mir, dem "
        "Shop-Assistenten.",
        "escalated": "Entschuldigen Sie die Wartezeit. Ich habe Ihren Chat bei unserem Team als dringend markiert. "
        "{wait}",
        "still_queued": "Sie warten weiterhin auf eine Person aus unserem Team. {wait}",
        "will_see": "Danke, die nächste Person aus unserem Team sieht diese Nachricht, sobald sie Ihren Chat "
        "übernimmt. {wait}",
    },
    "fr": {
        "back": "Merci de votre patience ! Vous êtes de nouveau avec moi, l'assistant de la boutique.",
        "back_from": "{agent} de notre équipe vous a rendu la conversation. Merci de votre patience ! Vous êtes de "
        "nouveau avec moi, l'assistant de la boutique.",
        "cancelled": "D'accord, je vous ai retiré de la file d'attente. Vous êtes de nouveau avec moi, l'assistant "
        "de la boutique : que puis-je faire pour vous ?",
        "ticket": "Personne de notre équipe ne peut prendre la conversation pour le moment ; j'ai donc ouvert le "
        "ticket {ticket} avec cette conversation, et l'équipe vous répondra par e-mail. En attendant, vous êtes "
        "de nouveau avec moi, l'assistant de la boutique.",
        "expired": "Désolé, personne de notre équipe n'a pu prendre la conversation à temps. J'ai ouvert le ticket "
        "{ticket} avec cette conversation et l'équipe vous répondra par e-mail. En attendant, vous êtes de "
        "nouveau avec moi, l'assistant de la boutique.",
        "escalated": "Désolé pour l'attente. J'ai signalé votre conversation comme urgente à notre équipe. {wait}",
        "still_queued": "Vous êtes toujours en attente d'une personne de notre équipe. {wait}",
        "will_see": "Merci, la prochaine personne de notre équipe verra ce message en prenant votre conversation. "
        "{wait}",
    },
    "es": {
        "back": "¡Gracias por su paciencia! Vuelve a estar conmigo, el asistente de la tienda.",
        "back_from": "{agent} de nuestro equipo le ha devuelto el chat. ¡Gracias por su paciencia! Vuelve a estar "
        "conmigo, el asistente de la tienda.",
        "cancelled": "De acuerdo, le he sacado de la cola. Vuelve a estar conmigo, el asistente de la tienda: ¿en "
        "qué puedo ayudarle?",
        "ticket": "Ahora mismo nadie de nuestro equipo puede atender el chat, así que he abierto el ticket {ticket} "
        "con esta conversación; el equipo le responderá por correo. Mientras tanto, vuelve a estar conmigo, el "
        "asistente de la tienda.",
        "expired": "Lo siento, nadie de nuestro equipo pudo atender el chat a tiempo. He abierto el ticket {ticket} "
        "con esta conversación y el equipo le responderá por correo. Mientras tanto, vuelve a estar conmigo, el "
        "asistente de la tienda.",
        "escalated": "Disculpe la espera. He marcado su chat como urgente para nuestro equipo. {wait}",
        "still_queued": "Sigue en la cola para hablar con una persona. {wait}",
        "will_see": "Gracias, la próxima persona de nuestro equipo verá este mensaje cuando atienda su chat. {wait}",
    },
}


def notice(key: str, language: str | None, **values: str) -> str:
    return NOTICES.get(language or "en", NOTICES["en"])[key].format(**values)


def wants_to_cancel(text: str, intent: str | None) -> bool:
    """ "cancel, I don't need a person anymore", in the four languages (but not "cancel my order A-10424")."""
    if _ABOUT_AN_ORDER.search(text or ""):
        return False
    return intent == "stop" or bool(_CANCEL.search(text or ""))


class QueueMonitor:
    def __init__(
        self, uow_factory: Callable[[], UnitOfWork], settings: Settings, clock: Callable[[], datetime] = datetime.utcnow
    ) -> None:
        self.uow_factory = uow_factory
        self.settings = settings
        self.clock = clock
        self._lock: asyncio.Lock | None = None

    async def run(self, stop: asyncio.Event, interval: float = 0.4) -> None:
        # The watchdog that escalates and tickets stale handoffs is a job of the shared
        # scheduler (analytics/handoffs.py); this loop only speaks to customers.
        while not stop.is_set():
            try:
                await self.tick()
            except Exception:  # noqa: BLE001 - the outermost edge of a background loop: log, go on
                log.exception("handoff monitor tick failed")
            try:
                await asyncio.wait_for(stop.wait(), interval)
            except asyncio.TimeoutError:
                pass

    async def tick(self) -> None:
        # The background loop and a console request (resolve) may tick at once: one at a time,
        # so a conversation is handed back (and asked for its rating) exactly once.
        self._lock = self._lock or asyncio.Lock()
        async with self._lock:
            for pending in await asyncio.to_thread(handoffs.pending_returns, self.uow_factory()):
                await self.hand_back(pending)
            for chat in await asyncio.to_thread(handoffs.queued_chats, self.uow_factory()):
                await self.answer_queued(chat)

    async def hand_back(self, pending: handoffs.PendingReturn) -> None:
        h, channel = pending.handoff, pending.channel or "latest"
        language = await asyncio.to_thread(handoffs.customer_language, self.uow_factory(), h.conversation_id)
        try:
            if h.status == "resolved":
                # Said by the team, so the customer knows the person has gone and who speaks next.
                back = (
                    notice("back_from", language, agent=display_name(h.agent)) if h.agent else notice("back", language)
                )
                await push.post_events(pending.sender_id, channel, [*RESUME, _notice(back)])
                await push.run_action(pending.sender_id, channel, "csat_form")
                await push.post_events(pending.sender_id, channel, [LISTEN])
            else:
                text = notice(h.status, language, ticket=h.ticket_number or "")
                await push.post_events(pending.sender_id, channel, [*RESUME, _notice(text), LISTEN])
        except CrmError as exc:
            log.warning("hand-back not delivered; will retry", extra={"handoff_id": h.id, "error": type(exc).__name__})
            return
        await asyncio.to_thread(handoffs.mark_returned, self.uow_factory(), h.id, self.clock())
        log.info("conversation handed back to the assistant", extra={"handoff_id": h.id, "status": h.status})

    async def answer_queued(self, chat: handoffs.QueuedChat) -> None:
        h, now = chat.handoff, self.clock()
        new_messages = chat.new_messages
        if new_messages:
            await asyncio.to_thread(handoffs.note_monitor, self.uow_factory(), h.id, new_messages[-1][0])
            fresh = await asyncio.to_thread(
                handoff_queue.written_while_queued, self.uow_factory(), h.id, [m[0] for m in new_messages]
            )
            new_messages = tuple(m for m in new_messages if m[0] in fresh)
            if any(wants_to_cancel(text, intent) for _id, text, intent in new_messages):
                try:
                    await asyncio.to_thread(handoffs.cancel_handoff, self.uow_factory(), h.id, now)
                except CrmError:
                    return  # an agent took it meanwhile: the agent answers
                return  # the next tick hands it back with the "cancelled" notice
        escalated = chat.escalated_at is not None and chat.escalated_at > chat.last_notice_at
        due = bool(new_messages) and now - chat.last_notice_at >= timedelta(
            minutes=self.settings.handoff_notice_minutes
        )
        if not (escalated or due or new_messages):
            return
        wait = await asyncio.to_thread(handoff_queue.expected_wait, self.uow_factory(), h.id, now)
        language = await asyncio.to_thread(handoffs.customer_language, self.uow_factory(), h.conversation_id)
        wait_text = handoff_queue.describe_wait(wait, self.settings.handoff_no_agent_minutes, language)
        # Between two queue notices a message still gets an answer, from the first second of the
        # handoff: silence reads as being ignored.
        key = "escalated" if escalated else "still_queued" if due else "will_see"
        text = notice(key, language, wait=wait_text)
        try:
            await push.post_events(chat.sender_id, chat.channel or "latest", [_notice(text)])
        except CrmError as exc:
            log.warning("queue notice not delivered", extra={"handoff_id": h.id, "error": type(exc).__name__})
            return
        if escalated or due:
            await asyncio.to_thread(handoffs.note_monitor, self.uow_factory(), h.id, None, now)


def _notice(text: str) -> dict:
    return {"event": "bot", "text": text, "metadata": {"source": "handoff"}}
