from __future__ import annotations

import pytest

from tests.support.background import BackgroundLoop
from tests.support.fake_telegram import TOKEN, FakeTelegram
from bot.local_stack import Stack, start_stack, stop_stack

TELEGRAM_SECRET = "e2e-webhook-secret"
RASA_TOKEN = "e2e-rasa-api-token"


@pytest.fixture(scope="session")
def telegram() -> FakeTelegram:  # type: ignore[misc]
    """The local fake of Telegram's Bot API that the whole stack talks to."""
    loop = BackgroundLoop()
    fake = loop.run(FakeTelegram().start())
    fake.loop = loop  # type: ignore[attr-defined]
    yield fake
    loop.run(fake.stop())
    loop.close()


@pytest.fixture(scope="session")
def stack(tmp_path_factory, telegram: FakeTelegram) -> Stack:  # type: ignore[no-untyped-def]
    running = start_stack(
        tmp_path_factory.mktemp("stack"),
        {
            "TELEGRAM_TOKEN": TOKEN,
            "TELEGRAM_API_URL": telegram.api_url,
            "TELEGRAM_FILE_URL": telegram.file_url,
            "TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET,
            "RASA_AUTH_TOKEN": RASA_TOKEN,
            # Every test's REST messages come from this one address: at today's speed the suite sends
            # more than the default 60 a minute (per-chat limits stay; their own tests are in integration).
            "MESSAGES_PER_MINUTE_PER_IP": "100000",
        },
    )
    yield running
    code = stop_stack(running)
    assert code == 0, f"crmbot run did not stop cleanly on Ctrl-C (exit {code}):\n{running.log()}"
