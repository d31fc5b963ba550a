"""The whole system, started the way a user starts it (`crmbot run`), on free ports
and a throw-away SQLite CRM; the trained project model is shared via models/."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from sqlalchemy.engine import Engine

from crm_store.db import make_engine
from crm_store.settings import PROJECT_ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Stack:
    rasa_url: str
    env: dict[str, str]
    engine: Engine
    process: subprocess.Popen
    log_path: Path
    console_url: str = ""

    def say(self, sender: str, text: str, metadata: dict | None = None) -> list[dict]:
        body: dict[str, Any] = {"sender": sender, "message": text}
        if metadata:
            body["metadata"] = metadata
        req = urllib.request.Request(
            f"{self.rasa_url}/webhooks/rest/webhook",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.loads(resp.read())

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-8000:]


def start_stack(workdir: Path, extra_env: dict[str, str] | None = None, timeout: float = 900.0) -> Stack:
    rasa_port, action_port, console_port = free_port(), free_port(), free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")},
        "DATABASE_URL": f"sqlite:///{workdir / 'crm.db'}",
        "VAR_DIR": str(workdir / "var"),
        "RASA_PORT": str(rasa_port),
        "ACTION_PORT": str(action_port),
        "CONSOLE_PORT": str(console_port),
        "LOG_LEVEL": "INFO",
        **(extra_env or {}),
    }
    log_path = workdir / "stack.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    stack = Stack(
        f"http://127.0.0.1:{rasa_port}",
        env,
        make_engine(env["DATABASE_URL"]),
        process,
        log_path,
        f"http://127.0.0.1:{console_port}",
    )
    deadline = time.monotonic() + timeout
    while "The assistant is ready." not in log_path.read_text(errors="replace"):
        if process.poll() is not None:
            raise RuntimeError(f"crmbot run exited with {process.returncode}:\n{stack.log()}")
        if time.monotonic() > deadline:
            stop_stack(stack)
            raise RuntimeError(f"crmbot run was not ready in {timeout:.0f}s:\n{stack.log()}")
        time.sleep(1)
    return stack


def stop_stack(stack: Stack, timeout: float = 60.0) -> int:
    """Ctrl-C, as a person would; returns the exit code."""
    if stack.process.poll() is None:
        os.killpg(stack.process.pid, signal.SIGINT)
        try:
            stack.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(stack.process.pid, signal.SIGKILL)
            stack.process.wait()
    stack.engine.dispose()
    return stack.process.returncode


def eventually(check: Callable[[], Any], timeout: float = 15.0, interval: float = 0.2) -> Any:
    """Poll until `check` returns something truthy (ingestion is asynchronous by design)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)
