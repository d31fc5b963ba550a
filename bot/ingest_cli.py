"""`crmbot ingest status` and `crmbot ingest replay-dead`: see and mend CRM ingestion."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable

from crm_store.errors import CrmError
from crm_store.settings import Settings

STALE_SECONDS = 10.0


def ingest_status(settings: Settings, args: argparse.Namespace) -> int:
    """Print the queue, spool, dead letters and last event stored; exit 1 when ingestion is not healthy."""
    from crm_store.ingestion.consumer import read_consumer_status
    from crm_store.ingestion.spool import read_status

    report: dict[str, Any] = {"spool": read_status(settings.var_path)}
    if settings.event_broker_url:
        report["consumer"] = read_consumer_status(settings.var_path)
        report["rabbitmq"] = _rabbit_depths(settings)
    problems = health_problems(report)
    report["healthy"] = not problems
    report["problems"] = problems
    if getattr(args, "json", False):
        print(json.dumps(report, indent=2, default=str))
        return 0 if not problems else 1
    spool = report["spool"]
    print(f"spool: {spool['queued']} event(s) waiting in {spool['spool']}")
    print(f"  worker: {_worker_line(spool)}")
    print(f"  dead letters: {spool['dead_letters_in_file']} in {spool['dead_letter_file']}")
    if "consumer" in report:
        rabbit = report["rabbitmq"]
        print(
            f"rabbitmq: {rabbit.get('queued', '?')} queued, {rabbit.get('dead_letters', '?')} dead letters"
            + (f" ({rabbit['error']})" if "error" in rabbit else "")
        )
        print(f"  consumer: {_worker_line(report['consumer'])}")
    for problem in problems:
        print(f"problem: {problem}")
    return 0 if not problems else 1


def health_problems(report: dict[str, Any]) -> list[str]:
    """What is wrong with ingestion, in words (empty: healthy). The supervisor uses the same rules."""
    problems = []
    for name in ("spool", "consumer"):
        part = report.get(name)
        if part is None:
            continue
        if not part.get("heartbeat") or part.get("state") == "stopped":
            problems.append(f"{name} worker is not running")
        elif part["heartbeat_age"] > STALE_SECONDS:
            problems.append(f"{name} worker has not reported for {part['heartbeat_age']:.0f} s")
        elif part.get("state") in ("retrying", "waiting"):
            problems.append(
                f"{name} worker is {part['state']} since {_ago(part.get('retrying_since'))}: {part.get('last_error')}"
            )
    return problems


def _worker_line(part: dict[str, Any]) -> str:
    if not part.get("heartbeat"):
        return "no report yet (not started?)"
    last = _ago(part.get("last_stored_at")) if part.get("last_stored_at") else "never"
    return (
        f"{part.get('state')} (pid {part.get('pid')}, heartbeat {part['heartbeat_age']:.1f} s ago), "
        f"{part.get('stored', 0)} stored this run, last event stored {last}"
    )


def _ago(ts: float | None) -> str:
    return f"{time.time() - ts:.0f} s ago" if ts else "?"


def _rabbit_depths(settings: Settings) -> dict[str, Any]:
    from crm_store.ingestion.consumer import queue_depths
    from crm_store.ingestion.rabbit import topology_from

    try:
        return asyncio.run(queue_depths(settings.event_broker_url or "", topology_from(settings)))
    except Exception as exc:  # noqa: BLE001 - status reports the broker's state, whatever it is
        return {"error": f"{type(exc).__name__}: {exc}"[:200]}


def replay_dead(settings: Settings, args: argparse.Namespace) -> int:
    """Ingest the dead letters again (after a fix); what still fails goes back to the dead letters."""
    from crm_store.db import unit_of_work
    from crm_store.ingestion.events import ingest, is_temporary
    from crm_store.ingestion.spool import DEAD, dead_letter

    dead_path = settings.var_path / DEAD
    replayed = failed = still_dead = 0
    if dead_path.exists():
        # New dead letters keep going to the dead file while we work on the old ones.
        working = dead_path.with_suffix(f".replaying-{int(time.time())}.jsonl")
        dead_path.rename(working)
        keep: list[str] = []
        for line in working.read_text(encoding="ascii", errors="replace").splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            try:
                event = record["event"] if "event" in record else json.loads(record["raw"])
                ingest(unit_of_work(settings), event)
                replayed += 1
            except Exception as exc:  # noqa: BLE001 - sorted: stop on an outage, keep data errors
                if is_temporary(exc):
                    keep.append(line)
                    continue
                failed += 1
                keep.append(json.dumps(dead_letter(record.get("event", record.get("raw")), exc)))
        if keep:
            with dead_path.open("a", encoding="ascii") as fh:
                fh.write("\n".join(keep) + "\n")
        working.unlink()
        still_dead = len(keep)
    print(f"dead letters replayed: {replayed} stored, {still_dead} still dead")
    if settings.event_broker_url:
        from crm_store.ingestion.rabbit import replay_dead as rabbit_replay
        from crm_store.ingestion.rabbit import topology_from

        try:
            moved = asyncio.run(rabbit_replay(settings.event_broker_url, topology_from(settings)))
        except OSError as exc:
            raise CrmError(f"EVENT_BROKER_URL cannot be reached: {exc}") from None
        print(f"rabbitmq: {moved} dead letter(s) moved back to the queue")
    return 0 if not failed else 1


def deliver_spool(settings: Settings) -> int:
    """`crmbot ingest spool`: deliver this deployment's spool (INGEST_WORKER=process) until SIGINT or SIGTERM."""
    import signal
    import threading

    from crm_store.ingestion.sinks import build_sink

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    sink = build_sink(settings, role="reader")
    sink.start()
    print(f"delivering {sink.spool_path} to the {sink.destination}", flush=True)
    try:
        while not stop.wait(1.0):
            if not sink._thread.is_alive():
                print("the spool worker thread died", file=sys.stderr)
                return 1
    finally:
        sink.stop()
    return 0


