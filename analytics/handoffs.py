"""The handoff watchdog as a job of the shared scheduler: every minute, handed-off chats nobody
took in time are escalated, ticketed or expired (crm_store/services/handoff_watchdog.py). The
console's queue monitor then tells the customer and hands ended chats back to the assistant."""

from __future__ import annotations

from analytics.jobs import JobContext, JobSpec, register
from crm_store.services.handoff_watchdog import escalate_stale_handoffs


def handoff_watchdog_job(ctx: JobContext) -> int:
    acted = escalate_stale_handoffs(ctx.uow_factory, ctx.settings, ctx.now)
    ctx.summary.update(acted_on=acted)
    return acted


register(
    JobSpec(
        "handoff_watchdog",
        handoff_watchdog_job,
        "* * * * *",
        "escalate, ticket or expire handed-off chats that nobody took in time",
    )
)
