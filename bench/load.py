"""Load bench: simulated customers against the running assistant, beside plain Rasa in the same run.

    nice .venv/bin/python bench/load.py [--levels 1,10,50,100] [--seconds 30] [--chart docs/load.png]

Starts the assistant as a user does (`crmbot run`, embedded profile, a throw-away
SQLite CRM seeded with one customer and order per simulated customer) and, as
the baseline, plain `rasa run` serving the same model with Rasa's defaults (in-
memory tracker and lock store, no event broker, no CRM ingestion) and the same
action server. Each level C runs C closed-loop customers over REST, each with its
own sender id and script (greet, their own order's status, an FAQ, thanks, bye),
first on the baseline and then on the assistant, for the same number of seconds.
It prints msgs/s and p50/p95/p99 latency per target and level, the overhead ratio
against the baseline, and after each level of the assistant checks the CRM:
messages sent == inbound rows, bot messages received == outbound rows, no
duplicates. A mismatch fails the bench (exit 1) with the numbers.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from crm_store import stages  # noqa: E402
from crm_store.db import UnitOfWork, make_engine, migrate  # noqa: E402
from crm_store.models import ChannelIdentity, Conversation, Customer, Message, Order  # noqa: E402

TARGET_OVERHEAD = 0.10
SCRIPT = ("hello", "where is my order {order}?", "how much is shipping?", "thanks", "bye")


@dataclass
class Level:
    target: str
    customers: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    empty: int = 0
    sent: int = 0
    bot_messages: int = 0
    plan: list[list[str]] = field(default_factory=list)  # per customer: its sender ids, one per script
    senders: list[str] = field(default_factory=list)  # the sender ids used

    def figures(self) -> dict[str, float]:
        lat = sorted(self.latencies) or [float("nan")]

        def pct(p: float) -> float:
            return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000

        return {"msgs_s": len(self.latencies) / self.seconds if self.seconds else 0.0,
                "p50_ms": pct(0.50), "p95_ms": pct(0.95), "p99_ms": pct(0.99)}


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


def seed_customers(engine, customers: list[list[str]]) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Per simulated customer: one CRM customer, a shipped order and a REST identity for each of its
    sender ids (a fresh conversation per script); returns sender -> order number."""
    placed = datetime.utcnow() - timedelta(days=4)
    orders = {}
    uow = UnitOfWork(engine)
    with uow:
        for n, senders in enumerate(customers):
            customer = uow.customers.add(Customer(name=f"Load Customer {n}", created_at=placed))
            for sender in senders:
                uow.identities.add(ChannelIdentity(customer_id=customer.id, channel="rest", external_id=sender, created_at=placed))
            number = f"B-{10000 + n}"
            order = uow.orders.add(Order(number=number, customer_id=customer.id, status="pending", stage_entered_at=placed,
                                         placed_at=placed, total=Decimal("19.90")))
            for step, stage in enumerate(("paid", "packed", "shipped")):
                stages.move(uow.session, "order", order, stage, placed + timedelta(days=step + 1))
            orders.update({sender: number for sender in senders})
        uow.commit()
    return orders


async def customer(client: httpx.AsyncClient, url: str, senders: list[str], orders: dict[str, str], level: Level,
                   until: float) -> None:
    for script, sender in enumerate(senders * 1000):  # a fresh sender id per script, as new customers arrive
        if time.monotonic() >= until:
            return
        if script < len(senders):
            level.senders.append(sender)
        order = orders[sender]
        for template in SCRIPT:
            if time.monotonic() >= until:
                return
            started = time.perf_counter()
            level.sent += 1
            try:
                resp = await client.post(url, json={"sender": sender, "message": template.format(order=order)})
                replies = resp.json() if resp.status_code == 200 else None
            except (httpx.HTTPError, ValueError):
                replies = None
            took = time.perf_counter() - started
            if replies is None:
                level.errors += 1
                continue
            level.latencies.append(took)
            level.bot_messages += len(replies)
            level.empty += not replies


async def run_level(base_url: str, level: Level, orders: dict[str, str], seconds: float) -> None:
    url = f"{base_url}/webhooks/rest/webhook"
    limits = httpx.Limits(max_connections=level.customers + 5, max_keepalive_connections=level.customers + 5)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        started = time.monotonic()
        until = started + seconds
        await asyncio.gather(*(customer(client, url, senders, orders, level, until) for senders in level.plan))
        level.seconds = time.monotonic() - started


