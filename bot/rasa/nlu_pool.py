"""NLU parsing in worker processes, so that the Rasa server's event loop only does dialogue.

One Rasa event loop runs every turn of every customer on one core: the NLU pipeline (the
MiniLM encoder, the classifier, the entity extractors) was half of a turn's CPU and kept
the second core idle. With `NLU_PROCESSES` = N > 0 the Rasa server starts N worker
processes that each load the same model and parse messages; the loop sends a message to an
idle worker and serves other customers while it waits. Rasa's own post-processing of the
parse (retrieval intents, the unseen-feature warnings) stays in the server, so a parse is
the same dict either way (tests/integration/test_nlu_pool.py compares them).

What happens when a worker is not there:
- while the workers load the model (tens of seconds after a start), and whenever none is
  alive, the server parses in its own process as before: slower, never refused;
- a worker that dies (killed, out of memory) mid-parse: the message is parsed again, in the
  server, and the turn goes on; a new worker is started in the background;
- a worker that does not answer within `NLU_TIMEOUT` seconds is killed and handled the same way.
Workers run in a session of their own, so the supervisor's SIGTERM to the Rasa server's process
group (drain the turns in flight, then stop) does not reach them and they keep parsing while it
drains; they exit when the server stops them, and by themselves when the server's end of their
pipe closes (any exit of the server, a SIGKILL included).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

NLU_TIMEOUT = 30.0  # a parse takes ~10 ms of CPU; 30 s is a worker stuck, not a busy one
READY_TIMEOUT = 900.0  # loading the model in a worker on a busy machine


class WorkerGone(Exception):
    """The worker died, or did not answer in time."""


def default_processes(server_workers: int = 1) -> int:
    """One per core this process may run on, when there are more than one; none (parse in the server) on
    one core (a machine with one, or a server pinned to one with taskset), where a worker only adds its pipe.
    With several server processes (RASA_WORKERS) each gets its share of the cores: on two cores with two,
    none, and each parses in its own loop (two pools would double the processes and the models in memory)."""
    cores = len(os.sched_getaffinity(0)) // max(1, server_workers)
    return cores if cores > 1 else 0


def _serve(conn: Any, model: str) -> None:
    """A worker: load the model, say "ready", then parse what the server sends until it goes away."""
    os.setsid()  # out of the server's process group: its stop signal is for it to drain, not for us
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from rasa.core.agent import Agent
    from rasa.core.channels.channel import UserMessage
    from rasa.shared.core.trackers import DialogueStateTracker

    agent = Agent.load(model)
    processor = agent.processor
    assert processor is not None

    def parse(request: dict[str, Any]) -> dict[str, Any]:
        message = UserMessage(
            request["text"],
            None,
            request["sender_id"],
            request["metadata"],
            input_channel=request["input_channel"],
            message_id=request["message_id"],
        )
        # The NLU part of the graph does not read the tracker; Rasa passes an empty one too when it has none.
        tracker = DialogueStateTracker.from_events(message.sender_id, [])
        return processor._parse_message_with_graph(message, tracker, request["only_output_properties"])

    parse({"text": "hello", "sender_id": "warm-up", "metadata": None, "input_channel": None, "message_id": None,
           "only_output_properties": True})  # fmt: skip
    conn.send(("ready", os.getpid()))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return  # the server is gone
        if request is None:
            return
        try:
            conn.send(("ok", parse(request)))
        except Exception as exc:  # noqa: BLE001 - the server parses this one itself and sees the error there
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


class _Worker:
    def __init__(self, process: Any, conn: Any) -> None:
        self.process, self.conn = process, conn
        self.pid: int = process.pid

    def call(self, request: dict[str, Any], timeout: float) -> dict[str, Any] | None:
        """The parse, None if the worker failed on this message; WorkerGone if it died or hangs."""
        try:
            self.conn.send(request)
            if not self.conn.poll(timeout):
                raise WorkerGone(f"no answer in {timeout:.0f} s")
            status, payload = self.conn.recv()
        except (EOFError, OSError) as exc:
            raise WorkerGone(type(exc).__name__) from exc
        if status != "ok":
            log.warning("nlu worker could not parse a message", extra={"error": payload, "pid": self.pid})
            return None
        return payload

    def kill(self) -> None:
        try:
            self.process.kill()
        except (OSError, ValueError, AttributeError):
            pass
        self.conn.close()
        self.process.join(5)


class NluPool:
    """N parser processes; `parse()` returns None when the server should parse the message itself."""

    def __init__(self, model: Path | str, processes: int, timeout: float = NLU_TIMEOUT) -> None:
        self.model = str(model)
        self.processes = processes
        self.timeout = timeout
        self._ctx = multiprocessing.get_context("spawn")
        self._free: list[_Worker] = []
        self._live: set[_Worker] = set()
        self._starting = 0
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._cond: asyncio.Condition | None = None
        self._calls = ThreadPoolExecutor(max_workers=max(1, processes), thread_name_prefix="nlu-call")
        self.parsed = 0  # by the workers
        self.fallbacks = 0  # parsed in the server because no worker could
        self.restarts = 0

    # --- life cycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Start the workers in the background (call from the server's event loop)."""
        self._loop = asyncio.get_running_loop()
        self._cond = asyncio.Condition()
        for _ in range(self.processes):
            self._spawn()

    def _spawn(self) -> None:
        if self._closed:
            return
        self._starting += 1
        threading.Thread(target=self._start_one, name="nlu-start", daemon=True).start()

    def _start_one(self) -> None:
        worker = None
        try:
            parent, child = self._ctx.Pipe()
            process = self._ctx.Process(target=_serve, args=(child, self.model), name="crmbot-nlu", daemon=True)
            process.start()
            child.close()
            worker = _Worker(process, parent)
            if not parent.poll(READY_TIMEOUT):
                raise WorkerGone("did not load the model in time")
            status, _pid = parent.recv()
            if status != "ready":
                raise WorkerGone(str(status))
        except (WorkerGone, EOFError, OSError) as exc:
            log.warning("nlu worker did not start", extra={"error": f"{type(exc).__name__}: {exc}"})
            if worker is not None:
                worker.kill()
            worker = None
        loop = self._loop
        if loop is None or loop.is_closed():
            if worker is not None:
                worker.kill()
            return
        try:
            loop.call_soon_threadsafe(lambda: asyncio.ensure_future(self._started(worker)))
        except RuntimeError:  # the loop closed meanwhile
            if worker is not None:
                worker.kill()

    async def _started(self, worker: _Worker | None) -> None:
        self._starting -= 1
        if worker is not None:
            if self._closed:
                worker.kill()
                return
            self._live.add(worker)
            self._free.append(worker)
            log.info("nlu worker ready", extra={"pid": worker.pid, "workers": len(self._live)})
        await self._notify()

    async def _notify(self) -> None:
        assert self._cond is not None
        async with self._cond:
            self._cond.notify_all()

    def close(self) -> None:
        self._closed = True
        for worker in list(self._live):
            try:
                worker.conn.send(None)
            except (OSError, ValueError):
                pass
        deadline = time.monotonic() + 5
        for worker in list(self._live):
            worker.process.join(max(0.1, deadline - time.monotonic()))
            worker.kill()
        self._live.clear()
        self._free.clear()
        self._calls.shutdown(wait=False)

    @property
    def live(self) -> int:
        return len(self._live)

    def pids(self) -> list[int]:
        return [w.pid for w in self._live]

    # --- parsing ----------------------------------------------------------------------------
    async def parse(self, request: dict[str, Any]) -> dict[str, Any] | None:
        """A worker's parse of `request`; None: parse it in the server (no worker alive, or it failed)."""
        if self._cond is None or self._closed:
            return None
        async with self._cond:
            await self._cond.wait_for(lambda: bool(self._free) or not self._live or self._closed)
            if not self._free:
                self.fallbacks += 1
                return None
            worker = self._free.pop()
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(self._calls, worker.call, request, self.timeout)
        except WorkerGone as exc:
            self._lost(worker, str(exc))
            self.fallbacks += 1
            await self._notify()
            return None
        self._free.append(worker)
        await self._notify()
        if result is None:
            self.fallbacks += 1
        else:
            self.parsed += 1
        return result

    def _lost(self, worker: _Worker, why: str) -> None:
        log.warning("nlu worker lost; the message is parsed in the server", extra={"pid": worker.pid, "error": why})
        self._live.discard(worker)
        worker.kill()
        self.restarts += 1
        self._spawn()


