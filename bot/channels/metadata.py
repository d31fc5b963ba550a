"""What a client may tell us beside its message: a display name, nothing else.

Attachments are described by the channel that stored them (never by a client path),
and the sender and channel name come from the connector, so neither is read here.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

MAX_NAME_CHARS = 60
_MARKUP = re.compile(r"<[^>]*>|[<>&\"'`]")


def clean_display_name(raw: Any) -> str | None:
    """Plain text of bounded length: no tags, control characters or markup characters."""
    if not isinstance(raw, str):
        return None
    text = _MARKUP.sub("", raw)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    text = re.sub(r"\s+", " ", text).strip()[:MAX_NAME_CHARS].strip()
    return text or None


def clean_metadata(raw: Any) -> dict[str, Any]:
    """Keep only known keys, cleaned; everything else a client sends is dropped."""
    if not isinstance(raw, dict):
        return {}
    name = clean_display_name(raw.get("display_name"))
    return {"display_name": name} if name else {}
