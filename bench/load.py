"""Load bench: simulated customers against the running assistant, beside plain Rasa in the same run.

    nice .venv/bin/python bench/load.py [--levels 1,10,50,100] [--seconds 30] [--transport rest|webchat|both]
                                        [--chart docs/load.png] [--json FILE] [--profile FILE]

Starts the assistant as a user does (`crmbot run`, embedded profile, a throw-away
SQLite CRM seeded with one customer and order per simulated customer) and, as
the baseline, plain `rasa run` serving the same model with Rasa's defaults (in-
memory tracker and lock store, no event broker, no CRM ingestion) and the same
action server. Each level C runs C closed-loop customers, each with its own
sender id and script (greet, their own order's status, an FAQ, thanks, bye),
first on the baseline and then on the assistant, for the same number of seconds,
over REST and/or the socket.io web chat (a new socket.io session per script, as
a new visitor of the widget opens one; the assistant's sessions carry tokens
signed with the deployment's WEBCHAT_SECRET, plain Rasa's are its socket ids).
A web chat message counts as answered when the server acknowledges it, which it
does after the turn's replies were emitted.
It prints msgs/s and p50/p95/p99 latency per target and level, the ratio to the
baseline, the Rasa server's CPU per message (its NLU workers included) and the whole
stack's, and the cores busy (the stack's processes + the bench's own client / the
whole machine, other people's work included),
and after each level of the assistant checks the CRM: messages sent == inbound
rows, bot messages received == outbound rows, no duplicates, every sender's
messages in the order they were sent. A mismatch fails the bench (exit 1).
`bench/scale_out.py` runs the same customers against two servers behind haproxy.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import select  # noqa: E402

from bot.rasa.server import THREAD_POOLS  # noqa: E402
from crm_store import stages  # noqa: E402
from crm_store.db import UnitOfWork, make_engine, migrate  # noqa: E402
from crm_store.models import ChannelIdentity, Conversation, Customer, Message, Order  # noqa: E402

TARGET_OVERHEAD = 0.10
SCRIPT = ("hello", "where is my order {order}?", "how much is shipping?", "thanks", "bye")
TARGETS = ("plain rasa", "crmbot")
TURN_TIMEOUT = 120.0
# One machine sends every simulated customer's messages: the per-address limits meant for the
# internet would turn the bench into a test of the rate limiter.
UNLIMITED = {
    "MESSAGES_PER_MINUTE": "1000000",
    "MESSAGES_PER_MINUTE_PER_IP": "1000000",
    "NEW_CUSTOMERS_PER_IP_PER_HOUR": "1000000",
}


@dataclass
class Level:
    target: str
    customers: int
    transport: str = "rest"
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    empty: int = 0
    sent: int = 0
    bot_messages: int = 0
    plan: list[list[str]] = field(default_factory=list)  # per customer: its sender ids, one per script
    senders: list[str] = field(default_factory=list)  # the sender ids used
    sent_texts: dict[str, list[str]] = field(default_factory=dict)  # per sender, in the order sent

    def figures(self) -> dict[str, float]:
        lat = sorted(self.latencies) or [float("nan")]

        def pct(p: float) -> float:
            return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000

        return {
            "msgs_s": len(self.latencies) / self.seconds if self.seconds else 0.0,
            "p50_ms": pct(0.50),
            "p95_ms": pct(0.95),
            "p99_ms": pct(0.99),
        }

    def start_script(self, sender: str, first_time: bool) -> None:
        if first_time:
            self.senders.append(sender)

    def record(self, sender: str, text: str, took: float | None, replies: list | None) -> None:
        """One message sent; `replies` None: it failed (no answer, an error status)."""
        self.sent += 1
        self.sent_texts.setdefault(sender, []).append(text)
        if replies is None:
            self.errors += 1
            return
        self.latencies.append(took or 0.0)
        self.bot_messages += len(replies)
        self.empty += not replies


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen, timeout: float = 900) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{url}: the process exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise SystemExit(f"{url} did not come up in {timeout:.0f}s")


def plan_senders(run_id: str, label: str, transport: str, customers: int, scripts: int) -> list[list[str]]:
    """Per simulated customer, a sender id per script. Web chat session ids are 32 letters and digits,
    like the ones the server issues."""
    if transport == "webchat":
        return [[uuid.uuid4().hex for _ in range(scripts)] for _ in range(customers)]
    return [[f"load-{run_id}-{label}-{i}-{k}" for k in range(scripts)] for i in range(customers)]


def seed_customers(engine, customers: list[tuple[str, list[str]]], identities: bool = True) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Per simulated customer (channel, sender ids): one CRM customer, a shipped order and (identities)
    an identity for each of its sender ids (a fresh conversation per script); returns sender -> order number.
    Without identities each sender is a new visitor: its order question leads to the email check."""
    placed = datetime.utcnow() - timedelta(days=4)
    orders = {}
    uow = UnitOfWork(engine)
    with uow:
        for n, (channel, senders) in enumerate(customers):
            customer = uow.customers.add(Customer(name=f"Load Customer {n}", created_at=placed))
            for sender in senders if identities else ():
                uow.identities.add(
                    ChannelIdentity(customer_id=customer.id, channel=channel, external_id=sender, created_at=placed)
                )
            number = f"B-{10000 + n}"
            order = uow.orders.add(
                Order(
                    number=number,
                    customer_id=customer.id,
                    status="pending",
                    stage_entered_at=placed,
                    placed_at=placed,
                    total=Decimal("19.90"),
                )
            )
            for step, stage in enumerate(("paid", "packed", "shipped")):
                stages.move(uow.session, "order", order, stage, placed + timedelta(days=step + 1))
            orders.update({sender: number for sender in senders})
        uow.commit()
    return orders


