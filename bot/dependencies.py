"""Wait for what a process needs (databases, RabbitMQ, Redis) instead of crashing without it.

A dependency that is down is a state, not a crash: the process keeps beating its heartbeat
as "degraded: waiting for <what>", retries with exponential back-off (tenacity, capped at
MAX_WAIT seconds), and goes on the moment everything answers. The supervisor never counts
this towards stopping the stack.
"""

from __future__ import annotations

import logging
import socket
import time
from typing import Callable
from urllib.parse import urlsplit

from tenacity import Retrying, retry_if_exception_type, wait_exponential

from bot.heartbeat import write_beat
from crm_store.settings import Settings

log = logging.getLogger(__name__)
MAX_WAIT = 30.0
EX_TEMPFAIL = 75  # sysexits.h: "try again later" - the supervisor restarts without counting a crash


class DependencyDown(Exception):
    pass


def problems(settings: Settings, needs: tuple[str, ...]) -> list[str]:
    """What of `needs` ("crm", "tracker", "broker", "redis") does not answer, in words."""
    found = []
    for need in needs:
        try:
            _probe(settings, need)
        except Exception as exc:  # noqa: BLE001 - any failure to reach it means "down"
            found.append(f"{_NAMES[need]} ({type(exc).__name__})")
    return found


_NAMES = {"crm": "the CRM database", "tracker": "the tracker database", "broker": "RabbitMQ", "redis": "Redis"}


def _probe(settings: Settings, need: str) -> None:
    if need in ("crm", "tracker"):
        from crm_store.db import check_connection, engine_for

        url = settings.database_url if need == "crm" else settings.resolved_tracker_url
        check_connection(engine_for(url))
    elif need == "broker" and settings.event_broker_url:
        parts = urlsplit(settings.event_broker_url)
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5672), timeout=3):
            pass
    elif need == "redis" and (settings.redis_url or settings.lock_store_url):
        import redis

        redis.Redis.from_url(
            settings.redis_url or settings.lock_store_url or "", socket_timeout=3, socket_connect_timeout=3
        ).ping()


def wait_for(
    settings: Settings,
    name: str,
    needs: tuple[str, ...],
    beat: Callable[[str | None], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> bool:
    """Return True once every dependency in `needs` answers (False: told to stop while waiting);
    until then beat "degraded" and back off."""
    beat = beat or (lambda degraded: write_beat(settings.var_path, name, degraded))
    said: list[str] = []

    def check() -> None:
        nonlocal said
        if should_stop():
            return
        down = problems(settings, needs)
        if down:
            reason = "waiting for " + ", ".join(down)
            if down != said:
                log.warning("dependency unavailable; waiting", extra={"component": name, "reason": reason})
                said = down
            beat(reason)
            raise DependencyDown(reason)

    def sleep(seconds: float) -> None:
        # Keep the heartbeat fresh through a long back-off: waiting is not hanging.
        until = time.monotonic() + seconds
        while (left := until - time.monotonic()) > 0 and not should_stop():
            time.sleep(min(1.0, left))
            beat("waiting for " + ", ".join(said))

    for attempt in Retrying(
        wait=wait_exponential(multiplier=0.5, max=MAX_WAIT),
        sleep=sleep,
        retry=retry_if_exception_type(DependencyDown),
        reraise=True,
    ):
        with attempt:
            check()
    if should_stop():
        return False
    if said:
        log.info("dependencies answer again", extra={"component": name})
    beat(None)
    return True


def needs_of(settings: Settings, process: str) -> tuple[str, ...]:
    """The dependencies each supervised process cannot start without."""
    scale_out = ("redis",) if settings.redis_url or settings.lock_store_url else ()
    return {
        "rasa": ("tracker", *scale_out),
        "console": ("crm",),
        "scheduler": ("crm",),
        "consumer": ("broker", "crm"),
    }.get(process, ())
