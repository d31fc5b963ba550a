"""Run an asyncio server (like the fake Bot API) on its own loop in a thread,
so synchronous and session-scoped fixtures can use it."""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Awaitable, TypeVar

T = TypeVar("T")


class BackgroundLoop:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coro: Awaitable[T], timeout: float = 60) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)  # type: ignore[arg-type]

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)


def call(loop: BackgroundLoop, fn: Any, *args: Any) -> Any:
    async def wrapper() -> Any:
        return fn(*args)

    return loop.run(wrapper())
