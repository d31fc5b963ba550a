"""Where a turn's CPU goes, measured inside one Rasa process with the process's own CPU clock.

    nice .venv/bin/python bench/turn_cpu.py [--scripts 60] [--json FILE]

py-spy (bench/load.py --profile) sees Python frames only: TensorFlow runs the MiniLM
encoder and TED on its own C++ threads while the calling thread waits, so those
parts look almost free in its samples. This bench loads the model in-process as
`crmbot run` does (our tracker store on a throw-away SQLite file, the CRM event
broker appending to a spool, the real action server as a child process), plays
the load bench's script (greet, the customer's order status, an FAQ, thanks, bye)
one message at a time, and charges `time.process_time()` (every thread of this
process, TensorFlow's included) to the stage of a turn that was running:

- NLU (the pipeline of config.yml, one parse per message),
- policies (each prediction of the ensemble: several per turn),
- tracker store read and save, the spool's fsync,
- action calls (Rasa's side only: the request, the answer's schema check),
- the rest of the turn (Rasa's processor, events, our guards).

One customer at a time, so nothing else runs in the process meanwhile. It also prints the
CPU of the main (event loop) thread and of the others; with TURN_CPU_THREADS=1 each thread's
own, so that `perf record -e cpu-clock -t TID` can name what a busy native thread does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

STAGES = ("nlu", "policies", "tracker read", "tracker save", "spool fsync", "action call")


class Meter:
    """CPU seconds per stage; a stage inside another is charged to the inner one only."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._stack: list[list[Any]] = []

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        now = time.process_time()
        if self._stack:  # pause the outer stage
            outer = self._stack[-1]
            self.cpu[outer[0]] += now - outer[1]
        self._stack.append([name, now])
        try:
            yield
        finally:
            end = time.process_time()
            self.cpu[name] += end - self._stack.pop()[1]
            self.calls[name] += 1
            if self._stack:
                self._stack[-1][1] = end


def threads_cpu() -> dict[str, float]:
    """CPU seconds of this process's threads so far: "main" (the event loop's) and "others"."""
    by_kind: dict[str, float] = defaultdict(float)
    tick = os.sysconf("SC_CLK_TCK")
    for task in Path("/proc/self/task").iterdir():
        try:
            values = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        by_kind["main" if int(task.name) == os.getpid() else "others"] += (int(values[11]) + int(values[12])) / tick
        if os.environ.get("TURN_CPU_THREADS"):
            by_kind[f"tid {task.name}"] += (int(values[11]) + int(values[12])) / tick
    return by_kind