def heartbeat_check(var_path: Path, status_file: str, max_age: float = STALE_SECONDS) -> Callable[[Any], str | None]:
    """A supervisor check: the child's ingestion worker reports a fresh heartbeat under its own pid."""

    def check(child: Any) -> str | None:
        try:
            status = json.loads((var_path / status_file).read_text())
        except (FileNotFoundError, ValueError):
            return "its CRM ingestion worker has not reported"
        if status.get("pid") != child.pid:
            return "its CRM ingestion worker has not started"
        age = time.time() - float(status.get("heartbeat") or 0)
        if status.get("state") == "stopped" or age > max_age:
            return f"its CRM ingestion worker has been silent for {age:.0f} s"
        return None

    return check


def degraded_check(var_path: Path, status_file: str) -> Callable[[Any], str | None]:
    """A supervisor check: why the child's ingestion worker, alive, is not delivering (or None)."""

    def check(child: Any) -> str | None:
        try:
            status = json.loads((var_path / status_file).read_text())
        except (FileNotFoundError, ValueError):
            return None
        if status.get("pid") != child.pid or status.get("state") not in ("waiting", "retrying"):
            return None
        return f"ingestion {status['state']}: {status.get('last_error') or 'a dependency is down'}"

    return check


def waiting_beat(var_path: Path) -> Callable[[str | None], None]:
    """The consumer's status while it waits for RabbitMQ or the CRM: alive, state "waiting"."""
    from crm_store.ingestion.consumer import CONSUMER_STATUS

    since: list[float] = []

    def beat(degraded: str | None) -> None:
        if degraded is None:
            return
        since[:] = since or [time.time()]
        path = var_path / CONSUMER_STATUS
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".waiting.tmp")
        tmp.write_text(
            json.dumps(
                {
                    "pid": os.getpid(),
                    "heartbeat": time.time(),
                    "state": "waiting",
                    "stored": 0,
                    "dead_letters": 0,
                    "last_stored_at": None,
                    "retrying_since": since[0],
                    "last_error": degraded,
                }
            )
        )
        os.replace(tmp, path)

    return beat
