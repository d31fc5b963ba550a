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
    r"\b(cancel|never\s*mind|nevermind|forget it)\b|\b(don'?t|do not|no longer)\s+need\b|\bnot\s+needed\s+any\s*more\b",
    re.IGNORECASE,
)
_ABOUT_AN_ORDER = re.compile(r"\border\b|\b[A-Z]-?\d{5}\b", re.IGNORECASE)
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

GREET_BACK = "Thanks for your patience! You're back with me, the shop assistant."
ENDINGS = {
    "cancelled": "OK, I've taken you out of the queue. You're back with me, the shop assistant: what can I do for you?",
    "ticket": (
        "Nobody from our team can take the chat right now, so I've opened ticket {ticket} with this conversation; "
        "the team will answer it by email. Meanwhile you're back with me, the shop assistant."
    ),
    "expired": (
        "Sorry, nobody from our team could take the chat in time. I've opened ticket {ticket} with this "
        "conversation and the team will answer it by email. Meanwhile you're back with me, the shop assistant."
    ),
}


def wants_to_cancel(text: str, intent: str | None) -> bool:
    """ "cancel, I don't need a person anymore" (but not "cancel my order A-10424")."""
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
        try:
            if h.status == "resolved":
                # Said by the team, so the customer knows the person has gone and who speaks next.
                back = (
                    f"{display_name(h.agent)} from our team has handed the chat back. {GREET_BACK}"
                    if h.agent
                    else GREET_BACK
                )
                await push.post_events(pending.sender_id, channel, [*RESUME, _notice(back)])
                await push.run_action(pending.sender_id, channel, "csat_form")
                await push.post_events(pending.sender_id, channel, [LISTEN])
            else:
                text = ENDINGS[h.status].format(ticket=h.ticket_number or "")
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
                return  # the next tick hands it back with ENDINGS["cancelled"]
        escalated = chat.escalated_at is not None and chat.escalated_at > chat.last_notice_at
        due = bool(new_messages) and now - chat.last_notice_at >= timedelta(
            minutes=self.settings.handoff_notice_minutes
        )
        if not (escalated or due or new_messages):
            return
        wait = await asyncio.to_thread(handoff_queue.expected_wait, self.uow_factory(), h.id, now)
        text = handoff_queue.describe_wait(wait, self.settings.handoff_no_agent_minutes)
        if escalated:
            text = f"Sorry for the wait. I've flagged your chat as urgent to our team. {text}"
        elif due:
            text = f"You're still in the queue for a person. {text}"
        else:
            # Between two queue notices a message still gets an answer, from the first second of the
            # handoff: silence reads as being ignored.
            # Worded like the release notice ("the next person from our team will take over"): after a
            # release there is no "your agent" any more.
            text = f"Thanks, the next person from our team will see this message when they take your chat. {text}"
        try:
            await push.post_events(chat.sender_id, chat.channel or "latest", [_notice(text)])
        except CrmError as exc:
            log.warning("queue notice not delivered", extra={"handoff_id": h.id, "error": type(exc).__name__})
            return
        if escalated or due:
            await asyncio.to_thread(handoffs.note_monitor, self.uow_factory(), h.id, None, now)


def _notice(text: str) -> dict:
    return {"event": "bot", "text": text, "metadata": {"source": "handoff"}}
