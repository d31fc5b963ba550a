from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from crm_store.ingestion.events import MalformedEvent, ingest
from crm_store.models import Attachment, ChannelIdentity, Conversation, ConversationEvent, Message
from tests.support.events import (
    action,
    bot_uttered,
    paused,
    recorded_stream,
    resumed,
    session_started,
    unique_sender,
    user_uttered,
)
from tests.support.queries import messages_of, row_counts


def test_replayed_event_is_stored_once(uow_factory, engine):
    event = user_uttered(unique_sender(), "where is my parcel")

    assert ingest(uow_factory(), event) is True
    assert ingest(uow_factory(), event) is False

    assert len(messages_of(engine, event["sender_id"])) == 1


def test_a_clients_session_start_command_is_not_a_customer_message(uow_factory, engine):
    sender, t = unique_sender(), time.time()
    ingest(uow_factory(), user_uttered(sender, "my lamp flickers", intent="complaint", ts=t))

    ingest(uow_factory(), user_uttered(sender, "/session_start", intent="session_start", confidence=1.0, ts=t + 60))
    ingest(uow_factory(), user_uttered(sender, "any news on it?", intent="ticket_status", ts=t + 61))

    assert [m["text"] for m in messages_of(engine, sender)] == ["my lamp flickers", "any news on it?"]


def test_a_first_message_with_metadata_makes_one_conversation(uow_factory, engine):
    from rasa.shared.core.events import SlotSet

    from tests.support.events import published

    sender, t, meta = unique_sender(), time.time(), {"display_name": "Ada"}
    # What Rasa publishes for a new chat's first message with metadata: the metadata slot first.
    turn = [
        published(sender, SlotSet("session_started_metadata", meta, timestamp=t)),
        session_started(sender, ts=t + 0.001),
        action(sender, "action_listen", ts=t + 0.002),
        user_uttered(sender, "hello", intent="greet", ts=t + 0.003, metadata=meta),
        bot_uttered(sender, "Hi!", ts=t + 0.004),
    ]
    for event in turn:
        ingest(uow_factory(), event)

    with engine.connect() as conn:
        conversations = conn.execute(select(Conversation.id).where(Conversation.sender_id == sender)).all()
    assert len(conversations) == 1
    assert [m["text"] for m in messages_of(engine, sender)] == ["hello", "Hi!"]


def test_replaying_a_recorded_stream_twice_gives_identical_counts(uow_factory, engine):
    stream = recorded_stream()
    for event in stream:
        ingest(uow_factory(), event)
    first = row_counts(engine)

    for event in stream:
        ingest(uow_factory(), event)

    assert row_counts(engine) == first
    assert first["messages"] >= 4 and first["conversations"] >= 1


def test_user_and_bot_messages_keep_intent_confidence_and_action(uow_factory, engine):
    sender, t = unique_sender(), time.time()
    for event in [
        session_started(sender, ts=t),
        user_uttered(
            sender,
            "where is my order A-10423?",
            intent="order_status",
            confidence=0.91,
            ts=t + 1,
            entities=[{"entity": "order_id", "value": "A-10423", "start": 18, "end": 25}],
        ),
        action(sender, "action_check_order", ts=t + 2),
        bot_uttered(sender, "Order A-10423 is shipped.", ts=t + 3),
        action(sender, "utter_goodbye", ts=t + 4),
        bot_uttered(sender, "Bye", ts=t + 5, utter_action="utter_goodbye"),
    ]:
        ingest(uow_factory(), event)

    rows = messages_of(engine, sender)

    assert [(r["direction"], r["text"]) for r in rows] == [
        ("in", "where is my order A-10423?"),
        ("out", "Order A-10423 is shipped."),
        ("out", "Bye"),
    ]
    assert rows[0]["intent"] == "order_status" and rows[0]["confidence"] == pytest.approx(0.91)
    assert rows[0]["entities"][0]["value"] == "A-10423"
    assert rows[1]["action"] == "action_check_order" and rows[2]["action"] == "utter_goodbye"
    assert rows[0]["channel"] == "rest" and rows[0]["customer_id"] is not None


