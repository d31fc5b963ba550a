"""Run the Rasa server and the action server as one supervised command.

One Ctrl-C (or SIGTERM) stops every child. A child that crashes (a non-zero
exit) or hangs is reported, stopped and restarted, at most `max_restarts`
times in five minutes. A child that fails too often is left stopped while the
others keep serving (the console still shows the queue); only when none is left
does the supervisor exit non-zero. What is not a crash, and never counts:
- a clean exit (code 0): the child is started again;
- a dependency that is down: the child waits for it itself and beats "degraded"
  (bot/dependencies.py), or exits with EX_TEMPFAIL (75) and is started again after
  a back-off;
- being busy: a child with a heartbeat (bot/heartbeat.py) is alive while its event
  loop beats, however slowly its HTTP health answers under load.
A hung child is asked to stop (SIGTERM: servers finish the turns in flight) and
given DRAIN_SECONDS before it is killed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

RESTART_WINDOW = 300.0
CHECK_EVERY = 2.0
EX_TEMPFAIL = 75
# A loop's beat comes late by its lag. Measured with bench/load.py on a 2-core machine that other
# work kept at load 13-15: worst 0.7 s with ten customers, 9.8 s with a hundred (docs/operating.md).
# Three times the worst seen before a beat counts as missing.
BEAT_STALE = 30.0
DRAIN_SECONDS = 20.0  # Sanic's graceful shutdown waits 15 s for requests in flight
MAX_TEMPFAIL_WAIT = 30.0


@dataclass
class Child:
    name: str
    cmd: list[str]
    health_url: str | None  # None: up once it has run for a second
    env: dict[str, str] = field(default_factory=dict)
    # More than "it answers": returns a problem in words, or None (e.g. the ingestion worker's heartbeat).
    check: Callable[[Child], str | None] | None = None
    # The name its process beats under in VAR_DIR/health (None: judged by health_url alone).
    heartbeat: str | None = None
    var_path: Path | None = None
    # Why it is degraded (a dependency down) though alive, e.g. its ingestion worker waiting for RabbitMQ.
    degraded_check: Callable[[Child], str | None] | None = None
    process: subprocess.Popen | None = None
    restarts: list[float] = field(default_factory=list)
    ready: bool = False
    unhealthy_since: float | None = None
    tempfails: int = 0
    not_before: float = 0.0
    given_up: bool = False  # failed for its own reasons too often: left stopped while the others serve
    # Processes that beat under `heartbeat` as its workers (`rasa.<pid>`, bot.heartbeat.worker_beat_name):
    # Rasa with RASA_WORKERS. Alive while every one of them beats; one silent is a hang of the whole child.
    workers: int = 1
    said_degraded: str | None = None

    def start(self, cwd: str) -> None:
        env = {**os.environ, **self.env}
        self.process = subprocess.Popen(self.cmd, cwd=cwd, env=env, start_new_session=True)
        self._started = time.monotonic()
        self.ready = False
        self.unhealthy_since = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def healthy(self) -> bool:
        return self.problem() is None

    def problem(self) -> str | None:
        """Why the child is not healthy now, or None."""
        if self.process is None or self.process.poll() is not None:
            return "not running"
        beat = self.beat()
        if beat is not None:
            # Alive while its loop beats; its HTTP answer is not asked, load must not look like a hang.
            if beat.get("lost"):
                return f"{beat['lost']} of its {self.workers} worker processes stopped beating"
            age = time.time() - float(beat.get("at") or 0)
            if age > BEAT_STALE:
                return f"its event loop has not beaten for {age:.0f} s"
            if beat.get("degraded") or self.ready:
                return self.check(self) if self.check is not None else None
        if self.health_url is None:
            if time.monotonic() - self._started <= 1:
                return "starting"
        else:
            try:
                with urllib.request.urlopen(self.health_url, timeout=2) as resp:
                    if resp.status >= 500:
                        return f"{self.health_url} answered {resp.status}"
            except OSError:
                return f"no answer from {self.health_url}"
        return self.check(self) if self.check is not None else None

    def beat(self) -> dict | None:
        """This process's latest heartbeat, if it beats; with workers, the stalest of theirs once all beat."""
        if self.heartbeat is None or self.var_path is None or self.process is None:
            return None
        from bot.heartbeat import read_beat, worker_beats

        if self.workers > 1:
            beats = worker_beats(self.var_path, self.heartbeat, self.process.pid)
            if len(beats) < self.workers:
                # Still starting (judged by health_url), or a worker died: its beat file ages, then goes.
                return None if not self.ready else {"at": 0.0, "lost": self.workers - len(beats)}
            stalest = min(beats, key=lambda b: float(b.get("at") or 0))
            degraded = next((b["degraded"] for b in beats if b.get("degraded")), None)
            return {**stalest, "degraded": degraded}
        beat = read_beat(self.var_path, self.heartbeat)
        return beat if beat is not None and beat.get("pid") == self.process.pid else None

    def degraded(self) -> str | None:
        """Why the child, alive, cannot do all its work now (a dependency down), or None."""
        beat = self.beat()
        if beat is not None and beat.get("degraded"):
            return str(beat["degraded"])
        return self.degraded_check(self) if self.degraded_check is not None else None

    def stop(self, timeout: float = 15.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


class Supervisor:
    def __init__(
        self,
        children: list[Child],
        cwd: str,
        say: Callable[[str], None] = print,
        max_restarts: int = 3,
        hang_seconds: float = 60.0,
        start_seconds: float = 300.0,
    ) -> None:
        self.children = children
        self.cwd = cwd
        self.say = say
        self.max_restarts = max_restarts
        self.hang_seconds = hang_seconds
        self.start_seconds = start_seconds  # a restarted child has this long to become healthy
        self._stopping = False

    def run(self, ready_banner: str, ready_timeout: float = 300.0) -> int:
        self.start_seconds = ready_timeout
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        for child in self.children:
            self.say(f"starting {child.name}")
            child.start(self.cwd)
        try:
            if not self._wait_ready(ready_timeout):
                return 1
            self.say(ready_banner)
            return self._watch()
        finally:
            self.stop()

    def stop(self) -> None:
        self._stopping = True
        for child in reversed(self.children):
            child.stop()

    def _on_signal(self, signum: int, _frame: object) -> None:
        if not self._stopping:
            self.say("stopping…")
        self._stopping = True

    def _wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        pending = list(self.children)
        while pending and not self._stopping:
            for child in list(pending):
                if child.process and child.process.poll() == EX_TEMPFAIL:
                    self._start_after_back_off(child)
                    deadline = max(deadline, time.monotonic() + timeout)
                    continue
                if child.process and child.process.poll() is not None:
                    self.say(
                        f"{child.name} exited with code {child.process.returncode} while starting; stopping everything"
                    )
                    return False
                degraded = child.degraded()
                if degraded and child.problem() is None:
                    if degraded != child.said_degraded:
                        self.say(f"{child.name} is degraded: {degraded}")
                        child.said_degraded = degraded
                    deadline = max(
                        deadline, time.monotonic() + timeout
                    )  # waiting for a dependency is not a failed start
                    continue
                if child.healthy():
                    self.say(f"{child.name} is up" + (f" ({child.health_url})" if child.health_url else ""))
                    child.ready, child.said_degraded = True, None
                    pending.remove(child)
            if time.monotonic() > deadline:
                self.say(f"timed out waiting for {', '.join(c.name for c in pending)}")
                return False
            time.sleep(0.5)
        return not self._stopping

    def _watch(self) -> int:
        last_check = time.monotonic()
        while not self._stopping:
            check_now = time.monotonic() - last_check >= CHECK_EVERY
            if check_now:
                last_check = time.monotonic()
            for child in self.children:
                if self._stopping:
                    break
                if child.given_up:
                    continue
                code = child.process.poll() if child.process else 0
                if code is None:
                    what = self._hung(child) if check_now else None
                    if check_now and what is None:
                        self._report_degraded(child)
                    if what is None:
                        continue
                    child.stop(timeout=DRAIN_SECONDS)  # SIGTERM first: turns in flight finish
                elif code == EX_TEMPFAIL:
                    self._start_after_back_off(child)
                    continue
                elif code == 0:
                    self.say(f"{child.name} exited cleanly; starting it again")
                    child.start(self.cwd)
                    continue
                else:
                    what = f"crashed (exit code {code})"
                if not self._count_restart(child, what):
                    child.given_up = True
                    if all(c.given_up for c in self.children):
                        return 1
                    continue
                child.start(self.cwd)
            time.sleep(0.5)
        return 0

    def _start_after_back_off(self, child: Child) -> None:
        """A child that exited because a dependency is down: start it again later, no crash counted."""
        now = time.monotonic()
        if child.not_before == 0.0:
            delay = min(MAX_TEMPFAIL_WAIT, 2.0**child.tempfails)
            child.tempfails += 1
            child.not_before = now + delay
            self.say(f"{child.name} is waiting for a dependency; starting it again in {delay:.0f} s")
        if now >= child.not_before:
            child.not_before = 0.0
            child.start(self.cwd)

    def _report_degraded(self, child: Child) -> None:
        degraded = child.degraded()
        if degraded != child.said_degraded:
            self.say(f"{child.name} is degraded: {degraded}" if degraded else f"{child.name} is no longer degraded")
            child.said_degraded = degraded

    def _count_restart(self, child: Child, what: str) -> bool:
        now = time.monotonic()
        child.restarts = [t for t in child.restarts if now - t < RESTART_WINDOW] + [now]
        if len(child.restarts) > self.max_restarts:
            others = [c for c in self.children if c is not child and not c.given_up]
            if others:
                # The rest keep serving what they can: the console still shows the queue without Rasa.
                self.say(
                    f"{child.name} {what} {len(child.restarts)} times in 5 minutes; leaving it stopped, "
                    f"{', '.join(c.name for c in others)} go on"
                )
            else:
                self.say(f"{child.name} {what} {len(child.restarts)} times in 5 minutes; stopping everything")
            return False
        self.say(f"{child.name} {what}; restarting it ({len(child.restarts)}/{self.max_restarts})")
        return True

    def _hung(self, child: Child) -> str | None:
        """A reason to restart a running child: unhealthy for hang_seconds, or never healthy after a restart."""
        problem = child.problem()
        now = time.monotonic()
        if problem is None:
            if child.degraded() and not child.ready:
                return None  # alive and waiting for a dependency: neither up nor hung
            if not child.ready:
                self.say(f"{child.name} is up again")
            child.ready, child.unhealthy_since, child.tempfails = True, None, 0
            return None
        if not child.ready:
            waited = now - child._started
            return (
                f"hung (not healthy {waited:.0f} s after its start: {problem})" if waited > self.start_seconds else None
            )
        if child.unhealthy_since is None:
            child.unhealthy_since = now
            self.say(f"{child.name} is not healthy: {problem}")
        if now - child.unhealthy_since >= self.hang_seconds:
            return f"hung ({problem} for {now - child.unhealthy_since:.0f} s)"
        return None


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]
