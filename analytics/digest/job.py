"""The digest as a scheduled job: `crmbot job run send_digests`, daily by default."""

from __future__ import annotations

from analytics.digest.delivery import send_due_digests
from analytics.jobs import JobContext, JobSpec, register


def send_digests_job(ctx: JobContext) -> int:
    sent = send_due_digests(ctx.settings, ctx.uow_factory, ctx.now)
    ctx.summary["emails sent"] = sent
    return sent


# Each run sends what is due (yesterday's daily digests, last week's weekly ones) once per
# recipient, so the hour only decides when managers find it in their inbox.
register(
    JobSpec(
        "send_digests",
        send_digests_job,
        "0 7 * * *",
        "email the daily and weekly digests to managers (once per period and recipient)",
    )
)
