"""Heartbeats and the stack's health summary the console's /health serves."""

from __future__ import annotations

import asyncio
import json
import time

from bot.heartbeat import LoopHeartbeat, beat_path, read_beat, stack_health, write_beat


def test_the_summary_says_ok_degraded_or_silent_per_part(tmp_path):
    write_beat(tmp_path, "rasa")
    write_beat(tmp_path, "consumer", degraded="waiting for RabbitMQ (ConnectionRefusedError)")
    stale = beat_path(tmp_path, "console")
    write_beat(tmp_path, "console")
    beat = json.loads(stale.read_text())
    stale.write_text(json.dumps({**beat, "at": time.time() - 60}))

    health = stack_health(tmp_path)

    assert health["status"] == "degraded"
    assert {name: part["state"] for name, part in health["parts"].items()} == {
        "rasa": "ok",
        "consumer": "degraded",
        "console": "silent",
    }
    assert stack_health(tmp_path / "nothing-here") == {"status": "ok", "parts": {}}


def test_a_loop_beats_while_it_runs_and_leaves_nothing_behind_when_stopped(tmp_path):
    async def run() -> tuple[dict | None, float]:
        heartbeat = LoopHeartbeat(tmp_path, "rasa")
        heartbeat.start()
        deadline = time.monotonic() + 5
        while read_beat(tmp_path, "rasa") is None:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        first = read_beat(tmp_path, "rasa")
        while read_beat(tmp_path, "rasa")["at"] == first["at"]:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        heartbeat.stop()
        return first, heartbeat.max_lag

    first, max_lag = asyncio.run(run())

    assert first is not None and first["degraded"] is None and max_lag < 5
    assert read_beat(tmp_path, "rasa") is None


def test_a_probe_that_finds_a_dependency_down_makes_the_beat_degraded_and_then_not(tmp_path, monkeypatch):
    import bot.heartbeat as heartbeat_module

    monkeypatch.setattr(heartbeat_module, "PROBE_EVERY", 0.0)
    down = ["waiting for the CRM database (OperationalError)"]

    async def run() -> list[str | None]:
        heartbeat = LoopHeartbeat(tmp_path, "actions", probe=lambda: down[0])
        heartbeat.start()
        seen: list[str | None] = []
        deadline = time.monotonic() + 10
        while len(seen) < 2:
            assert time.monotonic() < deadline, seen
            beat = read_beat(tmp_path, "actions")
            if beat and beat["degraded"] and not seen:
                seen.append(beat["degraded"])
                down[0] = None  # the database answers again
            elif beat and seen and beat["degraded"] is None:
                seen.append(None)
            await asyncio.sleep(0.1)
        heartbeat.stop()
        return seen

    assert asyncio.run(run()) == ["waiting for the CRM database (OperationalError)", None]
