"""The scale-out profile end to end: `crmbot run` on PostgreSQL (CRM and tracker store), the Redis
lock store and RabbitMQ, the way each server of a multi-server deployment runs.

The other e2e files run the embedded profile (SQLite, in-process ingestion); this one checks that
the same conversation, a poison message and a killed consumer come out whole on the real services.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import time
import uuid

import httpx
import pytest
from sqlalchemy import func, select, text

from crm_store.ingestion.cleaning import REPLACEMENT
from crm_store.db import make_engine
from crm_store.models import Conversation
from crm_store.ingestion.rabbit import Topology
from tests.support.db import POSTGRES_URL, postgres_available, require_service
from tests.support.events import unique_sender
from tests.support.queries import messages_of
from bot.local_stack import Stack, eventually, start_stack, stop_stack

pytestmark = pytest.mark.e2e

RABBIT = os.environ.get("TEST_RABBIT_URL", "amqp://guest:guest@127.0.0.1:5672/")
REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/9")


def _reachable(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def pg_stack(tmp_path_factory) -> Stack:  # type: ignore[no-untyped-def]
    require_service(postgres_available(), "PostgreSQL at 127.0.0.1:5432")
    require_service(_reachable(6379), "Redis at 127.0.0.1:6379")
    require_service(_reachable(5672), "RabbitMQ at 127.0.0.1:5672")
    run = uuid.uuid4().hex[:10]
    schema, queue = f"e2e_{run}", f"e2e-{run}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    running = None
    try:
        running = start_stack(
            tmp_path_factory.mktemp("pg-stack"),
            {
                "DATABASE_URL": f"{POSTGRES_URL}?options=-csearch_path%3D{schema}",
                "LOCK_STORE_URL": REDIS,
                "EVENT_BROKER_URL": RABBIT,
                "EVENT_QUEUE": queue,
            },
        )
        yield running
    finally:
        if running is not None:
            code = stop_stack(running)
            assert code == 0, f"crmbot run did not stop cleanly on Ctrl-C (exit {code}):\n{running.log()}"
        asyncio.run(Topology(f"{queue}.events", queue).remove(RABBIT))
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def _settled(stack: Stack, sender: str, inbound: int, outbound: int) -> list[dict]:
    """The sender's CRM messages once the consumer has caught up, checked to be exactly these counts."""

    def counts() -> tuple[int, int]:
        rows = messages_of(stack.engine, sender)
        return sum(r["direction"] == "in" for r in rows), sum(r["direction"] == "out" for r in rows)

    eventually(lambda: all(got >= want for got, want in zip(counts(), (inbound, outbound))), timeout=60)
    time.sleep(1)  # a duplicate would have arrived with the rest
    assert counts() == (inbound, outbound), f"CRM (in, out) {counts()} != sent {(inbound, outbound)}:\n{stack.log()}"
    return messages_of(stack.engine, sender)


def _outbox(stack: Stack, sender: str) -> list[dict]:
    got = httpx.get(f"{stack.rasa_url}/webhooks/rest/messages", params={"sender": sender}, timeout=10)
    return got.json()["messages"]


def _out_count(stack: Stack, sender: str) -> int:
    return sum(r["direction"] == "out" for r in messages_of(stack.engine, sender))


def _conversations(stack: Stack, sender: str) -> int:
    with stack.engine.connect() as conn:
        return conn.execute(
            select(func.count()).select_from(Conversation).where(Conversation.sender_id == sender)
        ).scalar_one()


