"""The Telegram channel against a local fake Bot API: real Update JSON in, recorded API calls out.

Rasa's own ``register`` mounts the channel on a Sanic app, as ``rasa run`` does; the
agent is a stand-in whose ``handle_message`` records the UserMessage and answers through
the output channel it was given (the channel's contract with Rasa, not an internet mock).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import uuid
from pathlib import Path
from typing import Any, AsyncIterator, Iterator

import aiohttp
import pytest
from rasa.core.channels.channel import UserMessage, register
from sanic import Sanic
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.channels.limits import TOO_LONG
from bot.channels.telegram import NOT_STARTED, SECRET_HEADER, UNSUPPORTED_REPLY, TelegramInput
from bot.channels.telegram_send import RetryPolicy
from crm_store.db import UnitOfWork, make_engine, migrate
from crm_store.models import ConversationEvent
from crm_store.settings import Settings
from crm_store.ingestion.spool import EventSink, shared_sink
from tests.support.fake_telegram import FakeTelegram

SECRET = "test-secret_42"
FAST = RetryPolicy(attempts=4, base_delay=0.05, max_delay=0.2)
USER = {
    "id": 777,
    "is_bot": False,
    "first_name": "Ada",
    "last_name": "Lovelace",
    "username": "ada_l",
    "language_code": "en",
}
CHAT = {"id": 777, "type": "private", "first_name": "Ada", "last_name": "Lovelace", "username": "ada_l"}
PNG = b"\x89PNG\r\n\x1a\n" + b"receipt" * 100
pytestmark = pytest.mark.timeout(60)


class StandInAgent:
    """What Rasa's Agent does for the channel: take the message, answer through its output."""

    def __init__(self) -> None:
        self.messages: list[UserMessage] = []
        self.replies: dict[str, list[dict[str, Any]]] = {}

    async def handle_message(self, message: UserMessage) -> None:
        self.messages.append(message)
        default = [{"text": f"Got {len(message.text or '')} characters"}]
        for reply in self.replies.get(message.text or "", default):
            await message.output_channel.send_response(message.sender_id, dict(reply))


def message_update(update_id: int, **content: Any) -> dict[str, Any]:
    message = {"message_id": 500 + update_id, "date": 1_700_000_000, "chat": CHAT, "from": USER}
    return {"update_id": update_id, "message": {**message, **content}}


def callback_update(update_id: int, data: str, message_id: int = 42) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cbq-{update_id}",
            "from": USER,
            "chat_instance": "-555",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": 1_700_000_000,
                "chat": CHAT,
                "from": {"id": 123456789, "is_bot": True, "first_name": "Shop"},
                "text": "Pick one",
            },
        },
    }


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = await FakeTelegram().start()
    yield server
    await server.stop()


def settings_for(fake: FakeTelegram, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(
        telegram_token=fake.token,
        telegram_secret_token=SECRET,
        telegram_api_url=fake.api_url,
        telegram_file_url=fake.file_url,
        var_dir=str(tmp_path / "var"),
    )
    values.update(overrides)
    return Settings(**values)


@contextlib.asynccontextmanager
async def serve(channel: TelegramInput) -> AsyncIterator[tuple[str, StandInAgent]]:
    """A Sanic app with the channel mounted by Rasa's register(), on a free local port."""
    Sanic.test_mode = True  # lets Sanic start several apps in one process (TouchUp, registry)
    app = Sanic(f"tg_test_{uuid.uuid4().hex[:8]}")
    agent = StandInAgent()
    app.ctx.agent = agent
    register([channel], app, route="/webhooks/")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
    await server.startup()
    await server.before_start()
    await server.after_start()
    try:
        yield f"http://127.0.0.1:{port}/webhooks/telegram/webhook", agent
    finally:
        await server.before_stop()
        server.close()
        await server.wait_closed()
        await server.after_stop()


@pytest.fixture
async def webhook(fake: FakeTelegram, tmp_path: Path) -> AsyncIterator[tuple[str, StandInAgent]]:
    async with serve(TelegramInput(settings_for(fake, tmp_path), policy=FAST)) as running:
        await fake.wait_for("getMe")
        yield running


async def post(url: str, update: Any, secret: str | None = SECRET) -> tuple[int, dict]:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json=update, headers=headers) as resp:
            return resp.status, await resp.json(content_type=None)


