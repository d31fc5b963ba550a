"""Heartbeats: how the supervisor tells a busy process from a hung one, and sees "degraded".

Each supervised process writes var/health/<name>.json about once a second: its pid, the
time, how late its event loop was for the tick (lag) and, when a dependency is down, why it
is degraded. The file is written by the process's own event loop, so under load the beat
comes late by the loop's lag (a few seconds at most) but keeps coming; a loop that is stuck
stops beating. An HTTP health check, by contrast, waits in the same queue as the customers'
requests and times out under load, which once got Rasa restarted mid-load.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any, Callable

HEALTH_DIR = "health"
EVERY = 1.0
PROBE_EVERY = 5.0


def beat_path(var_path: Path, name: str) -> Path:
    return var_path / HEALTH_DIR / f"{name}.json"


def write_beat(var_path: Path, name: str, degraded: str | None = None, lag: float = 0.0, max_lag: float = 0.0) -> None:
    path = beat_path(var_path, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(
        json.dumps(
            {
                "pid": os.getpid(),
                "ppid": os.getppid(),
                "at": time.time(),
                "lag": round(lag, 3),
                "max_lag": round(max_lag, 3),
                "degraded": degraded,
            }
        )
    )
    os.replace(tmp, path)


def read_beat(var_path: Path, name: str) -> dict[str, Any] | None:
    try:
        beat = json.loads(beat_path(var_path, name).read_text())
    except (FileNotFoundError, ValueError):
        return None
    return beat if isinstance(beat, dict) else None


class LoopHeartbeat:
    """Beats from a running event loop until cancelled; `degraded` may be set by the process."""

    def __init__(self, var_path: Path, name: str, probe: Callable[[], str | None] | None = None) -> None:
        self.var_path, self.name = var_path, name
        self.degraded: str | None = None
        self.max_lag = 0.0
        # Asked every PROBE_EVERY seconds in a worker thread (never on the loop): why the process is
        # degraded now, e.g. its database stopped answering while it runs.
        self.probe = probe
        self._task: asyncio.Task | None = None
        self._probing: asyncio.Future | None = None
        self._probed_at = 0.0

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    def stop(self) -> None:
        """Stop beating; a process that stops on purpose leaves no beat behind to look silent."""
        if self._task is not None:
            self._task.cancel()
        beat = read_beat(self.var_path, self.name)
        if beat is not None and beat.get("pid") == os.getpid():
            beat_path(self.var_path, self.name).unlink(missing_ok=True)

    async def _run(self) -> None:
        expected = time.monotonic()
        while True:
            lag = max(0.0, time.monotonic() - expected)
            self.max_lag = max(self.max_lag, lag)
            self._probe()
            write_beat(self.var_path, self.name, self.degraded, lag, self.max_lag)
            expected = time.monotonic() + EVERY
            await asyncio.sleep(EVERY)

    def _probe(self) -> None:
        if self.probe is None:
            return
        if self._probing is not None and self._probing.done():
            try:
                self.degraded = self._probing.result()
            except Exception as exc:  # noqa: BLE001 - a probe that fails says so, it does not stop the beat
                self.degraded = f"health probe failed ({type(exc).__name__})"
            self._probing = None
        if self._probing is None and time.monotonic() - self._probed_at >= PROBE_EVERY:
            self._probed_at = time.monotonic()
            self._probing = asyncio.get_running_loop().run_in_executor(None, self.probe)


def dependency_probe(settings: Any, needs: tuple[str, ...]) -> Callable[[], str | None]:
    """A probe: "waiting for <what>" while any of `needs` does not answer (bot/dependencies.py)."""
    from bot.dependencies import problems

    def probe() -> str | None:
        down = problems(settings, needs)
        return "waiting for " + ", ".join(down) if down else None

    return probe


def worker_beat_name(name: str, pid: int) -> str:
    """The beat of one of several worker processes of `name` (Sanic workers): `rasa.<pid>`."""
    return f"{name}.{pid}"


def worker_beats(var_path: Path, name: str, parent: int) -> list[dict[str, Any]]:
    """The beats of the worker processes that `parent` started (see worker_beat_name)."""
    folder = var_path / HEALTH_DIR
    beats = (read_beat(var_path, path.stem) for path in folder.glob(f"{name}.*.json")) if folder.exists() else ()
    return [beat for beat in beats if beat is not None and beat.get("ppid") == parent]


def clear_worker_beats(var_path: Path, name: str, including_own: bool = False) -> None:
    """Before a server starts its workers: the beats of an earlier run's workers are nobody's now."""
    folder = var_path / HEALTH_DIR
    if including_own:
        beat_path(var_path, name).unlink(missing_ok=True)
    for path in folder.glob(f"{name}.*.json") if folder.exists() else ():
        path.unlink(missing_ok=True)


def install_sanic_heartbeat(
    app: Any, var_path: Path, name: str, probe: Callable[[], str | None] | None = None, workers: int = 1
) -> LoopHeartbeat:
    """Beat from a Sanic app's loop once it serves (Rasa, the action server).

    With several workers each beats on its own (`rasa.<pid>`): one stuck or dead worker must show,
    however well the others beat, and the supervisor counts them (bot/supervisor.py).
    """
    heartbeat = LoopHeartbeat(var_path, name, probe)

    async def start(_app: Any, _loop: Any) -> None:
        if workers > 1:
            heartbeat.name = worker_beat_name(name, os.getpid())
        heartbeat.start()

    async def stop(_app: Any, _loop: Any) -> None:
        heartbeat.stop()

    app.register_listener(start, "after_server_start")
    app.register_listener(stop, "before_server_stop")
    return heartbeat


def stack_health(var_path: Path, stale: float = 30.0) -> dict[str, Any]:
    """Every beating process of this deployment: "ok", "degraded" (with why) or "silent"."""
    parts: dict[str, Any] = {}
    folder = var_path / HEALTH_DIR
    for path in sorted(folder.glob("*.json")) if folder.exists() else []:
        beat = read_beat(var_path, path.stem)
        if beat is None:
            continue
        age = time.time() - float(beat.get("at") or 0)
        state = "silent" if age > stale else "degraded" if beat.get("degraded") else "ok"
        parts[path.stem] = {
            "state": state,
            "degraded": beat.get("degraded"),
            "beat_age": round(age, 1),
            "loop_lag": beat.get("lag"),
        }
    worst = "degraded" if any(p["state"] != "ok" for p in parts.values()) else "ok"
    return {"status": worst, "parts": parts}
