"""Messages for REST callers that arrive outside their own turn (an agent's reply, the team's
notices, the rating question after a hand-back).

A REST caller only ever gets the replies to the message it posted. What the agent console sends
later is kept here, per sender, until the caller fetches it (`GET /webhooks/rest/messages`);
the terminal client (`crmbot chat`) does so every second. A sender who fetched recently is
"listening", and the console asks before an agent types whether a REST customer can see them.

The box lives in the Rasa process's memory: a restart or a second Rasa server behind a load
balancer loses it (the CRM transcript still has every message). REST is a development channel.
With several Rasa worker processes on one port (RASA_WORKERS) the console's call and the
caller's fetch may reach different processes, so there the box is in Redis (`RedisOutbox`).
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from rasa.core.channels.channel import OutputChannel

from bot.channels.speakers import speaker
from crm_store.settings import Settings

KEEP_PER_SENDER = 200
LISTENING_SECONDS = 15.0
MAX_SENDERS = 10_000


class Outbox:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._boxes: dict[str, deque[dict[str, Any]]] = {}
        self._fetched_at: dict[str, float] = {}
        self._next_id = 1

    def put(self, sender: str, message: dict[str, Any]) -> None:
        if sender not in self._boxes and len(self._boxes) >= MAX_SENDERS:
            self._boxes.pop(next(iter(self._boxes)))  # the oldest sender's box goes first
        box = self._boxes.setdefault(sender, deque(maxlen=KEEP_PER_SENDER))
        box.append({"id": self._next_id, **message})
        self._next_id += 1

    def fetch(self, sender: str, after: int = 0) -> list[dict[str, Any]]:
        """Messages after id `after`; the ones up to it are dropped (the caller has them)."""
        self._fetched_at[sender] = self._clock()
        box = self._boxes.get(sender)
        if not box:
            return []
        while box and box[0]["id"] <= after:
            box.popleft()
        return list(box)

    def listening(self, sender: str) -> bool:
        fetched = self._fetched_at.get(sender)
        return fetched is not None and self._clock() - fetched <= LISTENING_SECONDS


class RedisOutbox:
    """The same box in Redis, for every process of the deployment (keys `crmbot:outbox:*`)."""

    PREFIX = "crmbot:outbox"
    KEEP_SECONDS = 86400

    def __init__(self, url: str) -> None:
        self.url = url
        self._redis: Any = None  # connected on first use: in the worker process, after the fork

    @property
    def redis(self) -> Any:
        if self._redis is None:
            import redis

            self._redis = redis.Redis.from_url(self.url, socket_timeout=5)
        return self._redis

    def put(self, sender: str, message: dict[str, Any]) -> None:
        key = f"{self.PREFIX}:box:{sender}"
        message_id = self.redis.incr(f"{self.PREFIX}:next")
        with self.redis.pipeline() as pipe:
            pipe.rpush(key, json.dumps({"id": message_id, **message}))
            pipe.ltrim(key, -KEEP_PER_SENDER, -1)
            pipe.expire(key, self.KEEP_SECONDS)
            pipe.execute()

    def fetch(self, sender: str, after: int = 0) -> list[dict[str, Any]]:
        key = f"{self.PREFIX}:box:{sender}"
        self.redis.set(f"{self.PREFIX}:listening:{sender}", 1, ex=int(LISTENING_SECONDS))
        box = [json.loads(item) for item in self.redis.lrange(key, 0, -1)]
        seen = sum(1 for message in box if message["id"] <= after)  # ids grow along the list
        if seen:
            self.redis.ltrim(key, seen, -1)  # a message put meanwhile is at the end, and stays
        return box[seen:]

    def listening(self, sender: str) -> bool:
        return bool(self.redis.exists(f"{self.PREFIX}:listening:{sender}"))


def outbox_for(settings: Settings) -> Outbox | RedisOutbox:
    """In memory for one Rasa process; in Redis when RASA_WORKERS share the port."""
    if settings.rasa_workers > 1:
        return RedisOutbox(settings.redis_url or settings.lock_store_url or "")
    return Outbox()


class OutboxOutput(OutputChannel):
    """What Rasa sends to a REST sender outside a turn goes into the outbox."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def __init__(self, outbox: Outbox | RedisOutbox) -> None:
        self.outbox = outbox

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        self.outbox.put(recipient_id, _message(text, kwargs))

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        message = _message(text, kwargs)
        message["buttons"] = [{"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))} for b in buttons]
        self.outbox.put(recipient_id, message)


def _message(text: str, meta: dict[str, Any]) -> dict[str, Any]:
    who = speaker(meta)
    return {"text": text, **({"sender": who} if who else {})}
