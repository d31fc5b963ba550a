"""Sending to Telegram through python-telegram-bot: splitting, retries, keyboards, typing.

Used by the Rasa output channel (replies to a customer turn) and by
``bot.channels.outbound`` (agent replies and follow-ups), so both behave the same.
No Rasa import here: the console can send without loading Rasa.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import warnings
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, AsyncIterator, Awaitable, Callable, Iterable, TypeVar

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from bot.channels.telegram_store import TelegramStore
from crm_store.retry import retry_async
from crm_store.settings import Settings

log = logging.getLogger(__name__)

MAX_MESSAGE_LENGTH = 4096  # Telegram's limit, counted here in UTF-16 units (the stricter reading)
MAX_CALLBACK_DATA = 64  # bytes
TYPING_EVERY = 4.0  # a chat action shows for about 5 seconds
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    base_delay: float = 0.5  # network errors: 0.5, 1, 2, 4 s (+ jitter), at most max_delay
    max_delay: float = 30.0
    max_retry_after: float = 120.0  # a longer flood wait is not waited for: the call fails


def make_bot(settings: Settings) -> Bot:
    """A Bot for settings.telegram_token; connects only when first used."""
    if not settings.telegram_token:
        raise ValueError("TELEGRAM_TOKEN is not set")
    # httpx logs every request URL at INFO, and the URL carries the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return Bot(
        settings.telegram_token,
        base_url=settings.telegram_api_url,
        base_file_url=settings.telegram_file_url,
        request=HTTPXRequest(connection_pool_size=16, pool_timeout=5.0),
        get_updates_request=HTTPXRequest(connection_pool_size=2, read_timeout=10.0),
    )


def bot_id_of(token: str) -> str:
    """The bot's numeric id, the part of the token before ':' (not secret)."""
    return token.split(":", 1)[0]


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_MESSAGE_LENGTH) -> list[str]:
    """Cut text into pieces Telegram accepts, at paragraph, line or word breaks if possible."""
    pieces: list[str] = []
    rest = text.strip()
    while _utf16_len(rest) > limit:
        end, units = 0, 0
        for ch in rest:  # the longest prefix within the limit, never inside a surrogate pair
            units += 2 if ord(ch) > 0xFFFF else 1
            if units > limit:
                break
            end += 1
        window = rest[: end + 1]  # a break right after the prefix still counts
        cut = -1
        for sep in ("\n\n", "\n", " "):
            pos = window.rfind(sep)
            if pos >= end // 2:
                cut = pos
                break
        if cut <= 0:
            piece, rest = rest[:end], rest[end:]
        else:
            piece, rest = rest[:cut], rest[cut:]
        pieces.append(piece.rstrip())
        rest = rest.lstrip()
    if rest:
        pieces.append(rest)
    return [p for p in pieces if p]


def retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that the int will become a timedelta
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def is_permanent(exc: TelegramError) -> bool:
    """True when sending again cannot help: 400 (chat not found, bad message), 403 (bot blocked),
    401/404 (token), 409. Network errors, timeouts, 5xx and 429 are temporary."""
    return isinstance(exc, BadRequest) or not isinstance(exc, (NetworkError, RetryAfter))


async def call_with_retry(call: Callable[[], Awaitable[T]], policy: RetryPolicy, what: str) -> T:
    """Run one Bot API call; wait out 429 retry_after and back off on network errors and 5xx.

    Permanent errors (see is_permanent) are raised at once; temporary ones after
    policy.attempts tries. A dropped connection is retried: Telegram has no idempotency
    key, so if it had already delivered the message the customer sees it twice, which
    we prefer to losing it.
    """

    def temporary(exc: BaseException) -> bool:
        if isinstance(exc, RetryAfter):
            return retry_after_seconds(exc) <= policy.max_retry_after
        # BadRequest is a NetworkError subclass in PTB, but retrying cannot help. NetworkError
        # includes TimedOut, dropped connections and 5xx answers.
        return isinstance(exc, NetworkError) and not isinstance(exc, BadRequest)

    def delay(exc: BaseException, attempt: int) -> float:
        if isinstance(exc, RetryAfter):
            return retry_after_seconds(exc)
        return min(policy.max_delay, policy.base_delay * 2 ** (attempt - 1)) * (1 + random.random() / 4)

    def failed(_exc: BaseException, attempt: int, wait: float) -> None:
        log.warning(
            "telegram call failed, retrying", extra={"method": what, "attempt": attempt, "delay_s": round(wait, 2)}
        )

    return await retry_async(
        call,
        temporary,
        attempts=policy.attempts,
        delay=delay,
        on_retry=failed,
        sleep=lambda seconds: asyncio.sleep(seconds),
    )


