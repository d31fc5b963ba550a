"""What the Telegram channel must remember across restarts, in one small SQLite file.

* ``seen_updates``: every update_id we started to handle. Telegram re-sends an update
  when our webhook answered late or not at all (also after a restart), and getUpdates
  hands out an update again until a later offset confirms it. Claiming the id with an
  INSERT on a primary key is atomic, so two deliveries of the same update, even in
  parallel or in two processes sharing var/, are handled once. Rows older than
  ``keep_seconds`` are pruned: Telegram drops undelivered updates after 24 hours.
* ``button_payloads``: Telegram limits callback_data to 64 bytes. A longer Rasa button
  payload is stored here and the button carries a short key instead.

The file is separate from the CRM database on purpose: it is channel plumbing, not a
business fact, and must work before the CRM is reachable.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)

PAYLOAD_KEY_PREFIX = "k:"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS seen_updates (
    bot_id TEXT NOT NULL,
    update_id INTEGER NOT NULL,
    seen_at REAL NOT NULL,
    PRIMARY KEY (bot_id, update_id)
);
CREATE TABLE IF NOT EXISTS button_payloads (
    key TEXT PRIMARY KEY,
    payload TEXT NOT NULL,
    created_at REAL NOT NULL
);
"""


class TelegramStore:
    """Update dedup and long button payloads, keyed by the bot (the token's numeric part)."""

    def __init__(
        self,
        path: Path,
        bot_id: str,
        keep_seconds: float = 7 * 24 * 3600,
        payload_keep_seconds: float = 90 * 24 * 3600,
    ) -> None:
        self.path = Path(path)
        self.bot_id = bot_id
        self.keep_seconds = keep_seconds
        self.payload_keep_seconds = payload_keep_seconds
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._claims = 0

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self.path), timeout=5.0, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(_SCHEMA)
            self._conn = conn
        return self._conn

    def claim(self, update_id: int, now: float | None = None) -> bool:
        """True the first time an update_id is seen; False for every repeat."""
        now = time.time() if now is None else now
        with self._lock:
            conn = self._connect()
            cur = conn.execute(
                "INSERT OR IGNORE INTO seen_updates (bot_id, update_id, seen_at) VALUES (?, ?, ?)",
                (self.bot_id, int(update_id), now),
            )
            self._claims += 1
            if self._claims % 500 == 0:
                self._prune(conn, now)
            return cur.rowcount == 1

    def _prune(self, conn: sqlite3.Connection, now: float) -> None:
        conn.execute("DELETE FROM seen_updates WHERE seen_at < ?", (now - self.keep_seconds,))
        conn.execute("DELETE FROM button_payloads WHERE created_at < ?", (now - self.payload_keep_seconds,))

    def payload_key(self, payload: str) -> str:
        """Store a long payload and return the short callback_data that stands for it."""
        digest = hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]
        key = PAYLOAD_KEY_PREFIX + digest
        with self._lock:
            self._connect().execute(
                "INSERT OR REPLACE INTO button_payloads (key, payload, created_at) VALUES (?, ?, ?)",
                (key, payload, time.time()),
            )
        return key

    def payload_for(self, data: str) -> str | None:
        """The payload behind callback_data: itself, or the stored one (None if expired)."""
        if not data.startswith(PAYLOAD_KEY_PREFIX):
            return data
        with self._lock:
            row = self._connect().execute("SELECT payload FROM button_payloads WHERE key = ?", (data,)).fetchone()
        return row[0] if row else None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
