"""Generated CRM data for the analytics benchmarks, loaded in bulk (COPY on PostgreSQL,
executemany on SQLite). Deterministic for a seed; customers follow four behaviours
(loyal, regular, lapsed, support-heavy) so the clustering has something to find."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Iterable, Sequence

import numpy as np
from sqlalchemy.engine import Engine

NOW = datetime(2026, 11, 30, 12, 0, 0)
CHUNK = 200_000


def load(engine: Engine, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> int:
    """Bulk-insert rows; returns how many."""
    count = 0
    batch: list[tuple] = []
    with engine.begin() as conn:
        raw = conn.connection
        for row in rows:
            batch.append(row)
            if len(batch) >= CHUNK:
                count += _flush(raw, conn.dialect.name, table, columns, batch)
        count += _flush(raw, conn.dialect.name, table, columns, batch)
    return count


def _flush(raw, dialect: str, table: str, columns: Sequence[str], batch: list[tuple]) -> int:  # type: ignore[no-untyped-def]
    n = len(batch)
    if not n:
        return 0
    cursor = raw.cursor()
    if dialect == "postgresql":
        buf = io.StringIO("".join("\t".join(r"\N" if v is None else str(v) for v in row) + "\n" for row in batch))
        cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buf)
    else:
        cursor.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", batch
        )
    cursor.close()
    batch.clear()
    return n


def _ts(days_ago: np.ndarray) -> list[str]:
    base = np.datetime64(NOW.isoformat(), "s")
    stamps = base - (days_ago * 86400).astype("timedelta64[s]")
    return [str(s).replace("T", " ") for s in stamps]


def customers_and_activity(engine: Engine, n: int, seed: int = 1) -> dict[str, int]:
    """n customers with orders, returns, tickets, conversations, messages, handoffs and feedback."""
    rng = np.random.default_rng(seed)
    kind = rng.choice(4, size=n, p=[0.1, 0.4, 0.3, 0.2])  # loyal, regular, lapsed, support-heavy
    ids = np.arange(1, n + 1)
    created = _ts(rng.uniform(30, 900, n))
    counts = {
        "customers": load(
            engine,
            "customers",
            ("id", "name", "email", "created_at"),
            ((int(i), f"c{i}", f"c{i}@bench.example", created[i - 1]) for i in ids),
        )
    }
    per = rng.poisson(np.array([8.0, 2.0, 1.5, 1.0])[kind])
    owner = np.repeat(ids, per)
    k = np.repeat(kind, per)
    days = np.where(
        k == 0,
        rng.uniform(0, 60, len(owner)),
        np.where(k == 2, rng.uniform(200, 700, len(owner)), rng.uniform(0, 400, len(owner))),
    )
    placed = _ts(days)
    total = np.round(rng.lognormal(np.where(k == 0, 5.0, 3.8), 0.5), 2)
    counts["orders"] = load(
        engine,
        "orders",
        ("id", "number", "customer_id", "status", "stage_entered_at", "placed_at", "total"),
        (
            (j + 1, f"B-{j + 1}", int(owner[j]), "delivered", placed[j], placed[j], float(total[j]))
            for j in range(len(owner))
        ),
    )
    ret = rng.choice(len(owner), size=len(owner) // 12, replace=False) if len(owner) else np.array([], dtype=int)
    counts["returns"] = load(
        engine,
        "returns",
        ("number", "customer_id", "order_id", "item", "reason", "status", "stage_entered_at", "created_at"),
        (
            (f"RB-{j}", int(owner[o]), int(o) + 1, "item", "bench", "refunded", placed[o], placed[o])
            for j, o in enumerate(ret)
        ),
    )
    tickets_per = rng.poisson(np.where(kind == 3, 4.0, 0.2))
    t_owner = np.repeat(ids, tickets_per)
    t_at = _ts(rng.uniform(0, 300, len(t_owner)))
    counts["tickets"] = load(
        engine,
        "tickets",
        ("customer_id", "subject", "status", "stage_entered_at", "created_at", "priority"),
        ((int(c), "bench", "resolved", t_at[j], t_at[j], "normal") for j, c in enumerate(t_owner)),
    )
    conv_per = rng.poisson(np.where(kind == 3, 2.0, 0.3))
    c_owner = np.repeat(ids, conv_per)
    c_at = _ts(rng.uniform(0, 300, len(c_owner)))
    channel = np.where(rng.random(len(c_owner)) < 0.6, "telegram", "webchat")
    counts["conversations"] = load(
        engine,
        "conversations",
        ("id", "sender_id", "channel", "customer_id", "started_at", "last_event_at", "paused", "status"),
        (
            (
                j + 1,
                f"s{j + 1}",
                channel[j],
                int(c),
                c_at[j],
                c_at[j],
                False if engine.dialect.name == "postgresql" else 0,
                "closed",
            )
            for j, c in enumerate(c_owner)
        ),
    )
    fallback = rng.random(len(c_owner)) < np.where(np.repeat(kind, conv_per) == 3, 0.5, 0.05)
    counts["messages"] = load(
        engine,
        "messages",
        ("conversation_id", "event_key", "direction", "intent", "sent_at"),
        ((j + 1, f"m{j + 1}", "in", "nlu_fallback" if fallback[j] else "greet", c_at[j]) for j in range(len(c_owner))),
    )
    h = np.flatnonzero(np.repeat(kind, conv_per) == 3)
    counts["handoffs"] = load(
        engine,
        "handoffs",
        ("conversation_id", "status", "requested_at", "claimed_at", "closed_at"),
        ((int(j) + 1, "resolved", c_at[j], c_at[j], c_at[j]) for j in h),
    )
    fb = rng.choice(n, size=n // 10, replace=False)
    counts["feedback"] = load(
        engine,
        "feedback",
        ("customer_id", "rating", "created_at"),
        ((int(c) + 1, int(rng.integers(1, 6) if kind[c] != 3 else rng.integers(1, 3)), created[c]) for c in fb),
    )
    _fix_sequences(engine, ("orders", "conversations", "customers"))
    return counts


def _fix_sequences(engine: Engine, tables: Sequence[str]) -> None:
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        for t in tables:
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), COALESCE((SELECT MAX(id) FROM {t}), 1))"
            )


PATHS = {
    "order": (("pending", 6), ("paid", 20), ("packed", 24), ("shipped", 72), ("delivered", 0)),
    "ticket": (("open", 12), ("in_progress", 30), ("resolved", 0)),
    "deal": (("new", 72), ("qualified", 120), ("proposal", 160), ("won", 0)),
}


def processes(engine: Engine, n: int, seed: int = 2) -> dict[str, int]:
    """n processes (60 % orders, 25 % tickets, 15 % deals), each with its stage history; the
    last stage reached is the current one, time in stage exponential around the stage's mean."""
    rng = np.random.default_rng(seed)
    customers = max(1, n // 10)
    counts = {
        "customers": load(
            engine,
            "customers",
            ("id", "name", "email", "created_at"),
            ((i, f"p{i}", f"p{i}@bench.example", "2025-01-01 00:00:00") for i in range(1, customers + 1)),
        )
    }
    history: list[tuple] = []
    shares = {"order": 0.60, "ticket": 0.25, "deal": 0.15}
    for process, share in shares.items():
        m = int(n * share)
        path = PATHS[process]
        reached = rng.integers(1, len(path) + 1, m)  # how many stages each process entered
        spent = rng.exponential(np.array([h for _, h in path])[None, :].repeat(m, 0) + 0.01)
        start = rng.uniform(0, 200 * 24, m)  # hours before NOW a finished process began
        final = reached == len(path)
        # An unfinished process has been in its current stage for that stage's own time so far.
        upto = np.cumsum(spent, axis=1)[np.arange(m), reached - 1]
        start = np.where(final, start + upto, upto)
        rows = []
        for j in range(m):
            at = NOW - timedelta(hours=float(start[j]))
            stage = path[0][0]
            for s in range(reached[j]):
                stage = path[s][0]
                if at > NOW:
                    break
                history.append((process, j + 1, stage, at.strftime("%Y-%m-%d %H:%M:%S")))
                entered = at
                at = at + timedelta(hours=float(spent[j, s]))
            cust = int(rng.integers(1, customers + 1))
            e = entered.strftime("%Y-%m-%d %H:%M:%S")
            if process == "order":
                rows.append((j + 1, f"P-{j + 1}", cust, stage, e, e, 10.0))
            elif process == "ticket":
                rows.append((j + 1, cust, "bench", stage, e, e, "normal"))
            else:
                rows.append((j + 1, cust, "bench deal", stage, e, e))
        if process == "order":
            counts["orders"] = load(
                engine,
                "orders",
                ("id", "number", "customer_id", "status", "stage_entered_at", "placed_at", "total"),
                rows,
            )
        elif process == "ticket":
            counts["tickets"] = load(
                engine,
                "tickets",
                ("id", "customer_id", "subject", "status", "stage_entered_at", "created_at", "priority"),
                rows,
            )
        else:
            counts["deals"] = load(
                engine, "deals", ("id", "customer_id", "title", "stage", "stage_entered_at", "created_at"), rows
            )
        if len(history) > CHUNK:
            counts["stage_history"] = counts.get("stage_history", 0) + load(
                engine, "stage_history", ("process", "process_id", "stage", "entered_at"), history
            )
            history = []
    counts["stage_history"] = counts.get("stage_history", 0) + load(
        engine, "stage_history", ("process", "process_id", "stage", "entered_at"), history
    )
    _fix_sequences(engine, ("orders", "tickets", "deals", "customers"))
    return counts