async def test_text_message_reaches_rasa_with_identity_and_reply_goes_out(fake, webhook):
    url, agent = webhook
    status, body = await post(url, message_update(1, text="where is my order?"))
    assert status == 200 and body["outcome"] == "handled"
    [msg] = agent.messages
    assert msg.text == "where is my order?"
    assert msg.sender_id == "777" and msg.input_channel == "telegram"
    assert msg.metadata == {
        "telegram": {
            "user_id": 777,
            "username": "ada_l",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "language_code": "en",
        },
        "display_name": "Ada Lovelace",
        "attachments": [],
    }
    assert msg.message_id == "telegram-123456789-1"
    [sent] = fake.calls_to("sendMessage")
    assert sent["chat_id"] == 777 and sent["text"] == "Got 18 characters"
    assert {"chat_id": 777, "action": "typing"} in fake.calls_to("sendChatAction")


async def test_start_and_commands_are_normalised(fake, webhook):
    url, agent = webhook
    await post(url, message_update(1, text="/start"))
    await post(url, message_update(2, text="/start ref-campaign-7"))
    await post(url, message_update(3, text="/order_status@shop_test_bot"))
    assert [m.text for m in agent.messages] == ["/greet", "/greet", "/order_status"]


async def test_buttons_become_an_inline_keyboard_and_a_press_is_answered(fake, webhook):
    url, agent = webhook
    long_payload = '/inform{"order_id":"A-10423","note":"' + "x" * 80 + '"}'
    agent.replies["/greet"] = [
        {
            "text": "How can I help?",
            "buttons": [
                {"title": "Order status", "payload": "/order_status"},
                {"title": "Order A-10423", "payload": '/inform{"order_id":"A-10423"}'},
                {"title": "Long one", "payload": long_payload},
            ],
        }
    ]
    await post(url, message_update(1, text="/start"))
    [sent] = fake.calls_to("sendMessage")
    [row] = sent["reply_markup"]["inline_keyboard"]
    assert [b["callback_data"] for b in row[:2]] == ["/order_status", '/inform{"order_id":"A-10423"}']
    assert len(row[2]["callback_data"].encode()) <= 64

    status, body = await post(url, callback_update(2, '/inform{"order_id":"A-10423"}'))
    assert status == 200 and body["outcome"] == "handled"
    await post(url, callback_update(3, row[2]["callback_data"]))
    assert [m.text for m in agent.messages[1:]] == ['/inform{"order_id":"A-10423"}', long_payload]
    assert agent.messages[1].sender_id == "777"
    assert [c["callback_query_id"] for c in fake.calls_to("answerCallbackQuery")] == ["cbq-2", "cbq-3"]
    assert fake.calls_to("editMessageReplyMarkup")[0]["message_id"] == 42


async def test_photo_is_downloaded_through_get_file_and_described(fake, webhook, tmp_path):
    url, agent = webhook
    fake.add_file("big-photo", PNG, "photos/file_7.jpg")
    photo = [
        {"file_id": "small-photo", "file_unique_id": "AQADs", "width": 90, "height": 90, "file_size": 100},
        {"file_id": "big-photo", "file_unique_id": "AQADb", "width": 1280, "height": 960, "file_size": len(PNG)},
    ]
    await post(url, message_update(1, photo=photo))
    await post(url, message_update(2, photo=photo, caption="my receipt"))
    assert [c["file_id"] for c in fake.calls_to("getFile")] == ["big-photo", "big-photo"]
    first, second = agent.messages
    # a caption does not turn the photo into a text message: the receipt is read either way
    assert first.text == second.text == "/send_photo"
    assert "caption" not in first.metadata and second.metadata["caption"] == "my receipt"
    [attachment] = first.metadata["attachments"]
    assert attachment["kind"] == "photo" and attachment["mime_type"] == "image/jpeg"
    assert attachment["size"] == len(PNG)
    assert attachment["path"] == "uploads/telegram/777/1-AQADb.jpg"
    assert (tmp_path / "var" / attachment["path"]).read_bytes() == PNG


async def test_pdf_document_is_stored_other_documents_are_declined(fake, webhook, tmp_path):
    url, agent = webhook
    fake.add_file("doc-1", b"%PDF-1.4 receipt", "documents/file_3.pdf")
    document = {
        "file_id": "doc-1",
        "file_unique_id": "AgADd",
        "file_name": "../../etc/receipt.pdf",
        "mime_type": "application/pdf",
        "file_size": 16,
    }
    await post(url, message_update(1, document=document, caption="invoice"))
    [msg] = agent.messages
    [attachment] = msg.metadata["attachments"]
    assert attachment == {
        "kind": "document",
        "file_name": "../../etc/receipt.pdf",
        "mime_type": "application/pdf",
        "size": 16,
        "path": "uploads/telegram/777/1-AgADd.pdf",
    }
    assert (tmp_path / "var" / attachment["path"]).exists()

    zip_doc = {**document, "file_id": "doc-2", "mime_type": "application/zip", "file_name": "x.zip"}
    _, body = await post(url, message_update(2, document=zip_doc))
    assert body["outcome"] == "unsupported" and len(agent.messages) == 1
    big = {**document, "file_id": "doc-3", "file_size": 50 * 1024 * 1024}
    _, body = await post(url, message_update(3, document=big))
    assert body["outcome"] == "too_large"


