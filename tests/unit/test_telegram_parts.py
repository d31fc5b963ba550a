"""Pure parts of the Telegram channel: splitting, command normalising, update parsing, the update log."""

from __future__ import annotations

import pytest
from telegram import Update

from bot.channels.telegram_send import MAX_MESSAGE_LENGTH, split_text
from bot.channels.telegram_store import TelegramStore
from bot.channels.telegram_updates import normalize_command, parse_update

USER = {"id": 5, "is_bot": False, "first_name": "Bo"}
PRIVATE = {"id": 5, "type": "private"}


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def test_short_text_is_one_piece():
    assert split_text("  hello  ") == ["hello"]


def test_split_prefers_paragraphs_then_words_and_keeps_all_text():
    text = ("a" * 3000) + "\n\n" + ("b " * 1500)
    pieces = split_text(text)
    assert pieces[0] == "a" * 3000
    assert all(utf16(p) <= MAX_MESSAGE_LENGTH for p in pieces)
    assert "".join(pieces).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")


def test_split_without_breaks_cuts_hard_and_never_inside_an_emoji():
    text = "😀" * 3000  # 6000 UTF-16 units
    pieces = split_text(text)
    assert [utf16(p) for p in pieces] == [4096, 6000 - 4096]
    assert "".join(pieces) == text


@pytest.mark.parametrize(
    "text, expected",
    [
        ("/start", "/greet"),
        ("/start deep-link-payload", "/greet"),
        ("/help@shop_bot", "/help"),
        ('/inform{"order_id":"A-1"}', '/inform{"order_id":"A-1"}'),
        ("hello /start", "hello /start"),
    ],
)
def test_commands(text, expected):
    assert normalize_command(text) == expected


def update(**message):
    return Update.de_json(
        {"update_id": 9, "message": {"message_id": 1, "date": 0, "chat": PRIVATE, "from": USER, **message}}, None
    )


def test_group_messages_and_edits_are_ignored():
    group = Update.de_json(
        {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": -9, "type": "group", "title": "g"},
                "from": USER,
                "text": "hi",
            },
        },
        None,
    )
    edited = Update.de_json(
        {
            "update_id": 2,
            "edited_message": {"message_id": 1, "date": 0, "edit_date": 1, "chat": PRIVATE, "from": USER, "text": "hi"},
        },
        None,
    )
    assert parse_update(group, 100) is None and parse_update(edited, 100) is None


def test_largest_photo_within_the_limit_is_chosen():
    sizes = [
        {"file_id": f"p{n}", "file_unique_id": f"u{n}", "width": n, "height": n, "file_size": n * 10}
        for n in (1, 5, 50)
    ]
    incoming = parse_update(update(photo=sizes), max_bytes=100)
    assert incoming.kind == "media" and incoming.media.file_id == "p5"
    assert incoming.text == "/send_photo" and incoming.display_name == "Bo"


def test_update_log_claims_once_and_survives_reopening(tmp_path):
    store = TelegramStore(tmp_path / "t.db", "42")
    assert store.claim(1) and not store.claim(1) and store.claim(2)
    store.close()
    again = TelegramStore(tmp_path / "t.db", "42")
    assert not again.claim(1)
    assert TelegramStore(tmp_path / "t.db", "other-bot").claim(1)


def test_long_payloads_are_stored_behind_a_short_key(tmp_path):
    store = TelegramStore(tmp_path / "t.db", "42")
    payload = '/inform{"note":"' + "x" * 200 + '"}'
    key = store.payload_key(payload)
    assert len(key.encode()) <= 64
    assert store.payload_for(key) == payload
    assert store.payload_for("/order_status") == "/order_status"
    assert store.payload_for("k:unknown") is None
