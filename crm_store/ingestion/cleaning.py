"""Strings from the outside world made storable, at the edge of the CRM.

PostgreSQL refuses NUL in text, UTF-8 cannot encode a lone surrogate, and
columns have lengths. Such an event is not wrong, only awkward: its strings are
repaired (U+FFFD for NUL and lone surrogates, overlong values cut) and what was
changed is kept, escaped to plain ASCII, so nobody loses the original.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

REPLACEMENT = "\ufffd"
SENDER_LIMIT = 200  # Conversation.sender_id, ChannelIdentity.external_id
TEXT_LIMIT = 20_000  # a message longer than this is cut (channels cap far below it)
ORIGINAL_LIMIT = 4_000  # originals longer than this are kept as length + sha256 + head

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def clean_str(value: str, limit: int | None = None) -> str:
    """NUL and lone surrogates replaced, cut to `limit` characters."""
    cleaned = _UNSTORABLE.sub(REPLACEMENT, value)
    if limit is not None and len(cleaned) > limit:
        cleaned = cleaned[:limit]
    return cleaned


def clean_sender(sender: str) -> str:
    """A storable sender id that stays unique: an overlong one keeps its head and a hash of the whole."""
    cleaned = clean_str(sender)
    if len(cleaned) <= SENDER_LIMIT and cleaned == sender:
        return sender
    if len(cleaned) <= SENDER_LIMIT:
        return cleaned
    digest = hashlib.sha256(sender.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{cleaned[: SENDER_LIMIT - 17]}~{digest}"


def clean_value(value: Any) -> Any:
    """Every string inside a JSON-like value (keys too) made storable; lengths untouched."""
    if isinstance(value, str):
        return clean_str(value)
    if isinstance(value, dict):
        return {clean_str(str(k)): clean_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_value(v) for v in value]
    return value


def escaped(value: Any) -> Any:
    """An ASCII-only record of an original value (json.dumps escapes NUL and surrogates)."""
    text = json.dumps(value, ensure_ascii=True, default=str)
    if len(text) <= ORIGINAL_LIMIT:
        return text
    digest = hashlib.sha256(text.encode("ascii")).hexdigest()
    return {"length": len(text), "sha256": digest, "head": text[:ORIGINAL_LIMIT]}


def clean_event(event: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The event with storable strings, and {field: escaped original} for every field that changed."""
    cleaned: dict[str, Any] = {}
    originals: dict[str, Any] = {}
    for key, value in event.items():
        new = clean_value(value)
        if key == "sender_id" and isinstance(value, str):
            new = clean_sender(value)
        elif key == "text" and isinstance(new, str):
            new = clean_str(new, TEXT_LIMIT)
        if new != value:
            originals[clean_str(str(key))] = escaped(value)
        cleaned[clean_str(str(key))] = new
    return cleaned, originals