@pytest.mark.parametrize(
    "content",
    [
        {
            "sticker": {
                "file_id": "st",
                "file_unique_id": "st1",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "type": "regular",
            }
        },
        {"voice": {"file_id": "vo", "file_unique_id": "vo1", "duration": 3}},
        {"location": {"latitude": 52.5, "longitude": 13.4}},
    ],
)
async def test_stickers_voice_and_other_content_get_a_polite_answer(fake, webhook, content):
    url, agent = webhook
    _, body = await post(url, message_update(1, **content))
    assert body["outcome"] == "unsupported"
    assert agent.messages == []
    assert fake.calls_to("sendMessage") == [{"chat_id": 777, "text": UNSUPPORTED_REPLY}]
    assert fake.calls_to("getFile") == []


async def test_duplicate_update_id_is_processed_once_even_after_a_restart(fake, tmp_path):
    update = message_update(5, text="hello")
    async with serve(TelegramInput(settings_for(fake, tmp_path), policy=FAST)) as (url, agent):
        results = await asyncio.gather(post(url, update), post(url, update))
        assert sorted(body["outcome"] for _, body in results) == ["duplicate", "handled"]
        assert len(agent.messages) == 1
    async with serve(TelegramInput(settings_for(fake, tmp_path), policy=FAST)) as (url, agent):
        status, body = await post(url, update)
        assert status == 200 and body["outcome"] == "duplicate"
        assert agent.messages == []
    assert len(fake.calls_to("sendMessage")) == 1


@pytest.mark.parametrize("secret", [None, "wrong", ""])
async def test_webhook_without_the_secret_token_is_refused(fake, webhook, secret):
    url, agent = webhook
    status, _ = await post(url, message_update(1, text="hi"), secret=secret)
    assert status == 403
    assert agent.messages == [] and fake.calls_to("sendMessage") == []


async def test_malformed_body_is_a_bad_request(fake, webhook):
    url, agent = webhook
    status, _ = await post(url, ["not", "an", "update"])
    assert status == 400 and agent.messages == []


async def test_long_reply_is_split_under_telegram_limit(fake, webhook):
    url, agent = webhook
    paragraph = "Your order history. " * 100  # ~2000 chars
    long_text = "\n\n".join([paragraph.strip()] * 3) + "\n\n" + "z" * 500
    assert len(long_text) > 4097
    agent.replies["history"] = [{"text": long_text, "buttons": [{"title": "More", "payload": "/more"}]}]
    await post(url, message_update(1, text="history"))
    sent = fake.calls_to("sendMessage")
    assert len(sent) >= 2
    assert all(len(c["text"]) <= 4096 for c in sent)
    assert "".join(c["text"] for c in sent).replace("\n", "") == long_text.replace("\n", "")
    assert [("reply_markup" in c) for c in sent] == [False] * (len(sent) - 1) + [True]


async def test_429_retry_after_is_waited_out(fake, webhook):
    url, agent = webhook
    fake.fail_next("sendMessage", "429", retry_after=1)
    _, body = await post(url, message_update(1, text="hi"))
    assert body["outcome"] == "handled"
    first, second = [c for c in fake.calls if c.method == "sendMessage"]
    assert second.at - first.at >= 0.95
    assert second.params["text"] == "Got 2 characters"


@pytest.mark.parametrize("kind", ["500", "502", "drop"])
async def test_5xx_and_dropped_connections_are_retried_and_each_reply_delivered_once(fake, webhook, kind):
    url, agent = webhook
    agent.replies["hi"] = [{"text": "one"}, {"text": "two"}, {"text": "three"}]
    await post(url, message_update(1, text="hi"))
    fake.fail_next("sendMessage", kind, times=2)  # the second reply needs three tries

    _, body = await post(url, message_update(2, text="hi"))

    assert body["outcome"] == "handled"
    assert fake.delivered_to(777) == ["one", "two", "three"] * 2
    assert len(fake.calls_to("sendMessage")) == 6 + 2


@pytest.fixture
def crm_spool(tmp_path: Path) -> Iterator[tuple[Engine, EventSink]]:
    """The CRM (SQLite) and a running spool for tmp_path/var, as Rasa's event broker has one."""
    engine = make_engine(f"sqlite:///{tmp_path / 'crm.db'}")
    migrate(engine)
    sink = shared_sink(tmp_path / "var", lambda: EventSink(lambda: UnitOfWork(engine), tmp_path / "var"))
    yield engine, sink
    sink.stop()
    engine.dispose()


