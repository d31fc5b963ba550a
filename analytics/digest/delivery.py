"""Send each due digest once per period and recipient, recorded in `digests_sent`.

A row is claimed (status "sending") before the email leaves, so two runs racing cannot both send:
the unique key (kind, recipient, period_start) lets only one insert win. SMTP failures are
retried with backoff in `mail.send`; after the last try the row says "failed" with the reason,
and the next run tries that recipient again. Nothing here raises on an SMTP failure: the
scheduler goes on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from analytics.digest.mail import SendFailed, build_message, send
from analytics.digest.periods import Period, last_complete
from analytics.digest.recipients import Recipient, list_recipients, normalise_email
from analytics.digest.render import subject
from analytics.digest.report import Digest, build_digest
from crm_store.db import UnitOfWork
from crm_store.models import DigestSent
from crm_store.settings import Settings

log = logging.getLogger(__name__)

STALE_CLAIM = timedelta(hours=1)  # a "sending" row older than this was left by a crashed run


@dataclass
class SendReport:
    sent: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # already sent for this period
    failed: list[tuple[str, str]] = field(default_factory=list)


def send_due_digests(settings: Settings, uow_factory: Callable[[], UnitOfWork], now: datetime) -> int:
    """Scheduled entry point: the last complete day's and week's digests to whoever has not had
    them yet. Returns the number of emails sent."""
    total = 0
    for kind in ("day", "week"):
        total += len(send_period(settings, uow_factory, last_complete(kind, now), now).sent)
    return total


def send_period(
    settings: Settings,
    uow_factory: Callable[[], UnitOfWork],
    period: Period,
    now: datetime,
    only: str | None = None,
    again: bool = False,
) -> SendReport:
    """Send `period`'s digest to its recipients (or to `only`), once each unless `again`."""
    report = SendReport()
    if only:
        email = normalise_email(only)
        known = {r.email: r for r in list_recipients(uow_factory(), settings)}
        recipients = [known.get(email) or Recipient(email, None, "both", None, True, "--to")]
    else:
        recipients = [r for r in list_recipients(uow_factory(), settings) if r.gets(period.schedule)]
    digest: Digest | None = None
    for recipient in recipients:
        row_id = _claim(uow_factory(), period, recipient.email, now, again)
        if row_id is None:
            report.skipped.append(recipient.email)
            continue
        if digest is None:  # built only when someone is due
            digest = build_digest(
                uow_factory(),
                period,
                now,
                settings.digest_top_n,
                settings.digest_history,
                settings.shop_currency,
                settings.shop_locale,
            )
        sections = list(recipient.sections) if recipient.sections else None
        msg = build_message(settings, digest, recipient.email, sections)
        try:
            attempts = send(settings, msg)
        except SendFailed as exc:
            _finish(uow_factory(), row_id, "failed", exc.attempts, exc.reason, now)
            report.failed.append((recipient.email, exc.reason))
            continue
        _finish(uow_factory(), row_id, "sent", attempts, None, now, subject(digest))
        report.sent.append(recipient.email)
        log.info("digest sent", extra={"digest_sent_id": row_id, "kind": period.schedule})
    return report


def send_digest_now(
    settings: Settings,
    uow_factory: Callable[[], UnitOfWork],
    now: datetime,
    kind: str = "day",
    to: str | None = None,
    again: bool = False,
) -> SendReport:
    """`crmbot digest send`: the last complete period's digest, now."""
    return send_period(settings, uow_factory, last_complete(kind, now), now, only=to, again=again)


def _claim(uow: UnitOfWork, period: Period, email: str, now: datetime, again: bool) -> int | None:
    """The id of our digests_sent row in status "sending", or None if this one is not ours to send."""
    with uow:
        s = uow.session
        row = s.scalars(
            select(DigestSent).where(
                DigestSent.kind == period.schedule,
                DigestSent.recipients == email,
                DigestSent.period_start == period.start,
            )
        ).first()
        if row is None:
            row = DigestSent(
                kind=period.schedule,
                recipients=email,
                subject="",
                period_start=period.start,
                period_end=period.end,
                sent_at=now,
                status="sending",
                attempts=0,
            )
            s.add(row)
            try:
                s.flush()
            except IntegrityError:  # another run claimed it a moment ago
                return None
        elif row.status == "sent" and not again:
            return None
        elif row.status == "sending" and now - row.sent_at < STALE_CLAIM:
            return None
        else:
            row.status, row.sent_at = "sending", now
        uow.commit()
        return row.id


def _finish(
    uow: UnitOfWork,
    row_id: int,
    status: str,
    attempts: int,
    error: str | None,
    now: datetime,
    subject_line: str | None = None,
) -> None:
    with uow:
        row = uow.session.get(DigestSent, row_id)
        row.status, row.error, row.sent_at = status, error, now
        row.attempts = (row.attempts or 0) + attempts
        if subject_line:
            row.subject = subject_line[:300]
        uow.commit()