def test_first_message_records_the_channel_identity(uow_factory, engine):
    sender = unique_sender()

    ingest(
        uow_factory(),
        user_uttered(sender, "hi", intent="greet", channel="telegram", metadata={"display_name": "Ada Lovelace"}),
    )

    with engine.connect() as conn:
        identity = conn.execute(select(ChannelIdentity).where(ChannelIdentity.external_id == sender)).one()
    assert identity.channel == "telegram" and identity.display_name == "Ada Lovelace"


def test_new_session_opens_a_new_conversation(uow_factory, engine):
    sender, t = unique_sender(), time.time()
    for event in [
        session_started(sender, t),
        user_uttered(sender, "hi", ts=t + 1),
        session_started(sender, t + 100),
        user_uttered(sender, "hello again", ts=t + 101),
    ]:
        ingest(uow_factory(), event)

    with engine.connect() as conn:
        conversations = conn.execute(select(Conversation.id).where(Conversation.sender_id == sender)).all()
    assert len(conversations) == 2
    assert len({r["customer_id"] for r in messages_of(engine, sender)}) == 1


def test_pause_and_resume_are_tracked_on_the_conversation(uow_factory, engine):
    sender, t = unique_sender(), time.time()
    ingest(uow_factory(), user_uttered(sender, "I want a human", intent="request_human", ts=t))

    ingest(uow_factory(), paused(sender, t + 1))
    with engine.connect() as conn:
        assert conn.execute(select(Conversation.paused).where(Conversation.sender_id == sender)).scalar_one() is True
    ingest(uow_factory(), resumed(sender, t + 2))

    with engine.connect() as conn:
        assert conn.execute(select(Conversation.paused).where(Conversation.sender_id == sender)).scalar_one() is False
        kinds = (
            conn.execute(select(ConversationEvent.kind).join(Conversation).where(Conversation.sender_id == sender))
            .scalars()
            .all()
        )
    assert kinds == ["pause", "resume"]


def test_attachments_in_metadata_are_stored_once(uow_factory, engine):
    sender = unique_sender()
    meta = {
        "attachments": [
            {
                "kind": "photo",
                "file_name": "receipt.jpg",
                "mime_type": "image/jpeg",
                "size": 2048,
                "path": f"uploads/telegram/{sender}.jpg",
            }
        ]
    }
    event = user_uttered(sender, "/send_photo", intent="send_photo", channel="telegram", metadata=meta)

    ingest(uow_factory(), event)
    ingest(uow_factory(), event)

    with engine.connect() as conn:
        rows = conn.execute(select(Attachment.kind, Attachment.path, Attachment.size)).all()
    assert [tuple(r) for r in rows] == [("photo", f"uploads/telegram/{sender}.jpg", 2048)]


def test_a_photos_caption_is_the_message_text_in_the_crm(uow_factory, engine):
    sender = unique_sender()
    meta = {
        "caption": "my receipt from Tuesday",
        "attachments": [
            {
                "kind": "photo",
                "file_name": None,
                "mime_type": "image/jpeg",
                "size": 10,
                "path": f"uploads/telegram/{sender}.jpg",
            }
        ],
    }
    ingest(uow_factory(), user_uttered(sender, "/send_photo", intent="send_photo", channel="telegram", metadata=meta))
    ingest(
        uow_factory(),
        user_uttered(
            sender,
            "/send_photo",
            intent="send_photo",
            channel="telegram",
            ts=time.time() + 1,
            metadata={"attachments": meta["attachments"]},
        ),
    )

    with engine.connect() as conn:
        texts = (
            conn.execute(
                select(Message.text).join(Conversation).where(Conversation.sender_id == sender).order_by(Message.id)
            )
            .scalars()
            .all()
        )
    assert texts == ["my receipt from Tuesday", "/send_photo"]


@pytest.mark.parametrize(
    "bad", [{}, {"event": "user"}, {"sender_id": "x", "event": "user", "timestamp": "soon"}, ["not", "a", "dict"]]
)
def test_malformed_events_are_rejected_with_a_reason(uow_factory, bad):
    with pytest.raises(MalformedEvent):
        ingest(uow_factory(), bad)


def test_concurrent_duplicate_deliveries_make_one_row(uow_factory, engine):
    sender = unique_sender()
    ingest(uow_factory(), user_uttered(sender, "hi", intent="greet"))
    event = user_uttered(sender, "where is my order", ts=time.time() + 1)
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            ingest(uow_factory(), event)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()

    assert errors == []
    assert len(messages_of(engine, sender)) == 2