def scripts_of(senders: list[str]):  # type: ignore[no-untyped-def]
    """(script number, sender id): a fresh sender per script, starting over when a customer runs out."""
    return enumerate(senders * 1000)


async def rest_customer(
    client: httpx.AsyncClient, url: str, senders: list[str], orders: dict[str, str], level: Level, until: float
) -> None:
    for script, sender in scripts_of(senders):
        if time.monotonic() >= until:
            return
        level.start_script(sender, script < len(senders))
        for template in SCRIPT:
            if time.monotonic() >= until:
                return
            text = template.format(order=orders.get(sender, "B-10000"))
            started = time.perf_counter()
            try:
                resp = await client.post(url, json={"sender": sender, "message": text})
                replies = resp.json() if resp.status_code == 200 else None
            except (httpx.HTTPError, ValueError):
                replies = None
            level.record(sender, text, time.perf_counter() - started, replies)


async def webchat_customer(
    base_url: str,
    sessions: list[str],
    orders: dict[str, str],
    level: Level,
    until: float,
    token_of: Callable[[str], str] | None,
) -> None:
    """The widget's protocol: connect, session_request / session_confirm, user_uttered, bot_uttered.

    token_of: the signed token of a planned session (the assistant); None lets the server pick
    the session (plain Rasa, whose sender is then the socket id).
    """
    import aiohttp
    import socketio

    if not hasattr(aiohttp, "ClientWSTimeout"):
        # python-engineio's websocket client names aiohttp 3.10's timeout class; Rasa pins aiohttp 3.9,
        # whose ws_connect takes the same close timeout in seconds.
        aiohttp.ClientWSTimeout = lambda ws_close=None, ws_receive=None: ws_close
    loop = asyncio.get_running_loop()
    for script, session in scripts_of(sessions):
        if time.monotonic() >= until:
            return
        level.start_script(session, script < len(sessions))
        sio = socketio.AsyncClient(reconnection=False)
        replies: list[dict] = []
        confirmed: asyncio.Future = loop.create_future()

        async def on_bot(data: dict) -> None:
            replies.append(data)

        async def on_confirm(data: object) -> None:
            if not confirmed.done():
                confirmed.set_result(data)

        sio.on("bot_uttered", on_bot)
        sio.on("session_confirm", on_confirm)
        token = token_of(session) if token_of else None
        try:
            await sio.connect(base_url, socketio_path="/socket.io", transports=["websocket"], wait_timeout=TURN_TIMEOUT)
            await sio.emit("session_request", {"session_id": token})
            await asyncio.wait_for(confirmed, TURN_TIMEOUT)
        except (socketio.exceptions.ConnectionError, asyncio.TimeoutError):
            level.errors += 1
            await sio.disconnect()
            continue
        try:
            for template in SCRIPT:
                if time.monotonic() >= until:
                    return
                text = template.format(order=orders.get(session, "B-10000"))
                before = len(replies)
                acked: asyncio.Future = loop.create_future()
                started = time.perf_counter()
                # The server acknowledges after its handler returns, i.e. after the turn and its replies.
                await sio.emit(
                    "user_uttered",
                    {"message": text, "session_id": token or confirmed.result()},
                    callback=lambda *_: acked.done() or acked.set_result(None),
                )
                try:
                    await asyncio.wait_for(acked, TURN_TIMEOUT)
                except asyncio.TimeoutError:
                    level.record(session, text, None, None)
                    break  # the socket is in doubt; the next script opens a new one
                level.record(session, text, time.perf_counter() - started, replies[before:])
        finally:
            await sio.disconnect()


