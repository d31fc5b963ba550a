"""Several Rasa worker processes on one port (RASA_WORKERS): what each shares with the others.

The lock (Redis), the spool (several appenders, one deliverer), a REST caller's outbox (Redis)
and the supervisor's view of them: one worker that stops beating is a hang, however well the
others beat. The web chat across processes is in tests/e2e/test_rasa_workers_stack.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid

import pytest

import bot.supervisor
from bot.channels.rest_outbox import Outbox, outbox_for
from bot.heartbeat import worker_beats
from bot.supervisor import Child
from crm_store.db import make_engine, migrate
from crm_store.ingestion.spool import EventSink, SpoolBusy
from crm_store.settings import PROJECT_ROOT, Settings, SettingsError, load_settings
from tests.support.db import require_service
from tests.support.events import unique_sender, user_uttered
from tests.support.queries import messages_of

REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/9")


def _redis_up() -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", 6379)) == 0


def test_more_than_one_worker_needs_a_shared_lock_and_the_separate_spool_worker():
    with pytest.raises(SettingsError, match="RASA_WORKERS=2 needs LOCK_STORE_URL"):
        load_settings({"RASA_WORKERS": "2"})
    with pytest.raises(SettingsError, match="INGEST_WORKER=process"):
        load_settings({"RASA_WORKERS": "2", "LOCK_STORE_URL": REDIS, "INGEST_WORKER": "thread"})
    with pytest.raises(SettingsError, match="TELEGRAM_MODE=webhook"):
        load_settings(
            {"RASA_WORKERS": "2", "LOCK_STORE_URL": REDIS, "TELEGRAM_TOKEN": "1:x", "TELEGRAM_MODE": "polling"}
        )
    assert load_settings({"RASA_WORKERS": "2", "LOCK_STORE_URL": REDIS}).rasa_workers == 2
    assert load_settings({}).rasa_workers == 1


def test_two_rasa_processes_append_to_one_spool_and_one_worker_delivers_each_senders_events_in_order(tmp_path):
    """Each Rasa worker appends (role "writer"); a turn of one sender runs in one of them at a time."""
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    engine = make_engine(url)
    migrate(engine)
    var = tmp_path / "var"
    writers = [EventSink(None, var, role="writer"), EventSink(None, var, role="writer")]
    for writer in writers:
        writer.start()  # refused as busy before: one writer per spool
    with pytest.raises(SpoolBusy):  # the in-Rasa deliverer (INGEST_WORKER=thread) still wants the spool alone
        EventSink(None, var, deliver=lambda e: True).start()
    senders = [unique_sender() for _ in range(4)]
    env = {
        **{k: v for k, v in os.environ.items() if k != "EVENT_BROKER_URL"},
        "DATABASE_URL": url,
        "VAR_DIR": str(var),
        "LOG_LEVEL": "WARNING",
    }
    worker = subprocess.Popen([sys.executable, "-m", "bot.cli", "ingest", "spool"], cwd=PROJECT_ROOT, env=env)

    def turns(sender: str) -> None:
        # The sender's turns alternate between the two processes, as a load balancer would send them.
        for i in range(30):
            writers[i % 2].put(user_uttered(sender, f"message {i}", intent="greet", ts=1_800_000_000 + i))

    try:
        threads = [threading.Thread(target=turns, args=(sender,)) for sender in senders]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and any(len(messages_of(engine, s)) < 30 for s in senders):
            time.sleep(0.2)

        for sender in senders:
            assert [m["text"] for m in messages_of(engine, sender)] == [f"message {i}" for i in range(30)]
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
        for writer in writers:
            writer.stop()
        engine.dispose()


def test_a_rest_callers_outbox_is_shared_by_the_worker_processes():
    """The console's call reaches one process, the caller's fetch another: both see one box."""
    require_service(_redis_up(), "Redis at 127.0.0.1:6379")
    settings = Settings(lock_store_url=REDIS, rasa_workers=2)
    one, other = outbox_for(settings), outbox_for(settings)
    sender = f"rest-{uuid.uuid4().hex[:12]}"

    assert not other.listening(sender)
    one.put(sender, {"text": "An agent has joined."})
    one.put(sender, {"text": "Hi, this is Ana.", "sender": {"name": "Ana"}})
    got = other.fetch(sender)

    assert [m["text"] for m in got] == ["An agent has joined.", "Hi, this is Ana."]
    assert one.listening(sender)
    assert [m["text"] for m in one.fetch(sender, after=got[0]["id"])] == ["Hi, this is Ana."]
    assert other.fetch(sender, after=got[1]["id"]) == []
    assert isinstance(outbox_for(Settings()), Outbox)  # one process: in its memory, as before


WORKERS = """
import multiprocessing, os, sys, time
from pathlib import Path
from bot.heartbeat import worker_beat_name, write_beat

var = Path(sys.argv[1])

def work():
    while True:
        write_beat(var, worker_beat_name("rasa", os.getpid()))
        time.sleep(0.2)

workers = [multiprocessing.get_context("fork").Process(target=work, daemon=True) for _ in range(2)]
for w in workers:
    w.start()
for w in workers:
    w.join()
"""


def test_one_silent_worker_makes_the_rasa_server_unhealthy_while_the_other_beats(tmp_path, monkeypatch):
    monkeypatch.setattr(bot.supervisor, "BEAT_STALE", 1.5)
    rasa = Child(
        "rasa server",
        [sys.executable, "-c", WORKERS, str(tmp_path)],
        None,
        heartbeat="rasa",
        var_path=tmp_path,
        workers=2,
    )
    rasa.start(str(PROJECT_ROOT))
    try:
        deadline = time.monotonic() + 30
        while len(worker_beats(tmp_path, "rasa", rasa.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.1)
        rasa.ready = True
        assert rasa.problem() is None

        stuck = worker_beats(tmp_path, "rasa", rasa.pid)[0]["pid"]
        os.kill(stuck, signal.SIGSTOP)  # a worker whose loop no longer runs
        time.sleep(2.5)

        assert rasa.problem() is not None and "has not beaten" in rasa.problem()
        assert json.loads((tmp_path / "health" / f"rasa.{stuck}.json").read_text())["ppid"] == rasa.pid
    finally:
        pids = [beat["pid"] for beat in worker_beats(tmp_path, "rasa", rasa.pid)]
        rasa.stop(timeout=5)
        for pid in pids:  # forked children outlive a killed parent, the stopped one above all
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