@pytest.mark.parametrize("kind, permanent, calls", [("400", True, 1), ("403", True, 1), ("502", False, FAST.attempts)])
async def test_a_reply_that_cannot_be_sent_is_logged_and_recorded_in_the_crm(
    fake, tmp_path, crm_spool, caplog, kind, permanent, calls
):
    engine, sink = crm_spool
    agent_replies = [{"text": "lost"}, {"text": "after it"}]
    async with serve(TelegramInput(settings_for(fake, tmp_path), policy=FAST)) as (url, agent):
        agent.replies["hi"] = agent_replies
        fake.fail_next("sendMessage", kind, times=calls)

        _, body = await post(url, message_update(1, text="hi"))

    assert body["outcome"] == "handled", "the turn ends normally"
    assert fake.delivered_to(777) == ["after it"], "the turn's other replies still go out"
    assert len(fake.calls_to("sendMessage")) == calls + 1, (
        "a permanent error is not retried; others a bounded number of times"
    )
    assert "telegram reply not delivered" in caplog.text
    assert sink.wait_idle(10)
    with engine.connect() as conn:
        rows = conn.execute(select(ConversationEvent.payload).where(ConversationEvent.kind == "delivery_failed")).all()
    assert [r.payload["permanent"] for r in rows] == [permanent]
    assert rows[0].payload["input_channel"] == "telegram"


async def test_an_overlong_message_gets_the_polite_reply_and_never_reaches_rasa(fake, tmp_path):
    settings = settings_for(fake, tmp_path, max_message_chars=50)
    fake.add_file("big-photo", PNG, "photos/file_7.jpg")
    photo = [{"file_id": "big-photo", "file_unique_id": "AQADb", "width": 9, "height": 9, "file_size": len(PNG)}]
    async with serve(TelegramInput(settings, policy=FAST)) as (url, agent):
        _, too_long = await post(url, message_update(1, text="x" * 51))
        _, long_caption = await post(url, message_update(2, photo=photo, caption="y" * 51))
        _, at_limit = await post(url, message_update(3, text="z" * 50))

    assert (too_long["outcome"], long_caption["outcome"], at_limit["outcome"]) == ("too_long", "too_long", "handled")
    assert [m.text for m in agent.messages] == ["z" * 50]
    assert fake.delivered_to(777) == [TOO_LONG.format(limit=50)] * 2 + ["Got 50 characters"]
    assert fake.calls_to("getFile") == []


async def test_without_token_the_channel_does_not_start_and_answers_503(tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    channel = TelegramInput(Settings(var_dir=str(tmp_path)))
    assert NOT_STARTED in caplog.text
    assert channel.get_output_channel() is None
    async with serve(channel) as (url, agent):
        status, body = await post(url, message_update(1, text="hi"))
    assert status == 503 and NOT_STARTED in body["error"]


async def test_webhook_is_registered_with_the_secret_token(fake, tmp_path):
    settings = settings_for(fake, tmp_path, telegram_webhook_url="https://shop.example")
    async with serve(TelegramInput(settings, policy=FAST)):
        [call] = await fake.wait_for("setWebhook")
    assert call["url"] == "https://shop.example/webhooks/telegram/webhook"
    assert call["secret_token"] == SECRET
    assert call["allowed_updates"] == ["message", "callback_query"]


async def test_polling_mode_reads_get_updates_and_confirms_offsets(fake, tmp_path):
    fake.webhook = {"url": "https://old.example/hook"}  # polling must remove it first
    fake.queue_update(message_update(10, text="first"))
    fake.queue_update(callback_update(11, "/order_status"))
    settings = settings_for(fake, tmp_path, telegram_mode="polling")
    async with serve(TelegramInput(settings, policy=FAST, poll_timeout=1)) as (_, agent):
        await fake.wait_for("sendMessage", 2)
        fake.queue_update(message_update(12, text="third"))
        fake.queue_update(message_update(12, text="third"))  # a re-delivery
        await fake.wait_for("sendMessage", 3)
        await asyncio.sleep(0.3)
    assert fake.calls_to("deleteWebhook")
    assert [m.text for m in agent.messages] == ["first", "/order_status", "third"]
    offsets = [c.get("offset") for c in fake.calls_to("getUpdates")]
    assert offsets[0] is None and 12 in offsets and 13 in offsets
    assert fake.calls_to("answerCallbackQuery")[0]["callback_query_id"] == "cbq-11"