def instrument(meter: Meter) -> None:
    """Wrap the stages of a turn (classes, so every instance the agent builds is measured)."""
    from rasa.core.actions.action import RemoteAction
    from rasa.core.processor import MessageProcessor
    from rasa.engine.graph import GraphNode
    from sklearn.feature_extraction.text import TfidfVectorizer

    from nlu.components.classifier import MiniLMIntentClassifier
    from nlu.components.encoder import SentenceEncoder

    from bot.rasa.broker import CrmEventBroker
    from bot.rasa.stores import CrmTrackerStore

    def wrap_async(cls: Any, name: str, stage: str) -> None:
        original = getattr(cls, name)

        async def method(self: Any, *args: Any, **kwargs: Any) -> Any:
            # An await may switch tasks; one customer at a time keeps this honest.
            with meter.stage(stage):
                return await original(self, *args, **kwargs)

        setattr(cls, name, method)

    def wrap_sync(cls: Any, name: str, stage: str) -> None:
        original = getattr(cls, name)

        def method(self: Any, *args: Any, **kwargs: Any) -> Any:
            with meter.stage(stage):
                return original(self, *args, **kwargs)

        setattr(cls, name, method)

    wrap_async(MessageProcessor, "parse_message", "nlu")
    graph_node_call = GraphNode.__call__

    def node_call(self: Any, *inputs: Any) -> Any:
        # Each node of the NLU and policy graphs: "nlu: <node>" / "policies: <node>".
        with meter.stage(f"{meter._stack[-1][0].split(':')[0] if meter._stack else 'graph'}: {self._node_name}"):
            return graph_node_call(self, *inputs)

    GraphNode.__call__ = node_call
    # Inside the intent classifier: the MiniLM encoder, the TF-IDF blocks, the kNN vote.
    wrap_sync(SentenceEncoder, "embed", "nlu: classifier: MiniLM encoder")
    wrap_sync(TfidfVectorizer, "transform", "nlu: classifier: TF-IDF")
    wrap_sync(MiniLMIntentClassifier, "_knn_votes", "nlu: classifier: kNN vote")
    wrap_sync(MiniLMIntentClassifier, "_in_scope", "nlu: classifier: in-scope score")
    wrap_sync(MessageProcessor, "_predict_next_with_tracker", "policies")
    wrap_async(CrmTrackerStore, "retrieve", "tracker read")
    wrap_async(CrmTrackerStore, "save", "tracker save")
    wrap_sync(CrmEventBroker, "sync", "spool fsync")
    wrap_async(RemoteAction, "run", "action call")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scripts", type=int, default=60, help="conversations of five messages")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="py-spy this process while it measures (Python frames only); raw stacks go here",
    )
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args(argv)

    from bot.rasa.server import THREAD_POOLS
    from bench.load import free_port, seed_customers, wait_http

    work = Path(tempfile.mkdtemp(prefix="crmbot-turn-cpu-"))
    token = secrets.token_urlsafe(32)
    action_port = free_port()
    os.environ.update(
        {
            "DATABASE_URL": f"sqlite:///{work / 'crm.db'}",
            "VAR_DIR": str(work / "var"),
            "INGEST_WORKER": "process",
            "ACTION_PORT": str(action_port),
            "ACTION_SERVER_TOKEN": token,
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{action_port}/webhook",
            "LOG_LEVEL": "WARNING",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            **dict(item.split("=", 1) for item in args.env),
        }
    )
    for name, value in THREAD_POOLS.items():  # as the Rasa server starts its numeric libraries
        os.environ.setdefault(name, value)
    if "numpy" in sys.modules:
        raise SystemExit("numpy was loaded before its thread pools were set")
    from crm_store.db import make_engine, migrate
    from crm_store.logs import setup_logging
    from crm_store.settings import load_settings

    settings = load_settings()
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.getLevelName(settings.log_level))  # as bot.rasa.server does
    setup_logging(settings.log_level)
    from bot.rasa.patches import install_patches

    install_patches()  # as bot.rasa.server does before it builds the app
    engine = make_engine(os.environ["DATABASE_URL"])
    migrate(engine)
    senders = [f"cpu-{secrets.token_hex(4)}-{k}" for k in range(args.scripts + 1)]
    orders = seed_customers(engine, [("rest", senders)])
    actions = subprocess.Popen(
        [sys.executable, "-m", "bot.action_server"],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=(work / "actions.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_http(f"http://127.0.0.1:{action_port}/health", actions)
        return asyncio.run(run(args, senders, orders))
    finally:
        actions.terminate()
        actions.wait(30)


async def run(args: argparse.Namespace, senders: list[str], orders: dict[str, str]) -> int:
    from rasa.core.agent import load_agent
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
    from rasa.core.utils import AvailableEndpoints

    from bench.load import SCRIPT
    from nlu.training import model_file

    os.chdir(ROOT)
    endpoints = AvailableEndpoints.read_endpoints("endpoints.yml")
    model = model_file(ROOT / "models")
    if not model.exists():
        raise SystemExit(f"{model.relative_to(ROOT)} is missing: run `crmbot train` first")
    agent = await load_agent(model_path=str(model), endpoints=endpoints)
    meter = Meter()
    instrument(meter)

    async def say(sender: str, text: str) -> list:
        channel = CollectingOutputChannel()
        return await agent.handle_message(UserMessage(text, channel, sender)) or []

    for text in SCRIPT:  # warm-up: TensorFlow builds its graphs on the first calls
        await say(senders[0], text.format(order=orders[senders[0]]))
    meter.cpu.clear()
    meter.calls.clear()
    spy = None
    if args.profile:
        import signal

        spy = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "py-spy"),
                "record",
                "--format",
                "raw",
                "--rate",
                "250",
                "--nonblocking",
                "-p",
                str(os.getpid()),
                "-o",
                str(args.profile),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        await asyncio.sleep(1.0)
    messages = replies = 0
    started_cpu, started = time.process_time(), time.perf_counter()
    threads_before = threads_cpu()
    for sender in senders[1:]:
        for template in SCRIPT:
            with meter.stage("rest of the turn"):
                replies += len(await say(sender, template.format(order=orders[sender])))
            messages += 1
    total_cpu = time.process_time() - started_cpu
    wall = time.perf_counter() - started
    threads_after = threads_cpu()
    if spy is not None:
        spy.send_signal(signal.SIGINT)
        spy.wait(60)
    rows = {name: meter.cpu[name] * 1000 / messages for name in (*STAGES, "rest of the turn")}
    rows.update({name: cpu * 1000 / messages for name, cpu in sorted(meter.cpu.items()) if name not in rows})
    print(f"{messages} messages, {replies} replies, one at a time; load average {os.getloadavg()[0]:.1f}")
    print(f"{'stage':<60} {'CPU ms/msg':>10} {'calls/msg':>9}")
    for name, ms in rows.items():
        calls = meter.calls[name] / messages
        print(f"{name:<60} {ms:>10.1f} {calls:>9.2f}")
    print(f"{'total (process)':<60} {total_cpu * 1000 / messages:>10.1f}   wall {wall * 1000 / messages:.1f} ms/msg")
    print(
        "by thread (CPU ms/msg):",
        ", ".join(
            f"{name} {(threads_after[name] - threads_before.get(name, 0.0)) * 1000 / messages:.1f}"
            for name in sorted(threads_after, key=lambda n: threads_before.get(n, 0.0) - threads_after[n])
            if threads_after[name] - threads_before.get(name, 0.0) > 0
        ),
    )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "messages": messages,
                    "cpu_ms": rows,
                    "total_cpu_ms": total_cpu * 1000 / messages,
                    "wall_ms": wall * 1000 / messages,
                },
                indent=2,
            )
        )
    from bot.rasa.speedups import close_action_sessions

    await close_action_sessions()
    if agent.tracker_store.event_broker:
        await agent.tracker_store.event_broker.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
