"""The durable hand-off from Rasa to the CRM: an append-only spool file under var/.

`put` appends the event to `ingest-spool.jsonl` and flushes it to the operating
system before it returns, so a killed Rasa (or Ctrl-C) loses nothing it
accepted; `sync`, called once per saved turn before the reply leaves, fsyncs it
(INGEST_FSYNC), so a power cut does not either. One worker thread delivers the
events in order (into the CRM database, or to RabbitMQ with publisher
confirms) and records how far it got in `ingest-spool.offset`; a restart goes
on from there. Temporary failures are retried with backoff, in order; an event
that cannot be stored goes to `ingest-dead.jsonl` with its error and the next
one goes on.

One writer per spool: the sink holds an exclusive lock on `ingest-spool.lock`
(another process gets SpoolBusy), except that several processes of one Rasa server
(RASA_WORKERS) may append in role "writer", each holding that lock shared: each line goes
in whole under the spool file's flock, and a sender's turns never run in two at once (the
lock store), so its events stay in order; and `shared_sink` hands the running sink to a
reloaded model instead of starting a second worker on the same file.
The worker's heartbeat and figures are in `ingest-status.json`, read by
`crmbot ingest status` and the supervisor's health check.

Roles (INGEST_WORKER): "both" runs the worker thread in the writing process (Rasa);
with "writer" Rasa only appends and fsyncs, and a separate process (`crmbot ingest
spool`, role "reader", supervised by `crmbot run`) delivers, so the CRM's SQL
does not compete with turns for Rasa's interpreter lock. Each role has its own
lock file, so there is still one appender and one deliverer per spool; the
reader empties the spool only under an flock of the spool file that the writer
also takes for each append (it appends with O_APPEND, so it writes at the new end).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable

from crm_store.db import UnitOfWork
from crm_store.errors import CrmError
from crm_store.ingestion.events import describe, ingest, ingest_batch, is_temporary
from crm_store.retry import RetryStopped, doubling, retry_call

log = logging.getLogger(__name__)

SPOOL = "ingest-spool.jsonl"
OFFSET = "ingest-spool.offset"
DEAD = "ingest-dead.jsonl"
STATUS = "ingest-status.json"
LOCK = "ingest-spool.lock"
READER_LOCK = "ingest-spool.reader.lock"
ROLES = ("both", "writer", "reader")
READER_POLL = 0.05  # seconds: how often a reader in another process looks for new lines when idle
HEARTBEAT_SECONDS = 1.0
_OFFSET_EVERY = 50  # events between offset writes; a crash replays at most these (idempotently)
BATCH = 64  # events delivered in one transaction (or one burst of confirmed publishes)


class SpoolBusy(CrmError):
    """Another process already writes this spool."""


class EventSink:
    """Ordered, durable, non-blocking hand-over of tracker events to their destination."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork] | None,
        spool_dir: Path,
        retry_seconds: float = 2.0,
        ingest_fn: Callable[[UnitOfWork, dict], bool] = ingest,
        *,
        deliver: Callable[[dict], bool] | None = None,
        deliver_batch: Callable[[list[dict]], list[bool]] | None = None,
        temporary: Callable[[BaseException], bool] = is_temporary,
        destination: str = "crm database",
        fsync: bool = False,
        max_backoff: float = 30.0,
        role: str = "both",
    ) -> None:
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}")
        self.role = role
        if deliver is None and role == "writer":
            deliver = lambda event: False  # noqa: E731 - a writer never delivers
        if deliver is None:
            assert uow_factory is not None
            deliver = lambda event: ingest_fn(uow_factory(), event)  # noqa: E731
            if ingest_fn is ingest:
                deliver_batch = lambda events: ingest_batch(uow_factory(), events)  # noqa: E731
        self._deliver = deliver
        self._deliver_batch = deliver_batch
        self._temporary = temporary
        self.destination = destination
        self._fsync = fsync
        self._retry_seconds = retry_seconds
        self._max_backoff = max_backoff
        spool_dir.mkdir(parents=True, exist_ok=True)
        self.spool_path = spool_dir / SPOOL
        self.offset_path = spool_dir / OFFSET
        self.dead_path = spool_dir / DEAD
        self.status_path = spool_dir / STATUS
        self._lock_path = spool_dir / LOCK
        self._reader_lock_path = spool_dir / READER_LOCK
        self._reader_lock_fh: Any = None
        self._write_lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._drained = threading.Event()  # everything written was delivered and the spool emptied
        self._thread = threading.Thread(target=self._run, name="crm-ingestion", daemon=True)
        self._fh: Any = None
        self._lock_fh: Any = None
        self._unsynced = False
        self._appended = 0
        self._handled = 0
        self._backlog = 0
        self.stored = 0
        self.dead_letters = 0
        self.last_stored_at: float | None = None
        self.retrying_since: float | None = None
        self.last_error: str | None = None
        self._last_beat = 0.0

    # -- the writer side (Rasa's event loop) ----------------------------------
    def start(self) -> None:
        if self.role != "reader":
            self._lock_fh = _exclusive(
                self._lock_path,
                f"another process already writes {self.spool_path}; give each Rasa server its own VAR_DIR",
                shared=self.role == "writer",
            )
        if self.role != "writer":
            try:
                self._reader_lock_fh = _exclusive(
                    self._reader_lock_path, f"another process already delivers {self.spool_path}"
                )
            except SpoolBusy:
                if self._lock_fh is not None:
                    self._lock_fh.close()
                    self._lock_fh = None
                raise
        if self.role == "reader":
            self.spool_path.touch()
            self._backlog = self._count_pending(self._read_offset())
            self._thread.start()
            return
        self._fh = self.spool_path.open("ab")
        fcntl.flock(self._fh, fcntl.LOCK_EX)  # another writer may be appending
        try:
            size = self._fh.seek(0, os.SEEK_END)
            if size:
                with self.spool_path.open("rb") as fh:
                    fh.seek(size - 1)
                    if fh.read(1) != b"\n":  # a line cut by a crash stays one (undecodable) line
                        self._fh.write(b"\n")
                        self._fh.flush()
        finally:
            fcntl.flock(self._fh, fcntl.LOCK_UN)
        if self.role == "writer":
            return
        self._backlog = self._count_pending(self._read_offset())
        if self._backlog:
            log.info("spooled events from an earlier run will be delivered", extra={"events": self._backlog})
        self._thread.start()

    def put(self, event: dict) -> None:
        """Append the event to the spool; it is on disk (the OS's) when this returns."""
        line = (json.dumps(event, default=str) + "\n").encode("ascii")
        with self._write_lock:
            if self._fh is None:
                raise CrmError("CRM ingestion is stopped; the event was not accepted")
            if self.role == "writer":
                # The reader in another process empties the spool only while it holds this lock.
                fcntl.flock(self._fh, fcntl.LOCK_EX)
                try:
                    self._fh.write(line)
                    self._fh.flush()
                finally:
                    fcntl.flock(self._fh, fcntl.LOCK_UN)
            else:
                self._fh.write(line)
                self._fh.flush()
            self._appended += 1
            self._unsynced = True
            self._drained.clear()
        self._wake.set()

    def sync(self) -> None:
        """Force what was appended onto the disk itself (once per turn, before the reply)."""
        if not self._fsync or not self._unsynced:
            return
        with self._write_lock:
            if self._fh is not None and self._unsynced:
                os.fsync(self._fh.fileno())
                self._unsynced = False

    def pending(self) -> int:
        return self._backlog + self._appended - self._handled

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every event put so far is delivered or dead-lettered."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.pending() <= 0 and self._drained.is_set():
                return True
            time.sleep(0.02)
        return False

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the worker; undelivered events stay in the spool for the next start."""
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        with self._write_lock:
            if self._fh is not None:
                self._fh.flush()
                os.fsync(self._fh.fileno())
                self._fh.close()
                self._fh = None
        close = getattr(self._deliver, "close", None)
        if close is not None and not self._thread.is_alive():
            close()
        if self.role != "writer":  # the status file is the deliverer's
            self._beat(force=True, state="stopped")
        for name in ("_lock_fh", "_reader_lock_fh"):
            fh = getattr(self, name)
            if fh is not None:
                fh.close()
                setattr(self, name, None)

    # -- the worker thread ---------------------------------------------------------
    def _run(self) -> None:
        offset = self._read_offset()
        since_saved = 0
        with self.spool_path.open("rb") as reader:
            reader.seek(offset)
            while not self._stopping.is_set():
                self._beat()
                lines = self._read_batch(reader)
                if not lines:  # caught up (or a line still being written)
                    if since_saved:
                        self._save_offset(offset)
                        since_saved = 0
                    offset = self._truncate_if_drained(offset)
                    reader.seek(offset)
                    self._wake.wait(READER_POLL if self.role == "reader" else HEARTBEAT_SECONDS)
                    self._wake.clear()
                    continue
                done = self._handle_batch(lines)
                offset += sum(len(line) for line in lines[:done])
                reader.seek(offset)
                self._handled += done
                since_saved += done
                if since_saved >= _OFFSET_EVERY:
                    self._save_offset(offset)
                    since_saved = 0
            self._save_offset(offset)

    @staticmethod
    def _read_batch(reader: Any) -> list[bytes]:
        lines: list[bytes] = []
        while len(lines) < BATCH:
            line = reader.readline()
            if not line.endswith(b"\n"):
                break
            lines.append(line)
        return lines

    def _handle_batch(self, lines: list[bytes]) -> int:
        """Deliver lines in order; returns how many are done with (all, unless we are stopping)."""
        if self._deliver_batch is not None and len(lines) > 1:
            try:
                events = [json.loads(line) for line in lines]
            except ValueError:
                events = None
            if events is not None:
                outcome, stored = self._attempt(lambda: self._deliver_batch(events))  # type: ignore[misc]
                if outcome == "done":
                    self.stored += sum(bool(s) for s in stored)
                    return len(lines)
                if outcome == "stopping":
                    return 0
                # A data error somewhere in the batch: one at a time, so only the bad event is dead-lettered.
        for index, line in enumerate(lines):
            if not self._handle(line):
                return index
        return len(lines)

    def _handle(self, line: bytes) -> bool:
        """True when the event is done with (stored, duplicate or dead-lettered)."""
        try:
            event = json.loads(line)
        except ValueError as exc:
            self._dead(
                {"error": describe(exc), "failed_at": time.time(), "raw": line.decode("ascii", "replace").rstrip("\n")}
            )
            return True
        outcome, result = self._attempt(lambda: self._deliver(event))
        if outcome == "done":
            self.stored += bool(result)
            return True
        if outcome == "failed":
            log.warning("event cannot be stored; kept in the dead letters", extra={"error": type(result).__name__})
            self._dead(dead_letter(event, result))
            return True
        return False

    def _attempt(self, deliver: Callable[[], Any]) -> tuple[str, Any]:
        """("done", result), ("failed", error) for an error of the data, or ("stopping", None).

        Temporary failures are retried here with backoff, for as long as they last.
        """

        def failed(exc: BaseException, _attempt: int, _wait: float) -> None:
            first_failure = self.retrying_since is None
            if first_failure:
                self.retrying_since = time.time()
                log.warning(
                    "event delivery failed; retrying with backoff",
                    extra={"destination": self.destination, "error": type(exc).__name__},
                )
            self.last_error = describe(exc)
            self._beat(force=first_failure, state="retrying")

        try:
            result = retry_call(
                deliver,
                self._temporary,
                delay=doubling(self._retry_seconds, self._max_backoff),
                on_retry=failed,
                stop=self._stopping,
            )
        except RetryStopped:
            return "stopping", None
        except Exception as exc:  # noqa: BLE001 - not temporary: this data cannot be stored
            return "failed", exc
        self.last_stored_at = time.time()
        if self.retrying_since is not None:
            log.info("event delivery works again", extra={"destination": self.destination})
            self.retrying_since = None
            self._beat(force=True)  # status says so at once, not at the next heartbeat
        return "done", result

    def _truncate_if_drained(self, offset: int) -> int:
        """Empty the spool once everything in it is delivered; returns the new read offset."""
        if self.role == "reader":
            return self._truncate_shared(offset)
        with self._write_lock:
            if self._fh is None or self._fh.tell() != offset:
                return offset
            if offset:
                self._fh.truncate(0)
                self._fh.seek(0)
                self._save_offset(0)
            self._drained.set()
        return 0

    def _truncate_shared(self, offset: int) -> int:
        """The reader's half of emptying the spool: under the flock the writer takes for each append."""
        if not offset:
            self._drained.set()
            return 0
        with self.spool_path.open("r+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                if os.fstat(fh.fileno()).st_size != offset:
                    return offset
                fh.truncate(0)
                self._save_offset(0)
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
        self._drained.set()
        return 0

    def _dead(self, record: dict) -> None:
        with self.dead_path.open("a", encoding="ascii") as fh:
            fh.write(json.dumps(record, default=str) + "\n")
        self.dead_letters += 1

    def _read_offset(self) -> int:
        try:
            offset = int(self.offset_path.read_text().strip() or 0)
        except (FileNotFoundError, ValueError):
            return 0
        size = self.spool_path.stat().st_size if self.spool_path.exists() else 0
        return offset if 0 <= offset <= size else 0

    def _save_offset(self, offset: int) -> None:
        tmp = self.offset_path.with_suffix(".tmp")
        tmp.write_text(str(offset))
        os.replace(tmp, self.offset_path)

    def _count_pending(self, offset: int) -> int:
        return pending_events(self.spool_path, offset)

    def _beat(self, force: bool = False, state: str | None = None) -> None:
        now = time.time()
        if not force and now - self._last_beat < HEARTBEAT_SECONDS:
            return
        self._last_beat = now
        status = {
            "pid": os.getpid(),
            "heartbeat": now,
            "state": state or ("retrying" if self.retrying_since else "running"),
            "destination": self.destination,
            "stored": self.stored,
            "dead_letters": self.dead_letters,
            "last_stored_at": self.last_stored_at,
            "retrying_since": self.retrying_since,
            "last_error": self.last_error if self.retrying_since else None,
        }
        tmp = self.status_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(status))
        os.replace(tmp, self.status_path)


