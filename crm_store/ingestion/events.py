"""Tracker events -> CRM rows, idempotently.

Every event gets a key: the sha256 of its canonical JSON. Messages and other
events are inserted with ON CONFLICT DO NOTHING on that key, so a replayed or
redelivered event never makes a second row, even with two writers racing.

Strings are cleaned here, at the edge (crm_store.ingestion.cleaning): an event with a NUL,
a lone surrogate or an overlong sender id is stored, repaired, and its originals
are kept in a `cleaned` conversation event. `is_temporary` sorts failures: a
connection-class error means "try again later", anything else means this one
event cannot be stored and belongs in the dead letters, so the next one goes on.
A lock held on the CRM (a long transaction, a migration, another SQLite writer) is
waited for at most LOCK_WAIT_SECONDS, then it is a temporary failure like any other.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime
from typing import Any, Mapping, Sequence

from sqlalchemy import exc as sa_exc
from sqlalchemy import select, text

from crm_store.ingestion.cleaning import clean_event, clean_str
from crm_store.db import UnitOfWork
from crm_store.models import Attachment, Conversation, ConversationEvent, Message, utc_from_timestamp
from crm_store.services.conversations import adopt_action_conversation, conversation_at, insert_open_conversation
from crm_store.services.customers import resolve_identity
from crm_store.services.receipts import link_late_attachment
from crm_store.sql import insert_ignoring_conflict

log = logging.getLogger(__name__)

TrackerEvent = Mapping[str, Any]

# How long one ingestion transaction waits for a lock before it fails and is retried with
# backoff. Below the worker's staleness limit (bot.ingest_cli.STALE_SECONDS, 10 s): a worker
# stuck behind a lock for longer would look hung, and the supervisor would restart Rasa for it.
LOCK_WAIT_SECONDS = 5.0

# Noise for the CRM: the session-start action precedes the session_started event.
_SKIPPED_ACTIONS = {"action_session_start"}
_SESSION_METADATA_SLOT = "session_started_metadata"


class MalformedEvent(ValueError):
    """The event lacks what every tracker event has (sender_id, event, timestamp)."""


def event_key(event: TrackerEvent) -> str:
    # ensure_ascii (the default) escapes NUL and lone surrogates, so any event has a key.
    canonical = json.dumps(event, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def is_temporary(exc: BaseException) -> bool:
    """True for connection-class failures (retry later), False for errors of this one event."""
    if isinstance(exc, (sa_exc.DisconnectionError, sa_exc.TimeoutError)):
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        # OperationalError: server gone, connection refused, "database is locked", statement timeout.
        return exc.connection_invalidated or isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError))
    if isinstance(exc, sa_exc.SQLAlchemyError):
        return False
    return isinstance(exc, (ConnectionError, TimeoutError)) or type(exc) is OSError


def describe(exc: BaseException) -> str:
    """One line naming the error, for the dead letters (no values from the event)."""
    cause = getattr(exc, "orig", None) or exc
    first = (str(cause).strip().splitlines() or [""])[0]
    return f"{type(cause).__name__}: {first[:300]}"


def ingest(uow: UnitOfWork, event: TrackerEvent) -> bool:
    """Store one tracker event; True if it made a new row, False if it was already there."""
    with uow:
        _bound_lock_waits(uow)
        stored = _ingest(uow, event)
        uow.commit()
        return stored


def ingest_batch(uow: UnitOfWork, events: Sequence[TrackerEvent]) -> list[bool]:
    """Store events in order in one transaction (one commit for a whole turn or more).

    Any failure rolls the whole batch back and raises; the caller then retries
    it, or goes one event at a time to dead-letter only the bad one.
    """
    with uow:
        _bound_lock_waits(uow)
        seen = _Seen()
        stored = [_ingest(uow, event, seen) for event in events]
        uow.commit()
        return stored


def _bound_lock_waits(uow: UnitOfWork) -> None:
    """Wait at most LOCK_WAIT_SECONDS for a lock in this transaction (SQLite: on this connection)."""
    ms = int(LOCK_WAIT_SECONDS * 1000)
    dialect = uow.engine.dialect.name
    if dialect == "postgresql":
        uow.session.execute(text(f"SET LOCAL lock_timeout = {ms}"))
    elif dialect == "sqlite":
        uow.session.execute(text(f"PRAGMA busy_timeout = {ms}"))


class _Seen:
    """What a batch already looked up: a turn's events share one conversation and its last action."""

    def __init__(self) -> None:
        self.conversations: dict[str, Conversation] = {}
        self.last_action: dict[int, str] = {}

    def conversation(self, uow: UnitOfWork, sender: str, at: datetime, key: str) -> Conversation:
        known = self.conversations.get(sender)
        if known is not None and known.started_at <= at:
            return known
        conversation = self.conversations[sender] = conversation_at(uow, sender, at, key)
        return conversation

    def session_started(self, sender: str) -> None:
        self.conversations.pop(sender, None)