def crm_counts(engine, senders: list[str]) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        def count(direction: str) -> int:
            stmt = (select(func.count()).select_from(Message).join(Conversation, Message.conversation_id == Conversation.id)
                    .where(Conversation.sender_id.in_(senders), Message.direction == direction))
            return conn.execute(stmt).scalar_one()

        keys = (select(Message.event_key).join(Conversation, Message.conversation_id == Conversation.id)
                .where(Conversation.sender_id.in_(senders)))
        rows = conn.execute(keys).scalars().all()
        return {"in": count("in"), "out": count("out"), "duplicates": len(rows) - len(set(rows))}


def check_counts(engine, level: Level, settle: float = 120) -> tuple[bool, dict[str, int]]:  # type: ignore[no-untyped-def]
    """Wait for ingestion to catch up, then compare what the customers saw with the CRM."""
    deadline = time.monotonic() + settle
    while True:
        counts = crm_counts(engine, level.senders)
        ok = counts["in"] == level.sent and counts["out"] == level.bot_messages and counts["duplicates"] == 0
        if ok or time.monotonic() > deadline:
            return ok, counts
        time.sleep(1)


def start_assistant(work: Path, model: Path) -> tuple[subprocess.Popen, dict[str, str]]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{work / 'crm.db'}", "VAR_DIR": str(work / "var"),
           "RASA_PORT": str(free_port()), "ACTION_PORT": str(free_port()), "LOG_LEVEL": "WARNING",
           "PYTHONWARNINGS": "ignore", "TF_CPP_MIN_LOG_LEVEL": "2"}
    env = {k: v for k, v in env.items() if not k.startswith("TELEGRAM_")}
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], cwd=ROOT, env=env, stdout=(work / "stack.log").open("w"),
                            stderr=subprocess.STDOUT, start_new_session=True)
    return proc, env


