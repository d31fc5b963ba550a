"""A shift in the agent workspace, through the whole running system (`crmbot run`): two agents in
headless Chromium (1280 and 1920 px wide) and three customers — one in the web chat (Chromium),
one on Telegram (the fake Bot API), one in the terminal client (`crmbot chat`). Queue, take by
keyboard, a canned reply by "/", a transfer, both agents stepping away, the next chat after a
resolve, and the rating after each hand-back stored as CSAT. Screenshots go to docs/img/."""

from __future__ import annotations

import queue
import random
import re
import shutil
import threading
import uuid
from datetime import datetime

import pytest

from bot.chat import repl
from bot.local_stack import Stack, eventually
from crm_store.db import UnitOfWork
from crm_store.services import console_users, handoffs, workspace
from tests.e2e.test_console_stack import handoff_of, handoffs_of
from tests.e2e.test_telegram_stack import post_update, replies_to, text_update
from tests.support.browser import ROOT, ChatPage, launch_chromium, require_chromium

pytestmark = pytest.mark.e2e
SAM_PASSWORD = "sam-shift-pass"
RATING_QUESTION = "How would you rate the help you got from our team"


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    require_chromium()
    with launch_chromium() as b:
        yield b


class Terminal:
    """`crmbot chat` in a thread: lines typed in, everything it prints collected."""

    def __init__(self, stack: Stack, sender: str) -> None:
        self.sender, self.typed, self.lines = sender, queue.Queue(), []  # type: ignore[var-annotated]
        self.thread = threading.Thread(
            target=repl, args=(stack.rasa_url, sender, self._read, self.lines.append, 0.3), daemon=True
        )
        self.thread.start()

    def _read(self, _prompt: str) -> str:
        return self.typed.get()

    def type(self, text: str) -> None:
        self.typed.put(text)

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        return eventually(lambda: next((line for line in list(self.lines) if text in line), None), timeout=timeout)

    def quit(self) -> None:
        self.typed.put("/quit")
        self.thread.join(10)


# A desktop notification needs a desktop: the page's Notification is replaced by one that records.
RECORD_NOTIFICATIONS = """
window.__notifications = [];
window.Notification = function (title, options) { window.__notifications.push([title, (options || {}).body]); };
window.Notification.permission = "granted";
window.Notification.requestPermission = function () { return Promise.resolve("granted"); };
"""


def agent_page(browser, stack: Stack, name: str, password: str, width: int):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": width, "height": 1000 if width > 1500 else 860})
    context.add_init_script(RECORD_NOTIFICATIONS)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{stack.console_url}/login")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/queue$"))
    page.locator("body[data-counted]").wait_for()  # the live stream has delivered its first counts
    return context, page


