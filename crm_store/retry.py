"""One way to try an operation again, on tenacity, for every place that does.

The ingestion spool and the RabbitMQ consumer (the database or broker is away), the RabbitMQ
publisher (a connection gone stale while idle), the Telegram sender and the digest's SMTP
delivery all retry the same way: only the errors `retry_on` calls temporary, with a delay that
starts at `first` seconds and doubles up to `most` (or as `delay` says for each error), for
`attempts` tries or for as long as it fails, and `on_retry` hears of each failure before the
wait. The last error is raised as it was (never tenacity's RetryError), and an error that is not
temporary is raised at once.

A `stop` event ends the retrying: it is checked before each wait (and a threading.Event wakes
the wait), and then `RetryStopped` is raised instead of trying again.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any, Awaitable, Callable, TypeVar

from tenacity import AsyncRetrying, RetryCallState, Retrying, retry_if_exception, stop_after_attempt, stop_never

T = TypeVar("T")

RetryOn = Callable[[BaseException], bool]
# (error, attempt number that failed, seconds it will wait) -> None
OnRetry = Callable[[BaseException, int, float], None]
# (error, attempt number that failed) -> seconds to wait
Delay = Callable[[BaseException, int], float]


class RetryStopped(Exception):
    """The stop event was set while an operation was being retried."""


def doubling(first: float, most: float | None = None) -> Delay:
    """first, 2 × first, 4 × first, … seconds, at most `most`."""

    def delay(_error: BaseException, attempt: int) -> float:
        seconds = first * 2 ** (attempt - 1)
        return seconds if most is None else min(most, seconds)

    return delay


# Half a second, doubling to at most 30 s: the default for an operation without its own.
DEFAULT_DELAY = doubling(0.5, 30.0)


def _options(
    retry_on: RetryOn,
    attempts: int | None,
    delay: Delay,
    on_retry: OnRetry | None,
    stop: threading.Event | asyncio.Event | None,
) -> dict[str, Any]:
    def wait(state: RetryCallState) -> float:
        return delay(_error(state), state.attempt_number)

    def before_sleep(state: RetryCallState) -> None:
        if on_retry is not None:
            on_retry(_error(state), state.attempt_number, state.upcoming_sleep)
        if stop is not None and stop.is_set():
            raise RetryStopped()

    return {
        "retry": retry_if_exception(retry_on),
        "stop": stop_after_attempt(attempts) if attempts is not None else stop_never,
        "wait": wait,
        "before_sleep": before_sleep,
        "reraise": True,
    }


def _error(state: RetryCallState) -> BaseException:
    assert state.outcome is not None
    error = state.outcome.exception()
    assert error is not None
    return error


def retry_call(
    operation: Callable[[], T],
    retry_on: RetryOn,
    *,
    attempts: int | None = None,
    delay: Delay = DEFAULT_DELAY,
    on_retry: OnRetry | None = None,
    stop: threading.Event | None = None,
    sleep: Callable[[float], Any] = time.sleep,
) -> T:
    """operation(), tried again as the module says; returns its result."""

    def wait(seconds: float) -> None:
        if stop is not None:
            if stop.wait(seconds):
                raise RetryStopped()
        else:
            sleep(seconds)

    retrying = Retrying(sleep=wait, **_options(retry_on, attempts, delay, on_retry, stop))
    return retrying(operation)


async def retry_async(
    operation: Callable[[], Awaitable[T]],
    retry_on: RetryOn,
    *,
    attempts: int | None = None,
    delay: Delay = DEFAULT_DELAY,
    on_retry: OnRetry | None = None,
    stop: asyncio.Event | None = None,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> T:
    """await operation(), tried again as the module says; returns its result."""

    async def attempt() -> T:
        # tenacity awaits only what a coroutine function returns: a lambda returning an
        # awaitable would be "called" without ever being sent.
        return await operation()

    retrying = AsyncRetrying(sleep=sleep, **_options(retry_on, attempts, delay, on_retry, stop))
    return await retrying(attempt)
