"""The web chat widget in headless Chromium (Debian's, via Playwright) against the channel.

Screenshots go to test-results/ (gitignored); the desktop one is also copied to
docs/webchat.png for the README.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.browser import DESKTOP, PHONE, ChatPage, screenshot_path  # noqa: E402
from tests.support.webchat_server import WebchatServer, png_bytes  # noqa: E402

RESTART_TIMEOUT_MS = 40_000


def user_messages(server, chat: ChatPage) -> list[dict]:
    session_id = chat.session_id()
    return [m for m in server.messages() if m["sender_id"] == session_id]


def test_order_status_through_quick_replies(chat, server, page):
    chat.open()

    chat.send("where is my order")
    expect(chat.typing).to_be_visible()
    chat.wait_for_bot("I can help with your order. What do you need?")
    expect(chat.typing).to_be_hidden()
    chat.click_button("Where is my order?")
    chat.wait_for_bot("What is your order number?")
    chat.send("A-10423")
    chat.wait_for_bot("Order A-10423 was shipped yesterday")
    chat.send("Can I see a picture of my parcel?")
    page.locator(".crmbot-bot img[alt='Image from the assistant']").wait_for()

    assert chat.messages() == [
        ("user", "where is my order"),
        ("bot", "I can help with your order. What do you need?"),
        ("user", "Where is my order?"),  # the title is shown, the payload is sent
        ("bot", "Sure. What is your order number? It looks like A-10423."),
        ("user", "A-10423"),
        ("bot", "Order A-10423 was shipped yesterday and should arrive on Friday."),
        ("user", "Can I see a picture of my parcel?"),
        ("bot", ""),
    ]
    assert [m["text"] for m in user_messages(server, chat)] == [
        "where is my order",
        "/order_status",
        "A-10423",
        "Can I see a picture of my parcel?",
    ]
    used = page.locator(".crmbot-buttons").first.get_by_role("button")
    assert used.count() == 3 and all(used.nth(i).is_disabled() for i in range(3))
    assert page.errors == []
    page.set_viewport_size({"width": DESKTOP["width"], "height": 900})  # room for the whole exchange
    shot = chat.screenshot("webchat-desktop")
    (ROOT / "docs").mkdir(exist_ok=True)
    shutil.copyfile(shot, ROOT / "docs" / "webchat.png")


def test_reload_keeps_the_session_and_shows_history_from_the_crm(chat, server, page):
    chat.open()
    chat.send("where is my order")
    chat.wait_for_bot("What do you need?")
    chat.click_button("Where is my order?")
    chat.wait_for_bot("What is your order number?")
    session_id = chat.session_id()

    chat.reload()
    page.get_by_text("Earlier messages").wait_for()

    assert chat.session_id() == session_id
    assert chat.messages() == [
        ("user", "where is my order"),
        ("bot", "I can help with your order. What do you need?"),
        ("user", "Where is my order?"),
        ("bot", "Sure. What is your order number? It looks like A-10423."),
    ]
    # The quick replies of the earlier message stay visible, used and disabled.
    chosen = page.locator(".crmbot-quick.crmbot-chosen")
    expect(chosen).to_have_text("Where is my order?")
    expect(chosen).to_be_disabled()
    chat.screenshot("webchat-history")

    chat.send("A-10423")  # the conversation carries on in the same session
    chat.wait_for_bot("was shipped yesterday")
    assert [m["text"] for m in user_messages(server, chat)][-1] == "A-10423"


def test_photo_upload_reaches_the_assistant_and_limits_are_explained(chat, server, page, tmp_path):
    receipt = tmp_path / "receipt.png"
    receipt.write_bytes(png_bytes(320, 200))
    too_big = tmp_path / "huge.png"
    too_big.write_bytes(png_bytes(8, 8) + b"\0" * 300_000)
    notes = tmp_path / "notes.txt"
    notes.write_text("not a photo")
    chat.open()

    chat.upload(receipt)
    chat.wait_for_bot("Thanks, I got your photo receipt.png")
    chat.upload(too_big)
    chat.wait_for_notice("That file is too large. The limit is 195 KB.")
    chat.upload(notes)
    chat.wait_for_notice("Only JPEG, PNG or WebP images can be sent.")

    expect(page.locator(".crmbot-user img")).to_have_count(1)
    [sent] = user_messages(server, chat)
    assert sent["text"] == "/send_photo"
    [attachment] = sent["metadata"]["attachments"]
    assert attachment["file_name"] == "receipt.png" and attachment["mime_type"] == "image/png"
    assert (server.var_dir / attachment["path"]).read_bytes() == receipt.read_bytes()
    chat.screenshot("webchat-upload")


@pytest.mark.parametrize("attack", ["<img src=x onerror=alert(1)>", "<script>alert(1)</script>"])
def test_markup_in_messages_stays_text(chat, page, attack):
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    chat.open()

    chat.send(attack)
    chat.wait_for_bot("You said:")
    chat.reload()  # and again when the history renders it
    page.get_by_text("Earlier messages").wait_for()

    assert chat.messages() == [("user", attack), ("bot", f"You said: {attack}")]
    expect(page.get_by_text(attack, exact=True)).to_be_visible()
    assert page.locator(".crmbot-log img, .crmbot-log script").count() == 0
    page.wait_for_timeout(300)  # an onerror handler would have fired by now
    assert dialogs == []
    chat.screenshot("webchat-xss-" + ("img" if "img" in attack else "script"))


def test_a_web_address_from_the_assistant_is_a_link_and_the_customers_stays_text(chat, page):
    address = "https://www.dhl.de/en/privatkunden/dhl-sendungsverfolgung.html?piececode=DHL5710360983"
    chat.open()

    chat.send(f"track it here: {address}.")
    chat.wait_for_bot("You said:")
    live = page.locator(".crmbot-bot .crmbot-bubble a").last.get_attribute("href")
    chat.reload()  # the history from the CRM is linked the same way
    page.get_by_text("Earlier messages").wait_for()

    links = page.locator(".crmbot-bot .crmbot-bubble a")
    expect(links).to_have_count(1)
    assert live == address and links.first.get_attribute("href") == address  # the full stop is not part of it
    assert links.first.get_attribute("target") == "_blank" and "noopener" in links.first.get_attribute("rel")
    assert page.locator(".crmbot-user a").count() == 0
    assert chat.messages() == [("user", f"track it here: {address}."), ("bot", f"You said: track it here: {address}.")]


def test_floating_widget_works_from_the_keyboard(browser, server):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    try:
        page.goto(server.url + "/test/shop")
        launcher = page.get_by_role("button", name="Chat with us")
        launcher.wait_for()

        page.keyboard.press("Tab")
        expect(launcher).to_be_focused()
        page.keyboard.press("Enter")
        panel = page.get_by_role("region", name="Acme support chat")
        expect(panel).to_be_visible()
        expect(page.get_by_label("Your message")).to_be_focused()
        expect(page.get_by_role("log")).to_have_attribute("aria-live", "polite")
        page.locator(".crmbot-root[data-session-ready]").wait_for()
        page.keyboard.type("where is my order")
        page.keyboard.press("Enter")
        ChatPage(page, server.url).wait_for_bot("What do you need?")

        for _ in range(8):  # back from the input to the quick replies
            page.keyboard.press("Shift+Tab")
            if page.evaluate("document.activeElement.textContent") == "Where is my order?":
                break
        page.keyboard.press("Enter")
        ChatPage(page, server.url).wait_for_user("Where is my order?")
        ChatPage(page, server.url).wait_for_bot("What is your order number?")
        page.screenshot(path=str(screenshot_path("webchat-floating")))
        page.get_by_label("Your message").focus()
        page.keyboard.press("Escape")

        expect(panel).to_be_hidden()
        expect(launcher).to_be_focused()
        expect(launcher).to_have_attribute("aria-expanded", "false")
    finally:
        context.close()


def test_phone_width_goes_full_screen(browser, server):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        shop = ChatPage(page, server.url, path="/test/shop")
        shop.open(floating=True)
        shop.send("where is my order")
        shop.wait_for_bot("What do you need?")

        box = page.get_by_role("region", name="Acme support chat").bounding_box()
        assert box == {"x": 0, "y": 0, "width": PHONE["width"], "height": PHONE["height"]}
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        send = page.get_by_role("button", name="Send", exact=True).bounding_box()
        assert send["x"] + send["width"] <= PHONE["width"] and send["y"] + send["height"] <= PHONE["height"]
        shop.screenshot("webchat-mobile")
    finally:
        context.close()


def test_widget_reconnects_after_the_server_restarts(browser, tmp_path):
    with WebchatServer(tmp_path, crm=False, delay=0.1) as own_server:
        context = browser.new_context(viewport=DESKTOP)
        page = context.new_page()
        try:
            chat = ChatPage(page, own_server.url).open()
            chat.send("hello")
            chat.wait_for_bot("You said: hello")
            session_id = chat.session_id()

            own_server.stop()
            expect(chat.banner).to_contain_text("Reconnecting")
            chat.screenshot("webchat-reconnecting")
            own_server.start()
            expect(chat.banner).to_be_hidden(timeout=RESTART_TIMEOUT_MS)
            chat.wait_until_ready()
            chat.send("still there?")
            chat.wait_for_bot("You said: still there?")

            assert chat.session_id() == session_id
            assert [m["sender_id"] for m in own_server.messages()] == [session_id, session_id]
        finally:
            context.close()


def test_widget_on_an_allowed_shop_origin_works_and_elsewhere_cannot_connect(browser, tmp_path):
    server = WebchatServer(tmp_path, crm=False, delay=0.05)
    # localhost and 127.0.0.1 are different origins: the shop is one, the chat server the other.
    shop, other = f"http://localhost:{server.port}", f"http://127.0.0.1:{server.port}"
    server.env["ALLOWED_ORIGINS"] = shop
    with server:
        context = browser.new_context(viewport=DESKTOP)
        try:
            page = context.new_page()
            failed: list[str] = []
            page.on("requestfailed", lambda r: failed.append(r.url))
            chat = ChatPage(page, shop, path=f"/test/shop?bot={other}").open(floating=True)
            chat.send("where is my order")
            chat.wait_for_bot("What do you need?")
            assert not [u for u in failed if "/chat/config" in u]

            stranger = context.new_page()
            # A page on an origin not in ALLOWED_ORIGINS embeds the same widget.
            stranger.goto(f"{other}/test/shop?bot={shop}")
            stranger.get_by_role("button", name="Chat with us").click()
            expect(stranger.locator(".crmbot-banner")).to_contain_text("Cannot reach the chat server")
            assert stranger.locator(".crmbot-root[data-session-ready]").count() == 0
        finally:
            context.close()


def test_an_agents_message_shows_the_agents_name_and_initials_and_team_notices_stand_apart(chat, server, page):
    import httpx

    chat.open()
    chat.send("hello")
    chat.wait_for_bot("You said: hello")
    session = chat.session_id()

    def push(message: dict) -> None:
        httpx.post(
            f"{server.url}/test/push", json={"channel": "webchat", "sender": session, "message": message}, timeout=10
        )

    push({"text": "Anna Lee from our team has joined the chat.", "source": "handoff"})
    push({"text": "Hi, I'm checking your parcel now.", "source": "agent", "agent": "anna.lee"})
    chat.wait_for_bot("checking your parcel")

    agent_row = page.locator(".crmbot-agent", has_text="checking your parcel")
    expect(agent_row.locator(".crmbot-name")).to_have_text("Anna Lee · our team")
    expect(agent_row.locator(".crmbot-initials")).to_have_text("AL")
    expect(page.locator(".crmbot-team", has_text="has joined the chat")).to_be_visible()
    assistant_row = page.locator(".crmbot-bot", has_text="You said: hello")
    expect(assistant_row.locator(".crmbot-speaker")).to_have_count(0)
    chat.screenshot("webchat-agent")