def press(page, key: str) -> None:  # type: ignore[no-untyped-def]
    """A shortcut key, pressed outside any text box (where letters are text)."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press(key)


def waiting_count(page) -> int:  # type: ignore[no-untyped-def]
    return int(page.locator('header [data-count="waiting"]').inner_text())


def test_a_shift_two_agents_three_customers_every_channel(stack: Stack, browser, telegram):  # type: ignore[no-untyped-def]
    # A shift starts with an empty queue: the session's shared stack may still hold chats that
    # earlier tests left waiting, and N must open this shift's first customer.
    for chat in handoffs.queued_chats(UnitOfWork(stack.engine)):
        handoffs.cancel_handoff(UnitOfWork(stack.engine), chat.handoff.id, datetime.utcnow())
    sam = f"sam-{uuid.uuid4().hex[:4]}"
    console_users.add_user(UnitOfWork(stack.engine), sam, "agent", SAM_PASSWORD, datetime.utcnow())
    stack.say(f"warm-up-{uuid.uuid4().hex[:6]}", "hello")
    ana_ctx, ana = agent_page(browser, stack, "agent", "agent-demo-pass", 1280)
    sam_ctx, sam_page = agent_page(browser, stack, sam, SAM_PASSWORD, 1920)
    web_ctx = browser.new_context(viewport={"width": 900, "height": 760})
    web = ChatPage(web_ctx.new_page(), stack.rasa_url).open()
    web.page.set_default_timeout(30_000)
    chat_id = random.randint(10**8, 10**9)
    terminal = Terminal(stack, f"term-{uuid.uuid4().hex[:8]}")
    sam_name = sam[:1].upper() + sam[1:].replace("-", " ")
    others: list[str] = []
    try:
        before = waiting_count(ana)
        ana.get_by_label("Sound and desktop alert when a customer starts waiting").check()  # Ana opts in; Sam does not
        # Three customers ask for a person: web chat, Telegram, terminal, in that order.
        web.send("I want to talk to a person")
        web.wait_for_bot("handing you over to a person")
        web_sender = web.session_id()
        web_handoff = eventually(lambda: handoff_of(stack, web_sender))["id"]
        notified = eventually(lambda: ana.evaluate("window.__notifications"))
        assert notified[0][0] == "A customer is waiting", notified
        sam_page.locator(f'#queue-rows tr.queued[data-handoff="{web_handoff}"]').wait_for()
        assert sam_page.evaluate("window.__notifications") == []  # Sam did not opt in
        assert post_update(stack, text_update(chat_id, "I need to speak to a human please")) == 200
        eventually(lambda: any("handing you over" in t for t in replies_to(telegram, chat_id)))
        tg_handoff = eventually(lambda: handoff_of(stack, str(chat_id)))["id"]
        # Both agents step away; the third customer is told honestly that nobody is at the console.
        others = [
            u.username for u in console_users.list_users(UnitOfWork(stack.engine)) if u.username not in ("agent", sam)
        ]
        for name in others:
            workspace.set_away(UnitOfWork(stack.engine), name, True, datetime.utcnow())
        for page in (ana, sam_page):
            page.get_by_role("button", name="Step away").click()
            page.get_by_role("button", name="I'm back").wait_for()
        terminal.type("I want to talk to a person")
        terminal.wait_for("Nobody from the team is at the console right now")
        term_handoff = eventually(lambda: handoff_of(stack, terminal.sender))["id"]
        for page in (ana, sam_page):
            page.get_by_role("button", name="I'm back").click()
            page.get_by_role("button", name="Step away").wait_for()

        # Live counts in the navigation and the three chats on the left, without a reload.
        eventually(lambda: waiting_count(ana) == before + 3)
        for h in (web_handoff, tg_handoff, term_handoff):
            sam_page.locator(f'#queue-rows tr.queued[data-handoff="{h}"]').wait_for()
        ana.screenshot(path=str(ROOT / "test-results" / "workspace-queue-1280.png"))

        # Ana: N opens the next waiting chat (the web customer's), T takes it, "/" picks a canned reply.
        press(ana, "n")
        ana.wait_for_url(re.compile(rf".*/handoffs/{web_handoff}$"))
        press(ana, "t")
        ana.get_by_label("Reply to the customer").wait_for()
        web.wait_for_bot("Agent from our team has joined the chat")
        reply = ana.get_by_label("Reply to the customer")
        reply.fill("/gree")
        ana.locator("#canned-menu li", has_text="Greeting").wait_for()
        reply.press("Enter")
        assert "this is Agent from the support team" in reply.input_value()
        reply.press("Enter")
        web.wait_for_bot("this is Agent from the support team")
        agent_row = web.page.locator(".crmbot-agent", has_text="this is Agent from the support team")
        assert agent_row.locator(".crmbot-name").inner_text() == "Agent · our team"
        assert agent_row.locator(".crmbot-initials").inner_text() == "A"

        # Sam: N gives the next one still waiting (Telegram), T takes it; Telegram shows who speaks.
        press(sam_page, "n")
        sam_page.wait_for_url(re.compile(rf".*/handoffs/{tg_handoff}$"))
        press(sam_page, "t")
        eventually(lambda: f"{sam_name} from our team has joined the chat." in replies_to(telegram, chat_id))
        sam_page.get_by_label("Reply to the customer").fill("Hi Grace, I'm on it.")
        sam_page.get_by_label("Reply to the customer").press("Enter")
        eventually(lambda: f"{sam_name} (our team): Hi Grace, I'm on it." in replies_to(telegram, chat_id))

        # Ana hands the web customer over to Sam: announced to the customer and in the transcript.
        ana.get_by_label("Transfer to").select_option(sam)
        ana.get_by_role("button", name="Transfer").click()
        web.wait_for_bot(f"{sam_name} from our team has taken over the chat")
        ana.locator("#transcript .msg.service", has_text="has taken over the chat").wait_for()
        sam_page.locator(f'#queue-rows tr.mine[data-handoff="{web_handoff}"]').wait_for()
        web.page.screenshot(path=str(ROOT / "test-results" / "webchat-who-speaks.png"))

        # The customers' last messages before the hand-back: a question (web), a greeting (Telegram).
        web.send("hello? where is my order A-10423?")
        sam_page.goto(f"{stack.console_url}/handoffs/{web_handoff}")
        sam_page.locator("#transcript .msg.customer", has_text="where is my order A-10423").wait_for()
        sam_page.screenshot(path=str(ROOT / "test-results" / "workspace-chat-1920.png"))
        assert post_update(stack, text_update(chat_id, "hello")) == 200

        # Sam resolves the web chat with R: with the terminal customer still waiting, that chat opens next.
        press(sam_page, "r")
        sam_page.wait_for_url(re.compile(rf".*/handoffs/{term_handoff}$"))
        web.wait_for_bot(f"{sam_name} from our team has handed the chat back")
        web.wait_for_bot(RATING_QUESTION)
        web.click_button("5")
        web.wait_for_bot("Thank you for rating us")
        press(sam_page, "t")
        terminal.wait_for(f"team> {sam_name} from our team has joined the chat.")
        sam_page.get_by_label("Reply to the customer").fill("Hello from the team, how can I help?")
        sam_page.get_by_label("Reply to the customer").press("Enter")
        terminal.wait_for(f"{sam_name} (our team)> Hello from the team, how can I help?")
        terminal.type("great, thank you")

        # Telegram: resolved after a greeting; the rating is typed.
        sam_page.goto(f"{stack.console_url}/handoffs/{tg_handoff}")
        sam_page.locator("#transcript .msg.customer", has_text="hello").last.wait_for()
        press(sam_page, "r")
        eventually(lambda: any(RATING_QUESTION in t for t in replies_to(telegram, chat_id)), timeout=30)
        assert post_update(stack, text_update(chat_id, "4")) == 200
        # The rating is answered before the next customer's turn (a busy machine takes its time).
        assert eventually(
            lambda: any("Thank you for rating" in t for t in replies_to(telegram, chat_id)), timeout=60
        ), replies_to(telegram, chat_id)

        # Terminal: resolved after thanks; the rating is the fifth button, pressed by its number.
        sam_page.goto(f"{stack.console_url}/handoffs/{term_handoff}")
        sam_page.locator("#transcript .msg.customer", has_text="great, thank you").wait_for()
        press(sam_page, "r")
        terminal.wait_for(RATING_QUESTION)
        terminal.wait_for("5. 5")
        terminal.type("5")
        terminal.wait_for("Thank you for rating us")

        # Every rated hand-back has its CSAT; the agents' pages show it live.
        senders = {"web": web_sender, "telegram": str(chat_id), "terminal": terminal.sender}
        ratings = {
            name: eventually(lambda: (handoff_of(stack, sender) or {}).get("csat"), timeout=30)
            for name, sender in senders.items()
        }
        # On a failure, every handoff of each customer says which rating went where.
        assert ratings == {"web": 5, "telegram": 4, "terminal": 5}, {
            name: handoffs_of(stack, sender) for name, sender in senders.items()
        }
        sam_page.get_by_text("rated 5/5").wait_for()
        ana.goto(f"{stack.console_url}/handoffs/{web_handoff}")
        ana.get_by_text("rated 5/5").wait_for()
        ana.screenshot(path=str(ROOT / "test-results" / "workspace-resolved-1280.png"))
    finally:
        terminal.quit()
        for name in others:
            workspace.set_away(UnitOfWork(stack.engine), name, False, datetime.utcnow())
        for ctx in (ana_ctx, sam_ctx, web_ctx):
            ctx.close()
    (ROOT / "docs" / "img").mkdir(parents=True, exist_ok=True)
    for name in ("workspace-queue-1280", "workspace-chat-1920", "workspace-resolved-1280", "webchat-who-speaks"):
        shutil.copyfile(ROOT / "test-results" / f"{name}.png", ROOT / "docs" / "img" / f"{name}.png")
