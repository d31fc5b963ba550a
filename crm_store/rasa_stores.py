"""Rasa tracker and lock stores built from our Settings, so endpoints.yml names
no URLs and the one settings object decides the profile."""
from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore
from rasa.core.tracker_store import SQLTrackerStore

from crm_store.db import resolve_url
from crm_store.settings import get_settings

log = logging.getLogger(__name__)


class CrmTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store on TRACKER_DATABASE_URL (default: beside the CRM)."""

    def __init__(self, domain: Any = None, host: str | None = None, event_broker: Any = None, **kwargs: Any) -> None:
        url = resolve_url(get_settings().resolved_tracker_url)
        if url.startswith("sqlite:///"):
            from pathlib import Path

            Path(url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
        super().__init__(domain=domain, host=url, event_broker=event_broker, **kwargs)
        # Like every engine of ours: SQL errors never carry bound values (message texts, names) into logs.
        self.engine.hide_parameters = True


class CrmLockStore:
    """In memory for one Rasa server; Redis (LOCK_STORE_URL) when several share the load."""

    def __new__(cls, endpoint_config: Any = None) -> LockStore:  # type: ignore[misc]
        url = get_settings().lock_store_url
        if not url:
            return InMemoryLockStore()
        parts = urlsplit(url)
        db = int(parts.path.strip("/") or 1)
        log.info("Redis lock store", extra={"redis_host": parts.hostname, "redis_db": db})
        return RedisLockStore(
            host=parts.hostname or "localhost",
            port=parts.port or 6379,
            db=db,
            username=parts.username,
            password=parts.password,
            key_prefix="crmbot",
        )
