"""`crmbot digest preview|send|recipients ...` and `crmbot nlu candidates`."""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

from analytics.asof import add_as_of, parse_as_of
from crm_store.settings import Settings

Handler = Callable[[Settings, argparse.Namespace], int]


def register(sub: argparse._SubParsersAction) -> dict[str, Handler]:
    digest = sub.add_parser("digest", help="managers' digest: preview, send, recipients")
    dsub = digest.add_subparsers(dest="digest_command", required=True)
    preview = dsub.add_parser("preview", help="write the digest as HTML for a browser")
    preview.add_argument("--period", choices=("day", "week"), default="day")
    preview.add_argument("--out", default="var/digest-preview.html", help="HTML file to write")
    preview.add_argument("--sections", help="comma-separated sections (default: all)")
    add_as_of(preview)
    send = dsub.add_parser("send", help="send the last complete period's digest now (once per recipient)")
    send.add_argument("--period", choices=("day", "week"), help="day (the default) or week")
    send.add_argument("--to", help="send only to this address")
    send.add_argument("--again", action="store_true", help="send even to whom it was already sent")
    add_as_of(send)
    rec = dsub.add_parser("recipients", help="who gets which digest")
    rsub = rec.add_subparsers(dest="recipients_command", required=True)
    rsub.add_parser("list", help="list recipients")
    add = rsub.add_parser("add", help="add a manager")
    add.add_argument("email")
    add.add_argument("--name")
    add.add_argument("--frequency", choices=("daily", "weekly", "both"), default="daily")
    add.add_argument(
        "--sections",
        help="comma-separated: volume,assistant,agents,processes,stalled,segments,unanswered,anomalies (default: all)",
    )
    st = rsub.add_parser("set", help="change a manager's frequency, sections or pause them")
    st.add_argument("email")
    st.add_argument("--name")
    st.add_argument("--frequency", choices=("daily", "weekly", "both"))
    st.add_argument("--sections", help="comma-separated sections, or all")
    st.add_argument("--pause", action="store_true")
    st.add_argument("--resume", action="store_true")
    rm = rsub.add_parser("remove", help="stop sending digests to a manager")
    rm.add_argument("email")

    nlu = sub.add_parser("nlu", help="NLU training data from real traffic")
    nsub = nlu.add_subparsers(dest="nlu_command", required=True)
    cand = nsub.add_parser("candidates", help="export unanswered messages, grouped, as Rasa NLU YAML for review")
    cand.add_argument("--days", type=int, default=30, help="look back this many days")
    cand.add_argument("--out", help="YAML file to write (default: print)")
    cand.add_argument("--examples", type=int, default=20, help="examples per group at most")
    add_as_of(cand)
    return {"digest": cmd_digest, "nlu": cmd_nlu}


def migrated_uow_factory(settings: Settings):  # type: ignore[no-untyped-def]
    """Units of work on DATABASE_URL after checking it answers and bringing its schema up to date."""
    from crm_store.db import check_connection, engine_for, migrate, unit_of_work

    engine = engine_for(settings.database_url)
    check_connection(engine)
    migrate(engine)
    return lambda: unit_of_work(settings)


def _now() -> datetime:
    return datetime.utcnow().replace(microsecond=0)


