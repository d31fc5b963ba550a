"""Agent console accounts: argon2 password hashes, roles, and who is online."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, or_, select

from crm_store.db import UnitOfWork
from crm_store.errors import CrmError
from crm_store.models import AuditEntry, ConsoleSession, ConsoleUser

ROLES = ("agent", "manager", "admin")
# The languages an agent can be marked as speaking: the ones the assistant serves.
AGENT_LANGUAGES = ("en", "de", "fr", "es")
RANK = {role: i for i, role in enumerate(ROLES)}
# An agent whose console polled within this window counts as online (the console pings every 20 s).
ONLINE_WINDOW = timedelta(seconds=90)
_hasher = PasswordHasher()
# Verifying against this when the user does not exist costs the same time as a real check.
_DUMMY_HASH = _hasher.hash("not a password anyone has")


class BadUser(CrmError):
    """A user name, role or password that cannot be used."""


@dataclass(frozen=True)
class UserView:
    id: int
    username: str
    role: str
    active: bool
    last_seen_at: datetime | None
    languages: tuple[str, ...] = ("en",)

    def speaks(self, language: str | None) -> bool:
        """True when the person answers in this language (an unknown language counts as English)."""
        return (language or "en") in self.languages

    def at_least(self, role: str) -> bool:
        return RANK[self.role] >= RANK[role]


def add_user(uow: UnitOfWork, username: str, role: str, password: str, now: datetime) -> UserView:
    username = username.strip()
    if not username or len(username) > 100 or any(c.isspace() for c in username):
        raise BadUser(f"{username!r} is not a user name (1-100 characters, no spaces).")
    if role not in ROLES:
        raise BadUser(f"{role!r} is not a role: use one of {', '.join(ROLES)}.")
    if len(password) < 8:
        raise BadUser("The password needs at least 8 characters.")
    with uow:
        if uow.session.scalars(select(ConsoleUser).where(ConsoleUser.username == username)).first():
            raise BadUser(f"There is already a user {username!r}.")
        row = ConsoleUser(
            username=username, role=role, password_hash=_hasher.hash(password), active=True, created_at=now
        )
        uow.session.add(row)
        uow.commit()
        return _view(row)


def ensure_user(uow: UnitOfWork, username: str, role: str, password: str, now: datetime) -> bool:
    """Create the user unless one of that name exists; True when created."""
    with uow:
        if uow.session.scalars(select(ConsoleUser.id).where(ConsoleUser.username == username)).first():
            return False
    add_user(uow, username, role, password, now)
    return True


def authenticate(uow: UnitOfWork, username: str, password: str) -> UserView | None:
    with uow:
        row = uow.session.scalars(select(ConsoleUser).where(ConsoleUser.username == username)).first()
        try:
            _hasher.verify(row.password_hash if row else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None or not row.active:
            return None
        if _hasher.check_needs_rehash(row.password_hash):
            row.password_hash = _hasher.hash(password)
            uow.commit()
        return _view(row)


def get_user(uow: UnitOfWork, user_id: int) -> UserView | None:
    with uow:
        row = uow.session.get(ConsoleUser, user_id)
        return _view(row) if row and row.active else None


def start_session(uow: UnitOfWork, user_id: int, now: datetime, lifetime: timedelta) -> str:
    """A new log-in of this user; returns the id its cookie carries (only its hash is stored)."""
    session_id = secrets.token_urlsafe(32)
    with uow:
        uow.session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at <= now))
        uow.session.add(
            ConsoleSession(id=_digest(session_id), user_id=user_id, created_at=now, expires_at=now + lifetime)
        )
        uow.commit()
    return session_id


def session_user(uow: UnitOfWork, session_id: str, now: datetime) -> UserView | None:
    """The active user of a live session, else None (logged out, expired, or deactivated)."""
    with uow:
        row = uow.session.get(ConsoleSession, _digest(session_id))
        if row is None or row.expires_at <= now:
            return None
        user = uow.session.get(ConsoleUser, row.user_id)
        return _view(user) if user and user.active else None


def end_session(uow: UnitOfWork, session_id: str) -> None:
    with uow:
        uow.session.execute(delete(ConsoleSession).where(ConsoleSession.id == _digest(session_id)))
        uow.commit()


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def list_users(uow: UnitOfWork) -> list[UserView]:
    with uow:
        return [_view(r) for r in uow.session.scalars(select(ConsoleUser).order_by(ConsoleUser.username))]


def set_active(uow: UnitOfWork, user_id: int, active: bool) -> None:
    with uow:
        row = uow.session.get(ConsoleUser, user_id)
        if row is None:
            raise BadUser(f"There is no user {user_id}.")
        row.active = active
        uow.commit()


def parse_languages(text: str) -> tuple[str, ...]:
    """ "en, de" -> ("en", "de"): the codes of AGENT_LANGUAGES, in that order; BadUser for others."""
    codes = {c.strip().lower() for c in text.replace(";", ",").replace(" ", ",").split(",") if c.strip()}
    unknown = codes - set(AGENT_LANGUAGES)
    if unknown or not codes:
        raise BadUser(f'Languages are codes among {", ".join(AGENT_LANGUAGES)}, e.g. "en, de".')
    return tuple(c for c in AGENT_LANGUAGES if c in codes)


def set_languages(uow: UnitOfWork, user_id: int, languages: tuple[str, ...]) -> None:
    with uow:
        row = uow.session.get(ConsoleUser, user_id)
        if row is None:
            raise BadUser(f"There is no user {user_id}.")
        row.languages = ",".join(languages)
        uow.commit()


def touch(uow: UnitOfWork, user_id: int, now: datetime) -> None:
    with uow:
        row = uow.session.get(ConsoleUser, user_id)
        if row is not None and (row.last_seen_at is None or now - row.last_seen_at > timedelta(seconds=10)):
            row.last_seen_at = now
            uow.commit()


def _works_queue():  # type: ignore[no-untyped-def]
    """Who works the queue: every agent, and a manager or admin whose latest status in the
    workspace is "online" (they pressed "Take chats"); one who only browses is not counted."""
    latest = (
        select(AuditEntry.action)
        .where(
            AuditEntry.subject_type == "console_user",
            AuditEntry.subject_id == ConsoleUser.id,
            AuditEntry.action.in_(("online", "away")),
        )
        .order_by(AuditEntry.id.desc())
        .limit(1)
        .correlate(ConsoleUser)
        .scalar_subquery()
    )
    return or_(ConsoleUser.role == "agent", latest == "online")


def agents_online(uow: UnitOfWork, now: datetime) -> int:
    """People working the queue (see _works_queue), not away, whose console was open in the last
    ONLINE_WINDOW: the count the expected wait customers are told is divided by."""
    with uow:
        return (
            uow.session.scalar(
                select(func.count())
                .select_from(ConsoleUser)
                .where(
                    ConsoleUser.active.is_(True),
                    _works_queue(),
                    ConsoleUser.last_seen_at >= now - ONLINE_WINDOW,
                    ConsoleUser.away_since.is_(None),
                )
            )
            or 0
        )


def works_queue(uow: UnitOfWork, username: str) -> bool:
    """True for an agent, and for a manager or admin who set themselves online in the workspace."""
    with uow:
        return (
            uow.session.scalar(
                select(func.count()).select_from(ConsoleUser).where(ConsoleUser.username == username, _works_queue())
            )
            == 1
        )


def _view(row: ConsoleUser) -> UserView:
    languages = tuple(c for c in (row.languages or "en").split(",") if c) or ("en",)
    return UserView(row.id, row.username, row.role, bool(row.active), row.last_seen_at, languages)
