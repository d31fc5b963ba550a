"""Long polling (TELEGRAM_MODE=polling): a getUpdates loop for development machines."""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Awaitable, Callable

from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, RetryAfter, TelegramError

from bot.channels.telegram_send import RetryPolicy, call_with_retry, retry_after_seconds

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query"]


async def poll_updates(
    bot: Bot,
    handle: Callable[[Update], Awaitable[object]],
    *,
    timeout: float,
    policy: RetryPolicy,
) -> None:
    """Fetch updates until cancelled; each is handled in order before the next batch.

    The offset confirms an update only after it was handled, so a crash re-delivers it
    and the update log drops it if it was in fact handled.
    """
    # A webhook and getUpdates exclude each other; pending updates are kept.
    await call_with_retry(lambda: bot.delete_webhook(drop_pending_updates=False), policy, "deleteWebhook")
    log.info("telegram polling started")
    offset: int | None = None
    failures = 0
    while True:
        try:
            updates = await bot.get_updates(
                offset=offset,
                timeout=max(0, int(timeout)),
                allowed_updates=ALLOWED_UPDATES,
                read_timeout=timeout + 10,
            )
        except InvalidToken:
            log.error("Telegram polling stopped: TELEGRAM_TOKEN was rejected by Telegram")
            return
        except RetryAfter as exc:
            delay = retry_after_seconds(exc)
        except Conflict:  # someone else polls with this token, or a webhook came back
            log.warning("telegram polling conflict: is another instance running?")
            delay = _backoff(policy, failures)
        except TelegramError as exc:  # network trouble: keep trying, slower and slower
            log.warning("telegram polling failed", extra={"error": type(exc).__name__})
            delay = _backoff(policy, failures)
        else:
            failures = 0
            for update in updates:
                offset = update.update_id + 1
                await handle(update)
            continue
        failures += 1
        await asyncio.sleep(delay)


def _backoff(policy: RetryPolicy, failures: int) -> float:
    delay = min(policy.max_delay, policy.base_delay * 2 ** min(failures, 10))
    return delay * (1 + random.random() / 4)
