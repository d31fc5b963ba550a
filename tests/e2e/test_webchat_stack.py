"""The web chat in headless Chromium against the whole running system (real model, actions, CRM)."""

from __future__ import annotations

import re
import shutil

import pytest
from sqlalchemy import select

from crm_store.models import ChannelIdentity, Customer
from tests.support.browser import DESKTOP, ChatPage, launch_chromium, require_chromium
from tests.support.queries import messages_of
from bot.local_stack import Stack, eventually

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    require_chromium()
    with launch_chromium() as b:
        yield b


def test_web_chat_talks_to_the_assistant_and_keeps_history(stack: Stack, browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=DESKTOP)
    chat = ChatPage(context.new_page(), stack.rasa_url).open()
    try:
        chat.send("hello")
        chat.wait_for_bot("shop assistant")
        chat.send("I want to know where my order is")
        chat.wait_for_bot("Which order is it about?")
        session = chat.session_id()

        chat.reload()
        chat.wait_for_bot("Which order is it about?")
        shot = chat.screenshot("webchat-full-stack")

        assert ("user", "hello") in chat.messages()
        assert chat.session_id() == session
    finally:
        context.close()
    rows = eventually(lambda: len(messages_of(stack.engine, session)) >= 4 and messages_of(stack.engine, session))
    assert rows and {r["channel"] for r in rows} == {"webchat"}
    assert [r["intent"] for r in rows if r["direction"] == "in"] == ["greet", "order_status"]
    with stack.engine.connect() as conn:
        assert conn.execute(
            select(ChannelIdentity.id).where(
                ChannelIdentity.channel == "webchat", ChannelIdentity.external_id == session
            )
        ).first()
    shutil.copy(shot, shot.parent / "webchat-full-stack-last.png")


def test_a_web_visitor_proves_the_demo_order_and_sees_its_status(stack: Stack, browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=DESKTOP)
    chat = ChatPage(context.new_page(), stack.rasa_url).open()
    try:
        chat.send("hi")
        chat.wait_for_bot("shop assistant")
        chat.send("where is my order A-10423?")
        chat.wait_for_bot("I can't show order A-10423 in this chat")
        chat.send("alex.demo@example.com")
        chat.wait_for_bot("6-digit code")
        code = eventually(
            lambda: re.findall(
                r"one-time code (\d{6}) for a\*\*\*@example.com", stack.log_path.read_text(errors="replace")
            )
        )[-1]
        chat.send(code)
        chat.wait_for_bot("Order A-10423 (")
        chat.screenshot("webchat-demo-order")
        session = chat.session_id()
        shown = chat.messages()
    finally:
        context.close()

    # What the visitor saw is what the CRM holds: every turn, in order, on the demo customer.
    rows = eventually(
        lambda: (
            (r := messages_of(stack.engine, session)) and any("Order A-10423 (" in (m["text"] or "") for m in r) and r
        )
    )
    assert rows, stack.log()
    assert [r["text"] for r in rows if r["direction"] == "in"] == [
        "hi",
        "where is my order A-10423?",
        "alex.demo@example.com",
        code,
    ]
    outbound = [r["text"] for r in rows if r["direction"] == "out"]
    assert len(outbound) == len([1 for who, _ in shown if who == "bot"]), (outbound, shown)
    assert "Order A-10423 (" in outbound[-1] and ") is shipped" in outbound[-1]
    with stack.engine.connect() as conn:
        demo = conn.execute(select(Customer.id).where(Customer.email == "alex.demo@example.com")).scalar_one()
    assert {r["customer_id"] for r in rows} == {demo}
