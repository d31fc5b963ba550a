"""The one rate limiter against a real Redis: two servers share one count, and a Redis that
goes away leaves the limiter counting in memory (degraded) instead of failing requests."""

from __future__ import annotations

import uuid

import pytest
import redis

from crm_store.rate_limits import Limiter
from tests.support.tcp_proxy import TcpProxy

REDIS_PORT = 6379


@pytest.fixture()
def proxy():
    try:
        redis.Redis(port=REDIS_PORT, socket_connect_timeout=1).ping()
    except redis.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    p = TcpProxy(REDIS_PORT).up()
    yield p
    p.close()


def test_two_servers_share_one_count_in_redis(proxy):
    url = f"redis://127.0.0.1:{proxy.port}/9"
    server_a, server_b = Limiter(url), Limiter(url)
    key = f"t:{uuid.uuid4().hex}"

    hits = [
        server_a.hit(key, 4, 60),
        server_b.hit(key, 4, 60),
        server_a.hit(key, 4, 60),
        server_b.hit(key, 4, 60),
        server_a.hit(key, 4, 60),
    ]

    assert hits == [True, True, True, True, False]
    assert not server_a.degraded


def test_a_lost_redis_degrades_to_memory_and_still_limits(proxy):
    limiter = Limiter(f"redis://127.0.0.1:{proxy.port}/9")
    key = f"t:{uuid.uuid4().hex}"
    assert limiter.hit(key, 2, 60)

    proxy.down()
    during = [limiter.hit(key, 2, 60) for _ in range(3)]

    assert limiter.degraded
    assert during == [True, True, False]  # counted in memory from scratch, still bounded
