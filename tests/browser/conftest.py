"""Fixtures for the browser tests: the web chat test server and Debian's headless Chromium."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.browser import DESKTOP, ChatPage, launch_chromium, require_chromium  # noqa: E402
from tests.support.webchat_server import WebchatServer  # noqa: E402

MAX_UPLOAD = 200_000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with WebchatServer(tmp_path_factory.mktemp("webchat"), env={"MAX_UPLOAD_BYTES": str(MAX_UPLOAD)}) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser():
    require_chromium()
    with launch_chromium() as b:
        yield b


@pytest.fixture()
def context(browser):
    # A fresh context per test: its own localStorage, so its own chat session.
    ctx = browser.new_context(viewport=DESKTOP)
    yield ctx
    ctx.close()


@pytest.fixture()
def page(context):
    page = context.new_page()
    page.errors = []  # uncaught script errors, checked by tests that care
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    return page


@pytest.fixture()
def chat(page, server) -> ChatPage:
    return ChatPage(page, server.url)
