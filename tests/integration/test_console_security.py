"""The console's log-in under attack: a burst of parallel guesses, a forged X-Forwarded-For,
a cookie kept after logging out, malformed ids. Real SQLite CRM; the proxy test runs the
console under a real uvicorn server, because that is where the header is believed or not."""
from __future__ import annotations

import asyncio
import re
import threading
import time
from datetime import datetime

import httpx
import pytest
import uvicorn
from starlette.testclient import TestClient

from bot.console.app import create_app
from bot.console.commands import proxy_options
from crm_store.db import engine_for, migrate, unit_of_work
from crm_store.services import console_users
from crm_store.settings import Settings
from tests.support.webchat_server import free_port

PASSWORD = "correct horse battery"


def make_settings(tmp_path, **extra) -> Settings:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'crm.db'}", var_dir=str(tmp_path / "var"),
                        console_secret="test-only-secret", console_demo_users=False, **extra)
    migrate(engine_for(settings.database_url))
    console_users.ensure_user(unit_of_work(settings), "ana", "agent", PASSWORD, datetime.utcnow())
    return settings


@pytest.fixture()
def settings(tmp_path):
    return make_settings(tmp_path)


def login_token(text: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', text).group(1)


def test_a_burst_of_parallel_guesses_cannot_reach_the_right_password(settings):
    app = create_app(settings, run_monitor=False)

    async def burst() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            token = login_token((await c.get("/login")).text)
            guesses = [f"wrong-{i}" for i in range(39)] + [PASSWORD]
            answers = await asyncio.gather(*(
                c.post("/login", data={"username": "ana", "password": p, "csrf": token}) for p in guesses))
            return [a.status_code for a in answers]

    codes = asyncio.run(burst())

    assert 303 not in codes  # the right password, 40th in the burst, did not get in
    assert codes.count(401) <= 5 and codes[-1] == 429


def test_logging_out_ends_the_session_on_the_server(settings):
    app = create_app(settings, run_monitor=False)
    c = TestClient(app, base_url="http://127.0.0.1")
    token = login_token(c.get("/login").text)
    assert c.post("/login", data={"username": "ana", "password": PASSWORD, "csrf": token}, follow_redirects=False).status_code == 303
    kept = c.cookies["crmbot_console"]
    csrf = re.search(r'data-csrf="([^"]+)"', c.get("/queue").text).group(1)

    assert c.post("/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303

    thief = TestClient(app, base_url="http://127.0.0.1")
    thief.cookies.set("crmbot_console", kept)
    assert thief.get("/queue", follow_redirects=False).status_code == 303  # to the log-in page
    assert thief.get("/queue", headers={"accept": "application/json"}).status_code == 401


class Served:
    """The console under a real uvicorn server with the options `crmbot console` uses."""

    def __init__(self, settings: Settings) -> None:
        self.port = free_port()
        config = uvicorn.Config(create_app(settings, run_monitor=False), host="127.0.0.1", port=self.port,
                                log_level="warning", ws="none", **proxy_options(settings))
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            assert time.monotonic() < deadline, "console did not start"
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def wrong_logins_from_forged_addresses(url: str, count: int) -> list[int]:
    codes = []
    with httpx.Client(base_url=url) as c:
        token = login_token(c.get("/login").text)
        for i in range(count):
            r = c.post("/login", data={"username": f"nobody-{i}", "password": "guess", "csrf": token},
                       headers={"X-Forwarded-For": f"203.0.113.{i + 1}"})
            codes.append(r.status_code)
    return codes


def test_a_forged_forwarded_for_header_does_not_escape_the_address_limit(settings):
    with Served(settings) as url:
        codes = wrong_logins_from_forged_addresses(url, 7)

    assert codes[:5] == [401] * 5 and codes[5:] == [429, 429]


def test_a_configured_proxy_may_name_the_client(tmp_path):
    settings = make_settings(tmp_path, trusted_proxies="127.0.0.1")
    with Served(settings) as url:
        codes = wrong_logins_from_forged_addresses(url, 7)

    assert codes == [401] * 7  # seven different clients behind the proxy, one guess each
