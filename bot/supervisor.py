"""Run the Rasa server and the action server as one supervised command.

One Ctrl-C (or SIGTERM) stops every child. A child that crashes (a non-zero
exit) or hangs (no answer on its health URL, or its own health check failing,
for `hang_seconds`) is reported, stopped and restarted, at most `max_restarts`
times in five minutes; then the whole system stops with a non-zero exit instead
of limping on half dead. A clean exit (code 0) is not a crash: the child is
started again without counting against it.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Callable

RESTART_WINDOW = 300.0
CHECK_EVERY = 2.0


@dataclass
class Child:
    name: str
    cmd: list[str]
    health_url: str | None  # None: up once it has run for a second
    env: dict[str, str] = field(default_factory=dict)
    # More than "it answers": returns a problem in words, or None (e.g. the ingestion worker's heartbeat).
    check: Callable[[Child], str | None] | None = None
    process: subprocess.Popen | None = None
    restarts: list[float] = field(default_factory=list)
    ready: bool = False
    unhealthy_since: float | None = None

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
    def __init__(self, children: list[Child], cwd: str, say: Callable[[str], None] = print, max_restarts: int = 3,
                 hang_seconds: float = 60.0, start_seconds: float = 300.0) -> None:
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
                if child.process and child.process.poll() is not None:
                    self.say(f"{child.name} exited with code {child.process.returncode} while starting; stopping everything")
                    return False
                if child.healthy():
                    self.say(f"{child.name} is up" + (f" ({child.health_url})" if child.health_url else ""))
                    child.ready = True
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
                code = child.process.poll() if child.process else 0
                if code is None:
                    what = self._hung(child) if check_now else None
                    if what is None:
                        continue
                    child.stop(timeout=5)  # a hung child may not heed SIGTERM
                elif code == 0:
                    self.say(f"{child.name} exited cleanly; starting it again")
                    child.start(self.cwd)
                    continue
                else:
                    what = f"crashed (exit code {code})"
                if not self._count_restart(child, what):
                    return 1
                child.start(self.cwd)
            time.sleep(0.5)
        return 0

    def _count_restart(self, child: Child, what: str) -> bool:
        now = time.monotonic()
        child.restarts = [t for t in child.restarts if now - t < RESTART_WINDOW] + [now]
        if len(child.restarts) > self.max_restarts:
            self.say(f"{child.name} {what} {len(child.restarts)} times in 5 minutes; stopping everything")
            return False
        self.say(f"{child.name} {what}; restarting it ({len(child.restarts)}/{self.max_restarts})")
        return True

    def _hung(self, child: Child) -> str | None:
        """A reason to restart a running child: unhealthy for hang_seconds, or never healthy after a restart."""
        problem = child.problem()
        now = time.monotonic()
        if problem is None:
            if not child.ready:
                self.say(f"{child.name} is up again")
            child.ready, child.unhealthy_since = True, None
            return None
        if not child.ready:
            waited = now - child._started
            return f"hung (not healthy {waited:.0f} s after its start: {problem})" if waited > self.start_seconds else None
        if child.unhealthy_since is None:
            child.unhealthy_since = now
            self.say(f"{child.name} is not healthy: {problem}")
        if now - child.unhealthy_since >= self.hang_seconds:
            return f"hung ({problem} for {now - child.unhealthy_since:.0f} s)"
        return None


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]
