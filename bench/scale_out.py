"""Scale-out bench: one server against two behind a load balancer, in the same run.

    nice .venv/bin/python bench/scale_out.py [--customers 10] [--seconds 30] [--rounds 2] [--transport rest|webchat]

Runs the scale-out profile as a deployment of two machines would: two `crmbot run`
(each its own Rasa server, action server, `crmbot ingest` consumer, console and
VAR_DIR) on one PostgreSQL (a fresh schema of 127.0.0.1:5432/test for the CRM and
the tracker store), the Redis lock store (AtomicRedisLockStore, LOCK_STORE_URL)
and RabbitMQ (a fresh queue, EVENT_QUEUE), behind haproxy (Debian's package:
`apt-get install haproxy`) balancing every HTTP request round robin, so one
sender's consecutive messages land on both servers. haproxy has two front doors:
one to the first server only, one to both. The same closed-loop customers as
bench/load.py use each door in turn for the same number of seconds (`--rounds`
alternates them, so a change in the machine's load hits both alike), then the
bench prints msgs/s and latency of each, the ratio (target >= 1.8x), and checks
the CRM as bench/load.py does: sent == inbound rows, replies == outbound rows, no
duplicates, every sender's messages in the order sent, one conversation per
session. A mismatch fails the bench (exit 1).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import text  # noqa: E402

from bench.load import (  # noqa: E402
    HEADER,
    SCRIPT,
    Level,
    assistant_env,
    check_counts,
    check_line,
    descendants,
    cpu_seconds,
    free_port,
    plan_senders,
    row_line,
    run_level,
    seed_customers,
    start_assistant,
    stop,
    wait_http,
)
from crm_store.db import make_engine, migrate  # noqa: E402
from crm_store.ingestion.rabbit import Topology  # noqa: E402

POSTGRES = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
RABBIT = os.environ.get("BENCH_RABBIT_URL", "amqp://guest:guest@127.0.0.1:5672/")
TARGET_RATIO = 1.8


def haproxy_config(one: int, two: int, servers: list[int]) -> str:
    lines = [
        "global",
        "  maxconn 4096",
        "defaults",
        "  mode http",
        "  timeout connect 5s",
        "  timeout client 300s",
        "  timeout server 300s",
        "  timeout tunnel 300s",
        "frontend one",
        f"  bind 127.0.0.1:{one}",
        "  default_backend one",
        "frontend two",
        f"  bind 127.0.0.1:{two}",
        "  default_backend two",
        "backend one",
        f"  server a 127.0.0.1:{servers[0]}",
        "backend two",
        "  balance roundrobin",
    ]
    lines += [f"  server {name} 127.0.0.1:{port}" for name, port in zip("ab", servers)]
    return "\n".join(lines) + "\n"


def start_haproxy(work: Path, servers: list[int]) -> tuple[subprocess.Popen, dict[str, str]]:
    binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(binary).exists():
        raise SystemExit("haproxy is not installed: apt-get install haproxy")
    one, two = free_port(), free_port()
    config = work / "haproxy.cfg"
    config.write_text(haproxy_config(one, two, servers))
    proc = subprocess.Popen(
        [binary, "-db", "-f", str(config)],
        stdout=(work / "haproxy.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    urls = {"1 server": f"http://127.0.0.1:{one}", "2 servers": f"http://127.0.0.1:{two}"}
    return proc, urls


def create_schema(name: str) -> str:
    admin = make_engine(POSTGRES)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    admin.dispose()
    return f"{POSTGRES}?options=-csearch_path%3D{name}"


def drop_schema(name: str) -> None:
    admin = make_engine(POSTGRES)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
    admin.dispose()


def stack_cpu(nodes: list[subprocess.Popen]) -> float:
    return cpu_seconds([pid for node in nodes for pid in descendants(node.pid)])


# A node's processes by what they are (first match of the command line wins).
COMPONENTS = (
    ("rasa: NLU workers", "spawn_main"),
    ("rasa: server", "bot.rasa.server"),
    ("rasa: server", "resource_tracker"),
    ("actions", "bot.action_server"),
    ("ingestion: spool worker", "ingest spool"),
    ("ingestion: consumer", "bot.cli ingest"),
    ("console", "bot.cli console"),
    ("scheduler", "bot.cli scheduler"),
)
SERVICES = ("PostgreSQL", "RabbitMQ", "Redis")


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def component_of(pid: int) -> str:
    line = cmdline(pid)
    return next((name for name, pattern in COMPONENTS if pattern in line), "supervisor")


def socket_ports(pids: list[int], remote_port: int) -> set[int]:
    """Local ports of the TCP connections these processes hold to `remote_port` on this machine."""
    inodes = set()
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    target = os.readlink(fd)
                except OSError:
                    continue
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, remote, inode = fields[1], fields[2], fields[9]
            if inode in inodes and int(remote.rsplit(":", 1)[1], 16) == remote_port:
                ports.add(int(local.rsplit(":", 1)[1], 16))
    return ports


class Meter:
    """CPU seconds so far of each part: the nodes' processes by component, the PostgreSQL backends serving
    the nodes' connections, the bench's private Redis, and RabbitMQ (shared: its CPU beyond its idle rate)."""

    def __init__(self, nodes: list[subprocess.Popen], redis: subprocess.Popen | None) -> None:
        self.nodes, self.redis = nodes, redis
        found = subprocess.run(["pgrep", "-f", "beam.smp"], capture_output=True, text=True).stdout.split()
        self.rabbit = [int(p) for p in found]
        self.idle: dict[int, dict[str, float]] = {}
        self.admin = make_engine(POSTGRES)

    def pg_backends(self, pids: list[int]) -> list[int]:
        ports = socket_ports(pids, 5432)
        if not ports:
            return []
        with self.admin.connect() as conn:
            rows = conn.execute(
                text("SELECT pid FROM pg_stat_activity WHERE client_port = ANY(:ports)"), {"ports": sorted(ports)}
            )
            return [int(r[0]) for r in rows]

    def sample(self, nodes: list[subprocess.Popen] | None = None) -> dict[str, float]:
        parts: dict[str, float] = {}
        pids = []
        for node in nodes if nodes is not None else self.nodes:
            for pid in [node.pid, *descendants(node.pid)]:
                pids.append(pid)
                name = component_of(pid) if pid != node.pid else "supervisor"
                parts[name] = parts.get(name, 0.0) + cpu_seconds([pid])
        parts["PostgreSQL"] = cpu_seconds(self.pg_backends(pids))
        parts["Redis"] = cpu_seconds([self.redis.pid]) if self.redis is not None else float("nan")
        parts["RabbitMQ"] = cpu_seconds(self.rabbit)
        parts["_at"] = time.monotonic()
        return parts

    def measure_idle(self, seconds: float = 15.0) -> None:
        """Each part's CPU per second with no customer, for the first server alone and for both: the
        heartbeats, the console's queue monitor, the consumers' polls (and RabbitMQ's other clients)."""
        sets = {1: self.nodes[:1], 2: self.nodes}
        before = {n: self.sample(nodes) for n, nodes in sets.items()}
        time.sleep(seconds)
        after = {n: self.sample(nodes) for n, nodes in sets.items()}
        self.idle = {
            n: {k: (after[n][k] - before[n].get(k, 0.0)) / (after[n]["_at"] - before[n]["_at"]) for k in after[n]}
            for n in sets
        }
        self.idle_seconds = seconds

    @property
    def rabbit_idle_rate(self) -> float:
        return self.idle.get(2, {}).get("RabbitMQ", 0.0)

    def delta(self, before: dict[str, float], after: dict[str, float], servers: int) -> dict[str, float]:
        """CPU seconds of each part beyond its idle rate: what the messages cost."""
        elapsed = after["_at"] - before["_at"]
        idle = self.idle.get(servers, {})
        return {k: max(0.0, after[k] - before.get(k, 0.0) - idle.get(k, 0.0) * elapsed) for k in after if k != "_at"}


def start_redis(work: Path) -> tuple[subprocess.Popen, str]:
    """A Redis of the bench's own, so its CPU is the nodes' alone (the shared one serves other work too)."""
    port = free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=(work / "redis.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    time.sleep(0.5)
    return proc, f"redis://127.0.0.1:{port}/0"


def component_table(per_door: dict[str, dict[str, float]], answered: dict[str, int]) -> str:
    names = sorted({k for parts in per_door.values() for k in parts}, key=lambda k: (k in SERVICES, k))
    doors = list(per_door)
    lines = [f"{'CPU ms per message':<26}" + "".join(f"{d:>12}" for d in doors)]
    for name in names:
        lines.append(
            f"{name:<26}" + "".join(f"{per_door[d].get(name, 0.0) * 1000 / max(1, answered[d]):>12.1f}" for d in doors)
        )
    node = {d: sum(v for k, v in per_door[d].items() if k not in SERVICES) for d in doors}
    lines.append(f"{'node total':<26}" + "".join(f"{node[d] * 1000 / max(1, answered[d]):>12.1f}" for d in doors))
    return "\n".join(lines)


def prediction(
    parts: dict[str, float], answered: int, idle: dict[int, dict[str, float]], one: float, two: float, pinned: bool
) -> str:
    """What the capacity model (docs/capacity.md) predicts for two servers from the one-server door's CPU:
    each server's processes on its core(s), everything on the machine's cores, less the idle work."""
    per = {k: v / max(1, answered) for k, v in parts.items()}
    outside = (*SERVICES, "bench client", "haproxy")
    node = sum(v for k, v in per.items() if k not in outside)
    rest = sum(v for k, v in per.items() if k in outside)
    cores = os.cpu_count() or 1

    def idle_of(servers: int, node_only: bool) -> float:
        return sum(v for k, v in idle[servers].items() if k != "_at" and (k not in SERVICES or not node_only))

    node_cores = 1.0 if pinned else float(cores)
    x_one = min((node_cores - idle_of(1, True)) / node, (cores - idle_of(1, False)) / (node + rest))
    x_two = min(
        2 * ((1.0 if pinned else cores / 2) - idle_of(2, True) / 2) / node, (cores - idle_of(2, False)) / (node + rest)
    )
    return (
        f"capacity model: node {node * 1000:.1f} ms CPU per message, shared services + client + haproxy "
        f"{rest * 1000:.1f} ms, idle work {idle_of(1, False) * 1000:.0f} / {idle_of(2, False) * 1000:.0f} ms per s; "
        f"predicted for this machine if it were ours alone: one server {x_one:.1f} msgs/s, two {x_two:.1f} "
        f"(x{x_two / x_one:.2f}); measured {one:.1f} and {two:.1f} (x{two / one if one else float('nan'):.2f})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=30.0, help="per round and door")
    parser.add_argument("--rounds", type=int, default=1, help="alternate the two doors this many times")
    parser.add_argument("--transport", choices=("rest", "webchat"), default="rest")
    parser.add_argument(
        "--pin",
        action="store_true",
        help="pin the first server to CPU 0 and the second to CPU 1 (taskset; each with every process it starts)",
    )
    parser.add_argument("--mix", choices=("new", "known"), default="new", help="as bench/load.py")
    parser.add_argument("--shared-redis", action="store_true", help="use BENCH_REDIS_URL, not a Redis of its own")
    args = parser.parse_args(argv)

    from bot.channels.webchat_sessions import SessionSigner

    run_id = f"{random.randrange(16**6):06x}"
    schema, queue = f"load_{run_id}", f"load-{run_id}"
    work = Path(tempfile.mkdtemp(prefix="crmbot-scale-"))
    database_url = create_schema(schema)
    engine = make_engine(database_url)
    migrate(engine)
    c = args.customers
    scripts = max(4, int(60 * args.seconds / len(SCRIPT) / c) + 1)
    doors = ("1 server", "2 servers")
    plan = {
        (door, r): plan_senders(run_id, f"{door[0]}{r}", args.transport, c, scripts)
        for door in doors
        for r in range(args.rounds)
    }
    orders = seed_customers(
        engine,
        [(args.transport, ids) for customers in plan.values() for ids in customers],
        identities=args.mix == "known",
    )
    redis, redis_url = (None, REDIS) if args.shared_redis else start_redis(work)
    shared = {
        "DATABASE_URL": database_url,
        "LOCK_STORE_URL": redis_url,
        "EVENT_BROKER_URL": RABBIT,
        "EVENT_QUEUE": queue,
    }
    env_a = assistant_env(work, "a", **shared)
    env_b = assistant_env(work, "b", **shared, WEBCHAT_SECRET=env_a["WEBCHAT_SECRET"])
    signer = SessionSigner(env_a["WEBCHAT_SECRET"])
    nodes: list[subprocess.Popen] = []
    balancer = None
    totals = {door: Level(door, c, args.transport) for door in doors}
    door_parts: dict[str, dict[str, float]] = {door: {} for door in doors}
    failed: list[str] = []
    try:
        for cpu, (name, env) in enumerate((("a", env_a), ("b", env_b))):
            pin = ("taskset", "-c", str(cpu)) if args.pin else ()
            nodes.append(start_assistant(work, env, name, pin))
            # One after the other: two TensorFlow start-ups at once on two cores only slow both.
            wait_http(f"http://127.0.0.1:{env['RASA_PORT']}/", nodes[-1])
        for env in (env_a, env_b):
            httpx.post(
                f"http://127.0.0.1:{env['RASA_PORT']}/webhooks/rest/webhook",
                json={"sender": f"warmup-{run_id}", "message": "hello"},
                timeout=300,
            )
        balancer, urls = start_haproxy(work, [int(env_a["RASA_PORT"]), int(env_b["RASA_PORT"])])
        meter = Meter(nodes, redis)
        meter.measure_idle()
        print(
            f"scale-out: {c} customers over {args.transport} ({args.mix} visitors), {args.rounds} round(s) of "
            f"{args.seconds:.0f} s per door{', servers pinned to CPU 0 and 1' if args.pin else ''}; "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; RabbitMQ idle "
            f"{meter.rabbit_idle_rate * 1000:.0f} ms CPU/s"
        )
        print(HEADER)
        for r in range(args.rounds):
            for door in doors:
                level = Level(door, c, args.transport, plan=plan[(door, r)])
                cpu_before = stack_cpu(nodes)
                # The one-server door: that server's processes only (the idle second one's background work aside).
                serving = nodes[:1] if door == "1 server" else nodes
                parts_before = meter.sample(serving)
                client_before, balancer_before = time.process_time(), cpu_seconds([balancer.pid])
                asyncio.run(run_level(urls[door], level, orders, args.seconds, signer.token_for))
                parts = meter.delta(parts_before, meter.sample(serving), len(serving))
                parts["bench client"] = time.process_time() - client_before
                parts["haproxy"] = cpu_seconds([balancer.pid]) - balancer_before
                for name, value in parts.items():
                    door_parts[door][name] = door_parts[door].get(name, 0.0) + value
                figures = level.figures()
                figures["rasa_cpu_ms"] = float("nan")
                stack_seconds = stack_cpu(nodes) - cpu_before
                figures["stack_cpu_ms"] = stack_seconds * 1000 / max(1, len(level.latencies))
                figures["stack_cores"] = stack_seconds / level.seconds
                figures["client_cores"] = figures["machine_cores"] = float("nan")
                ok, counts = check_counts(engine, level)
                check = check_line(level, ok, counts)
                if not ok:
                    failed.append(f"{door}, round {r + 1}: {check}")
                print(row_line(level, figures, check), flush=True)
                total = totals[door]
                total.seconds += level.seconds
                total.latencies += level.latencies
                total.errors += level.errors
                total.empty += level.empty
        one, two = totals["1 server"].figures(), totals["2 servers"].figures()
        ratio = two["msgs_s"] / one["msgs_s"] if one["msgs_s"] else float("nan")
        for door, figures in (("1 server", one), ("2 servers", two)):
            print(
                f"{door:<10} {figures['msgs_s']:6.1f} msgs/s  p50 {figures['p50_ms']:.0f} ms  p95 {figures['p95_ms']:.0f} ms  "
                f"p99 {figures['p99_ms']:.0f} ms  errors {totals[door].errors}  empty {totals[door].empty}"
            )
        print(
            f"two servers / one server: x{ratio:.2f} msgs/s (target >= x{TARGET_RATIO}); "
            f"load average at the end {os.getloadavg()[0]:.1f}"
        )
        answered = {door: len(totals[door].latencies) for door in doors}
        print("\n" + component_table(door_parts, answered))
        print(
            "idle CPU ms per second (no customer), one server / both: "
            + ", ".join(
                f"{k} {meter.idle[1].get(k, 0.0) * 1000:.0f}/{meter.idle[2].get(k, 0.0) * 1000:.0f}"
                for k in sorted(meter.idle[2])
                if k != "_at"
            )
        )
        print(
            "\n"
            + prediction(
                door_parts["1 server"], answered["1 server"], meter.idle, one["msgs_s"], two["msgs_s"], args.pin
            )
        )
    finally:
        if redis is not None:
            stop(redis)
        if balancer is not None:
            stop(balancer)
        for node in nodes:
            stop(node)
        engine.dispose()
        drop_schema(schema)
        asyncio.run(Topology(f"{queue}.events", queue).remove(RABBIT))
    for line in failed:
        print(f"FAILED {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
