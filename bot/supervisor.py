"""Run the Rasa server and the action server as one supervised command.

One Ctrl-C (or SIGTERM) stops every child. A child that dies on its own is
reported and restarted, at most `max_restarts` times in five minutes; then the
whole system stops with a non-zero exit instead of limping on half dead.
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


@dataclass
class Child:
    name: str
    cmd: list[str]
    health_url: str | None  # None: up once it has run for a second
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None
    restarts: list[float] = field(default_factory=list)

    def start(self, cwd: str) -> None:
        env = {**os.environ, **self.env}
        self.process = subprocess.Popen(self.cmd, cwd=cwd, env=env, start_new_session=True)
        self._started = time.monotonic()

    def healthy(self) -> bool:
        if self.health_url is None:
            return self.process is not None and self.process.poll() is None and time.monotonic() - self._started > 1
        try:
            with urllib.request.urlopen(self.health_url, timeout=2) as resp:
                return resp.status < 500
        except OSError:
            return False

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
    def __init__(self, children: list[Child], cwd: str, say: Callable[[str], None] = print, max_restarts: int = 3) -> None:
        self.children = children
        self.cwd = cwd
        self.say = say
        self.max_restarts = max_restarts
        self._stopping = False

    def run(self, ready_banner: str, ready_timeout: float = 300.0) -> int:
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
                    pending.remove(child)
            if time.monotonic() > deadline:
                self.say(f"timed out waiting for {', '.join(c.name for c in pending)}")
                return False
            time.sleep(0.5)
        return not self._stopping

    def _watch(self) -> int:
        while not self._stopping:
            for child in self.children:
                code = child.process.poll() if child.process else 0
                if code is None or self._stopping:
                    continue
                now = time.monotonic()
                child.restarts = [t for t in child.restarts if now - t < RESTART_WINDOW] + [now]
                if len(child.restarts) > self.max_restarts:
                    self.say(f"{child.name} crashed (exit code {code}) {len(child.restarts)} times in 5 minutes; stopping everything")
                    return 1
                self.say(f"{child.name} crashed (exit code {code}); restarting it ({len(child.restarts)}/{self.max_restarts})")
                child.start(self.cwd)
            time.sleep(0.5)
        return 0


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]
