"""The handoff watchdog: no handed-off conversation sits unnoticed.

A scheduled job (`escalate_stale_handoffs(uow_factory, settings, now) -> int`), run every
minute by the shared scheduler (analytics/handoffs.py, job `handoff_watchdog`). Everything it
knows lives in the database (requested_at, stage_entered_at, escalated_at, agents'
last_seen_at), so a restart neither loses nor repeats an escalation:
- unclaimed for HANDOFF_ESCALATE_MINUTES: priority high, an email to SUPPORT_TEAM_EMAIL;
  the console's queue monitor then tells the customer (escalated_at > last_notice_at);
- queued for HANDOFF_NO_AGENT_MINUTES with no agent online: a ticket with the transcript;
- unclaimed for HANDOFF_EXPIRE_MINUTES: expired, a ticket with the transcript.
Both end states are handed back to the assistant by the queue monitor (returned_at is empty).
If the email cannot be sent, the handoff stays unescalated and the next run tries again.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Callable

from sqlalchemy import select

from crm_store.db import UnitOfWork
from crm_store.errors import CrmError
from crm_store.mail import SMTP_ERRORS, deliver
from crm_store.models import Handoff
from crm_store.services import handoffs
from crm_store.services.console_users import agents_online
from crm_store.settings import Settings

log = logging.getLogger(__name__)


def escalate_stale_handoffs(uow_factory: Callable[[], UnitOfWork], settings: Settings, now: datetime) -> int:
    """Escalate, expire or ticket the handoffs nobody took in time; how many were acted on."""
    uow = uow_factory()
    with uow:
        queued = [
            (h.id, h.requested_at, h.stage_entered_at or h.requested_at, h.escalated_at, h.reason)
            for h in uow.session.scalars(select(Handoff).where(Handoff.status == "queued").order_by(Handoff.id))
        ]
    if not queued:
        return 0
    nobody = agents_online(uow_factory(), now) == 0
    acted = 0
    for handoff_id, requested_at, in_queue_since, escalated_at, reason in queued:
        try:
            if now - requested_at >= timedelta(minutes=settings.handoff_expire_minutes):
                handoffs.expire_handoff(
                    uow_factory(), handoff_id, now, f"nobody took it within {settings.handoff_expire_minutes} minutes"
                )
            elif nobody and now - in_queue_since >= timedelta(minutes=settings.handoff_no_agent_minutes):
                handoffs.ticket_handoff(uow_factory(), handoff_id, now, "no agent online")
            elif escalated_at is None and now - requested_at >= timedelta(minutes=settings.handoff_escalate_minutes):
                if not _mail_team(settings, handoff_id, now - requested_at, reason):
                    continue
                handoffs.escalate_handoff(uow_factory(), handoff_id, now)
            else:
                continue
        except CrmError as exc:  # an agent claimed it meanwhile: nothing to do
            log.info("watchdog skipped a handoff", extra={"handoff_id": handoff_id, "why": type(exc).__name__})
            continue
        acted += 1
    if acted:
        log.info("watchdog acted", extra={"handoffs": acted})
    return acted


def _mail_team(settings: Settings, handoff_id: int, waited: timedelta, reason: str | None) -> bool:
    minutes = int(waited.total_seconds() // 60)
    msg = EmailMessage()
    msg["From"], msg["To"] = settings.mail_from, settings.support_team_email
    msg["Subject"] = f"Handoff {handoff_id} has waited {minutes} minutes for an agent"
    msg.set_content(
        f"A customer asked for a person {minutes} minutes ago and nobody has taken the chat yet.\n"
        f"Reason: {reason or 'asked for a person'}\n\n"
        f"Open it in the agent console: http://{settings.host}:{settings.console_port}/handoffs/{handoff_id}\n"
    )
    try:
        deliver(settings, msg)
    except SMTP_ERRORS as exc:
        log.warning(
            "escalation email not sent; will retry", extra={"handoff_id": handoff_id, "error": type(exc).__name__}
        )
        return False
    return True
