"""Import benchmarks: a real shop's order lines (UCI Online Retail), and generated customers.

    nice .venv/bin/python bench/import.py --online-retail PATH/online_retail.csv.gz
    nice .venv/bin/python bench/import.py [--rows 1000000] [--postgres]

Orders (--online-retail): the whole file through `crmbot import orders`' code on a fresh
PostgreSQL schema and a fresh SQLite file: wall time, rows/s, CPU seconds, peak memory, the
cleaning table, a re-import (must add nothing), and, in the same run, the baseline: pandas
read_csv + to_sql of the raw lines into the same kind of database (rows/s, and the ratio).
Then the check against the data: net revenue per customer in the CRM after the import equals
a pandas computation on the file, for every customer (rules in bench/import_check.py).

Customers (default):

Generates a CSV (names, emails, phones in mixed formats, cities), plants duplicates of
three kinds (same email in other case, same phone in another format without an email,
a one-letter name typo in the same city with a new email) and bad rows (invalid
emails and phones, extra columns), then runs `crmbot import customers`' code on a
fresh database and reports rows/s (wall clock, and per CPU second, which a busy shared machine
does not distort), peak memory (RSS of the process that imported) and precision/recall of
duplicate detection against the planted pairs.

Baselines from the same run: a plain bulk INSERT of the same file with no cleaning or
matching (rows/s), and exact-email matching alone (recall).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import re
import resource
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.import_databases import fresh_databases, migrated_engine, run_forked  # noqa: E402

DUP_SHARE, BAD_SHARE = 0.05, 0.01


def generate(path: Path, n: int, seed: int = 13) -> tuple[set[tuple[int, int]], int]:
    """Write n data rows; return the planted duplicate pairs (original line, duplicate line) and the bad-row count."""
    from faker import Faker

    rng = random.Random(seed)
    fake = Faker("de_DE")
    fake.seed_instance(seed)
    first = sorted({fake.first_name() for _ in range(3000)})  # sorted: set order changes with PYTHONHASHSEED
    last = sorted({fake.last_name() for _ in range(3000)})
    cities = sorted({fake.city() for _ in range(2000)})
    pairs: set[tuple[int, int]] = set()
    people: list[tuple[int, str, str, str, str]] = []  # (line, name, email, phone digits, city)
    bad = 0
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Name", "Email", "Phone", "City"])
        for i in range(n):
            line = i + 2
            roll = rng.random()
            if roll < DUP_SHARE and people:
                orig_line, name, email, digits, city = people[rng.randrange(len(people))]
                kind = rng.randrange(3)
                if kind == 0:
                    w.writerow([name.upper(), email.upper(), "", ""])
                elif kind == 1:
                    w.writerow([name, "", f"+49 {digits[:3]} {digits[3:]}", city])
                else:
                    pos = rng.randrange(1, len(name) - 1)
                    typo = (
                        name[:pos] + name[pos + 1 :]
                        if name[pos] != " "
                        else name[:pos] + name[pos + 2 :] + name[pos + 1]
                    )
                    w.writerow([typo, f"other{i}@mail.example", "", city])
                pairs.add((orig_line, line))
            elif roll < DUP_SHARE + BAD_SHARE:
                bad += 1
                w.writerow(
                    rng.choice(
                        [
                            ["Bad Row", f"nobody{i}@", "", "Berlin"],
                            ["Bad Row", "", "12", "Berlin"],
                            ["Bad, Row", f"x{i}@mail.example", "", "Berlin", "extra"],
                        ]
                    )
                )
            else:
                name = f"{rng.choice(first)} {rng.choice(last)}"
                email = f"{re.sub(r'[^a-z]', '', name.lower())}{i}@mail.example"
                digits = f"30{rng.randrange(10**7, 10**8)}"
                city = rng.choice(cities)
                w.writerow([name, email, f"0{digits[:2]} {digits[2:]}", city])
                people.append((line, name, email, digits, city))
    return pairs, bad


def _import(url: str, schema: str | None, path: str, batch_size: int, out) -> None:  # type: ignore[no-untyped-def]
    from analytics.importing import import_customers
    from crm_store.db import UnitOfWork

    engine = migrated_engine(url, schema)
    started = time.perf_counter()
    report = import_customers(
        lambda: UnitOfWork(engine), Path(path), datetime(2026, 12, 1), region="DE", batch_size=batch_size
    )
    took = time.perf_counter() - started
    predicted = set()
    for line, into, _why in report.merged:
        m = re.search(r"from line (\d+)", into)
        if m:
            predicted.add((int(m.group(1)), line))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out.send(
        (
            took,
            report.rows,
            report.created,
            len(report.merged),
            len(report.bad),
            predicted,
            usage.ru_maxrss,
            usage.ru_utime + usage.ru_stime,
            report.seconds,
        )
    )


def _baseline(url: str, schema: str | None, path: str, out) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import insert

    from crm_store.models import Customer

    engine = migrated_engine(url, schema)
    started = time.perf_counter()
    now = datetime(2026, 12, 1)
    n = 0
    with open(path, newline="", encoding="utf-8") as fh, engine.begin() as conn:
        reader = csv.reader(fh)
        next(reader)
        batch = []
        for row in reader:
            n += 1
            batch.append(
                {
                    "name": row[0],
                    "email": None,
                    "phone": row[2] or None,
                    "address": row[3] if len(row) > 3 else None,
                    "created_at": now,
                }
            )
            if len(batch) == 2000:
                conn.execute(insert(Customer), batch)
                batch = []
        if batch:
            conn.execute(insert(Customer), batch)
    out.send((time.perf_counter() - started, n))


def exact_email_pairs(path: Path) -> set[tuple[int, int]]:
    first: dict[str, int] = {}
    pairs = set()
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader)
        for i, row in enumerate(reader):
            email = row[1].strip().lower() if len(row) > 1 else ""
            if email:
                if email in first:
                    pairs.add((first[email], i + 2))
                else:
                    first[email] = i + 2
    return pairs


def pr(predicted: set, truth: set) -> tuple[float, float]:
    hit = len(predicted & truth)
    return (hit / len(predicted) if predicted else 1.0, hit / len(truth) if truth else 1.0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--batch-size", type=int, default=10_000, help="rows per transaction (IMPORT_BATCH_SIZE)")
    ap.add_argument("--postgres", action="store_true", help="import into a fresh PostgreSQL schema instead of SQLite")
    ap.add_argument(
        "--online-retail", type=Path, help="the UCI Online Retail export (.csv.gz): run the order bench on it"
    )
    ap.add_argument("--only", choices=("postgres", "sqlite"), help="order bench on one database only")
    args = ap.parse_args()
    if args.online_retail:
        from bench.import_orders import run_orders_bench

        return run_orders_bench(args.online_retail, ("postgres", "sqlite") if not args.only else (args.only,))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "customers.csv"
        t = time.perf_counter()
        truth, bad = generate(path, args.rows)
        print(
            f"generated {args.rows:,} rows ({len(truth):,} planted duplicates, {bad:,} bad rows) in {time.perf_counter() - t:.0f} s"
        )
        email_pairs = exact_email_pairs(path)
        load_before = os.getloadavg()[0]
        with fresh_databases("postgres" if args.postgres else "sqlite") as (one, two):
            result = run_forked(_import, *one, str(path), args.batch_size)
            base = run_forked(_baseline, *two, str(path))
    took, rows, created, merged, bad_found, predicted, peak_kb, cpu, seconds = result
    base_took, base_rows = base
    precision, recall = pr(predicted, truth)
    email_precision, email_recall = pr(email_pairs, truth)
    print(
        f"import:   {rows:,} rows in {took:.0f} s = {rows / took:,.0f} rows/s; created {created:,}, merged {merged:,}, "
        f"bad {bad_found:,}; peak RSS {peak_kb / 1024:,.0f} MB; {cpu:.0f} CPU s = {rows / cpu:,.0f} rows per CPU second "
        f"(wall time depends on what else the machine runs)"
    )
    print(
        f"baseline: plain bulk INSERT, no cleaning or matching: {base_rows / base_took:,.0f} rows/s "
        f"(import runs at {rows / took / (base_rows / base_took):.2f}x of it)"
    )
    print(
        f"duplicates: precision {precision:.3f}, recall {recall:.3f} over {len(truth):,} planted pairs "
        f"(baseline exact email only: precision {email_precision:.3f}, recall {email_recall:.3f})"
    )
    print(f"load average (1 min) {load_before:.1f} before the import, {os.getloadavg()[0]:.1f} after the baseline")
    print(
        f"database: {'PostgreSQL' if args.postgres else 'SQLite'}, batches of {args.batch_size:,} rows; "
        f"phases: " + ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