_pool: NluPool | None = None


def current_pool() -> NluPool | None:
    return _pool


def set_pool(pool: NluPool | None) -> None:
    global _pool
    _pool = pool


def request_of(message: Any, only_output_properties: bool) -> dict[str, Any]:
    """What a worker needs of Rasa's UserMessage (picklable)."""
    return {
        "text": message.text,
        "sender_id": message.sender_id,
        "metadata": message.metadata,
        "input_channel": message.input_channel,
        "message_id": message.message_id,
        "only_output_properties": only_output_properties,
    }


def pooled_parsing() -> None:
    """Patch: MessageProcessor.parse_message asks the pool first, and parses itself when it says None."""
    from rasa.core.processor import MessageProcessor

    from bot.rasa.patches import original

    rasa_parse = original("rasa.core.processor:MessageProcessor.parse_message")

    async def parse_message(
        self: Any, message: Any, tracker: Any = None, only_output_properties: bool = True
    ) -> dict[str, Any]:
        pool = _pool
        if pool is None or self.http_interpreter:
            return await rasa_parse(self, message, tracker, only_output_properties)
        parse_data = await pool.parse(request_of(message, only_output_properties))
        if parse_data is None:
            return await rasa_parse(self, message, tracker, only_output_properties)
        # What Rasa's parse_message does after the graph, here in the server where the domain is.
        self._update_full_retrieval_intent(parse_data)
        self._check_for_unseen_features(parse_data)
        return parse_data

    MessageProcessor.parse_message = parse_message  # type: ignore[method-assign]
