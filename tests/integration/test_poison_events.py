"""Events that are awkward or broken: cleaned and stored, or dead-lettered alone; the next one goes on."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, text

from crm_store.ingestion.spool import EventSink
from crm_store.db import make_engine
from crm_store.ingestion.events import ingest, ingest_batch, is_temporary
from crm_store.models import Conversation, ConversationEvent
from tests.support.events import recorded_stream, unique_sender, user_uttered
from tests.support.queries import messages_of


def test_nul_and_lone_surrogate_are_replaced_and_the_originals_kept(engine, uow_factory):
    sender = unique_sender()

    assert ingest(uow_factory(), user_uttered(sender, "hello\u0000", intent="greet", ts=1_800_000_000))
    assert ingest(uow_factory(), user_uttered(sender, "bad \udc80 byte", intent="greet", ts=1_800_000_001))

    assert [m["text"] for m in messages_of(engine, sender)] == ["hello\ufffd", "bad \ufffd byte"]
    with engine.connect() as conn:
        kept = [
            row
            for row in conn.execute(
                select(ConversationEvent.payload).where(ConversationEvent.kind == "cleaned")
            ).scalars()
        ]
    originals = [json.loads(p["originals"]["text"]) for p in kept]
    assert sorted(originals) == sorted(["hello\u0000", "bad \udc80 byte"])


def test_an_overlong_sender_id_gets_a_unique_storable_id(engine, uow_factory):
    head = unique_sender() + "x" * 220
    first, second = head + "a", head + "b"

    ingest(uow_factory(), user_uttered(first, "one", intent="greet"))
    ingest(uow_factory(), user_uttered(second, "two", intent="greet"))
    ingest(uow_factory(), user_uttered(first, "three", intent="greet"))

    with engine.connect() as conn:
        senders = (
            conn.execute(select(Conversation.sender_id).where(Conversation.sender_id.like(head[:20] + "%")))
            .scalars()
            .all()
        )
    assert len(senders) == 2 and all(len(s) <= 200 for s in senders)


def test_a_poison_event_is_dead_lettered_alone_and_the_next_goes_on(engine, uow_factory, tmp_path):
    sender = unique_sender()
    sink = EventSink(uow_factory, tmp_path / "var", retry_seconds=0.2)
    sink.start()
    poison = user_uttered(sender, "from the far future", ts=1e300)
    awkward = user_uttered(sender + "y" * 230, "hello\u0000", intent="greet")

    sink.put(poison)
    sink.put(awkward)
    sink.put(user_uttered(sender, "where is my order", ts=1_800_000_000))

    assert sink.wait_idle(20), "the worker is stuck behind a poison event"
    sink.stop()
    assert [m["text"] for m in messages_of(engine, sender)] == ["where is my order"]
    dead = [json.loads(line) for line in sink.dead_path.read_text().splitlines()]
    assert [d["event"] for d in dead] == [json.loads(json.dumps(poison))]
    assert dead[0]["error"].startswith(("OverflowError", "ValueError", "OSError"))
    with engine.connect() as conn:
        assert conn.execute(select(Conversation.id).where(Conversation.sender_id.like(sender + "yyy%"))).first()


def test_errors_are_sorted_into_temporary_and_this_event_only(engine):
    # A value the database refuses (NUL on PostgreSQL, NULL in a NOT NULL column on SQLite).
    refused_value = (
        "INSERT INTO conversations (sender_id, started_at, last_event_at, paused, status) "
        "VALUES (:s, '2026-01-01', '2026-01-01', false, 'open')"
    )
    values = {"s": "nul\u0000"}
    if engine.dialect.name == "sqlite":
        refused_value, values = "INSERT INTO conversations (sender_id) VALUES (NULL)", {}
    with pytest.raises(Exception) as data_error:
        with engine.begin() as conn:
            conn.execute(text(refused_value), values)
    with pytest.raises(Exception) as down:
        with make_engine("postgresql://postgres@127.0.0.1:1/test").connect():
            pass

    assert not is_temporary(data_error.value)
    assert is_temporary(down.value)


def test_a_batch_stores_exactly_what_one_at_a_time_stores(engine, uow_factory):
    one, batched = unique_sender("one"), unique_sender("batch")
    stream = recorded_stream()

    for event in stream:
        ingest(uow_factory(), {**event, "sender_id": one})
    for start in range(0, len(stream), 16):
        ingest_batch(uow_factory(), [{**e, "sender_id": batched} for e in stream[start : start + 16]])

    def rows(sender: str) -> list[tuple]:
        return [
            (m["direction"], m["text"], m["intent"], m["action"], m["channel"]) for m in messages_of(engine, sender)
        ]

    assert rows(batched) == rows(one) and len(rows(one)) > 4
    assert any(r[3] and r[3].startswith("action_") for r in rows(one))
    with engine.connect() as conn:

        def count(sender: str) -> int:
            return conn.execute(
                select(func.count()).select_from(Conversation).where(Conversation.sender_id == sender)
            ).scalar_one()

        assert count(batched) == count(one)
