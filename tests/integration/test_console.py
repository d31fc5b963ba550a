"""The agent console over HTTP (Starlette's test client, a real SQLite CRM): log-in, cookies,
CSRF, the log-in rate limit, role checks by URL, escaping, the exclusive claim, notes, search,
overview and export. Delivery to customers is covered by tests/e2e/test_console_stack.py."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import datetime, timedelta

import pytest
from starlette.testclient import TestClient

from bot.console.app import create_app
from bot.console.auth import LoginLimiter
from crm_store.rate_limits import Limiter
from crm_store.db import unit_of_work
from crm_store.models import Conversation, Customer, Message, Order
from crm_store.services import audit, console_users, handoffs
from crm_store.settings import Settings

HOSTILE_NAME = '<script>alert("name")</script>'
HOSTILE_TEXT = '<img src=x onerror=alert(1)>"&'
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("console")
    return Settings(
        database_url=f"sqlite:///{tmp / 'crm.db'}",
        var_dir=str(tmp / "var"),
        console_secret="test-only-secret",
        console_demo_users=False,
    )


@pytest.fixture(scope="module")
def app(settings):
    from crm_store.db import engine_for, migrate

    migrate(engine_for(settings.database_url))
    app = create_app(settings, run_monitor=False)
    with TestClient(app):  # runs the lifespan once: canned replies
        pass
    now = datetime.utcnow()
    for name, role in (("ana", "agent"), ("ben", "agent"), ("max", "manager"), ("root", "admin")):
        console_users.ensure_user(unit_of_work(settings), name, role, PASSWORD, now)
    return app


def client(app) -> TestClient:
    return TestClient(app, base_url="http://127.0.0.1")


def login(app, name: str, password: str = PASSWORD) -> TestClient:
    c = client(app)
    page = c.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = c.post(
        "/login", data={"username": name, "password": password, "csrf": token, "next": "/queue"}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    return c


def csrf_of(c: TestClient, path: str = "/queue") -> str:
    return re.search(r'data-csrf="([^"]+)"', c.get(path).text).group(1)


def hostile_handoff(settings) -> int:
    uow = unit_of_work(settings)
    now = datetime.utcnow()
    with uow:
        customer = uow.customers.add(
            Customer(name=HOSTILE_NAME, email=f"h-{uuid.uuid4().hex[:6]}@example.com", created_at=now)
        )
        uow.orders.add(
            Order(
                number=f"A-{uuid.uuid4().int % 90000 + 10000}",
                customer_id=customer.id,
                status="shipped",
                stage_entered_at=now,
                placed_at=now,
                total=10,
            )
        )
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
                text=HOSTILE_TEXT,
                intent="request_human",
                confidence=0.93,
                sent_at=now + timedelta(seconds=1),
            )
        )
        uow.commit()
        sender = conv.sender_id
    return handoffs.request_handoff(unit_of_work(settings), sender, "asked for a person", now + timedelta(seconds=2)).id


def test_session_cookie_is_signed_httponly_and_samesite(app):
    c = client(app)
    page = c.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = c.post("/login", data={"username": "ana", "password": PASSWORD, "csrf": token}, follow_redirects=False)

    cookie = [v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith("crmbot_console=")][0]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    good = c.cookies["crmbot_console"]
    assert c.get("/queue", follow_redirects=False).status_code == 200
    c.cookies.clear()
    c.cookies.set("crmbot_console", good[:-3] + ("abc" if not good.endswith("abc") else "xyz"))  # tampered signature
    assert c.get("/queue", follow_redirects=False).status_code == 303  # back to the log-in page


def test_wrong_passwords_lock_the_account_with_a_message(app):
    c = client(app)
    page = c.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    codes = [
        c.post("/login", data={"username": "ben", "password": f"wrong-{i}", "csrf": token}).status_code
        for i in range(5)
    ]
    locked = c.post("/login", data={"username": "ben", "password": PASSWORD, "csrf": token})

    assert codes == [401] * 5
    assert locked.status_code == 429 and "Too many failed log-ins" in locked.text
    app.state.console.limiter = LoginLimiter(Limiter())


def test_login_and_state_changes_without_the_csrf_token_are_refused(app, settings):
    c = client(app)
    c.get("/login")
    assert c.post("/login", data={"username": "ana", "password": PASSWORD}).status_code == 403
    agent = login(app, "ana")
    handoff_id = hostile_handoff(settings)

    refused = agent.post(f"/handoffs/{handoff_id}/claim", data={}, follow_redirects=False)
    forged = agent.post(f"/handoffs/{handoff_id}/claim", data={"csrf": "guessed"}, follow_redirects=False)

    assert refused.status_code == 403 and forged.status_code == 403
    assert handoffs.get_handoff(unit_of_work(settings), handoff_id).status == "queued"


def test_each_route_checks_the_role(app):
    agent, manager, admin = login(app, "ana"), login(app, "max"), login(app, "root")
    anonymous = client(app)

    assert anonymous.get("/queue", follow_redirects=False).status_code == 303
    assert anonymous.get("/events", headers={"Accept": "text/event-stream"}).status_code == 401
    assert agent.get("/overview").status_code == 403
    assert agent.get("/overview/waiting").status_code == 403
    assert agent.get("/admin/users").status_code == 403
    assert (
        agent.post(
            "/admin/users", data={"csrf": csrf_of(agent), "username": "eve", "role": "admin", "password": "12345678"}
        ).status_code
        == 403
    )
    assert manager.get("/overview").status_code == 200 and manager.get("/admin/users").status_code == 403
    assert admin.get("/admin/users").status_code == 200
    assert "<td>eve</td>" not in admin.get("/admin/users").text


def test_a_page_above_the_agents_role_says_so_inside_the_console_with_a_way_back(app):
    agent = login(app, "ana")

    page = agent.get("/overview", headers={"Accept": "text/html,application/xhtml+xml"})

    assert page.status_code == 403 and page.headers["content-type"].startswith("text/html")
    assert "This page is for the manager role; you are logged in as agent." in page.text
    assert 'href="/queue"' in page.text and "Log out" in page.text


def test_hostile_customer_text_is_escaped_everywhere(app, settings):
    handoff_id = hostile_handoff(settings)
    agent = login(app, "ana")

    pages = [
        agent.get("/queue").text,
        agent.get("/queue/_rows").text,
        agent.get(f"/handoffs/{handoff_id}").text,
        agent.get("/search", params={"q": "script"}).text,
        agent.get(f"/handoffs/{handoff_id}/_messages").text,
    ]

    for html in pages:
        assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt;" in pages[2]
    assert "&lt;img src=x onerror=alert(1)&gt;&#34;&amp;" in pages[2]
    assert "request_human · 0.93" in pages[2]
    rows = list(csv.reader(io.StringIO(agent.get(f"/handoffs/{handoff_id}/export.csv").text)))
    assert rows[0] == ["at", "speaker", "text", "intent", "confidence"]
    assert rows[1][1:] == ["customer", HOSTILE_TEXT, "request_human", "0.93"]


def test_claim_is_exclusive_and_the_loser_is_told_who_took_it(app, settings):
    handoff_id = hostile_handoff(settings)
    ana, ben = login(app, "ana"), login(app, "ben")
    ana_token, ben_token = csrf_of(ana), csrf_of(ben)

    won = ana.post(f"/handoffs/{handoff_id}/claim", data={"csrf": ana_token}, follow_redirects=False)
    lost = ben.post(f"/handoffs/{handoff_id}/claim", data={"csrf": ben_token}, follow_redirects=False)

    assert won.status_code == 303 and won.headers["location"] == f"/handoffs/{handoff_id}"
    assert lost.status_code == 409 and "ana has already taken this conversation" in lost.text
    assert ben.post(f"/handoffs/{handoff_id}/reply", data={"csrf": ben_token, "text": "hi"}).status_code == 409
    assert ben.post(f"/handoffs/{handoff_id}/resolve", data={"csrf": ben_token}).status_code == 409


def test_notes_search_overview_and_export(app, settings):
    handoff_id = hostile_handoff(settings)
    ana, manager = login(app, "ana"), login(app, "max")
    token = csrf_of(ana)
    ana.post(f"/handoffs/{handoff_id}/claim", data={"csrf": token})
    ana.post(f"/handoffs/{handoff_id}/notes", data={"csrf": token, "text": "prefers email"})

    page = ana.get(f"/handoffs/{handoff_id}").text
    exported = ana.get(f"/handoffs/{handoff_id}/export.json").json()
    found = ana.get("/search", params={"q": exported["customer"]["email"]}).text
    by_order = ana.get("/search", params={"q": exported["customer"]["orders"][0]["label"]}).text
    overview = manager.get("/overview").text
    active = manager.get("/overview/active", params={"agent": "ana"}).text

    assert "prefers email" in page and "Hi &lt;script&gt;alert" in page  # the greeting canned reply, filled and escaped
    assert exported["transcript"][0]["text"] == HOSTILE_TEXT and exported["notes"][0]["text"] == "prefers email"
    assert f"/handoffs/{handoff_id}" in found and f"/handoffs/{handoff_id}" in by_order
    assert "active" in overview and f"/handoffs/{handoff_id}" in active
    # who saw and who took away the customer's data: the audit log names the agent and the chat
    seen = [
        (e.action, e.subject_type, e.detail["conversation_id"])
        for e in audit.recent(unit_of_work(settings), actor="agent:ana")
        if e.detail and e.detail.get("handoff_id") == handoff_id
    ]
    conversation = exported["handoff"]["conversation_id"]
    # newest first: the export, then the page opens (after the claim, the note and by hand)
    assert seen == [("export", "customer", conversation)] + [("view", "customer", conversation)] * 3


def test_the_customer_is_told_by_name_who_joined_in_a_sentence_that_starts_with_a_capital(app, settings, monkeypatch):
    sent: list[tuple[str, str]] = []

    async def to_customer(
        sender_id, channel, text, source="agent", agent=None, rasa_url=None
    ):  # the Rasa call, not a person
        sent.append((text, source))

    monkeypatch.setattr("bot.channels.push.send_to_conversation", to_customer)
    handoff_id = hostile_handoff(settings)
    ana = login(app, "ana")

    ana.post(f"/handoffs/{handoff_id}/claim", data={"csrf": csrf_of(ana)}, follow_redirects=False)

    assert sent == [("Ana from our team has joined the chat.", "handoff")]


def french_handoff(settings) -> int:
    """A customer who wrote in French ("ok" too short to tell), then asked for a person."""
    uow = unit_of_work(settings)
    now = datetime.utcnow()
    with uow:
        conv = uow.conversations.add(
            Conversation(
                sender_id=f"w-{uuid.uuid4().hex[:8]}",
                channel="webchat",
                opened_by_event=uuid.uuid4().hex,
                started_at=now,
                last_event_at=now,
            )
        )
        for i, (text, language) in enumerate(
            (("Où est ma commande A-10423 ?", "fr"), ("ok", None), ("Je veux parler à un conseiller", "fr"))
        ):
            uow.messages.add(
                Message(
                    conversation_id=conv.id,
                    event_key=uuid.uuid4().hex,
                    direction="in",
                    text=text,
                    intent="request_human",
                    confidence=0.9,
                    language=language,
                    sent_at=now + timedelta(seconds=i + 1),
                )
            )
        uow.commit()
        sender = conv.sender_id
    return handoffs.request_handoff(unit_of_work(settings), sender, "asked for a person", now + timedelta(seconds=9)).id


def test_each_message_shows_its_language_and_a_french_chat_is_flagged_to_an_agent_without_french(app, settings):
    handoff_id = french_handoff(settings)
    ana, root = login(app, "ana"), login(app, "root")
    ana.post(f"/handoffs/{handoff_id}/claim", data={"csrf": csrf_of(ana)})

    page = ana.get(f"/handoffs/{handoff_id}").text

    assert page.count('<span class="badge lang" title="written in French">FR</span>') == 2
    assert '<span class="badge lang unknown" title="too short to tell the language">?</span>' in page
    assert "The customer writes in <b>French</b>, which you do not answer in (you: English)." in page
    # the French canned replies come first, filled like the English ones
    options = re.findall(r'<option value="([^"]*)" data-title="([^"]+)">', page)
    assert options[0][1] == "Greeting (FR)" and options[0][0].startswith("Bonjour, ici Ana de l&#39;équipe support.")
    assert ("Order check (FR)") in [title for _, title in options]
    assert "Greeting" in [title for _, title in options]

    # an admin marks ana as speaking French: the page no longer warns, the French replies stay offered
    users = root.get("/admin/users").text
    ana_id = re.search(
        r'action="/admin/users/(\d+)/languages"[^>]*>.*?aria-label="Languages ana answers in', users
    ).group(1)
    bad = root.post(f"/admin/users/{ana_id}/languages", data={"csrf": csrf_of(root), "languages": "en, klingon"})
    assert bad.status_code == 400 and "Languages are codes among en, de, fr, es" in bad.text
    saved = root.post(
        f"/admin/users/{ana_id}/languages", data={"csrf": csrf_of(root), "languages": "fr en"}, follow_redirects=False
    )
    assert saved.status_code == 303
    assert 'value="en, fr"' in root.get("/admin/users").text

    page = ana.get(f"/handoffs/{handoff_id}").text
    assert "The customer writes in <b>French</b>." in page and "which you do not answer in" not in page
    assert "Greeting (FR)" in page
