"""Segmentation at scale on PostgreSQL: seconds and peak memory for feature extraction and
clustering at growing customer counts, and the growth ratio between sizes.

    uv run python bench/segmentation.py                      # 10k and 100k customers
    uv run python bench/segmentation.py --sizes 10000 100000 1000000

Each size gets a fresh schema in BENCH_POSTGRES_URL (default: the local test database),
is generated in one process and measured in another, so the peak RSS is that size's own.
Target: near-linear growth; 1 M customers in <= 10 min and <= 4 GiB on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(url: str) -> dict:
    """The segment_customers job's phases, timed one by one (what the job runs, in order)."""
    from analytics.features import customer_features
    from analytics.segment_fit import fit_segments
    from analytics.segmentation import _store_memberships, _store_segments
    from bench.generate import NOW
    from crm_store.db import make_engine

    engine = make_engine(url)
    out: dict = {}
    t = time.perf_counter()
    with engine.connect() as conn:
        raw = customer_features(conn, NOW)
    out["features_s"] = time.perf_counter() - t
    out["features_peak_mib"] = peak_mib()
    t = time.perf_counter()
    fit = fit_segments(raw, range(2, 9))  # cleaning, clustering and naming from members, as the job runs them
    out["clustering_s"] = time.perf_counter() - t
    t = time.perf_counter()
    with engine.begin() as conn:
        ids = _store_segments(conn, fit, NOW)
        _store_memberships(conn, fit.customer_ids, ids[fit.clustering.labels], fit.clustering.distances, NOW, None)
    out["storing_s"] = time.perf_counter() - t
    out["k"] = fit.clustering.k
    out["silhouette"] = round(fit.clustering.silhouettes[fit.clustering.k], 3)
    out["segments"] = fit.sizes
    out["peak_mib"] = peak_mib()
    return out


def generate(url: str, n: int) -> dict:
    from bench.generate import customers_and_activity
    from crm_store.db import make_engine, migrate

    engine = make_engine(url)
    migrate(engine)
    t = time.perf_counter()
    counts = customers_and_activity(engine, n)
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    return {"rows": counts, "generate_s": time.perf_counter() - t}


def child(step: str, url: str, n: int) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", step, "--url", url, "--n", str(n)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "LOG_LEVEL": "WARNING"},
    )
    if proc.returncode != 0:
        raise SystemExit(f"{step} at {n} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--child", choices=["generate", "measure"])
    parser.add_argument("--url")
    parser.add_argument("--n", type=int)
    args = parser.parse_args()
    if args.child:
        import logging

        logging.basicConfig(level=logging.WARNING)
        print(json.dumps(generate(args.url, args.n) if args.child == "generate" else measure(args.url)))
        return 0
    from sqlalchemy import text

    from crm_store.db import make_engine

    admin = make_engine(PG)
    results = []
    for n in args.sizes:
        schema = f"bench_seg_{uuid.uuid4().hex[:8]}"
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{PG}?options={quote(f'-csearch_path={schema}')}"
        try:
            gen = child("generate", url, n)
            m = child("measure", url, n)
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        m.update(n=n, generate_s=gen["generate_s"], rows=gen["rows"])
        results.append(m)
        print(
            f"{n:>9,} customers ({gen['rows']['orders']:,} orders, {gen['rows']['conversations']:,} conversations): "
            f"features {m['features_s']:.1f}s, clustering {m['clustering_s']:.1f}s, storing {m['storing_s']:.1f}s, "
            f"peak {m['peak_mib']:.0f} MiB; k={m['k']} silhouette {m['silhouette']}",
            flush=True,
        )
    print()
    print(
        "| customers | features (SQL) | clustering | storing memberships | job total | peak RSS | growth vs previous size (time / size) |"
    )
    print("|---|---|---|---|---|---|---|")
    prev = None
    for m in results:
        total = m["features_s"] + m["clustering_s"] + m["storing_s"]
        growth = f"×{total / prev[1]:.1f} time for ×{m['n'] / prev[0]:.0f} customers" if prev else "baseline"
        print(
            f"| {m['n']:,} | {m['features_s']:.1f} s | {m['clustering_s']:.1f} s | {m['storing_s']:.1f} s | {total:.1f} s | "
            f"{m['peak_mib']:.0f} MiB | {growth} |"
        )
        prev = (m["n"], total)
    last = results[-1]
    if last["n"] >= 1_000_000:
        total = last["features_s"] + last["clustering_s"] + last["storing_s"]
        print(
            f"\n1 M target: {total / 60:.1f} min (<= 10 min: {'PASS' if total <= 600 else 'FAIL'}), "
            f"{last['peak_mib'] / 1024:.2f} GiB (<= 4 GiB: {'PASS' if last['peak_mib'] <= 4096 else 'FAIL'})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
