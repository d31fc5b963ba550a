"""The flag_stalled job at scale, on PostgreSQL and SQLite, against a naive version that loads
every process and stage history row into pandas and computes the same answer there.

    uv run python bench/stalled.py                     # 100k processes
    uv run python bench/stalled.py --sizes 1000000

Both find the stalled processes (time in the current stage beyond the stage's historical p90,
nearest rank); the script checks they find the same ones and prints seconds and the ratio.
The job also writes the flags and the thresholds; the naive version only computes the set.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def naive(engine, now) -> set[tuple[str, int]]:  # type: ignore[no-untyped-def]
    """Everything into pandas: durations by shift within each process, p90 by groupby."""
    import pandas as pd

    from analytics.pipelines import FINAL_STAGES

    def frame(sql: str, columns: list[str]) -> pd.DataFrame:
        with engine.connect() as conn:
            return pd.DataFrame(conn.exec_driver_sql(sql).fetchall(), columns=columns)

    h = frame(
        "SELECT id, process, process_id, stage, entered_at FROM stage_history",
        ["id", "process", "process_id", "stage", "entered_at"],
    )
    h["entered_at"] = pd.to_datetime(h["entered_at"])
    h = h.sort_values(["process", "process_id", "entered_at", "id"])
    h["left_at"] = h.groupby(["process", "process_id"])["entered_at"].shift(-1)
    h["hours"] = (h["left_at"] - h["entered_at"]).dt.total_seconds() / 3600
    done = h.dropna(subset=["hours"])
    p90 = done.groupby(["process", "stage"])["hours"].quantile(0.9, interpolation="lower")
    n = done.groupby(["process", "stage"]).size()
    stalled: set[tuple[str, int]] = set()
    for process, table, column in (
        ("order", "orders", "status"),
        ("ticket", "tickets", "status"),
        ("deal", "deals", "stage"),
    ):
        cur = frame(f"SELECT id, {column}, stage_entered_at FROM {table}", ["id", "stage", "entered"])
        cur["entered"] = pd.to_datetime(cur["entered"])
        cur["age"] = (pd.Timestamp(now) - cur["entered"]).dt.total_seconds() / 3600
        limit = cur["stage"].map(lambda s: p90.get((process, s)) if n.get((process, s), 0) >= 5 else None).astype(float)
        hit = cur[(cur["age"] > limit) & ~cur["stage"].isin(FINAL_STAGES[process])]
        stalled.update((process, int(i)) for i in hit["id"])
    return stalled


def run(url: str, n: int, label: str) -> dict:
    from sqlalchemy import select

    from analytics.stalled import flag_stalled_processes
    from bench.generate import NOW, processes
    from crm_store.db import make_engine, migrate
    from crm_store.models import Flag

    engine = make_engine(url)
    migrate(engine)
    t = time.perf_counter()
    counts = processes(engine, n)
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    gen = time.perf_counter() - t
    t = time.perf_counter()
    with engine.begin() as conn:
        first = flag_stalled_processes(conn, NOW, {}, 24)
    job = time.perf_counter() - t
    t = time.perf_counter()
    with engine.begin() as conn:
        again = flag_stalled_processes(conn, NOW, {}, 24)
    rerun = time.perf_counter() - t
    t = time.perf_counter()
    expected = naive(engine, NOW)
    pandas_s = time.perf_counter() - t
    with engine.connect() as conn:
        found = {
            (p, i) for p, i in conn.execute(select(Flag.process, Flag.process_id).where(Flag.cleared_at.is_(None)))
        }
    engine.dispose()
    out = {
        "label": label,
        "n": n,
        "history": counts["stage_history"],
        "generate_s": gen,
        "job_s": job,
        "rerun_s": rerun,
        "pandas_s": pandas_s,
        "stalled": first.raised,
        "raised_again": again.raised,
        "same": found == expected,
        "differ": len(found ^ expected),
    }
    print(
        f"{label:<10} {n:>9,} processes ({counts['stage_history']:,} stage rows, generated in {gen:.0f}s): "
        f"job {job:.1f}s (re-run {rerun:.1f}s), naive pandas {pandas_s:.1f}s, ×{pandas_s / job:.1f}; "
        f"{first.raised:,} stalled, same answer: {found == expected} ({len(found ^ expected)} differ)",
        flush=True,
    )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--backends", nargs="+", default=["postgresql", "sqlite"])
    args = parser.parse_args()
    import logging

    logging.basicConfig(level=logging.WARNING)
    from sqlalchemy import text

    from crm_store.db import make_engine

    results = []
    for n in args.sizes:
        if "postgresql" in args.backends:
            admin = make_engine(PG)
            schema = f"bench_st_{uuid.uuid4().hex[:8]}"
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            try:
                results.append(run(f"{PG}?options={quote(f'-csearch_path={schema}')}", n, "PostgreSQL"))
            finally:
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        if "sqlite" in args.backends:
            with tempfile.TemporaryDirectory() as tmp:
                results.append(run(f"sqlite:///{tmp}/bench.db", n, "SQLite"))
    print()
    print(
        "| database | processes | stage rows | flag job | job re-run (nothing new) | naive pandas (baseline) | naive / job | stalled found | same answer |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        same = "yes" if r["same"] else f"no ({r['differ']} differ)"
        print(
            f"| {r['label']} | {r['n']:,} | {r['history']:,} | {r['job_s']:.1f} s | {r['rerun_s']:.1f} s | {r['pandas_s']:.1f} s | "
            f"×{r['pandas_s'] / r['job_s']:.1f} | {r['stalled']:,} | {same} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
