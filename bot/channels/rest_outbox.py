"""Messages for REST callers that arrive outside their own turn (an agent's reply, the team's
notices, the rating question after a hand-back).

A REST caller only ever gets the replies to the message it posted. What the agent console sends
later is kept here, per sender, until the caller fetches it (`GET /webhooks/rest/messages`);
the terminal client (`crmbot chat`) does so every second. A sender who fetched recently is
"listening", and the console asks before an agent types whether a REST customer can see them.

The box lives in the Rasa process's memory: a restart or a second Rasa server behind a load
balancer loses it (the CRM transcript still has every message). REST is a development channel.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Any

from rasa.core.channels.channel import OutputChannel

from bot.channels.speakers import speaker

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


class OutboxOutput(OutputChannel):
    """What Rasa sends to a REST sender outside a turn goes into the outbox."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def __init__(self, outbox: Outbox) -> None:
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