def _ingest(uow: UnitOfWork, event: TrackerEvent, seen: _Seen | None = None) -> bool:
    _validate(event)
    key = event_key(event)
    event, originals = clean_event(dict(event))
    sender, kind, at = _validate(event)
    if kind == "action" and event.get("name") in _SKIPPED_ACTIONS:
        return False
    if kind == "slot" and event.get("name") == _SESSION_METADATA_SLOT:
        # Rasa sets this slot just before the session_started of a message that carries metadata
        # (Telegram's always do): stored, it would open a conversation of its own with no messages.
        # The same metadata arrives with the user's message.
        return False
    session = uow.session
    if kind == "session_started":
        if seen is not None:
            seen.session_started(sender)
        # An action in this session's first turn may have opened the row already.
        return adopt_action_conversation(uow, sender, at, key) or insert_open_conversation(session, sender, at, key)
    conversation = (
        seen.conversation(uow, sender, at, key) if seen is not None else conversation_at(uow, sender, at, key)
    )
    if kind == "user":
        stored = _store_user(uow, conversation, event, key, at)
    elif kind == "bot":
        stored = _store_bot(uow, conversation, event, key, at, seen)
    else:
        stored = _store_event(uow, conversation, event, kind, key, at)
        if seen is not None and kind == "action" and event.get("name") != "action_listen":
            seen.last_action[conversation.id] = _str(event.get("name"), 100) or ""
    if stored and originals:
        _keep_originals(uow, conversation, kind, key, originals, at)
    if stored and at > conversation.last_event_at:
        conversation.last_event_at = at
    return stored


def _validate(event: TrackerEvent) -> tuple[str, str, datetime]:
    if not isinstance(event, Mapping):
        raise MalformedEvent(f"event is a {type(event).__name__}, not an object")
    sender, kind, ts = event.get("sender_id"), event.get("event"), event.get("timestamp")
    if not isinstance(sender, str) or not sender or not isinstance(kind, str) or not isinstance(ts, (int, float)):
        raise MalformedEvent("event lacks sender_id, event or a numeric timestamp")
    return sender, kind, utc_from_timestamp(float(ts))


def _store_user(uow: UnitOfWork, conversation: Conversation, event: TrackerEvent, key: str, at: datetime) -> bool:
    parse = event.get("parse_data") or {}
    intent = parse.get("intent") or {}
    if intent.get("name") == "session_start" and str(event.get("text") or "").strip() == "/session_start":
        # A client's "start a new session" command (REST clients send it), not something the customer wrote.
        return False
    metadata = event.get("metadata") or {}
    channel = clean_str(event.get("input_channel") or conversation.channel or "unknown", 40)
    if conversation.identity_id is None:
        display = _str(metadata.get("display_name"), 200) if isinstance(metadata.get("display_name"), str) else None
        identity = resolve_identity(uow, channel, conversation.sender_id, at, display_name=display)
        conversation.identity_id = identity.identity_id
        conversation.customer_id = identity.customer_id
        conversation.channel = channel
    entities = [
        {k: e.get(k) for k in ("entity", "value", "start", "end", "extractor", "confidence_entity") if k in e}
        for e in (event.get("entities") or parse.get("entities") or [])
        if isinstance(e, Mapping)
    ]
    message_id = event.get("message_id")
    if message_id and _clarified(uow, conversation.id, message_id, intent.get("name")):
        return False
    stored = insert_ignoring_conflict(
        uow.session,
        Message,
        {
            "conversation_id": conversation.id,
            "event_key": key,
            "direction": "in",
            # a photo's caption is what the customer wrote; the assistant itself got /send_photo
            "text": _str(metadata.get("caption"), 4000) or event.get("text"),
            "intent": _str(intent.get("name"), 100),
            "confidence": _float(intent.get("confidence")),
            "entities": entities,
            "language": _language(parse),
            "message_id": _str(event.get("message_id"), 100),
            "sent_at": at,
        },
        key=["event_key"],
    )
    if stored:
        _store_attachments(uow, conversation, key, metadata, at)
    return stored


def _language(parse: Mapping[str, Any]) -> str | None:
    """The detected language code; None when the detector could not tell (too short)."""
    found = parse.get("language")
    if not isinstance(found, Mapping) or found.get("confidence") is None:
        return None
    return _str(found.get("code"), 8)


