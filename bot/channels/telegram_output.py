"""The Rasa OutputChannel for Telegram: bot responses of a customer turn go out here."""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import OutputChannel
from telegram.error import TelegramError

from bot.channels.speakers import with_prefix
from bot.channels.telegram_send import TelegramSender, is_permanent

log = logging.getLogger(__name__)

# (chat id, error class, Telegram's description, permanent?) for a reply that did not get out
OnUndelivered = Callable[[str, str, str, bool], None]


class TelegramOutput(OutputChannel):
    """Sends Rasa responses with splitting, retries and inline keyboards.

    A reply that cannot be sent, at once (blocked bot, unknown chat) or after the
    retries (5xx, network, long flood waits), is logged as an error and handed to
    `on_undelivered`, which records it in the CRM; the turn still ends normally and the
    turn's other replies are still tried.
    """

    @classmethod
    def name(cls) -> Text:
        return "telegram"

    def __init__(self, sender: TelegramSender, on_undelivered: OnUndelivered | None = None) -> None:
        self.sender = sender
        self.on_undelivered = on_undelivered

    async def _guard(self, recipient_id: Text, coro: Any) -> None:
        try:
            await coro
        except TelegramError as exc:
            permanent = is_permanent(exc)
            log.error(
                "telegram reply not delivered",
                extra={"chat_id": recipient_id, "error": type(exc).__name__, "permanent": permanent},
            )
            if self.on_undelivered is not None:
                self.on_undelivered(str(recipient_id), type(exc).__name__, exc.message[:200], permanent)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        # An agent's reply starts with the agent's name: Telegram shows every message as the bot's.
        await self._guard(recipient_id, self.sender.send_text(recipient_id, with_prefix(text, kwargs)))

    async def send_text_with_buttons(
        self,
        recipient_id: Text,
        text: Text,
        buttons: List[Dict[Text, Any]],
        button_type: Optional[Text] = "inline",
        **kwargs: Any,
    ) -> None:
        markup = self.sender.keyboard(buttons, button_type)
        await self._guard(recipient_id, self.sender.send_text(recipient_id, text, markup))

    async def send_quick_replies(
        self,
        recipient_id: Text,
        text: Text,
        quick_replies: List[Dict[Text, Any]],
        **kwargs: Any,
    ) -> None:
        await self.send_text_with_buttons(recipient_id, text, quick_replies, **kwargs)

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        await self._guard(recipient_id, self.sender.send_photo(recipient_id, image))

    async def send_attachment(self, recipient_id: Text, attachment: Text, **kwargs: Any) -> None:
        await self.send_text_message(recipient_id, str(attachment))

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        """Custom payloads: {"text": ..., "buttons": [...]} or {"photo": url, "caption": ...}.

        Anything else is not sent (logged), rather than shown to the customer as raw JSON.
        """
        if not isinstance(json_message, dict):
            return
        coro: Awaitable[Any]
        if json_message.get("photo"):
            coro = self.sender.send_photo(recipient_id, str(json_message["photo"]), json_message.get("caption"))
        elif json_message.get("text"):
            markup = self.sender.keyboard(json_message.get("buttons") or [])
            coro = self.sender.send_text(recipient_id, str(json_message["text"]), markup)
        else:
            log.warning("custom payload not supported by telegram", extra={"keys": sorted(json_message)})
            return
        await self._guard(recipient_id, coro)
