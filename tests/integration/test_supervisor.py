"""The supervisor behind `crmbot run`: crashed children are reported and restarted, then it gives up."""
from __future__ import annotations

import signal
import sys

from bot.supervisor import Child, Supervisor


def run_keeping_signal_handlers(supervisor: Supervisor) -> int:
    """Supervisor.run installs SIGINT/SIGTERM handlers; give pytest its own back afterwards."""
    handlers = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    try:
        return supervisor.run("all up", ready_timeout=10)
    finally:
        signal.signal(signal.SIGINT, handlers[0])
        signal.signal(signal.SIGTERM, handlers[1])


def test_a_crashing_child_is_reported_restarted_and_finally_stops_everything(tmp_path):
    said: list[str] = []
    crasher = Child("flaky worker", [sys.executable, "-c", "import time; time.sleep(1.5); raise SystemExit(3)"], None)
    steady = Child("steady worker", [sys.executable, "-c", "import time; time.sleep(60)"], None)
    supervisor = Supervisor([steady, crasher], cwd=str(tmp_path), say=said.append, max_restarts=1)
    code = run_keeping_signal_handlers(supervisor)

    assert code == 1
    assert "all up" in said
    assert "flaky worker crashed (exit code 3); restarting it (1/1)" in said
    assert said[-1] == "flaky worker crashed (exit code 3) 2 times in 5 minutes; stopping everything"
    assert steady.process is not None and steady.process.poll() is not None  # stopped with the rest


def test_a_child_that_dies_while_starting_stops_the_start(tmp_path):
    said: list[str] = []
    broken = Child("broken server", [sys.executable, "-c", "raise SystemExit(2)"], "http://127.0.0.1:9/health")
    supervisor = Supervisor([broken], cwd=str(tmp_path), say=said.append)
    code = run_keeping_signal_handlers(supervisor)

    assert code == 1
    assert "broken server exited with code 2 while starting; stopping everything" in said
    assert "all up" not in said