def cmd_digest(settings: Settings, args: argparse.Namespace) -> int:
    if args.digest_command == "recipients":
        return _recipients(settings, args)
    uow_factory = migrated_uow_factory(settings)
    if args.digest_command == "preview":
        from analytics.digest import build_digest, last_complete, render_html
        from analytics.digest.recipients import parse_sections

        sections = parse_sections(args.sections)
        as_of = parse_as_of(args.as_of)
        digest = build_digest(
            uow_factory(),
            last_complete(args.period, as_of),
            as_of,
            settings.digest_top_n,
            settings.digest_history,
            settings.shop_currency,
            settings.shop_locale,
        )
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(render_html(digest, list(sections) if sections else None, inline=True), encoding="utf-8")
        print(f"wrote {out} ({digest.period.label}); open it in a browser")
        return 0
    from analytics.digest import send_digest_now

    as_of = parse_as_of(args.as_of)
    report = send_digest_now(settings, uow_factory, as_of, args.period or "day", to=args.to, again=args.again)
    for email in report.sent:
        print(f"sent to {email}")
    for email in report.skipped:
        print(f"already sent to {email} for this period (--again sends it anyway)")
    for email, reason in report.failed:
        print(f"FAILED for {email}: {reason}")
    if not (report.sent or report.skipped or report.failed):
        print(_nobody(settings, uow_factory, as_of, args.period))
    return 1 if report.failed else 0


def _nobody(settings: Settings, uow_factory, as_of: datetime, asked: str | None) -> str:  # type: ignore[no-untyped-def]
    """Why nothing went out, naming the period meant and who gets the other one."""
    from analytics.digest.periods import KINDS, last_complete
    from analytics.digest.recipients import list_recipients

    kind = asked or "day"
    period = last_complete(kind, as_of)
    default = "" if asked else ", the default without --period"
    line = f"nobody gets the {KINDS[kind]} digest ({period.label}{default})"
    other = "week" if kind == "day" else "day"
    others = [r for r in list_recipients(uow_factory(), settings) if r.gets(KINDS[other])]
    if others:
        who = "1 recipient gets" if len(others) == 1 else f"{len(others)} recipients get"
        return f"{line}; {who} the {KINDS[other]} one: send it with `crmbot digest send --period {other}`"
    return f"{line}: add someone with `crmbot digest recipients add EMAIL` or use --to"


def _recipients(settings: Settings, args: argparse.Namespace) -> int:
    from analytics.digest.recipients import (
        add_recipient,
        list_recipients,
        parse_sections,
        remove_recipient,
        update_recipient,
    )

    uow_factory = migrated_uow_factory(settings)
    cmd = args.recipients_command
    if cmd == "list":
        rows = list_recipients(uow_factory(), settings)
        if not rows:
            print("no digest recipients yet: crmbot digest recipients add EMAIL [--frequency daily|weekly|both]")
        for r in rows:
            state = "" if r.active else "  (paused)"
            where = "" if r.source == "crm" else f"  (from {r.source})"
            print(
                f"{r.email:32} {r.frequency:7} {','.join(r.sections) if r.sections else 'all sections'}{state}{where}"
            )
        return 0
    if cmd == "add":
        r = add_recipient(
            uow_factory(),
            args.email,
            _now(),
            name=args.name,
            frequency=args.frequency,
            sections=parse_sections(args.sections),
        )
        print(f"added {r.email}: {r.frequency}, {','.join(r.sections) if r.sections else 'all sections'}")
        return 0
    if cmd == "set":
        active = False if args.pause else True if args.resume else None
        sections = parse_sections(args.sections) if args.sections is not None else "keep"
        r = update_recipient(
            uow_factory(), args.email, frequency=args.frequency, sections=sections, active=active, name=args.name
        )
        print(
            f"{r.email}: {r.frequency}, {','.join(r.sections) if r.sections else 'all sections'}{'' if r.active else ', paused'}"
        )
        return 0
    remove_recipient(uow_factory(), args.email)
    print(f"removed {args.email}")
    return 0


def cmd_nlu(settings: Settings, args: argparse.Namespace) -> int:
    from analytics.digest.unanswered import cluster, nlu_yaml, unanswered_texts

    uow = migrated_uow_factory(settings)()
    now = parse_as_of(args.as_of)
    with uow:
        texts = unanswered_texts(uow.session, now - timedelta(days=args.days), now)
    groups = cluster(texts, max_examples=args.examples)
    text = nlu_yaml(groups)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {len(groups)} candidate intent(s) from {len(texts)} message(s) to {args.out}")
    else:
        print(text, end="")
    return 0
