"""Supervision that degrades: dependencies down are waited for, busy is not hung. The real
supervisor, real child processes; RabbitMQ taken away with a TCP relay in front of the real one."""

from __future__ import annotations

import asyncio
import socket
import sys
import threading
import time
import uuid

import pytest
from sqlalchemy import select

from bot.supervisor import Child, Supervisor, python_module
from crm_store.db import make_engine, migrate
from crm_store.ingestion.rabbit import ConfirmedPublisher, Topology
from crm_store.models import Message
from crm_store.settings import PROJECT_ROOT
from tests.support.db import require_service
from tests.support.events import unique_sender, user_uttered
from tests.support.tcp_proxy import TcpProxy
from tests.support.webchat_server import free_port

RABBIT = "amqp://guest:guest@127.0.0.1:5672/"


class Watched:
    """A supervisor running in a thread, with what it said."""

    def __init__(self, supervisor: Supervisor) -> None:
        self.supervisor = supervisor
        self.said: list[str] = []
        supervisor.say = self.said.append
        self.code: int | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        self.code = self.supervisor.run("all up", ready_timeout=60)

    def __enter__(self) -> Watched:
        import signal

        # Supervisor.run installs signal handlers, which only the main thread may: make that a no-op here.
        self._signal, signal.signal = signal.signal, lambda *a: None
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        import signal

        self.supervisor._stopping = True
        self.thread.join(60)
        signal.signal = self._signal

    def wait_for(self, predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while not predicate():
            assert self.thread.is_alive(), f"the supervisor stopped: {self.said}"
            assert time.monotonic() < deadline, f"{what} did not happen: {self.said}"
            time.sleep(0.2)


def test_a_child_that_waits_for_a_dependency_is_restarted_without_ever_stopping_the_stack(tmp_path):
    waiter = Child("crm ingestion", [sys.executable, "-c", "raise SystemExit(75)"], None)
    with Watched(Supervisor([waiter], cwd=str(tmp_path), max_restarts=1)) as watched:
        watched.wait_for(lambda: sum("waiting for a dependency" in s for s in watched.said) >= 3, 30, "three back-offs")

    assert not [s for s in watched.said if "stopping everything" in s or "crashed" in s]
    delays = [int(s.split("again in ")[1].split(" ")[0]) for s in watched.said if "waiting for a dependency" in s]
    assert delays[:3] == [1, 2, 4]


BUSY_CHILD = """
import http.server, sys, threading, time
from pathlib import Path
from bot.heartbeat import write_beat
port, var, beat = int(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] == "beat"

class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *args):
        pass

server = http.server.HTTPServer(("127.0.0.1", port), Health)
threading.Thread(target=server.serve_forever, daemon=True).start()
started = time.monotonic()
while True:
    if server and time.monotonic() - started > 3:
        # Still listening, answering nothing: like a loop busy with a hundred customers.
        server.shutdown(); server = None
    if beat:
        write_beat(var, "busy")
    time.sleep(0.5)
"""


def test_a_busy_child_whose_loop_beats_is_not_restarted(tmp_path):
    var = tmp_path / "var"
    children = []
    for name, beat in (("beating server", "beat"), ("silent server", "none")):
        port = free_port()
        children.append(
            Child(
                name,
                [sys.executable, "-c", BUSY_CHILD, str(port), str(var), beat],
                f"http://127.0.0.1:{port}/health",
                heartbeat="busy" if beat == "beat" else None,
                var_path=var,
            )
        )
    supervisor = Supervisor(children, cwd=str(PROJECT_ROOT), max_restarts=5, hang_seconds=2)
    with Watched(supervisor) as watched:
        # The HTTP-only twin, just as unanswering, is restarted as hung: the beat is what tells them apart.
        watched.wait_for(
            lambda: any(s.startswith("silent server hung") for s in watched.said), 60, "the silent one's restart"
        )

    assert not [s for s in watched.said if s.startswith("beating server") and ("hung" in s or "not healthy" in s)]


def reachable(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_rabbitmq_down_for_longer_than_the_hang_limit_degrades_and_nothing_is_lost(tmp_path):
    require_service(reachable(5672), "RabbitMQ at 127.0.0.1:5672")
    name = f"crm-fault-{uuid.uuid4().hex[:8]}"
    topology = Topology(f"{name}.events", name)
    database = f"sqlite:///{tmp_path / 'crm.db'}"
    migrate(make_engine(database))
    proxy = TcpProxy(5672).up()
    env = {
        "DATABASE_URL": database,
        "VAR_DIR": str(tmp_path / "var"),
        "EVENT_QUEUE": name,
        "EVENT_BROKER_URL": f"amqp://guest:guest@127.0.0.1:{proxy.port}/",
        "PYTHONWARNINGS": "ignore",
    }
    from bot.cli import ingestion_check, ingestion_degraded
    from crm_store.settings import load_settings

    settings = load_settings(env)
    consumer = Child(
        "crm ingestion",
        python_module("bot.cli", "ingest"),
        None,
        env,
        check=ingestion_check(settings, "consumer"),
        degraded_check=ingestion_degraded(settings, "consumer"),
    )
    sender = unique_sender("fault")
    try:
        with Watched(Supervisor([consumer], cwd=str(PROJECT_ROOT), max_restarts=1, hang_seconds=3)) as watched:
            watched.wait_for(lambda: "all up" in watched.said, 60, "start")
            first_pid = consumer.pid
            proxy.down()
            watched.wait_for(lambda: any("is degraded" in s for s in watched.said), 60, "degraded")
            # Published while the consumer cannot reach RabbitMQ: it waits in the queue.
            publisher = ConfirmedPublisher(RABBIT, topology)
            publisher(user_uttered(sender, "is my parcel lost?", ts=1_800_000_000))
            publisher.close()
            time.sleep(0)  # nothing to wait for: the check below is on what comes back
            proxy.up()
            engine = make_engine(database)

            def stored() -> bool:
                with engine.connect() as conn:
                    return (
                        conn.execute(select(Message.text).where(Message.text == "is my parcel lost?")).first()
                        is not None
                    )

            watched.wait_for(stored, 90, "the message queued during the outage reaching the CRM")
            watched.wait_for(lambda: any("no longer degraded" in s for s in watched.said), 30, "recovery")
        assert consumer.pid == first_pid or consumer.pid is None
        assert not [s for s in watched.said if "hung" in s or "crashed" in s or "stopping everything" in s], (
            watched.said
        )
    finally:
        proxy.close()
        asyncio.run(topology.remove(RABBIT))


def test_the_console_waits_for_a_postgresql_that_is_down_and_comes_up_when_it_is_back(tmp_path):
    from tests.support.db import POSTGRES_URL, postgres_available, postgres_schema

    if not postgres_available():
        pytest.skip("PostgreSQL is not reachable")
    with postgres_schema() as (engine, schema):
        migrate(engine)
        proxy = TcpProxy(5432)  # not listening yet: PostgreSQL is "down" when the console starts
        port = free_port()
        base = POSTGRES_URL.rsplit("@", 1)[0]
        database = f"{base}@127.0.0.1:{proxy.port}/test?options=-csearch_path%3D{schema}"
        env = {
            "DATABASE_URL": database,
            "VAR_DIR": str(tmp_path / "var"),
            "CONSOLE_PORT": str(port),
            "CONSOLE_DEMO_USERS": "false",
            "CONSOLE_SECRET": "test-only",
            "PYTHONWARNINGS": "ignore",
        }
        console = Child(
            "agent console",
            python_module("bot.cli", "console"),
            f"http://127.0.0.1:{port}/health",
            env,
            heartbeat="console",
            var_path=tmp_path / "var",
        )
        try:
            with Watched(Supervisor([console], cwd=str(PROJECT_ROOT), max_restarts=1, hang_seconds=3)) as watched:
                watched.wait_for(
                    lambda: any("agent console is degraded: waiting for the CRM database" in s for s in watched.said),
                    60,
                    "degraded",
                )
                proxy.up()
                watched.wait_for(lambda: "all up" in watched.said, 90, "the console coming up")
                import httpx

                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).json()
            assert health["parts"]["console"]["state"] == "ok"
            assert not [s for s in watched.said if "hung" in s or "crashed" in s or "stopping everything" in s], (
                watched.said
            )
        finally:
            proxy.close()
