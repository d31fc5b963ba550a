"""The supervisor behind `crmbot run`: crashed children are reported and restarted, then left stopped."""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading

from bot.ingest_cli import heartbeat_check
from bot.supervisor import Child, Supervisor
from crm_store.ingestion.spool import STATUS


def run_keeping_signal_handlers(supervisor: Supervisor) -> int:
    """Supervisor.run installs SIGINT/SIGTERM handlers; give pytest its own back afterwards."""
    handlers = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    try:
        return supervisor.run("all up", ready_timeout=10)
    finally:
        signal.signal(signal.SIGINT, handlers[0])
        signal.signal(signal.SIGTERM, handlers[1])


def test_a_crashing_child_is_reported_restarted_and_finally_left_stopped_while_the_others_serve(tmp_path):
    said: list[str] = []
    crasher = Child("flaky worker", [sys.executable, "-c", "import time; time.sleep(1.5); raise SystemExit(3)"], None)
    steady = Child("steady worker", [sys.executable, "-c", "import time; time.sleep(60)"], None)
    supervisor = Supervisor([steady, crasher], cwd=str(tmp_path), say=said.append, max_restarts=1)
    gave_up = "flaky worker crashed (exit code 3) 2 times in 5 minutes; leaving it stopped, steady worker go on"
    alive_after: list[bool] = []

    def watch() -> None:
        while gave_up not in said:
            threading.Event().wait(0.2)
        alive_after.append(steady.process is not None and steady.process.poll() is None)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=watch, daemon=True).start()
    code = run_for(supervisor, 60)

    assert "all up" in said
    assert "flaky worker crashed (exit code 3); restarting it (1/1)" in said
    assert gave_up in said and not [s for s in said if "stopping everything" in s]
    assert alive_after == [True]  # the others kept serving
    assert code == 0  # stopped by Ctrl-C, not by the crashes


def test_a_child_that_dies_while_starting_stops_the_start(tmp_path):
    said: list[str] = []
    broken = Child("broken server", [sys.executable, "-c", "raise SystemExit(2)"], "http://127.0.0.1:9/health")
    supervisor = Supervisor([broken], cwd=str(tmp_path), say=said.append)
    code = run_keeping_signal_handlers(supervisor)

    assert code == 1
    assert "broken server exited with code 2 while starting; stopping everything" in said
    assert "all up" not in said


def run_for(supervisor: Supervisor, seconds: float) -> int:
    """Run, and send ourselves Ctrl-C after `seconds` (also ends a supervisor that would never stop)."""
    timer = threading.Timer(seconds, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        return run_keeping_signal_handlers(supervisor)
    finally:
        timer.cancel()


HANGS_AFTER_TWO_SECONDS = """
import http.server, os, signal, sys, threading
class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Health)
server.allow_reuse_address = True
threading.Timer(2, lambda: os.kill(os.getpid(), signal.SIGSTOP)).start()  # alive, but answers nothing
server.serve_forever()
"""


def test_a_hung_child_is_restarted_like_a_crashed_one(tmp_path):
    said: list[str] = []
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/health"
    hanger = Child("hanging server", [sys.executable, "-c", HANGS_AFTER_TWO_SECONDS, str(port)], url)
    supervisor = Supervisor([hanger], cwd=str(tmp_path), say=said.append, max_restarts=1, hang_seconds=2)

    code = run_for(supervisor, 60)

    assert code == 1
    assert any(
        s.startswith(f"hanging server hung (no answer from {url} for ") and s.endswith("restarting it (1/1)")
        for s in said
    ), said
    assert said[-1].startswith("hanging server hung") and said[-1].endswith("2 times in 5 minutes; stopping everything")


def test_a_clean_exit_is_not_a_crash(tmp_path):
    said: list[str] = []
    finisher = Child("batch worker", [sys.executable, "-c", "import time; time.sleep(1.2)"], None)
    supervisor = Supervisor([finisher], cwd=str(tmp_path), say=said.append, max_restarts=1)

    code = run_for(supervisor, 6)

    assert code == 0
    assert said.count("batch worker exited cleanly; starting it again") >= 2
    assert not [s for s in said if "crashed" in s or "stopping everything" in s]


WORKER_DIES_AFTER_TWO_SECONDS = """
import json, os, sys, time
status = sys.argv[1]
for _ in range(4):  # the ingestion thread beats for two seconds, then dies; the process lives on
    with open(status, "w") as fh:
        json.dump({"pid": os.getpid(), "heartbeat": time.time(), "state": "running"}, fh)
    time.sleep(0.5)
time.sleep(600)
"""


def test_a_dead_ingestion_worker_makes_its_process_unhealthy(tmp_path):
    said: list[str] = []
    host = Child(
        "rasa server",
        [sys.executable, "-c", WORKER_DIES_AFTER_TWO_SECONDS, str(tmp_path / STATUS)],
        None,
        check=heartbeat_check(tmp_path, STATUS, max_age=1.5),
    )
    supervisor = Supervisor([host], cwd=str(tmp_path), say=said.append, max_restarts=1, hang_seconds=1)

    code = run_for(supervisor, 60)

    assert code == 1
    assert any(s.startswith("rasa server hung (its CRM ingestion worker has been silent for") for s in said), said
