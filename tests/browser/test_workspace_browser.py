"""The agent workspace in headless Chromium at 1280×800 and 1920×1080, over a console serving a
real SQLite CRM: the action bar stays in view beside a long transcript without covering it, a
message arriving in the open chat is read (the header's Unread stays 0) while one in another chat
counts, and no page asks for anything that is missing (the favicon).

Screenshots: test-results/workspace-1280x800.png and test-results/workspace-1920x1080.png."""

from __future__ import annotations

import socket
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from crm_store.db import UnitOfWork, make_engine, migrate  # noqa: E402
from crm_store.models import ChannelIdentity, Conversation, Customer, Message  # noqa: E402
from crm_store.services import console_users, handoffs  # noqa: E402
from crm_store.settings import Settings  # noqa: E402
from tests.support.browser import screenshot_path  # noqa: E402

PASSWORD = "agent-test-pass-1"
SIZES = [{"width": 1280, "height": 800}, {"width": 1920, "height": 1080}]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    import uvicorn

    from bot.console.app import create_app

    tmp = tmp_path_factory.mktemp("workspace")
    port = _free_port()
    settings = Settings(
        database_url=f"sqlite:///{tmp / 'crm.db'}",
        var_dir=str(tmp / "var"),
        console_secret="test-only-secret",
        console_demo_users=False,
        console_url=f"http://127.0.0.1:{port}",
    )
    engine = make_engine(settings.database_url)
    migrate(engine)
    for name in ("ana", "ben"):  # ben: someone to transfer to
        console_users.ensure_user(UnitOfWork(engine), name, "agent", PASSWORD, datetime.utcnow())
    app = create_app(settings, run_monitor=False)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="none"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield engine, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def _claimed_chat(engine, lines: int) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """A web chat customer with `lines` messages, handed off and taken by ana: (conversation, handoff)."""
    now = datetime.utcnow()
    uow = UnitOfWork(engine)
    with uow:
        customer = uow.customers.add(Customer(name="Robin Example", created_at=now))
        conv = uow.conversations.add(
            Conversation(
                sender_id=uuid.uuid4().hex,
                channel="webchat",
                customer_id=customer.id,
                opened_by_event=uuid.uuid4().hex,
                started_at=now,
                last_event_at=now,
            )
        )
        uow.session.flush()
        uow.identities.add(
            ChannelIdentity(customer_id=customer.id, channel="webchat", external_id=conv.sender_id, created_at=now)
        )
        for i in range(lines):
            uow.messages.add(
                Message(
                    conversation_id=conv.id,
                    event_key=uuid.uuid4().hex,
                    direction="in" if i % 2 == 0 else "out",
                    author=None if i % 2 == 0 else "assistant",
                    text=f"line {i}: my parcel is late and I need help",
                    sent_at=now - timedelta(seconds=60 - i),
                )
            )
        uow.commit()
        conv_id, sender = conv.id, conv.sender_id
    handoff = handoffs.request_handoff(UnitOfWork(engine), sender, "asked for a person", now - timedelta(seconds=30)).id
    handoffs.claim_handoff(UnitOfWork(engine), handoff, "ana", now - timedelta(seconds=20))
    return conv_id, handoff


def _say(engine, conversation_id: int, text: str) -> None:  # type: ignore[no-untyped-def]
    uow = UnitOfWork(engine)
    with uow:
        uow.messages.add(
            Message(
                conversation_id=conversation_id,
                event_key=uuid.uuid4().hex,
                direction="in",
                text=text,
                sent_at=datetime.utcnow(),
            )
        )
        uow.commit()


def _log_in(browser, base: str, size: dict):  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport=size)
    page.problems = []  # failed requests and console errors, every page must have none
    page.on("console", lambda m: page.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("response", lambda r: page.problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.goto(f"{base}/login?next=/queue")
    page.fill("input[name=username]", "ana")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/queue")
    return page


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s['width']}x{s['height']}")
def test_the_action_bar_stays_in_view_without_covering_the_transcript(browser, console, size):
    engine, base = console
    _conv, handoff = _claimed_chat(engine, lines=40)
    page = _log_in(browser, base, size)
    page.goto(f"{base}/handoffs/{handoff}")
    page.wait_for_selector("body[data-counted]")
    page.wait_for_timeout(300)  # the favicon request, made after load

    bar = page.locator(".conversation .actions").bounding_box()
    transcript = page.locator("#transcript").bounding_box()
    reply = page.locator("#reply").bounding_box()
    for button in ("Resolve and hand back", "Release to the queue", "Transfer"):
        box = page.get_by_role("button", name=button).bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= size["height"], (button, box, size)
    assert transcript["y"] + transcript["height"] <= reply["y"] <= reply["y"] + reply["height"] <= bar["y"] + 1
    assert transcript["height"] >= 200  # the transcript keeps most of the room
    centre = (transcript["x"] + transcript["width"] / 2, transcript["y"] + transcript["height"] - 5)
    assert page.evaluate("([x, y]) => !!document.elementFromPoint(x, y).closest('#transcript')", list(centre))
    page.screenshot(path=str(screenshot_path(f"workspace-{size['width']}x{size['height']}")))
    assert page.problems == []
    page.close()


def test_a_message_in_the_open_chat_is_read_and_one_in_another_chat_is_unread(browser, console):
    engine, base = console
    open_conv, open_handoff = _claimed_chat(engine, lines=3)
    other_conv, _other = _claimed_chat(engine, lines=1)
    page = _log_in(browser, base, SIZES[0])
    _say(engine, other_conv, "hello?")  # an unanswered message in the other chat
    page.goto(f"{base}/handoffs/{open_handoff}")
    unread = page.locator("header [data-count=unread]")
    expect(unread).to_have_text("1")  # the other chat's "hello?"

    _say(engine, open_conv, "are you still there? the tracking says lost")
    page.get_by_text("the tracking says lost").wait_for()
    page.wait_for_timeout(1000)  # three more polls of the stream: the count had every chance to change
    assert unread.inner_text() == "1"

    _say(engine, other_conv, "anyone?")
    expect(unread).to_have_text("2")
    assert page.problems == []
    page.close()


def test_a_french_conversation_shows_each_message_s_language_and_the_french_canned_replies(browser, console):
    """Screenshot: test-results/workspace-french.png."""
    engine, base = console
    conv, handoff = _claimed_chat(engine, lines=0)
    uow = UnitOfWork(engine)
    with uow:
        for i, (text, language) in enumerate(
            (("Bonjour, où en est ma commande A-10423 ?", "fr"), ("ok", None), ("Je veux parler à un conseiller", "fr"))
        ):
            uow.messages.add(
                Message(
                    conversation_id=conv,
                    event_key=uuid.uuid4().hex,
                    direction="in",
                    text=text,
                    language=language,
                    sent_at=datetime.utcnow() - timedelta(seconds=10 - i),
                )
            )
        uow.commit()
    page = _log_in(browser, base, SIZES[0])
    page.goto(f"{base}/handoffs/{handoff}")

    expect(page.locator("#transcript .badge.lang", has_text="FR")).to_have_count(2)
    expect(page.locator("#transcript .badge.lang.unknown")).to_have_count(1)
    expect(page.locator("#language")).to_contain_text("The customer writes in French, which you do not answer in")
    first = page.locator("#canned option").nth(1)
    expect(first).to_have_text("Greeting (FR)")
    page.select_option("#canned", index=1)
    expect(page.locator("#reply-text")).to_have_value(
        "Bonjour Robin, ici Ana de l'équipe support. Je lis votre conversation."
    )
    page.screenshot(path=str(screenshot_path("workspace-french")))
    page.close()
