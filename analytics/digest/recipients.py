"""Who gets which digest: managers stored in the CRM (`crmbot digest recipients ...`), plus the
addresses in DIGEST_RECIPIENTS (daily and weekly, every section) that the CRM does not list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from analytics.digest.report import SECTIONS
from crm_store.db import UnitOfWork
from crm_store.errors import CrmError
from crm_store.models import DigestRecipient
from crm_store.settings import Settings
from crm_store.values.emails import InvalidEmail, check_email

FREQUENCIES = ("daily", "weekly", "both")


class RecipientError(CrmError):
    """A digest recipient that cannot be added or changed as asked."""


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str | None
    frequency: str
    sections: tuple[str, ...] | None  # None: every section
    active: bool
    source: str  # "crm" | "DIGEST_RECIPIENTS"

    def gets(self, schedule: str) -> bool:
        return self.active and self.frequency in (schedule, "both")


def normalise_email(address: str) -> str:
    try:
        return check_email(address).lower()
    except InvalidEmail as exc:
        raise RecipientError(f"{address!r} is not an email address: {exc}") from None


def parse_sections(text: str | None) -> tuple[str, ...] | None:
    """ "volume,stalled" -> ("volume", "stalled"); None or "all" -> None (every section)."""
    if text is None or text.strip().lower() in ("", "all"):
        return None
    names = tuple(dict.fromkeys(s.strip().lower() for s in text.split(",") if s.strip()))
    unknown = [n for n in names if n not in SECTIONS]
    if unknown:
        raise RecipientError(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)} or all")
    return names


def add_recipient(
    uow: UnitOfWork,
    email: str,
    now: datetime,
    name: str | None = None,
    frequency: str = "daily",
    sections: tuple[str, ...] | None = None,
) -> Recipient:
    email = normalise_email(email)
    _check_frequency(frequency)
    with uow:
        if _row(uow, email) is not None:
            raise RecipientError(f"{email} already gets digests; change it with `crmbot digest recipients set`")
        row = DigestRecipient(
            email=email,
            name=name,
            frequency=frequency,
            sections=list(sections) if sections else None,
            active=True,
            created_at=now,
        )
        uow.session.add(row)
        uow.commit()
        return _view(row)


def update_recipient(
    uow: UnitOfWork,
    email: str,
    *,
    frequency: str | None = None,
    sections: tuple[str, ...] | None | str = "keep",
    active: bool | None = None,
    name: str | None = None,
) -> Recipient:
    email = normalise_email(email)
    with uow:
        row = _row(uow, email)
        if row is None:
            raise RecipientError(f"{email} is not a digest recipient; add it with `crmbot digest recipients add`")
        if frequency is not None:
            _check_frequency(frequency)
            row.frequency = frequency
        if sections != "keep":
            row.sections = list(sections) if sections else None  # type: ignore[arg-type]
        if active is not None:
            row.active = active
        if name is not None:
            row.name = name
        uow.commit()
        return _view(row)


def remove_recipient(uow: UnitOfWork, email: str) -> None:
    email = normalise_email(email)
    with uow:
        row = _row(uow, email)
        if row is None:
            raise RecipientError(f"{email} is not a digest recipient")
        uow.session.delete(row)
        uow.commit()


def list_recipients(uow: UnitOfWork, settings: Settings) -> list[Recipient]:
    with uow:
        stored = [_view(r) for r in uow.session.scalars(select(DigestRecipient).order_by(DigestRecipient.email))]
    known = {r.email for r in stored}
    from_env = []
    for raw in settings.digest_recipients.split(","):
        if raw.strip():
            email = normalise_email(raw)
            if email not in known:
                known.add(email)
                from_env.append(Recipient(email, None, "both", None, True, "DIGEST_RECIPIENTS"))
    return stored + from_env


def _check_frequency(frequency: str) -> None:
    if frequency not in FREQUENCIES:
        raise RecipientError(f"frequency must be one of {', '.join(FREQUENCIES)}, not {frequency!r}")


def _row(uow: UnitOfWork, email: str) -> DigestRecipient | None:
    return uow.session.scalars(select(DigestRecipient).where(DigestRecipient.email == email)).first()


def _view(row: DigestRecipient) -> Recipient:
    return Recipient(
        row.email, row.name, row.frequency, tuple(row.sections) if row.sections else None, row.active, "crm"
    )