async def run_level(
    base_url: str, level: Level, orders: dict[str, str], seconds: float, token_of: Callable[[str], str] | None = None
) -> None:
    started = time.monotonic()
    until = started + seconds
    if level.transport == "webchat":
        await asyncio.gather(
            *(webchat_customer(base_url, sessions, orders, level, until, token_of) for sessions in level.plan)
        )
    else:
        url = f"{base_url}/webhooks/rest/webhook"
        limits = httpx.Limits(max_connections=level.customers + 5, max_keepalive_connections=level.customers + 5)
        async with httpx.AsyncClient(timeout=TURN_TIMEOUT, limits=limits) as client:
            await asyncio.gather(*(rest_customer(client, url, senders, orders, level, until) for senders in level.plan))
    level.seconds = time.monotonic() - started


def crm_counts(engine, level: Level) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Inbound and outbound rows of the level's senders, duplicates, senders whose inbound rows are
    not in the order the customer sent them, and senders whose one session became several CRM conversations."""
    senders = level.senders
    with engine.connect() as conn:
        rows = conn.execute(
            select(Conversation.sender_id, Message.direction, Message.text, Message.event_key, Message.conversation_id)
            .join(Conversation, Message.conversation_id == Conversation.id)
            .where(Conversation.sender_id.in_(senders))
            .order_by(Message.sent_at, Message.id)
        ).all()
    inbound: dict[str, list[str]] = {}
    conversations: dict[str, set[int]] = {}
    for sender, direction, text, _key, conversation_id in rows:
        conversations.setdefault(sender, set()).add(conversation_id)
        if direction == "in":
            inbound.setdefault(sender, []).append(text)
    keys = [row.event_key for row in rows]
    reordered = sum(
        1
        for sender, texts in level.sent_texts.items()
        if inbound.get(sender, []) != texts and sorted(inbound.get(sender, [])) == sorted(texts)
    )
    return {
        "in": sum(1 for r in rows if r.direction == "in"),
        "out": sum(1 for r in rows if r.direction == "out"),
        "duplicates": len(keys) - len(set(keys)),
        "reordered": reordered,
        "split": sum(1 for ids in conversations.values() if len(ids) > 1),
    }


def check_counts(engine, level: Level, settle: float = 180) -> tuple[bool, dict[str, int]]:  # type: ignore[no-untyped-def]
    """Wait for ingestion to catch up, then compare what the customers saw with the CRM."""
    deadline = time.monotonic() + settle
    while True:
        counts = crm_counts(engine, level)
        ok = (
            counts["in"] == level.sent
            and counts["out"] == level.bot_messages
            and counts["duplicates"] == 0
            and counts["reordered"] == 0
            and counts["split"] == 0
        )
        if ok or time.monotonic() > deadline:
            return ok, counts
        time.sleep(1)


def check_line(level: Level, ok: bool, counts: dict[str, int]) -> str:
    return (
        f"sent {level.sent} = in {counts['in']}, replies {level.bot_messages} = out {counts['out']}, "
        f"duplicates {counts['duplicates']}, reordered {counts['reordered']}, split {counts['split']}: "
        f"{'ok' if ok else 'MISMATCH'}"
    )


def assistant_env(work: Path, name: str = "crmbot", **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{work / 'crm.db'}",
        "VAR_DIR": str(work / f"var-{name}"),
        "RASA_PORT": str(free_port()),
        "ACTION_PORT": str(free_port()),
        "CONSOLE_PORT": str(free_port()),
        "LOG_LEVEL": "WARNING",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "WEBCHAT_SECRET": secrets.token_urlsafe(32),
        "ACTION_SERVER_TOKEN": secrets.token_urlsafe(32),
        **UNLIMITED,
        **extra,
    }
    return {k: v for k, v in env.items() if not k.startswith("TELEGRAM_")}


def start_assistant(
    work: Path, env: dict[str, str], name: str = "crmbot", prefix: tuple[str, ...] = ()
) -> subprocess.Popen:
    """`crmbot run`; `prefix` e.g. ("taskset", "-c", "0") pins it and every process it starts to a core."""
    return subprocess.Popen(
        [*prefix, sys.executable, "-m", "bot.cli", "run"],
        cwd=ROOT,
        env=env,
        stdout=(work / f"{name}.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def start_plain_rasa(work: Path, model: Path, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    """Plain `rasa run` on the assistant's action server (which answers only calls carrying its token)."""
    port = free_port()
    (work / "plain-endpoints.yml").write_text(
        f"action_endpoint:\n  url: http://127.0.0.1:{env['ACTION_PORT']}/webhook\n"
        f"  headers:\n    X-Action-Token: {env['ACTION_SERVER_TOKEN']}\n"
    )
    # Rasa's own socket.io channel; without session persistence its sender is the socket id.
    (work / "plain-credentials.yml").write_text(
        "rest:\nsocketio:\n  user_message_evt: user_uttered\n"
        "  bot_message_evt: bot_uttered\n  session_persistence: false\n"
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rasa",
            "run",
            "-i",
            "127.0.0.1",
            "-p",
            str(port),
            "--model",
            str(model),
            "--endpoints",
            str(work / "plain-endpoints.yml"),
            "--credentials",
            str(work / "plain-credentials.yml"),
        ],
        cwd=work,
        # The same thread pools as the assistant's Rasa (one BLAS/OpenMP/TensorFlow thread): a fair baseline.
        env={**os.environ, **THREAD_POOLS, "PYTHONWARNINGS": "ignore", "TF_CPP_MIN_LOG_LEVEL": "2"},
        stdout=(work / "plain.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return proc, f"http://127.0.0.1:{port}"


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of processes (all their threads) so far."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def children(pid: int, pattern: str | None = None) -> list[int]:
    cmd = ["pgrep", "-P", str(pid)] + (["-f", pattern] if pattern else [])
    return [int(p) for p in subprocess.run(cmd, capture_output=True, text=True).stdout.split()]


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (the supervisor's children and theirs: Rasa's NLU workers)."""
    found, todo = [], [pid]
    while todo:
        kids = children(todo.pop())
        found += kids
        todo += kids
    return found


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    total = sum(fields[:8])
    tick = os.sysconf("SC_CLK_TCK")
    return (total - idle) / tick, total / tick


def rasa_child(supervisor: subprocess.Popen) -> int:
    """The pid of the Rasa server that `crmbot run` (pid given) supervises."""
    return children(supervisor.pid, "bot.rasa.server")[0]


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def chart(results: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    colors = {"plain rasa": "tab:blue", "crmbot": "tab:orange"}
    styles = {"rest": "-o", "webchat": "--s"}
    for target in TARGETS:
        for transport in styles:
            rows = [r for r in results if r["target"] == target and r["transport"] == transport]
            if not rows:
                continue
            label = f"{target} ({transport})"
            cs = [r["customers"] for r in rows]
            left.plot(cs, [r["msgs_s"] for r in rows], styles[transport], color=colors[target], label=label)
            right.plot(cs, [r["p95_ms"] for r in rows], styles[transport], color=colors[target], label=f"{label} p95")
            right.plot(
                cs,
                [r["p50_ms"] for r in rows],
                styles[transport],
                color=colors[target],
                alpha=0.35,
                label=f"{label} p50",
            )
    left.set(xlabel="simulated customers", ylabel="messages / s", title="Throughput")
    right.set(xlabel="simulated customers", ylabel="latency (ms)", title="Latency", yscale="log")
    for ax in (left, right):
        ax.set_xscale("log")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


HEADER = (
    f"{'target':<11} {'transport':<8} {'C':>4} {'msgs/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
    f"{'CPU ms/msg':>11} {'cores':>14} {'errors':>7} {'empty':>6}  CRM check"
)


def row_line(level: Level, figures: dict[str, float], check: str) -> str:
    return (
        f"{level.target:<11} {level.transport:<8} {level.customers:>4} {figures['msgs_s']:>8.1f} {figures['p50_ms']:>8.0f} "
        f"{figures['p95_ms']:>8.0f} {figures['p99_ms']:>8.0f} {figures['rasa_cpu_ms']:>5.0f}/{figures['stack_cpu_ms']:<5.0f} "
        f"{figures['stack_cores']:>4.2f}+{figures['client_cores']:.2f}/{figures['machine_cores']:<4.2f} "
        f"{level.errors:>7} {level.empty:>6}  {check}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--levels", default="1,10,50,100")
    parser.add_argument("--seconds", type=float, default=30.0, help="per level, transport and target")
    parser.add_argument("--transport", choices=("rest", "webchat", "both"), default="rest")
    parser.add_argument(
        "--mix",
        choices=("new", "known"),
        default="new",
        help="new: every script is a new visitor, whose order question leads to the email check (the realistic "
        "mix); known: every sender is already linked to its customer, whose order status is answered at once",
    )
    parser.add_argument("--chart", type=Path, default=None, help="write a PNG chart here")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="py-spy the assistant's Rasa server during its last level; collapsed stacks go here",
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for the assistant, e.g. INGEST_WORKER=process (repeatable)",
    )
    args = parser.parse_args(argv)
    levels = [int(x) for x in args.levels.split(",")]
    transports = ["rest", "webchat"] if args.transport == "both" else [args.transport]

    from bot.channels.webchat_sessions import SessionSigner
    from bot.heartbeat import read_beat, worker_beats
    from nlu.training import model_file

    model = model_file(ROOT / "models")
    work = Path(tempfile.mkdtemp(prefix="crmbot-load-"))
    engine = make_engine(f"sqlite:///{work / 'crm.db'}")
    migrate(engine)
    run_id = f"{random.randrange(16**6):06x}"
    # Enough sender ids for a script each at up to 60 msgs/s; a customer that runs out starts over.
    scripts = max(4, int(60 * args.seconds / len(SCRIPT) / min(levels)) + 1)
    plan = {
        (target, transport, c): plan_senders(
            run_id, f"{target[0]}{transport[0]}{c}", transport, c, max(4, scripts // c)
        )
        for c in levels
        for target in TARGETS
        for transport in transports
    }
    orders = seed_customers(
        engine,
        [
            (transport, ids)
            for (target, transport, _c), customers in plan.items()
            if not (target == "plain rasa" and transport == "webchat")
            for ids in customers
        ],
        identities=args.mix == "known",
    )
    env = assistant_env(work, **dict(item.split("=", 1) for item in args.env))
    assistant = start_assistant(work, env)
    signer = SessionSigner(env["WEBCHAT_SECRET"])
    plain = None
    results, failed = [], []
    try:
        wait_http(f"http://127.0.0.1:{env['RASA_PORT']}/", assistant)
        plain, plain_url = start_plain_rasa(work, model, env)
        wait_http(f"{plain_url}/", plain)
        urls = {"plain rasa": plain_url, "crmbot": f"http://127.0.0.1:{env['RASA_PORT']}"}
        rasa_pid = rasa_child(assistant)
        action_pid = children(assistant.pid, "bot.action_server")[0]
        pids = {"plain rasa": ([plain.pid], [plain.pid, action_pid]), "crmbot": ([rasa_pid], children(assistant.pid))}
        for url in urls.values():  # the first turn loads TensorFlow graphs; keep it out of the figures
            httpx.post(
                f"{url}/webhooks/rest/webhook", json={"sender": f"warmup-{run_id}", "message": "hello"}, timeout=300
            )
        print(
            f"load average at the start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
            + (f"; assistant settings: {' '.join(args.env)}" if args.env else "")
        )
        print(HEADER)
        for c in levels:
            for transport in transports:
                by_target = {}
                for target in TARGETS:
                    level = Level(target, c, transport, plan=plan[(target, transport, c)])
                    spy = None
                    if args.profile and target == "crmbot" and c == levels[-1] and transport == transports[-1]:
                        spy = subprocess.Popen(
                            [
                                str(Path(sys.executable).parent / "py-spy"),
                                "record",
                                "--format",
                                "raw",
                                "--rate",
                                "100",
                                "--nonblocking",
                                "-p",
                                str(rasa_pid),
                                "-d",
                                str(int(args.seconds)),
                                "-o",
                                str(args.profile),
                            ],
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL,
                        )
                    rasa_pids, stack_pids = pids[target]
                    if target == "crmbot":
                        # A restarted child has a new pid; the NLU workers are the Rasa server's children.
                        rasa_pid = rasa_child(assistant)
                        # With RASA_WORKERS the server's workers are its children, their NLU workers theirs.
                        rasa_pids = [rasa_pid, *descendants(rasa_pid)]
                        stack_pids = descendants(assistant.pid)
                    before = cpu_seconds(rasa_pids), cpu_seconds(stack_pids)
                    loop_before = cpu_seconds(rasa_pids[:1])
                    machine_before = machine_busy()
                    client_before = time.process_time()
                    token_of = signer.token_for if target == "crmbot" else None
                    asyncio.run(run_level(urls[target], level, orders, args.seconds, token_of))
                    if spy is not None:
                        spy.wait(60)
                    figures = level.figures()
                    answered = max(1, len(level.latencies))
                    figures["rasa_cpu_ms"] = (cpu_seconds(rasa_pids) - before[0]) * 1000 / answered
                    figures["stack_cpu_ms"] = (cpu_seconds(stack_pids) - before[1]) * 1000 / answered
                    # The Rasa server's own process (its event loop's work), without its NLU workers.
                    figures["rasa_loop_cpu_ms"] = (cpu_seconds(rasa_pids[:1]) - loop_before) * 1000 / answered
                    # Cores busy: the served stack (and this bench's own client) per second of the level, and
                    # the whole machine (other people's work included on a shared one).
                    figures["stack_cores"] = (cpu_seconds(stack_pids) - before[1]) / level.seconds
                    figures["client_cores"] = (time.process_time() - client_before) / level.seconds
                    busy, total = machine_busy()
                    figures["machine_cores"] = (
                        (busy - machine_before[0]) / (total - machine_before[1]) * (os.cpu_count() or 1)
                    )
                    check = ""
                    if target == "crmbot":
                        ok, counts = check_counts(engine, level)
                        check = check_line(level, ok, counts)
                        # With RASA_WORKERS each worker beats on its own (rasa.<pid>): the latest of them.
                        beats = worker_beats(Path(env["VAR_DIR"]), "rasa", rasa_pids[0])
                        beat = read_beat(Path(env["VAR_DIR"]), "rasa") or max(
                            beats, key=lambda b: b.get("max_lag", 0), default={}
                        )
                        # How late the Rasa loop's heartbeat came: what the supervisor's BEAT_STALE must allow.
                        check += f"; rasa loop lag max {beat.get('max_lag', '?')} s"
                        # Served without a restart: the same Rasa server, and no child restarted by the supervisor.
                        restarts = (work / "crmbot.log").read_text(errors="replace").count("restarting")
                        restarts += rasa_child(assistant) != rasa_pids[0]
                        check += f"; restarts {restarts}"
                        if not ok or restarts:
                            failed.append(f"C={c} {transport}: {check}")
                    print(row_line(level, figures, check), flush=True)
                    by_target[target] = figures
                    results.append(
                        {
                            "target": target,
                            "transport": transport,
                            "customers": c,
                            **figures,
                            "errors": level.errors,
                            "empty": level.empty,
                            "sent": level.sent,
                        }
                    )
                plain_f, crm_f = by_target["plain rasa"], by_target["crmbot"]
                overhead = plain_f["msgs_s"] / crm_f["msgs_s"] - 1 if crm_f["msgs_s"] else float("inf")
                cpu = crm_f["rasa_cpu_ms"] / plain_f["rasa_cpu_ms"] - 1 if plain_f["rasa_cpu_ms"] else float("inf")
                ratio = crm_f["msgs_s"] / plain_f["msgs_s"] if plain_f["msgs_s"] else float("inf")
                print(
                    f"{'':<20} {c:>4} {transport}: {ratio:.2f} x plain Rasa's msgs/s (overhead {overhead:+.1%}), "
                    f"{cpu:+.1%} Rasa CPU per message ({crm_f['rasa_loop_cpu_ms']:.0f} ms in the server's own process); "
                    f"the stack kept {crm_f['stack_cores']:.2f} cores busy, "
                    f"p95 / p50 {crm_f['p95_ms'] / crm_f['p50_ms']:.1f}",
                    flush=True,
                )
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    finally:
        if plain is not None:
            stop(plain)
        stop(assistant)
        engine.dispose()
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    if args.profile and args.profile.exists():
        from bench.profile_breakdown import parse, report

        print(f"\nwhere the assistant's Rasa server spent its CPU at C={levels[-1]} (py-spy):")
        print(report(parse(args.profile.read_text().splitlines())))
    if args.chart:
        chart(results, args.chart)
        print(f"chart: {args.chart}")
    for line in failed:
        print(f"FAILED {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
