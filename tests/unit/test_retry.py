"""crm_store.retry: temporary errors are tried again with doubling waits, up to a number of tries or
until a stop event; anything else, and the last temporary error, is raised as it was."""

from __future__ import annotations

import asyncio
import threading

import pytest

from crm_store.retry import RetryStopped, doubling, retry_async, retry_call


class Temporary(Exception):
    pass


class Permanent(Exception):
    pass


def flaky(failures: list[Exception], result: str = "done"):  # type: ignore[no-untyped-def]
    calls = []

    def operation() -> str:
        calls.append(1)
        if failures:
            raise failures.pop(0)
        return result

    return operation, calls


def is_temporary(error: BaseException) -> bool:
    return isinstance(error, Temporary)


def test_temporary_errors_are_tried_again_with_doubling_waits_capped() -> None:
    operation, calls = flaky([Temporary(), Temporary(), Temporary(), Temporary()])
    slept: list[float] = []
    heard: list[tuple[str, int, float]] = []

    result = retry_call(
        operation,
        is_temporary,
        delay=doubling(1.0, 5.0),
        sleep=slept.append,
        on_retry=lambda error, attempt, wait: heard.append((type(error).__name__, attempt, wait)),
    )

    assert result == "done" and len(calls) == 5
    assert slept == [1.0, 2.0, 4.0, 5.0]
    assert heard == [("Temporary", 1, 1.0), ("Temporary", 2, 2.0), ("Temporary", 3, 4.0), ("Temporary", 4, 5.0)]


def test_the_last_temporary_error_is_raised_as_it_was_after_the_last_try() -> None:
    last = Temporary("third")
    operation, calls = flaky([Temporary("first"), Temporary("second"), last])
    slept: list[float] = []

    with pytest.raises(Temporary) as raised:
        retry_call(operation, is_temporary, attempts=3, delay=doubling(0.5), sleep=slept.append)

    assert raised.value is last and len(calls) == 3 and slept == [0.5, 1.0]


def test_an_error_that_is_not_temporary_is_raised_at_once() -> None:
    operation, calls = flaky([Temporary(), Permanent("bad data")])
    slept: list[float] = []

    with pytest.raises(Permanent, match="bad data"):
        retry_call(operation, is_temporary, sleep=slept.append)

    assert len(calls) == 2 and slept == [0.5]


def test_a_set_stop_event_ends_the_retrying_and_wakes_the_wait() -> None:
    stop = threading.Event()
    operation, calls = flaky([Temporary()] * 100)
    threading.Timer(0.2, stop.set).start()

    with pytest.raises(RetryStopped):
        retry_call(operation, is_temporary, delay=doubling(60.0), stop=stop)  # a minute's wait, woken

    assert len(calls) == 1


def test_async_retry_takes_its_own_delay_per_error_and_stops_on_the_event() -> None:
    async def scenario() -> tuple[str, list[float], int]:
        failures = [Temporary(), Permanent()]
        calls = []

        async def operation() -> str:
            calls.append(1)
            if failures and isinstance(failures[0], Temporary):
                raise failures.pop(0)
            return "sent"

        slept: list[float] = []

        async def sleep(seconds: float) -> None:
            slept.append(seconds)

        result = await retry_async(
            operation,
            is_temporary,
            attempts=3,
            sleep=sleep,
            delay=lambda error, attempt: 7.0 if isinstance(error, Temporary) else 0.0,
        )
        stop = asyncio.Event()
        stop.set()

        async def always_fails() -> str:
            raise Temporary()

        with pytest.raises(RetryStopped):
            await retry_async(always_fails, is_temporary, stop=stop, sleep=sleep)
        return result, slept, len(calls)

    result, slept, calls = asyncio.run(scenario())

    assert (result, slept, calls) == ("sent", [7.0], 2)


def test_an_operation_that_returns_an_awaitable_is_awaited_on_every_try() -> None:
    calls = []

    async def send(text: str) -> str:
        calls.append(text)
        if len(calls) == 1:
            raise Temporary()
        return text

    async def no_wait(_seconds: float) -> None:
        return None

    result = asyncio.run(retry_async(lambda: send("hi"), is_temporary, sleep=no_wait))

    assert result == "hi" and calls == ["hi", "hi"]
