"""The one rate limiter: moving-window counters from the `limits` library.

Embedded profile: counters live in this process's memory (expired entries are dropped by
the library, so memory stays bounded). Scale-out profile (REDIS_URL, else LOCK_STORE_URL):
counters live in Redis, so a limit holds across every server. If Redis cannot be reached,
counting goes on in memory and the limiter reports itself degraded until Redis answers again.
A hit is counted before the caller does the work it guards, in one atomic step, so a burst
of parallel requests cannot all pass a check that is only counted afterwards.
"""

from __future__ import annotations

import logging
import threading
import time

from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from crm_store.settings import Settings

log = logging.getLogger(__name__)
RETRY_REDIS_SECONDS = 30.0


class InlineExpiryMemory(MemoryStorage):
    """`limits`' memory storage, with its expired entries dropped inline at most once a second.

    The library drops them from a `threading.Timer` it starts 10 ms after a hit whenever the last
    one has finished: under load a new thread per message, whose start the caller (the Rasa
    server's event loop) waits for. Here the same sweep runs within a hit, once a second at most.
    """

    EXPIRY_SECONDS = 1.0

    def __init__(self) -> None:
        self._swept = time.monotonic()
        super().__init__()

    def _MemoryStorage__schedule_expiry(self) -> None:  # overrides the library's private method
        now = time.monotonic()
        if now - self._swept >= self.EXPIRY_SECONDS:
            self._swept = now
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]
            # The library empties a key's window but keeps the key: drop it, so memory stays bounded.
            for key in [key for key, events in self.events.items() if not events]:
                with self.locks[key]:
                    if not self.events.get(key, True):
                        del self.events[key]
                self.locks.pop(key, None)


class Limiter:
    """`hit(key, limit, seconds)` counts one attempt and says whether it is within the limit."""

    def __init__(self, storage_url: str | None = None) -> None:
        self.storage_url = storage_url
        self._memory = MovingWindowRateLimiter(InlineExpiryMemory())
        self._shared = MovingWindowRateLimiter(storage_from_string(storage_url)) if storage_url else None
        self._down_since: float | None = None
        self._lock = threading.Lock()

    @property
    def degraded(self) -> bool:
        return self._down_since is not None

    def hit(self, key: str, limit: int, seconds: float) -> bool:
        return bool(self._call("hit", _item(limit, seconds), key))

    def allowed(self, key: str, limit: int, seconds: float) -> bool:
        """Whether one more hit would pass, without counting it."""
        return bool(self._call("test", _item(limit, seconds), key))

    def clear(self, key: str, limit: int, seconds: float) -> None:
        self._call("clear", _item(limit, seconds), key)

    def retry_after(self, key: str, limit: int, seconds: float) -> int:
        """Whole seconds until `key` may try again (0 = now)."""
        stats = self._call("get_window_stats", _item(limit, seconds), key)
        if stats.remaining > 0:
            return 0
        return max(1, int(stats.reset_time - time.time()) + 1)

    def _call(self, method: str, item: RateLimitItemPerSecond, key: str):  # type: ignore[no-untyped-def]
        limiter = self._choose()
        if limiter is self._memory:
            return getattr(limiter, method)(item, key)
        try:
            result = getattr(limiter, method)(item, key)
        except Exception:  # the storage's driver errors differ per backend; any of them means "down"
            with self._lock:
                if self._down_since is None:
                    log.warning("rate-limit storage unreachable; counting in memory until it answers")
                self._down_since = time.monotonic()
            return getattr(self._memory, method)(item, key)
        if self._down_since is not None:
            with self._lock:
                self._down_since = None
            log.info("rate-limit storage reachable again")
        return result

    def _choose(self) -> MovingWindowRateLimiter:
        if self._shared is None:
            return self._memory
        down = self._down_since
        if down is not None and time.monotonic() - down < RETRY_REDIS_SECONDS:
            return self._memory
        return self._shared


def _item(limit: int, seconds: float) -> RateLimitItemPerSecond:
    return RateLimitItemPerSecond(limit, max(1, int(seconds)))


_limiters: dict[str | None, Limiter] = {}
_guard = threading.Lock()


def storage_url(settings: Settings) -> str | None:
    return settings.redis_url or settings.lock_store_url


def limiter_for(settings: Settings) -> Limiter:
    """One limiter per storage per process, so every part of a process counts in the same place."""
    url = storage_url(settings)
    with _guard:
        if url not in _limiters:
            _limiters[url] = Limiter(url)
        return _limiters[url]
