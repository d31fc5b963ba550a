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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=30.0, help="per round and door")
    parser.add_argument("--rounds", type=int, default=1, help="alternate the two doors this many times")
    parser.add_argument("--transport", choices=("rest", "webchat"), default="rest")
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
    orders = seed_customers(engine, [(args.transport, ids) for customers in plan.values() for ids in customers])
    shared = {"DATABASE_URL": database_url, "LOCK_STORE_URL": REDIS, "EVENT_BROKER_URL": RABBIT, "EVENT_QUEUE": queue}
    env_a = assistant_env(work, "a", **shared)
    env_b = assistant_env(work, "b", **shared, WEBCHAT_SECRET=env_a["WEBCHAT_SECRET"])
    signer = SessionSigner(env_a["WEBCHAT_SECRET"])
    nodes: list[subprocess.Popen] = []
    balancer = None
    totals = {door: Level(door, c, args.transport) for door in doors}
    failed: list[str] = []
    try:
        for name, env in (("a", env_a), ("b", env_b)):
            nodes.append(start_assistant(work, env, name))
            # One after the other: two TensorFlow start-ups at once on two cores only slow both.
            wait_http(f"http://127.0.0.1:{env['RASA_PORT']}/", nodes[-1])
        for env in (env_a, env_b):
            httpx.post(
                f"http://127.0.0.1:{env['RASA_PORT']}/webhooks/rest/webhook",
                json={"sender": f"warmup-{run_id}", "message": "hello"},
                timeout=300,
            )
        balancer, urls = start_haproxy(work, [int(env_a["RASA_PORT"]), int(env_b["RASA_PORT"])])
        time.sleep(1)
        print(
            f"scale-out: {c} customers over {args.transport}, {args.rounds} round(s) of {args.seconds:.0f} s per door; "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
        )
        print(HEADER)
        for r in range(args.rounds):
            for door in doors:
                level = Level(door, c, args.transport, plan=plan[(door, r)])
                cpu_before = stack_cpu(nodes)
                asyncio.run(run_level(urls[door], level, orders, args.seconds, signer.token_for))
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
    finally:
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
