"""Telegram input channel for Rasa, through python-telegram-bot.

Webhook mode (default): Telegram posts updates to /webhooks/telegram/webhook; a request
without the right X-Telegram-Bot-Api-Secret-Token gets 403 and is not looked at.
Polling mode (TELEGRAM_MODE=polling): a getUpdates loop runs on Rasa's Sanic loop.
Without TELEGRAM_TOKEN the channel does not start, says so once, and its routes answer 503.
A text or caption longer than MAX_MESSAGE_CHARS gets the same polite reply as on the other
channels and never reaches Rasa. A reply Telegram will not take is logged and recorded in
the CRM as a `delivery_failed` event (telegram_output.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import time
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.exceptions import InvalidUsage
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram import Bot, Update
from telegram.error import InvalidToken, TelegramError

from bot.channels.limits import LimitedChannel
from bot.channels.telegram_output import OnUndelivered, TelegramOutput
from bot.channels.telegram_polling import ALLOWED_UPDATES, poll_updates
from bot.channels.telegram_send import RetryPolicy, TelegramSender, bot_id_of, call_with_retry, make_bot
from bot.channels.telegram_store import TelegramStore
from bot.channels.telegram_updates import FileTooLarge, Incoming, download, parse_update, user_metadata
from crm_store.settings import Settings, get_settings
from crm_store.ingestion.spool import running_sink

log = logging.getLogger(__name__)

NOT_STARTED = "Telegram channel not started: TELEGRAM_TOKEN is not set"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PATH = "/webhooks/telegram/webhook"
UNSUPPORTED_REPLY = "Sorry, I can only read text and photos."
TOO_LARGE_REPLY = "Sorry, that file is too large for me. Please send a photo or a file under {mb} MB."
DOWNLOAD_FAILED_REPLY = "Sorry, I could not fetch that file. Could you send it again?"
EXPIRED_BUTTON_REPLY = "Sorry, that button has expired. Please type what you need."
ERROR_REPLY = "Sorry, something went wrong on my side. Please try again in a moment."
OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


def _update_from(request: Request, bot: Bot) -> Update | None:
    try:
        data = request.json
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return None
        return Update.de_json(data, bot)
    except (InvalidUsage, KeyError, TypeError, ValueError):  # bad JSON or a broken update
        return None


def webhook_secret(settings: Settings) -> str:
    """TELEGRAM_SECRET_TOKEN, or one derived from the bot token (stable across restarts)."""
    if settings.telegram_secret_token:
        return settings.telegram_secret_token
    token = (settings.telegram_token or "").encode()
    return hmac.new(token, b"crmbot telegram webhook", hashlib.sha256).hexdigest()


def record_in_crm(settings: Settings) -> OnUndelivered:
    """Undelivered replies become `delivery_failed` events in the CRM spool of this Rasa process,
    so the transcript shows that the customer never got the reply before them."""

    def record(chat_id: str, error: str, description: str, permanent: bool) -> None:
        sink = running_sink(settings.var_path)
        if sink is None:  # no event broker in this process (a test, or the console): the log line stays
            return
        sink.put(
            {
                "event": "delivery_failed",
                "sender_id": chat_id,
                "timestamp": time.time(),
                "input_channel": "telegram",
                "error": error,
                "description": description,
                "permanent": permanent,
            }
        )

    return record


class TelegramInput(LimitedChannel, InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "TelegramInput":
        # Nothing comes from credentials.yml: the token lives in the environment only.
        return cls(get_settings())

    def __init__(
        self,
        settings: Settings,
        *,
        policy: RetryPolicy | None = None,
        poll_timeout: float = 30.0,
        on_undelivered: OnUndelivered | None = None,
    ) -> None:
        self._settings = settings
        self._limits = None
        self.on_undelivered = on_undelivered or record_in_crm(settings)
        self.enabled = bool(settings.telegram_token)
        self.policy = policy or RetryPolicy()
        self.poll_timeout = poll_timeout
        self._sender: TelegramSender | None = None
        self._output: TelegramOutput | None = None
        self._task: asyncio.Task | None = None
        if not self.enabled:
            log.warning(NOT_STARTED)
        elif settings.telegram_mode == "webhook" and not settings.telegram_secret_token:
            log.info("TELEGRAM_SECRET_TOKEN is not set: using one derived from the bot token")

    @property
    def sender(self) -> TelegramSender:
        if self._sender is None:
            token = self.settings.telegram_token or ""
            store = TelegramStore(self.settings.var_path / "telegram_updates.db", bot_id_of(token))
            self._sender = TelegramSender(make_bot(self.settings), store, self.policy)
        return self._sender

    @property
    def store(self) -> TelegramStore:
        """The updates already handled and the buttons' payloads (the sender's, built with it above)."""
        store = self.sender.store
        assert store is not None
        return store

    def get_output_channel(self) -> Optional[TelegramOutput]:
        """Also used by Rasa for messages it starts itself (e.g. trigger_intent)."""
        if not self.enabled:
            return None
        if self._output is None:
            self._output = TelegramOutput(self.sender, self.on_undelivered)
        return self._output

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        bp = Blueprint("crm_telegram", url_prefix="/webhooks/telegram")

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            if not self.enabled:
                return response.json({"status": "disabled", "reason": NOT_STARTED}, status=503)
            return response.json({"status": "ok", "mode": self.settings.telegram_mode})

        @bp.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if not self.enabled:
                return response.json({"error": NOT_STARTED}, status=503)
            given = (request.headers.get(SECRET_HEADER) or "").encode()
            if not hmac.compare_digest(given, webhook_secret(self.settings).encode()):
                log.warning("telegram webhook call without the right secret token")
                return response.json({"error": "forbidden"}, status=403)
            update = _update_from(request, self.sender.bot)
            if update is None:
                return response.json({"error": "not a Telegram update"}, status=400)
            outcome = await self.handle_update(update, on_new_message)
            return response.json({"ok": True, "outcome": outcome})

        bp.listener("after_server_start")(self._after_start(on_new_message))
        bp.listener("before_server_stop")(self._before_stop)
        return bp

    def _after_start(self, on_new_message: OnNewMessage) -> Callable[..., Awaitable[None]]:
        async def start(app: Any, loop: Any) -> None:
            if self.enabled:
                self._task = asyncio.create_task(self._run(on_new_message))

        return start

    async def _before_stop(self, app: Any, loop: Any) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._sender is not None:
            await self._sender.bot.shutdown()
            await self._sender.bot.request.shutdown()
            self.store.close()

    async def _run(self, on_new_message: OnNewMessage) -> None:
        """Check the token, then register the webhook or poll, in the background."""
        bot = self.sender.bot
        try:
            await call_with_retry(bot.initialize, self.policy, "getMe")
            if self.settings.telegram_mode == "polling":
                await poll_updates(
                    bot,
                    lambda update: self.handle_update(update, on_new_message),
                    timeout=self.poll_timeout,
                    policy=self.policy,
                )
            elif self.settings.telegram_webhook_url:
                await call_with_retry(
                    lambda: bot.set_webhook(
                        url=self.webhook_url,
                        secret_token=webhook_secret(self.settings),
                        allowed_updates=ALLOWED_UPDATES,
                    ),
                    self.policy,
                    "setWebhook",
                )
                log.info("telegram webhook registered")
        except InvalidToken:  # never log the exception: its text holds the token
            log.error("Telegram channel stopped: TELEGRAM_TOKEN was rejected by Telegram")
            self.enabled = False
        except TelegramError as exc:
            log.error("Telegram channel setup failed", extra={"error": type(exc).__name__})

    @property
    def webhook_url(self) -> str:
        """TELEGRAM_WEBHOOK_URL; a bare origin gets the channel's webhook path appended."""
        url = (self.settings.telegram_webhook_url or "").rstrip("/")
        return url if url.endswith(WEBHOOK_PATH) or url.count("/") > 2 else url + WEBHOOK_PATH

    async def handle_update(self, update: Update, on_new_message: OnNewMessage) -> str:
        """Handle one update at most once; the outcome is a word for logs and tests."""
        incoming = parse_update(update, self.settings.max_upload_bytes)
        if incoming is None:
            return "ignored"
        if not self.store.claim(incoming.update_id):
            log.info("telegram update already handled", extra={"update_id": incoming.update_id})
            return "duplicate"
        try:
            return await self._handle(incoming, on_new_message)
        except Exception:  # the edge of the channel: log, apologise, carry on
            log.exception("telegram update failed", extra={"update_id": incoming.update_id})
            with contextlib.suppress(TelegramError):
                await self.sender.send_text(incoming.chat_id, ERROR_REPLY)
            return "failed"

    async def _handle(self, incoming: Incoming, on_new_message: OnNewMessage) -> str:
        sender, chat_id, text = self.sender, incoming.chat_id, incoming.text
        if incoming.kind == "callback":
            with contextlib.suppress(TelegramError):  # stops the button's spinner
                await sender.answer_callback(incoming.callback_query_id or "")
            if incoming.message_id is not None:
                await sender.clear_keyboard(chat_id, incoming.message_id)
            payload = self.store.payload_for(text)
            if not payload:
                await sender.send_text(chat_id, EXPIRED_BUTTON_REPLY)
                return "expired"
            text = payload
        elif incoming.kind == "unsupported":
            await sender.send_text(chat_id, UNSUPPORTED_REPLY)
            return "unsupported"
        elif incoming.kind == "too_large":
            await sender.send_text(chat_id, self._too_large())
            return "too_large"
        else:  # text, or a caption: capped like the other channels' messages, before Rasa sees it
            too_long = self.limits.length_problem(incoming.caption or text)
            if too_long is not None:
                await sender.send_text(chat_id, too_long)
                return "too_long"
        async with sender.typing(chat_id):
            attachments = []
            if incoming.kind == "media":
                try:
                    attachments.append(
                        await download(sender, incoming, self.settings.var_path, self.settings.max_upload_bytes)
                    )
                except FileTooLarge:
                    await sender.send_text(chat_id, self._too_large())
                    return "too_large"
                except TelegramError as exc:
                    log.warning("telegram file not fetched", extra={"error": type(exc).__name__})
                    await sender.send_text(chat_id, DOWNLOAD_FAILED_REPLY)
                    return "download_failed"
            await on_new_message(
                UserMessage(
                    text,
                    self.get_output_channel(),
                    str(chat_id),
                    input_channel=self.name(),
                    message_id=f"telegram-{self.store.bot_id}-{incoming.update_id}",
                    metadata=user_metadata(incoming, attachments),
                )
            )
        return "handled"

    def _too_large(self) -> str:
        return TOO_LARGE_REPLY.format(mb=self.settings.max_upload_bytes // (1024 * 1024))
