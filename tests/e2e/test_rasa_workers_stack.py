"""`crmbot run` with two Rasa worker processes on one port (RASA_WORKERS=2, the Redis lock store):
a web chat visitor and a REST caller get every message an agent sends, whichever process takes
the console's call and whichever holds the visitor's socket; each process beats on its own."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import uuid

import httpx
import pytest

from bot.heartbeat import worker_beats
from bot.local_stack import Stack, eventually, start_stack, stop_stack
from tests.support.db import require_service

pytestmark = pytest.mark.e2e

REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
TOKEN = secrets.token_urlsafe(24)
AGENT_MESSAGES = 12


def _redis_up() -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", 6379)) == 0


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory) -> Stack:  # type: ignore[no-untyped-def]
    require_service(_redis_up(), "Redis at 127.0.0.1:6379")
    running = start_stack(
        tmp_path_factory.mktemp("two-workers"),
        {"LOCK_STORE_URL": REDIS, "RASA_WORKERS": "2", "RASA_AUTH_TOKEN": TOKEN, "SCHEDULER_ENABLED": "false"},
    )
    try:
        yield running
    finally:
        assert stop_stack(running) == 0, running.log()


def _agent_says(stack: Stack, sender: str, channel: str, text: str) -> None:
    """What the console does for an agent's reply (bot.channels.push), on a new connection each time, so
    the calls spread over both processes."""
    resp = httpx.post(
        f"{stack.rasa_url}/conversations/{sender}/tracker/events",
        params={"output_channel": channel, "execute_side_effects": "true", "token": TOKEN},
        json=[{"event": "bot", "text": text, "metadata": {"source": "agent"}}],
        timeout=60,
    )
    assert resp.status_code == 200, resp.text


def test_each_worker_beats_and_the_widget_is_told_to_use_websocket_only(two_workers: Stack):
    rasa = int(next(line.split()[0] for line in os.popen(f"pgrep -P {two_workers.process.pid} -af bot.rasa.server")))
    from pathlib import Path

    beats = eventually(
        lambda: (b := worker_beats(Path(two_workers.env["VAR_DIR"]), "rasa", rasa)) and len(b) == 2 and b
    )
    assert len({b["pid"] for b in beats}) == 2
    assert httpx.get(f"{two_workers.rasa_url}/chat/config").json()["transports"] == ["websocket"]
    # A polling client's next request may reach the other process: refused from the start.
    assert (
        httpx.get(f"{two_workers.rasa_url}/socket.io/", params={"EIO": "4", "transport": "polling"}).status_code == 400
    )


def test_a_web_chat_visitor_gets_every_agent_message_whichever_process_sent_it(two_workers: Stack):
    import aiohttp
    import socketio

    if not hasattr(aiohttp, "ClientWSTimeout"):  # as in bench/load.py: engineio names aiohttp 3.10's class
        aiohttp.ClientWSTimeout = lambda ws_close=None, ws_receive=None: ws_close

    async def visit() -> list[str]:
        got: list[str] = []
        confirmed: asyncio.Future = asyncio.get_running_loop().create_future()
        sio = socketio.AsyncClient(reconnection=False)
        sio.on("bot_uttered", lambda data: got.append(data.get("text", "")))
        sio.on("session_confirm", lambda token: confirmed.done() or confirmed.set_result(token))
        await sio.connect(two_workers.rasa_url, socketio_path="/socket.io", transports=["websocket"])
        try:
            await sio.emit("session_request", {})
            token = await asyncio.wait_for(confirmed, 30)
            session_id = token.split(".")[0]
            await sio.emit("user_uttered", {"message": "hello", "session": token})
            for _ in range(600):
                if got:
                    break
                await asyncio.sleep(0.1)
            got.clear()
            loop = asyncio.get_running_loop()
            for i in range(AGENT_MESSAGES):
                await loop.run_in_executor(None, _agent_says, two_workers, session_id, "webchat", f"agent {i}")
            for _ in range(100):
                if len(got) >= AGENT_MESSAGES:
                    break
                await asyncio.sleep(0.1)
            return got
        finally:
            await sio.disconnect()

    assert asyncio.run(visit()) == [f"agent {i}" for i in range(AGENT_MESSAGES)]


def test_a_rest_caller_fetches_every_agent_message_whichever_process_kept_it(two_workers: Stack):
    sender = f"rest-{uuid.uuid4().hex[:12]}"
    assert two_workers.say(sender, "hello")
    for i in range(AGENT_MESSAGES):
        _agent_says(two_workers, sender, "rest", f"agent {i}")
    got: list[str] = []
    after = 0
    for _ in range(4):  # each fetch on a new connection: any process answers
        messages = httpx.get(
            f"{two_workers.rasa_url}/webhooks/rest/messages", params={"sender": sender, "after": after}
        ).json()["messages"]
        got += [m["text"] for m in messages if m["id"] > after]
        after = max([after, *(m["id"] for m in messages)])

    assert got == [f"agent {i}" for i in range(AGENT_MESSAGES)]
    assert httpx.get(f"{two_workers.rasa_url}/webhooks/rest/listening", params={"sender": sender}).json()["listening"]
