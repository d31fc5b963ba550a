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
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'crm.db'}",
        var_dir=str(tmp_path / "var"),
        console_secret="test-only-secret",
        console_demo_users=False,
        **extra,
    )
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
            answers = await asyncio.gather(
                *(c.post("/login", data={"username": "ana", "password": p, "csrf": token}) for p in guesses)
            )
            return [a.status_code for a in answers]

    codes = asyncio.run(burst())

    assert 303 not in codes  # the right password, 40th in the burst, did not get in
    assert codes.count(401) <= 5 and codes[-1] == 429


def test_logging_out_ends_the_session_on_the_server(settings):
    app = create_app(settings, run_monitor=False)
    c = TestClient(app, base_url="http://127.0.0.1")
    token = login_token(c.get("/login").text)
    assert (
        c.post(
            "/login", data={"username": "ana", "password": PASSWORD, "csrf": token}, follow_redirects=False
        ).status_code
        == 303
    )
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
        config = uvicorn.Config(
            create_app(settings, run_monitor=False),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            ws="none",
            **proxy_options(settings),
        )
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
            r = c.post(
                "/login",
                data={"username": f"nobody-{i}", "password": "guess", "csrf": token},
                headers={"X-Forwarded-For": f"203.0.113.{i + 1}"},
            )
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


def a_handoff(settings: Settings, email: str) -> int:
    import uuid

    from crm_store.models import Conversation, Customer, Message
    from crm_store.services import handoffs

    uow, now = unit_of_work(settings), datetime.utcnow()
    with uow:
        customer = uow.customers.add(Customer(name="Eve", email=email, phone="+4930123456", created_at=now))
        conv = uow.conversations.add(
            Conversation(
                sender_id=f"w-{uuid.uuid4().hex[:8]}",
                channel="webchat",
                customer_id=customer.id,
                opened_by_event=uuid.uuid4().hex,
                started_at=now,
                last_event_at=now,
            )
        )
        uow.messages.add(
            Message(
                conversation_id=conv.id,
                event_key=uuid.uuid4().hex,
                direction="in",
                text="a person please",
                intent="request_human",
                confidence=0.9,
                sent_at=now,
            )
        )
        uow.commit()
        sender = conv.sender_id
    return handoffs.request_handoff(unit_of_work(settings), sender, "asked for a person", now).id


def logged_in(app, name: str = "ana") -> tuple[TestClient, str]:
    c = TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False)
    token = login_token(c.get("/login").text)
    c.post("/login", data={"username": name, "password": PASSWORD, "csrf": token})
    return c, re.search(r'data-csrf="([^"]+)"', c.get("/queue").text).group(1)


def test_malformed_or_unknown_ids_answer_4xx_on_every_route(settings):
    console_users.ensure_user(unit_of_work(settings), "root", "admin", PASSWORD, datetime.utcnow())
    app = create_app(settings, run_monitor=False)
    real = a_handoff(settings, "eve@example.com")
    c, csrf = logged_in(app, "root")
    answers = {}
    for route in app.routes:
        if not getattr(route, "param_convertors", None) or route.path.startswith("/static"):
            continue
        for value in ("9" * 25, "424242"):
            path = re.sub(
                r"\{(\w+):\w+\}",
                lambda m, v=value: "csv" if m.group(1) == "fmt" else ("x" if m.group(1) == "what" else v),
                route.path,
            )
            for method in sorted(route.methods - {"HEAD"}):
                r = c.request(
                    method,
                    path,
                    data={"csrf": csrf, "text": "hi", "to": "root"} if method == "POST" else None,
                    follow_redirects=False,
                )
                answers[f"{method} {path}"] = r.status_code
    answers["GET _messages?after=abc"] = c.get(f"/handoffs/{real}/_messages?after=abc").status_code

    assert {k: v for k, v in answers.items() if not 400 <= v < 500} == {}
    assert len(answers) > 20


def test_the_csv_export_cannot_smuggle_a_formula_in_the_email(settings):
    import csv
    import io

    app = create_app(settings, run_monitor=False)
    handoff_id = a_handoff(settings, '=HYPERLINK("http://evil.example")@example.com')
    c, _ = logged_in(app)

    rows = list(csv.reader(io.StringIO(c.get(f"/handoffs/{handoff_id}/export.csv").text)))

    [customer] = [r for r in rows if r and r[0] == "customer"]
    assert customer[2] == "'" + '=HYPERLINK("http://evil.example")@example.com'
    assert customer[3] == "'+4930123456"
