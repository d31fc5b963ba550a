"""Messages that do not answer a customer turn (agent replies, follow-ups).

The lead's CRM look-up maps a customer id to (channel, external_id); this module only
delivers to one chat, through the same splitting and retry code as the Rasa channel.
"""
from __future__ import annotations

import logging
from typing import Any

from telegram.error import BadRequest, Forbidden, TelegramError

from bot.channels.telegram_send import TelegramSender, bot_id_of, make_bot
from bot.channels.telegram_store import TelegramStore
from crm_store.errors import CrmError
from crm_store.settings import get_settings

log = logging.getLogger(__name__)


class ChannelUnavailable(CrmError):
    """We cannot send through this channel at all (unknown, or not configured)."""

    def __init__(self, channel: str, reason: str | None = None) -> None:
        why = reason or "sending to it from outside a conversation is not supported yet"
        super().__init__(f"The {channel!r} channel is not available: {why}.")
        self.channel = channel


class DeliveryFailed(CrmError):
    """The channel works, but this message did not reach this chat."""

    def __init__(self, channel: str, external_id: str, reason: str) -> None:
        super().__init__(f"The message could not be delivered on {channel}: {reason}.")
        self.channel = channel
        self.external_id = external_id


async def send_to_chat(
    channel: str, external_id: str, text: str, buttons: list[dict[str, Any]] | None = None
) -> None:
    """Send text (and optional Rasa-style buttons) to one chat of one channel."""
    if channel != "telegram":
        raise ChannelUnavailable(channel)
    settings = get_settings()
    if not settings.telegram_token:
        raise ChannelUnavailable("telegram", "TELEGRAM_TOKEN is not set")
    try:
        chat_id = int(external_id)
    except (TypeError, ValueError):
        raise DeliveryFailed(channel, str(external_id), "that is not a Telegram chat id") from None
    store = TelegramStore(settings.var_path / "telegram_updates.db", bot_id_of(settings.telegram_token))
    bot = make_bot(settings)
    sender = TelegramSender(bot, store)
    try:
        markup = sender.keyboard(buttons) if buttons else None
        await sender.send_text(chat_id, text, markup)
    except Forbidden:
        raise DeliveryFailed(channel, external_id, "the customer has blocked the bot") from None
    except BadRequest as exc:
        log.warning("telegram refused an outbound message", extra={"chat_id": chat_id, "error": exc.message})
        raise DeliveryFailed(channel, external_id, "Telegram refused it (unknown chat?)") from None
    except TelegramError as exc:
        log.warning("telegram outbound failed", extra={"chat_id": chat_id, "error": type(exc).__name__})
        raise DeliveryFailed(channel, external_id, "Telegram could not be reached, try again later") from None
    finally:
        await bot.request.shutdown()
        store.close()
    log.info("outbound message sent", extra={"channel": channel, "chat_id": chat_id})
