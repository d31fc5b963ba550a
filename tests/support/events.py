"""Tracker events as Rasa's broker publishes them: built with Rasa's own event classes."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    SessionStarted,
    UserUttered,
)

RECORDED_STREAM = Path(__file__).resolve().parent.parent / "fixtures" / "rasa_events.jsonl"


def unique_sender(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def published(sender: str, event: Any) -> dict:
    body = {"sender_id": sender}
    body.update(event.as_dict())
    return body


def user_uttered(
    sender: str,
    text: str,
    intent: str = "order_status",
    confidence: float = 0.93,
    channel: str = "rest",
    ts: float | None = None,
    metadata: dict | None = None,
    entities: list[dict] | None = None,
) -> dict:
    parse = {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": entities or []}
    event = UserUttered(
        text,
        intent=parse["intent"],
        entities=entities or [],
        parse_data=parse,
        timestamp=ts or time.time(),
        input_channel=channel,
        message_id=uuid.uuid4().hex,
        metadata=metadata or {},
    )
    return published(sender, event)


def bot_uttered(
    sender: str, text: str, ts: float | None = None, utter_action: str | None = None, buttons: list[dict] | None = None
) -> dict:
    metadata = {"utter_action": utter_action} if utter_action else {}
    data = {"buttons": buttons} if buttons else {}
    return published(sender, BotUttered(text, data=data, metadata=metadata, timestamp=ts or time.time()))


def action(sender: str, name: str, ts: float | None = None) -> dict:
    return published(sender, ActionExecuted(name, policy="RulePolicy", confidence=1.0, timestamp=ts or time.time()))


def session_started(sender: str, ts: float | None = None) -> dict:
    return published(sender, SessionStarted(timestamp=ts or time.time()))


def paused(sender: str, ts: float | None = None) -> dict:
    return published(sender, ConversationPaused(timestamp=ts or time.time()))


def resumed(sender: str, ts: float | None = None) -> dict:
    return published(sender, ConversationResumed(timestamp=ts or time.time()))


def recorded_stream() -> list[dict]:
    return [json.loads(line) for line in RECORDED_STREAM.read_text().splitlines() if line.strip()]