def _exclusive(path: Path, busy: str, shared: bool = False) -> Any:
    fh = path.open("a")
    try:
        fcntl.flock(fh, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
    except OSError:
        fh.close()
        raise SpoolBusy(busy) from None
    return fh


def dead_letter(event: Any, exc: BaseException) -> dict[str, Any]:
    """What the dead letters keep: the event as received and why it could not be stored."""
    return {"error": describe(exc), "failed_at": time.time(), "event": event}


def pending_events(spool_path: Path, offset: int) -> int:
    if not spool_path.exists():
        return 0
    with spool_path.open("rb") as fh:
        fh.seek(offset)
        return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))


# -- one sink per spool in this process, whatever the model reloads ---------------------
_sinks: dict[Path, EventSink] = {}
_sinks_lock = threading.Lock()


def shared_sink(spool_dir: Path, build: Callable[[], EventSink]) -> EventSink:
    """The running sink for this spool, started by `build` on first use."""
    key = spool_dir.resolve()
    with _sinks_lock:
        sink = _sinks.get(key)
        if sink is None or sink._fh is None:
            sink = build()
            sink.start()
            _sinks[key] = sink
        return sink


def running_sink(spool_dir: Path) -> EventSink | None:
    """The sink already running for this spool in this process (Rasa's broker), or None."""
    with _sinks_lock:
        sink = _sinks.get(spool_dir.resolve())
    return sink if sink is not None and sink._fh is not None else None


def read_status(var_path: Path) -> dict[str, Any]:
    """What `crmbot ingest status` and the supervisor know about ingestion, from the files alone."""
    status: dict[str, Any] = {}
    try:
        status = json.loads((var_path / STATUS).read_text())
    except (FileNotFoundError, ValueError):
        status = {}
    try:
        offset = int((var_path / OFFSET).read_text().strip() or 0)
    except (FileNotFoundError, ValueError):
        offset = 0
    spool = var_path / SPOOL
    if spool.exists() and offset > spool.stat().st_size:
        offset = 0
    dead = var_path / DEAD
    status["spool"] = str(spool)
    status["queued"] = pending_events(spool, offset)
    status["dead_letter_file"] = str(dead)
    status["dead_letters_in_file"] = pending_events(dead, 0)
    status["heartbeat_age"] = (time.time() - status["heartbeat"]) if status.get("heartbeat") else None
    return status
