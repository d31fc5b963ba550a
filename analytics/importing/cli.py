"""`crmbot import customers|orders FILE.csv`, `crmbot import merges`, `crmbot import undo MERGE_ID`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from analytics.importing.columns import ADJUSTMENT_SKUS
from crm_store.settings import Settings


def register(sub: argparse._SubParsersAction) -> dict[str, Callable[[Settings, argparse.Namespace], int]]:
    imp = sub.add_parser("import", help="bring customers and orders in from CSV files, cleaned and de-duplicated")
    isub = imp.add_subparsers(dest="import_command", required=True)
    for kind in ("customers", "orders"):
        p = isub.add_parser(kind, help=f"import {kind} from a .csv, .csv.gz or (orders) .xlsx file")
        p.add_argument("file", type=Path)
        p.add_argument("--map", help="FIELD=COLUMN pairs, comma-separated, where detection guesses wrong")
        p.add_argument("--dry-run", action="store_true", help="show what would change and write nothing")
        p.add_argument(
            "--batch-size",
            type=int,
            help="rows per transaction (default IMPORT_BATCH_SIZE)"
            if kind == "customers"
            else "order lines per transaction, an order never split (default IMPORT_ORDER_LINES_PER_BATCH)",
        )
        p.add_argument("--region", help="region of phones without +country (default DEFAULT_PHONE_REGION)")
        p.add_argument("--all", action="store_true", help="list every bad, flagged and merged row (default: 20 each)")
        if kind == "orders":
            p.add_argument(
                "--skip-anonymous",
                action="store_true",
                help="leave out lines with no customer id, email or phone (default: import them as anonymous orders)",
            )
            p.add_argument(
                "--adjustment-skus",
                help="SKUs that are charges, not products, comma-separated "
                "(default IMPORT_ADJUSTMENT_SKUS: " + ",".join(sorted(ADJUSTMENT_SKUS)) + ")",
            )
    m = isub.add_parser("merges", help="list the merge log")
    m.add_argument("--run", help="only this import run")
    u = isub.add_parser("undo", help="undo one merge: the row becomes its own customer again")
    u.add_argument("merge_id", type=int)
    return {"import": cmd_import}


def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    from analytics.digest.cli import migrated_uow_factory
    from analytics.importing import ImportInterrupted, import_customers, list_merges, undo_merge
    from analytics.importing.orders import import_orders
    from analytics.importing.columns import parse_overrides
    from analytics.importing.csvfile import count_rows

    uow_factory = migrated_uow_factory(settings)
    now = datetime.utcnow().replace(microsecond=0)
    if args.import_command == "merges":
        merges = list_merges(uow_factory(), args.run)
        for m in merges:
            state = f"undone {m.undone_at:%Y-%m-%d}, now customer #{m.split_customer_id}" if m.undone_at else ""
            print(
                f"{m.id:6}  {m.merged_at:%Y-%m-%d %H:%M}  run {m.import_run}  {m.source} -> customer #{m.kept_customer_id} ({m.reason})  {state}"
            )
        if not merges:
            print("no merges logged")
        return 0
    if args.import_command == "undo":
        m = undo_merge(uow_factory(), args.merge_id, now)
        print(
            f"undid merge {m.id}: {m.source} is customer #{m.split_customer_id} again, apart from customer #{m.kept_customer_id}"
        )
        return 0
    from tqdm import tqdm

    kwargs = dict(
        now=now,
        region=args.region or settings.default_phone_region,
        overrides=parse_overrides(args.map),
        dry_run=args.dry_run,
    )
    customers = args.import_command == "customers"
    # The bar goes to stderr and only on a terminal, so piped output is the report alone.
    with tqdm(
        total=count_rows(args.file) if customers and args.file.is_file() else None,
        unit=" rows",
        file=sys.stderr,
        disable=not sys.stderr.isatty(),
        mininterval=0.5,
    ) as bar:
        try:
            if customers:
                report = import_customers(
                    uow_factory,
                    args.file,
                    progress=bar.update,
                    batch_size=args.batch_size or settings.import_batch_size,
                    **kwargs,
                )
            else:
                skus = args.adjustment_skus if args.adjustment_skus is not None else settings.import_adjustment_skus

                def total(n: int) -> None:
                    bar.total = n
                    bar.refresh()

                report = import_orders(
                    uow_factory,
                    args.file,
                    max_amount=settings.import_max_amount,
                    progress=bar.update,
                    batch_size=args.batch_size or settings.import_order_lines_per_batch,
                    skip_anonymous=args.skip_anonymous,
                    total=total,
                    adjustment_skus=frozenset(s.strip().upper() for s in skus.split(",") if s.strip())
                    if skus
                    else None,
                    **kwargs,
                )
        except ImportInterrupted as exc:
            bar.close()
            print("\n".join(exc.report.lines(limit=20)))
            raise
    print("\n".join(report.lines(limit=10**9 if args.all else 20)))
    return 0