def test_a_conversation_with_a_poison_message_reaches_the_crm_whole_on_postgresql(pg_stack: Stack):
    sender = unique_sender("pg")
    # The NUL sits in a plain question: "is anyone there" reads, rightly or not, as asking for a
    # person, and a handoff is not what this test is about.
    sent = ["hi", "do you ship to Ireland?", "hello\x00 do you ship to Austria?", "thanks", "bye"]
    replies = [reply for message in sent for reply in pg_stack.say(sender, message)]

    assert replies and all(r.get("text") or r.get("image") or r.get("buttons") for r in replies)
    # What reaches a REST caller between its turns (a queued customer's acknowledgement, the team's
    # messages) waits in the channel's outbox; the customer got those too.
    eventually(lambda: _out_count(pg_stack, sender) >= len(replies) + len(_outbox(pg_stack, sender)), timeout=60)
    rows = _settled(pg_stack, sender, inbound=len(sent), outbound=len(replies) + len(_outbox(pg_stack, sender)))
    assert [r["text"] for r in rows if r["direction"] == "in"] == [m.replace("\x00", REPLACEMENT) for m in sent], (
        "the NUL that once crashed the PostgreSQL consumer is cleaned at the edge, in order with the rest"
    )
    assert _conversations(pg_stack, sender) == 1
    with pg_stack.engine.connect() as conn:  # Rasa's tracker store lives in the same PostgreSQL schema
        tracked = (
            conn.execute(
                text("SELECT data FROM events WHERE sender_id = :s AND type_name = 'user' ORDER BY id"), {"s": sender}
            )
            .scalars()
            .all()
        )
    texts = [json.loads(data)["text"] for data in tracked]
    # Rasa's tracker keeps a message its fallback re-read (rewound and read again) twice, in a row.
    assert [t for i, t in enumerate(texts) if i == 0 or t != texts[i - 1]] == sent


def _consumer_pid(stack: Stack) -> int:
    # `bot.cli ingest` (the RabbitMQ consumer), not `bot.cli ingest spool` (the spool's deliverer).
    out = subprocess.run(
        ["pgrep", "-P", str(stack.process.pid), "-f", r"bot\.cli ingest$"], capture_output=True, text=True
    ).stdout.split()
    assert len(out) == 1, f"one consumer expected, found {out}:\n{stack.log()}"
    return int(out[0])


def test_a_consumer_killed_while_customers_write_loses_and_repeats_nothing(pg_stack: Stack):
    sender = unique_sender("pgkill")
    first = _consumer_pid(pg_stack)
    os.kill(first, signal.SIGKILL)  # events now wait in RabbitMQ until the supervisor restarts it
    sent = [f"do you ship to country number {n}?" for n in range(6)]
    replies = [reply for message in sent for reply in pg_stack.say(sender, message)]

    rows = _settled(pg_stack, sender, inbound=len(sent), outbound=len(replies))
    assert [r["text"] for r in rows if r["direction"] == "in"] == sent
    assert _consumer_pid(pg_stack) != first
    assert "crm ingestion crashed (exit code -9); restarting it" in pg_stack.log_path.read_text(errors="replace")


def test_a_queue_notice_stored_in_the_crm_is_in_the_rest_outbox_on_the_scale_out_profile(pg_stack: Stack):
    """What the handoff service tells a queued REST customer (bot.console.monitor) goes through Rasa's API to
    the REST channel's outbox, and ingestion stores it in the CRM as the queue's message. Every message the
    CRM holds as sent to this customer was either a reply to one of their turns or is in their outbox."""
    sender = unique_sender("pgqueue")
    sent = ["I want to talk to a person", "my parcel never arrived", "it was a blue kettle"]
    replies = pg_stack.say(sender, sent[0])
    assert "handing you over" in " ".join(r.get("text") or "" for r in replies), pg_stack.log()

    def notices() -> list[str]:
        """What the CRM stored as sent to the customer beyond the replies to their turns."""
        stored = [r["text"] for r in messages_of(pg_stack.engine, sender) if r["direction"] == "out"]
        for said in sorted(r["text"] for r in replies):
            if said in stored:
                stored.remove(said)
        return stored

    def fetched() -> list[str]:
        return sorted(m["text"] for m in _outbox(pg_stack, sender))

    # Each message written while queued gets its answer from the queue; the next is written once
    # the answer is in the CRM and in the outbox (two written together would get one answer).
    for n, message in enumerate(sent[1:], start=1):
        replies += pg_stack.say(sender, message)
        assert eventually(lambda: len(notices()) == n and sorted(notices()) == fetched(), timeout=60), (  # noqa: B023
            notices(),
            fetched(),
            pg_stack.log(),
        )
    _settled(pg_stack, sender, inbound=len(sent), outbound=len(replies) + len(fetched()))

    assert sorted(notices()) == fetched(), (notices(), fetched())
