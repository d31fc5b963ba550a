"""The send_follow_ups job: deliver due follow-up messages once, through the customer's channel.

Follow-ups are rows (follow_ups), written by the jobs that owe them (flag_stalled for
abandoned forms) and drained by this job, which sits in the scheduler's job store: both
survive a restart, unlike Rasa's in-memory reminders. A row is claimed (pending -> sending)
by one UPDATE before it is sent, so two senders never both send it; a crash between the
claim and the send leaves it "sending" and it is not retried (at most once, by design).
A channel that is down is retried with back-off; a customer we cannot reach is final.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from analytics.jobs import JobContext, JobSpec, register
from crm_store.db import UnitOfWork
from crm_store.delivery import CustomerDelivery, CustomerUnreachable, NotDelivered, load_delivery
from crm_store.models import FollowUp

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
RETRY_AFTER = timedelta(minutes=15)  # doubled after every failed attempt
BATCH = 200


@dataclass(frozen=True)
class SendResult:
    sent: int
    retrying: int
    failed: int


def send_due_follow_ups(engine: Engine, now: datetime, delivery: CustomerDelivery) -> SendResult:
    sent = retrying = failed = 0
    with engine.connect() as conn:
        due = (
            conn.execute(
                select(FollowUp.id)
                .where(FollowUp.status == "pending", FollowUp.due_at <= now)
                .order_by(FollowUp.due_at, FollowUp.id)
                .limit(BATCH)
            )
            .scalars()
            .all()
        )
    for follow_up_id in due:
        with engine.begin() as conn:
            claimed = conn.execute(
                update(FollowUp)
                .where(FollowUp.id == follow_up_id, FollowUp.status == "pending")
                .values(status="sending", attempts=FollowUp.attempts + 1)
            ).rowcount
            row = conn.execute(
                select(FollowUp.customer_id, FollowUp.text, FollowUp.attempts).where(FollowUp.id == follow_up_id)
            ).one()
        if not claimed:
            continue  # another sender has it
        values: dict[str, object]
        try:
            channel = asyncio.run(delivery.send(UnitOfWork(engine), row.customer_id, row.text, "follow_up"))
            values = {"status": "sent", "sent_at": datetime.utcnow(), "channel": channel, "last_error": None}
            sent += 1
        except CustomerUnreachable as exc:
            values = {"status": "failed", "last_error": str(exc)}
            failed += 1
        except NotDelivered as exc:
            if row.attempts >= MAX_ATTEMPTS:
                values = {"status": "failed", "last_error": str(exc)}
                failed += 1
            else:
                values = {
                    "status": "pending",
                    "last_error": str(exc),
                    "due_at": now + RETRY_AFTER * 2 ** (row.attempts - 1),
                }
                retrying += 1
        with engine.begin() as conn:
            conn.execute(update(FollowUp).where(FollowUp.id == follow_up_id).values(**values))
        log.info("follow-up handled", extra={"follow_up_id": follow_up_id, "status": values["status"]})
    return SendResult(sent, retrying, failed)


def send_follow_ups_job(ctx: JobContext) -> int:
    result = send_due_follow_ups(ctx.engine, ctx.now, load_delivery(ctx.settings))
    ctx.summary.update(sent=result.sent, retrying=result.retrying, failed=result.failed)
    return result.sent + result.retrying + result.failed


register(
    JobSpec(
        "send_follow_ups",
        send_follow_ups_job,
        "*/5 * * * *",
        "send due follow-up messages (e.g. after an abandoned form) once, via the customer's channel",
    )
)
