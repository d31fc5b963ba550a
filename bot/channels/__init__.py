"""Customer channels: one Rasa InputChannel per channel, plus outbound sending.

Public names are loaded lazily, so importing e.g. ``bot.channels.outbound`` from the
console does not import Rasa.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    # Telegram
    "TelegramInput": "bot.channels.telegram",
    "TelegramOutput": "bot.channels.telegram_output",
    "TelegramSender": "bot.channels.telegram_send",
    "RetryPolicy": "bot.channels.telegram_send",
    "split_text": "bot.channels.telegram_send",
    "TelegramStore": "bot.channels.telegram_store",
    # web chat widget (socket.io)
    "WebChatInput": "bot.channels.webchat",
    "WebChatOutput": "bot.channels.webchat",
    # REST (development channel) and the guards every channel shares
    "RestInput": "bot.channels.rest",
    "ChannelLimits": "bot.channels.limits",
    "clean_metadata": "bot.channels.metadata",
    "SessionSigner": "bot.channels.webchat_sessions",
    # outbound messages (agent replies, follow-ups)
    "ChannelUnavailable": "bot.channels.outbound",
    "DeliveryFailed": "bot.channels.outbound",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
