"""Rasa tracker and lock stores built from our Settings, so endpoints.yml names
no URLs and the one settings object decides the profile."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from typing import Any
from urllib.parse import urlsplit

from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockStore, RedisLockStore
from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy import insert

from crm_store.db import resolve_url
from crm_store.settings import get_settings

log = logging.getLogger(__name__)

# On a tracker object: how many of its events (from the first) are in the tracker database.
_STORED = "_crm_events_stored"


class CrmTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store on TRACKER_DATABASE_URL (default: beside the CRM)."""

    def __init__(self, domain: Any = None, host: str | None = None, event_broker: Any = None, **kwargs: Any) -> None:
        url = resolve_url(get_settings().resolved_tracker_url)
        if url.startswith("sqlite:///"):
            from pathlib import Path

            Path(url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
        super().__init__(domain=domain, host=url, event_broker=event_broker, **kwargs)
        if url.startswith("sqlite"):
            # SQLAlchemy 1.4 gives file SQLite a NullPool: a new connection for every read and write.
            from sqlalchemy import create_engine, event
            from sqlalchemy.orm import sessionmaker
            from sqlalchemy.pool import QueuePool

            from crm_store.db import sqlite_pragmas

            self.engine.dispose()  # type: ignore[has-type]  # set by SQLTrackerStore, which has no annotations
            self.engine = create_engine(
                url, poolclass=QueuePool, hide_parameters=True, connect_args={"check_same_thread": False}
            )
            # WAL, like the CRM: a commit appends to the log instead of fsyncing a rollback journal.
            event.listen(self.engine, "connect", sqlite_pragmas)
            self.sessionmaker = sessionmaker(bind=self.engine)
        # Like every engine of ours: SQL errors never carry bound values (message texts, names) into logs.
        self.engine.hide_parameters = True

    async def retrieve(self, sender_id: str) -> Any:
        tracker = await super().retrieve(sender_id)
        if tracker is not None:
            # Every event of this tracker object came from the database (its latest session).
            setattr(tracker, _STORED, len(tracker.events))
        return tracker

    def _unsaved_events(self, session: Any, tracker: Any) -> list:
        """The tracker's events that are not in the database yet.

        Rasa counts the stored events of the latest session with a query on every save. A
        tracker this store read (or saved) knows how many of its events are stored: the
        turn appends to them and nothing else writes this sender's events meanwhile (the
        lock store holds the conversation). Any other tracker (a new one, one built by the
        HTTP API, a copy) and one whose event list drops old events still gets Rasa's query.
        """
        stored = getattr(tracker, _STORED, None)
        if stored is None or tracker.events.maxlen is not None or stored > len(tracker.events):
            return list(self._additional_events(session, tracker))
        return list(itertools.islice(tracker.events, stored, None))

    async def save(self, tracker: Any) -> None:
        """Store the turn's new events, then hand them to the CRM spool, then sync the spool.

        Rasa's own save publishes first and reads the whole tracker back to find
        what is new; here the tracker itself says what is new (`_unsaved_events`), the
        rows go in with one executemany, and the tracker is committed before anything is
        published, so a database failure leaves no half turn.
        """
        with self.session_scope() as session:
            new = [(event.type_name, event.as_dict()) for event in self._unsaved_events(session, tracker)]
            if new:
                # One executemany instead of an ORM object and INSERT per event (the ORM
                # fetches each new id, which nothing here reads).
                session.execute(
                    insert(self.SQLEvent.__table__),
                    [
                        {
                            "sender_id": tracker.sender_id,
                            "type_name": type_name,
                            "timestamp": data.get("timestamp"),
                            "intent_name": (data.get("parse_data") or {}).get("intent", {}).get("name"),
                            "action_name": data.get("name"),
                            "data": json.dumps(data),
                        }
                        for type_name, data in new
                    ],
                )
                session.commit()
        setattr(tracker, _STORED, len(tracker.events))
        if self.event_broker is None:
            return
        for _type_name, data in new:
            self.event_broker.publish({"sender_id": tracker.sender_id, **data})
        # The turn's events are in the spool; put them on the disk itself before the reply leaves.
        sync = getattr(self.event_broker, "sync", None)
        if sync is not None and new:  # nothing appended, nothing to sync: no hop to a thread
            await asyncio.get_running_loop().run_in_executor(None, sync)


class AtomicRedisLockStore(RedisLockStore):
    """Rasa's Redis lock store, with every read-modify-write of a lock done under a Redis mutex.

    Rasa reads a conversation's ticket lock, changes it and writes it back; two
    Rasa servers doing that at the same moment overwrite each other's tickets,
    and then two turns of one sender run at once (lost turns, LockError). The
    mutex makes each change atomic across servers, so a sender's messages are
    taken strictly one after the other, in ticket order, whichever server got them.
    """

    MUTEX_SECONDS = 10

    def _mutex(self, conversation_id: str) -> Any:
        return self.red.lock(
            f"{self.key_prefix}mutex:{conversation_id}", timeout=self.MUTEX_SECONDS, blocking_timeout=self.MUTEX_SECONDS
        )

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        with self._mutex(conversation_id):
            return super().issue_ticket(conversation_id, lock_lifetime)

    def update_lock(self, conversation_id: str) -> None:
        with self._mutex(conversation_id):
            super().update_lock(conversation_id)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        with self._mutex(conversation_id):
            super().finish_serving(conversation_id, ticket_number)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        with self._mutex(conversation_id):
            lock = self.get_lock(conversation_id)
            if lock is None:
                return
            lock.remove_ticket_for(ticket_number)
            if lock.is_someone_waiting():
                self.save_lock(lock)
            else:
                self.delete_lock(conversation_id)


class CrmLockStore:
    """In memory for one Rasa server; Redis (LOCK_STORE_URL) when several share the load."""

    def __new__(cls, endpoint_config: Any = None) -> LockStore:  # type: ignore[misc]
        url = get_settings().lock_store_url
        if not url:
            return InMemoryLockStore()
        parts = urlsplit(url)
        db = int(parts.path.strip("/") or 1)
        log.info("Redis lock store", extra={"redis_host": parts.hostname, "redis_db": db})
        return AtomicRedisLockStore(
            host=parts.hostname or "localhost",
            port=parts.port or 6379,
            db=db,
            username=parts.username,
            password=parts.password,
            key_prefix="crmbot",
        )
