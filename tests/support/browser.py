"""Headless Chromium for the browser tests, and a page object for the web chat widget.

Playwright drives Debian's `chromium` (never a downloaded browser):

    with launch_chromium() as browser:
        page = browser.new_page()
        chat = ChatPage(page, base_url).open()
        chat.send("where is my order")
        chat.wait_for_bot("What do you need?")
        chat.click_button("Where is my order?")

ChatPage works for both the full page (/chat) and the floating widget on a shop page
(`ChatPage(page, url, path="/shop").open(floating=True)`).
"""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = ROOT / "test-results"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1100, "height": 760}
PHONE = {"width": 375, "height": 740}
TIMEOUT_MS = 10_000


def require_chromium() -> str:
    """The Chromium executable, or skip: install it with `apt-get install -y chromium`."""
    path = shutil.which(CHROMIUM) or (CHROMIUM if Path(CHROMIUM).exists() else None)
    if path is None:
        from tests.support.db import in_ci

        if in_ci():
            pytest.fail(f"no Chromium at {CHROMIUM}: `make test` installs Debian's chromium; CI must run browser tests")
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)")
    return path


def launch_options() -> dict:
    """Keyword arguments for `playwright.chromium.launch` that never download anything."""
    return {"executable_path": require_chromium(), "headless": True, "args": CHROMIUM_ARGS}


@contextmanager
def launch_chromium() -> Iterator["Browser"]:  # noqa: F821
    from playwright.sync_api import sync_playwright

    # Belt and braces: Playwright must not try to fetch its own browser builds.
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(**launch_options())
        try:
            yield browser
        finally:
            browser.close()


def screenshot_path(name: str) -> Path:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    return ARTEFACTS / f"{name}.png"


class ChatPage:
    """Drives the web chat widget in a Playwright (sync API) page."""

    def __init__(self, page: "Page", base_url: str, path: str = "/chat") -> None:  # noqa: F821
        self.page = page
        self.base_url = base_url.rstrip("/")
        self.path = path
        page.set_default_timeout(TIMEOUT_MS)

    # -- navigation ------------------------------------------------------------------
    def open(self, floating: bool = False) -> ChatPage:
        self.page.goto(self.base_url + self.path)
        if floating:
            self.page.get_by_role("button", name="Chat with us").click()
        self.wait_until_ready()
        return self

    def reload(self) -> ChatPage:
        self.page.reload()
        self.wait_until_ready()
        return self

    def wait_until_ready(self) -> None:
        """Connected and holding a confirmed session id."""
        self.page.locator(".crmbot-root[data-session-ready]").wait_for()

    # -- parts of the widget ----------------------------------------------------------
    @property
    def input(self):
        return self.page.get_by_label("Your message")

    @property
    def log(self):
        return self.page.get_by_role("log")

    @property
    def typing(self):
        return self.page.locator(".crmbot-typing")

    @property
    def banner(self):
        return self.page.locator(".crmbot-banner")

    def session_id(self) -> str:
        return self.page.evaluate("window.CrmbotChat.sessionId()")

    # -- acting ---------------------------------------------------------------------------
    def send(self, text: str) -> None:
        self.input.fill(text)
        self.input.press("Enter")

    def click_button(self, title: str) -> None:
        self.page.locator(".crmbot-quick:not([disabled])", has_text=title).last.click()

    def upload(self, path: Path) -> None:
        with self.page.expect_file_chooser() as chooser:
            self.page.get_by_role("button", name="Send a photo").click()
        chooser.value.set_files(str(path))

    # -- reading ------------------------------------------------------------------------
    def messages(self) -> list[tuple[str, str]]:
        """(who, text) for every bubble shown, oldest first; who is "user", "bot" or "system"."""
        rows = self.page.evaluate(
            """() => Array.from(document.querySelectorAll('.crmbot-msg')).map(row => [
                row.classList.contains('crmbot-user') ? 'user'
                  : row.classList.contains('crmbot-bot') ? 'bot' : 'system',
                Array.from(row.querySelectorAll('.crmbot-bubble, .crmbot-notice'))
                  .map(b => b.textContent).join(' '),
            ])"""
        )
        return [(who, text) for who, text in rows]

    def bot_texts(self) -> list[str]:
        return [text for who, text in self.messages() if who == "bot" and text]

    def wait_for_bot(self, text: str) -> None:
        self.page.locator(".crmbot-bot .crmbot-bubble", has_text=text).last.wait_for()

    def wait_for_user(self, text: str) -> None:
        self.page.locator(".crmbot-user .crmbot-bubble", has_text=text).last.wait_for()

    def wait_for_notice(self, text: str) -> None:
        self.page.locator(".crmbot-notice", has_text=text).last.wait_for()

    def screenshot(self, name: str, full_page: bool = False) -> Path:
        path = screenshot_path(name)
        self.page.screenshot(path=str(path), full_page=full_page)
        return path