def start_plain_rasa(work: Path, model: Path, action_port: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    (work / "plain-endpoints.yml").write_text(f"action_endpoint:\n  url: http://127.0.0.1:{action_port}/webhook\n")
    (work / "plain-credentials.yml").write_text("rest:\n")
    proc = subprocess.Popen([sys.executable, "-m", "rasa", "run", "-i", "127.0.0.1", "-p", str(port), "--model", str(model),
                             "--endpoints", str(work / "plain-endpoints.yml"), "--credentials", str(work / "plain-credentials.yml")],
                            cwd=work, env={**os.environ, "PYTHONWARNINGS": "ignore", "TF_CPP_MIN_LOG_LEVEL": "2"},
                            stdout=(work / "plain.log").open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    return proc, f"http://127.0.0.1:{port}"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rasa_child(supervisor: subprocess.Popen) -> int:
    """The pid of the Rasa server that `crmbot run` (pid given) supervises."""
    out = subprocess.run(["pgrep", "-P", str(supervisor.pid), "-f", "rasa run"], capture_output=True, text=True).stdout
    return int(out.split()[0])


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
    for target, style, color in (("plain rasa", "--o", "tab:blue"), ("crmbot", "-o", "tab:orange")):
        rows = [r for r in results if r["target"] == target]
        left.plot([r["customers"] for r in rows], [r["msgs_s"] for r in rows], style, color=color, label=target)
        right.plot([r["customers"] for r in rows], [r["p95_ms"] for r in rows], style, color=color, label=f"{target} p95")
        right.plot([r["customers"] for r in rows], [r["p50_ms"] for r in rows], style, color=color, alpha=0.4, label=f"{target} p50")
    left.set(xlabel="simulated customers", ylabel="messages / s", title="Throughput (REST)")
    right.set(xlabel="simulated customers", ylabel="latency (ms)", title="Latency", yscale="log")
    for ax in (left, right):
        ax.set_xscale("log")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--levels", default="1,10,50,100")
    parser.add_argument("--seconds", type=float, default=30.0, help="per level and target")
    parser.add_argument("--chart", type=Path, default=None, help="write a PNG chart here")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument("--profile", type=Path, default=None,
                        help="py-spy the assistant's Rasa server during its last level; collapsed stacks go here")
    args = parser.parse_args(argv)
    levels = [int(x) for x in args.levels.split(",")]

    from nlu.training import model_file

    model = model_file(ROOT / "models")
    work = Path(tempfile.mkdtemp(prefix="crmbot-load-"))
    engine = make_engine(f"sqlite:///{work / 'crm.db'}")
    migrate(engine)
    run_id = f"{random.randrange(16**6):06x}"
    # Enough sender ids for a script each at up to 60 msgs/s; a customer that runs out starts over.
    scripts = max(4, int(60 * args.seconds / len(SCRIPT) / min(levels)) + 1)
    plan = {(target, c): [[f"load-{run_id}-{target[0]}{c}-{i}-{k}" for k in range(max(4, scripts // c))] for i in range(c)]
            for c in levels for target in ("plain rasa", "crmbot")}
    orders = seed_customers(engine, [ids for customers in plan.values() for ids in customers])
    assistant, env = start_assistant(work, model)
    plain = None
    results, failed = [], []
    try:
        wait_http(f"http://127.0.0.1:{env['RASA_PORT']}/", assistant)
        plain, plain_url = start_plain_rasa(work, model, env["ACTION_PORT"])
        wait_http(f"{plain_url}/", plain)
        urls = {"plain rasa": plain_url, "crmbot": f"http://127.0.0.1:{env['RASA_PORT']}"}
        rasa_pids = {"plain rasa": plain.pid, "crmbot": rasa_child(assistant)}
        for url in urls.values():  # the first turn loads TensorFlow graphs; keep it out of the figures
            httpx.post(f"{url}/webhooks/rest/webhook", json={"sender": f"warmup-{run_id}", "message": "hello"}, timeout=300)
        print(f"{'target':<11} {'C':>4} {'msgs/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'CPU ms/msg':>10} {'errors':>7} {'empty':>6}  CRM check")
        for c in levels:
            by_target = {}
            for target in ("plain rasa", "crmbot"):
                level = Level(target, c, plan=plan[(target, c)])
                spy = None
                if args.profile and target == "crmbot" and c == levels[-1]:
                    spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--format", "raw", "--rate", "100",
                                            "--nonblocking", "-p", str(rasa_child(assistant)), "-d", str(int(args.seconds)),
                                            "-o", str(args.profile)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                pid = rasa_pids[target]
                cpu_before = cpu_seconds(pid)
                asyncio.run(run_level(urls[target], level, orders, args.seconds))
                if spy is not None:
                    spy.wait(60)
                figures = level.figures()
                figures["cpu_ms_per_msg"] = (cpu_seconds(pid) - cpu_before) * 1000 / max(1, len(level.latencies))
                check = ""
                if target == "crmbot":
                    ok, counts = check_counts(engine, level)
                    check = (f"sent {level.sent} = in {counts['in']}, replies {level.bot_messages} = out {counts['out']}, "
                             f"duplicates {counts['duplicates']}: {'ok' if ok else 'MISMATCH'}")
                    if not ok:
                        failed.append(f"C={c}: {check}")
                print(f"{target:<11} {c:>4} {figures['msgs_s']:>8.1f} {figures['p50_ms']:>8.0f} {figures['p95_ms']:>8.0f} "
                      f"{figures['p99_ms']:>8.0f} {figures['cpu_ms_per_msg']:>10.0f} {level.errors:>7} {level.empty:>6}  {check}", flush=True)
                by_target[target] = figures
                results.append({"target": target, "customers": c, **figures, "errors": level.errors, "empty": level.empty,
                                "sent": level.sent})
            overhead = by_target["plain rasa"]["msgs_s"] / by_target["crmbot"]["msgs_s"] - 1 if by_target["crmbot"]["msgs_s"] else float("inf")
            cpu = by_target["crmbot"]["cpu_ms_per_msg"] / by_target["plain rasa"]["cpu_ms_per_msg"] - 1
            print(f"{'':<11} {c:>4} overhead vs plain Rasa: {overhead:+.1%} msgs/s, {cpu:+.1%} Rasa CPU per message "
                  f"(target <= {TARGET_OVERHEAD:.0%})", flush=True)
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
