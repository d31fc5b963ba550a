"""`crmbot customer export ID` and `crmbot customer forget ID` (GDPR)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Callable

from crm_store.settings import Settings


def register(sub: argparse._SubParsersAction) -> dict[str, Callable[[Settings, argparse.Namespace], int]]:
    parser = sub.add_parser("customer", help="a customer's personal data: export it, or forget it (GDPR)")
    actions = parser.add_subparsers(dest="customer_command", required=True)
    export = actions.add_parser("export", help="write everything about a customer as one JSON file")
    export.add_argument("customer_id", type=int)
    export.add_argument("--out", type=Path, help="file to write (default: var/exports/customer-ID.json)")
    forget = actions.add_parser("forget", help="erase a customer's personal data, keep anonymised aggregates")
    forget.add_argument("customer_id", type=int)
    forget.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    return {"customer": cmd_customer}


def cmd_customer(settings: Settings, args: argparse.Namespace) -> int:
    from crm_store.db import engine_for, migrate, unit_of_work
    from crm_store.services import privacy

    migrate(engine_for(settings.database_url))
    uow, now = unit_of_work(settings), datetime.utcnow()
    if args.customer_command == "export":
        document = privacy.export_customer(uow, args.customer_id, "cli", now)
        out = args.out or settings.var_path / "exports" / f"customer-{args.customer_id}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
        out.chmod(0o600)
        print(f"wrote {out} ({len(document['conversations'])} conversations, {len(document['orders'])} orders)")
        return 0
    if not args.yes:
        answer = input(f"Erase the personal data of customer {args.customer_id}? This cannot be undone. [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("nothing changed", file=sys.stderr)
            return 1
    report = privacy.forget_customer(
        uow, args.customer_id, "cli", now, settings.var_path, engine_for(settings.resolved_tracker_url)
    )
    print(
        f"customer {report.customer_id} forgotten: {report.identities} identities, {report.conversations} conversations, "
        f"{report.messages} messages erased, {report.attachments_deleted} files deleted, "
        f"{report.tracker_events_deleted} tracker events deleted; recorded in the audit log"
    )
    return 0
