"""CrmTrackerStore keeps every event of a conversation once, in order, turn after turn (real SQLite and
PostgreSQL),
and Rasa's action calls share keep-alive connections to the action server."""

from __future__ import annotations

import asyncio
from contextlib import ExitStack

import pytest
from aiohttp import web
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine, text

from bot.rasa.stores import CrmTrackerStore
from crm_store.settings import reset_settings_cache
from tests.support.db import POSTGRES_URL, postgres_available, postgres_schema, require_service
from tests.support.events import unique_sender

DOMAIN = Domain.from_yaml("""
version: "3.1"
intents: [greet]
slots:
  order_id:
    type: text
    mappings: [{type: custom}]
responses:
  utter_greet: [{text: "Hello!"}]
""")


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / 'tracker.db'}"
        else:
            require_service(postgres_available(), "PostgreSQL")
            _engine, schema = stack.enter_context(postgres_schema())
            url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
        monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'crm.db'}")
        monkeypatch.setenv("TRACKER_DATABASE_URL", url)
        reset_settings_cache()
        made = CrmTrackerStore(domain=DOMAIN)
        engine = create_engine(url)
        yield made, engine
        engine.dispose()
        made.engine.dispose()
        reset_settings_cache()


def stored_rows(engine, sender: str) -> list[tuple[str, str | None]]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT type_name, coalesce(action_name, intent_name) FROM events WHERE sender_id = :s ORDER BY id"
                ),
                {"s": sender},
            )
        ]


def turn(tracker: DialogueStateTracker, text_: str, ts: float) -> None:
    for event in (
        UserUttered(text_, {"name": "greet", "confidence": 1.0}, timestamp=ts),
        ActionExecuted("utter_greet", timestamp=ts + 0.1),
        BotUttered("Hello!", timestamp=ts + 0.2),
        ActionExecuted("action_listen", timestamp=ts + 0.3),
    ):
        tracker.update(event)


def test_each_turn_stores_its_new_events_once_in_order(store) -> None:  # type: ignore[no-untyped-def]
    tracker_store, engine = store
    sender = unique_sender()

    async def conversation() -> DialogueStateTracker:
        tracker = await tracker_store.get_or_create_tracker(sender, append_action_listen=False)
        tracker.update(ActionExecuted("action_session_start", timestamp=1.0))
        tracker.update(SessionStarted(timestamp=1.1))
        tracker.update(ActionExecuted("action_listen", timestamp=1.2))
        turn(tracker, "hi", 2.0)
        await tracker_store.save(tracker)
        await tracker_store.save(tracker)  # saved twice in a turn: nothing new the second time
        for ts in (3.0, 4.0):  # the next turns start from what the store reads back
            tracker = await tracker_store.retrieve(sender)
            turn(tracker, f"again {ts}", ts)
            tracker.update(SlotSet("order_id", f"B-{ts:.0f}", timestamp=ts + 0.4))
            await tracker_store.save(tracker)
        return await tracker_store.retrieve(sender)

    final = asyncio.run(conversation())

    rows = stored_rows(engine, sender)
    assert len(rows) == 3 + 4 + 2 * 5
    assert rows[:5] == [
        ("action", "action_session_start"),
        ("session_started", None),
        ("action", "action_listen"),
        ("user", "greet"),
        ("action", "utter_greet"),
    ]
    assert [e.as_dict()["event"] for e in final.events].count("user") == 3
    assert final.get_slot("order_id") == "B-4"


def test_a_new_session_and_a_tracker_built_elsewhere_store_only_what_is_new(store) -> None:  # type: ignore[no-untyped-def]
    tracker_store, engine = store
    sender = unique_sender()

    async def conversation() -> DialogueStateTracker:
        tracker = await tracker_store.get_or_create_tracker(sender, append_action_listen=False)
        turn(tracker, "hi", 2.0)
        await tracker_store.save(tracker)
        tracker = await tracker_store.retrieve(sender)  # a session expired: Rasa starts a new one
        for event in (
            ActionExecuted("action_session_start", timestamp=10.0),
            SessionStarted(timestamp=10.1),
            ActionExecuted("action_listen", timestamp=10.2),
        ):
            tracker.update(event)
        turn(tracker, "back again", 11.0)
        await tracker_store.save(tracker)
        # A tracker this store did not read (the HTTP API builds one from its events): Rasa's count decides.
        rebuilt = DialogueStateTracker.from_events(
            sender, list((await tracker_store.retrieve(sender)).events), DOMAIN.slots
        )
        turn(rebuilt, "once more", 12.0)
        await tracker_store.save(rebuilt)
        return await tracker_store.retrieve(sender)

    latest = asyncio.run(conversation())

    assert len(stored_rows(engine, sender)) == 4 + 3 + 4 + 4
    # The latest session, as Rasa reads it: from its session_started on (action_session_start is older).
    assert isinstance(latest.events[0], SessionStarted) and len(latest.events) == 2 + 4 + 4


def test_action_calls_share_a_kept_alive_connection_and_survive_its_loss(store) -> None:  # type: ignore[no-untyped-def]
    from rasa.utils.endpoints import EndpointConfig

    from bot.rasa.patches import install_patches
    from bot.rasa.speedups import close_action_sessions

    install_patches()  # as the Rasa server's entry point does
    peers: list[int] = []

    async def webhook(request: web.Request) -> web.Response:
        peers.append(request.transport.get_extra_info("peername")[1])
        await request.json()
        return web.json_response({"events": [{"event": "slot", "name": "order_id", "value": "B-1"}], "responses": []})

    async def calls() -> list[list]:
        app = web.Application()
        app.router.add_post("/webhook", webhook)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
        results = []

        async def call() -> None:
            action = RemoteAction("action_check_order", endpoint)
            results.append(
                await action.run(
                    CollectingOutputChannel(),
                    TemplatedNaturalLanguageGenerator(DOMAIN.responses),
                    DialogueStateTracker(unique_sender(), DOMAIN.slots),
                    DOMAIN,
                )
            )

        try:
            for _ in range(3):
                await call()
            # The server drops its side of every connection (a restart, an idle timeout): the next call still goes through.
            await runner.shutdown()
            await site.stop()
            site2 = web.TCPSite(runner, "127.0.0.1", port)
            await site2.start()
            await call()
        finally:
            await close_action_sessions()
            await runner.cleanup()
        return results

    results = asyncio.run(calls())

    assert [[e.as_dict()["value"] for e in events] for events in results] == [["B-1"]] * 4
    assert len(set(peers[:3])) == 1  # one connection for the first three calls
    assert len(peers) == 4