class TelegramSender:
    """Everything the channel sends, with the same retry policy."""

    def __init__(self, bot: Bot, store: TelegramStore | None = None, policy: RetryPolicy | None = None) -> None:
        self.bot = bot
        self.store = store
        self.policy = policy or RetryPolicy()

    async def call(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        return await call_with_retry(call, self.policy, what)

    async def send_text(self, chat_id: int | str, text: str, reply_markup: Any = None, **kwargs: Any) -> list[Message]:
        """Send text in as many messages as needed; a keyboard goes on the last one."""
        pieces = split_text(text) or ["…"]
        sent = []
        for i, piece in enumerate(pieces):
            markup = reply_markup if i == len(pieces) - 1 else None
            sent.append(
                await self.call(
                    "sendMessage",
                    lambda: self.bot.send_message(chat_id, piece, reply_markup=markup, **kwargs),
                )
            )
        return sent

    async def send_photo(self, chat_id: int | str, photo: str, caption: str | None = None) -> None:
        await self.call("sendPhoto", lambda: self.bot.send_photo(chat_id, photo, caption=caption))

    async def answer_callback(self, callback_query_id: str, text: str | None = None) -> None:
        await self.call(
            "answerCallbackQuery",
            lambda: self.bot.answer_callback_query(callback_query_id, text=text),
        )

    async def clear_keyboard(self, chat_id: int | str, message_id: int) -> None:
        """Remove the buttons of a message once one was pressed (best effort)."""
        try:
            await self.bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)
        except TelegramError as exc:  # too old, already edited, ...: nothing to do
            log.debug("keyboard not cleared", extra={"error": type(exc).__name__})

    async def chat_action(self, chat_id: int | str, action: str = "typing") -> None:
        try:
            await self.bot.send_chat_action(chat_id, action)
        except TelegramError as exc:  # cosmetic: never fail a turn for it
            log.debug("chat action not sent", extra={"error": type(exc).__name__})

    @contextlib.asynccontextmanager
    async def typing(self, chat_id: int | str) -> AsyncIterator[None]:
        """Show "typing…" while the body runs."""

        async def keep_typing() -> None:
            while True:
                await asyncio.sleep(TYPING_EVERY)
                await self.chat_action(chat_id)

        await self.chat_action(chat_id)
        task = asyncio.create_task(keep_typing())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def keyboard(
        self, buttons: Iterable[dict[str, Any]], button_type: str | None = "inline"
    ) -> InlineKeyboardMarkup | None:
        """Rasa buttons ({"title", "payload"} or {"title", "url"}) as an inline keyboard.

        "inline" puts them in one row (as Rasa's own connector does), "vertical" one per row.
        """
        made = [self._button(b) for b in buttons if isinstance(b, dict) and b.get("title")]
        keys = [k for k in made if k is not None]
        if not keys:
            return None
        rows = [[k] for k in keys] if button_type == "vertical" else [keys]
        return InlineKeyboardMarkup(rows)

    def _button(self, button: dict[str, Any]) -> InlineKeyboardButton | None:
        title = str(button["title"])
        if button.get("url"):
            return InlineKeyboardButton(title, url=str(button["url"]))
        payload = str(button.get("payload") or title)
        if len(payload.encode("utf-8")) > MAX_CALLBACK_DATA:
            if self.store is None:
                log.warning("button payload too long for Telegram, button dropped")
                return None
            payload = self.store.payload_key(payload)
        return InlineKeyboardButton(title, callback_data=payload)