def _clarified(uow: UnitOfWork, conversation_id: int, message_id: str, intent: str | None) -> bool:
    """The two-stage fallback re-sends a message the customer confirmed as a copy with the same
    message_id: keep the one row, with the intent it was confirmed as."""
    row = uow.session.scalars(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.direction == "in", Message.message_id == message_id)
        .limit(1)
    ).first()
    if row is None:
        return False
    if intent:
        row.intent = intent
    return True


def _store_attachments(uow: UnitOfWork, conversation: Conversation, key: str, metadata: Mapping, at: datetime) -> None:
    attachments = metadata.get("attachments") or []
    if not isinstance(attachments, list) or not attachments:
        return
    message_id = uow.session.scalars(select(Message.id).where(Message.event_key == key)).one()
    for item in attachments:
        if not isinstance(item, Mapping) or not item.get("path"):
            log.warning("attachment without a path ignored", extra={"conversation_id": conversation.id})
            continue
        path = str(item["path"])[:500]
        stored = insert_ignoring_conflict(
            uow.session,
            Attachment,
            {
                "conversation_id": conversation.id,
                "message_id": message_id,
                "kind": str(item.get("kind") or "file")[:20],
                "file_name": _str(item.get("file_name"), 255),
                "mime_type": _str(item.get("mime_type"), 100),
                "size": item.get("size") if isinstance(item.get("size"), int) else None,
                "path": path,
                "created_at": at,
            },
            key=["message_id", "path"],
        )
        if stored:
            attachment_id = uow.session.scalars(
                select(Attachment.id).where(Attachment.message_id == message_id, Attachment.path == path)
            ).one()
            link_late_attachment(uow.session, attachment_id, path)


def _store_bot(
    uow: UnitOfWork, conversation: Conversation, event: TrackerEvent, key: str, at: datetime, seen: _Seen | None = None
) -> bool:
    data = event.get("data") or {}
    metadata = event.get("metadata") or {}
    # A message an agent (or the handoff queue) sent through bot/channels/push.py
    # arrives as a bot event marked in its metadata; it is the agent's turn, not the assistant's.
    author = metadata.get("source") if metadata.get("source") in ("agent", "handoff") else None
    # The action that ran (action_check_order) says more than the response it used.
    action = (
        None
        if author
        else (
            (seen.last_action.get(conversation.id) if seen is not None else None)
            or _last_action(uow, conversation.id, at)
            or metadata.get("utter_action")
        )
    )
    return insert_ignoring_conflict(
        uow.session,
        Message,
        {
            "conversation_id": conversation.id,
            "event_key": key,
            "direction": "out",
            "text": event.get("text"),
            "action": _str(action, 100),
            "buttons": data.get("buttons") or None,
            "sent_at": at,
            "author": author,
            "author_name": _str(metadata.get("agent"), 100) if author else None,
        },
        key=["event_key"],
    )


def _store_event(
    uow: UnitOfWork, conversation: Conversation, event: TrackerEvent, kind: str, key: str, at: datetime
) -> bool:
    if kind == "pause":
        conversation.paused = True
    elif kind == "resume":
        conversation.paused = False
    payload = {k: v for k, v in event.items() if k not in ("sender_id", "event", "timestamp")}
    return insert_ignoring_conflict(
        uow.session,
        ConversationEvent,
        {
            "conversation_id": conversation.id,
            "event_key": key,
            "kind": kind[:40],
            "name": _str(event.get("name"), 100),
            "payload": payload,
            "occurred_at": at,
        },
        key=["event_key"],
    )


def _keep_originals(
    uow: UnitOfWork, conversation: Conversation, kind: str, key: str, originals: dict, at: datetime
) -> None:
    # The stored row holds the repaired strings; the originals stay here, escaped to ASCII.
    log.warning(
        "event strings cleaned before storing", extra={"conversation_id": conversation.id, "fields": sorted(originals)}
    )
    insert_ignoring_conflict(
        uow.session,
        ConversationEvent,
        {
            "conversation_id": conversation.id,
            "event_key": hashlib.sha256(f"cleaned:{key}".encode()).hexdigest(),
            "kind": "cleaned",
            "name": kind[:100],
            "payload": {"event_key": key, "originals": originals},
            "occurred_at": at,
        },
        key=["event_key"],
    )


def _last_action(uow: UnitOfWork, conversation_id: int, at: datetime) -> str | None:
    stmt = (
        select(ConversationEvent.name)
        .where(
            ConversationEvent.conversation_id == conversation_id,
            ConversationEvent.kind == "action",
            ConversationEvent.name != "action_listen",
            ConversationEvent.occurred_at <= at,
        )
        .order_by(ConversationEvent.occurred_at.desc(), ConversationEvent.id.desc())
        .limit(1)
    )
    return uow.session.scalars(stmt).first()


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) else None


def _str(value: Any, limit: int) -> str | None:
    return str(value)[:limit] if value is not None else None
