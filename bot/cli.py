"""`crmbot`: run, chat with, seed, train and evaluate the assistant."""

from __future__ import annotations

import argparse
import importlib
import logging
import socket
import sys
import time
from typing import Callable

from crm_store.errors import CrmError, DatabaseUnavailable
from crm_store.settings import PROJECT_ROOT, Settings, load_settings

log = logging.getLogger(__name__)
SUPERVISED = ("console", "scheduler", "ingest")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="crmbot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply CRM database migrations")
    seed_p = sub.add_parser("seed", help="fill the CRM with demo data")
    seed_p.add_argument("--size", type=int, default=50, help="customers besides the demo customer")
    seed_p.add_argument("--seed", type=int, default=42)
    seed_p.add_argument("--if-empty", action="store_true", help="do nothing when the CRM has customers")
    train_p = sub.add_parser("train", help="train the model if its inputs changed")
    train_p.add_argument("--force", action="store_true")
    sub.add_parser("prepare", help="migrate, seed an empty CRM and train a stale model")
    sub.add_parser("run", help="prepare, then run Rasa and the action server, supervised")
    chat_p = sub.add_parser("chat", help="chat with the running assistant in the terminal")
    chat_p.add_argument("--sender", default="demo", help="conversation id (the demo customer is 'demo')")
    ingest_p = sub.add_parser(
        "ingest",
        help="consume tracker events from RabbitMQ into the CRM (scale-out profile); "
        "`ingest status`, `ingest replay-dead`, `ingest spool` (INGEST_WORKER=process)",
    )
    ingest_p.add_argument("action", nargs="?", default="consume", choices=("consume", "status", "replay-dead", "spool"))
    ingest_p.add_argument("--json", action="store_true", help="status as JSON")
    sub.add_parser("eval", help="NLU accuracy on the held-out split, then the conversation pass rate", add_help=False)
    commands = dict(COMMANDS)
    for module_name in EXTENSIONS:
        commands.update(importlib.import_module(module_name).register(sub))
    args, rest = parser.parse_known_args(argv)
    if args.command == "eval":
        from bot.conversation_suite import main as conversations_main
        from nlu.evaluation import main as eval_main

        # NLU accuracy, then the conversation pass rate; either can be left out.
        with_value = ("--conversations", "--conversations-out", "--set", "--jobs")
        nlu_args = [
            a
            for i, a in enumerate(rest)
            if a not in ("--no-conversations", "--conversations-only", "--verbose", *with_value)
            and not (i and rest[i - 1] in with_value)
        ]
        code = 0 if "--conversations-only" in rest else eval_main(nlu_args)
        return code or (0 if "--no-conversations" in rest else conversations_main(rest))
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    try:
        settings = load_settings()
        _setup_logging(settings)
        return commands[args.command](settings, args)
    except DatabaseUnavailable as exc:
        from bot.dependencies import EX_TEMPFAIL

        print(f"crmbot: {exc}", file=sys.stderr)
        # Not a crash for what `crmbot run` supervises: it is started again after a back-off.
        return EX_TEMPFAIL if args.command in SUPERVISED else 2
    except CrmError as exc:
        print(f"crmbot: {exc}", file=sys.stderr)
        return 2


def _setup_logging(settings: Settings) -> None:
    from crm_store.logs import setup_logging

    setup_logging(settings.log_level)


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    from crm_store.db import check_connection, engine_for, migrate

    engine = engine_for(settings.database_url)
    check_connection(engine)
    migrate(engine)
    print("CRM schema is up to date")
    return 0


def cmd_seed(settings: Settings, args: argparse.Namespace) -> int:
    from crm_store.db import unit_of_work
    from crm_store.seed import is_empty, seed

    cmd_migrate(settings, args)
    uow = unit_of_work(settings)
    if not is_empty(uow):
        if args.if_empty:
            print("CRM already has data; not seeding")
            return 0
        raise CrmError("The CRM already has customers; seed only fills an empty database (use a new DATABASE_URL).")
    result = seed(uow, size=args.size, seed=args.seed)
    from datetime import datetime

    from crm_store.demo_chats import seed_conversations

    chats = seed_conversations(unit_of_work(settings), datetime.utcnow().replace(microsecond=0), seed=args.seed)
    print(
        f"seeded {result.customers} customers, {result.products} products, {result.orders} orders, "
        f"{result.tickets} tickets, {result.returns} returns, {result.deals} deals, "
        f"{result.shipments} shipments, {result.payments} payments, {chats} conversations"
    )
    return 0


def cmd_train(settings: Settings, args: argparse.Namespace) -> int:
    from nlu.training import ensure_model

    started = time.monotonic()
    model, trained = ensure_model(settings.model_path, force=getattr(args, "force", False))
    took = time.monotonic() - started
    print(
        f"{'trained' if trained else 'model is up to date:'} {model.relative_to(PROJECT_ROOT) if model.is_relative_to(PROJECT_ROOT) else model}"
        + (f" in {took / 60:.1f} min" if trained else "")
    )
    return 0


def cmd_prepare(settings: Settings, args: argparse.Namespace) -> int:
    args.if_empty, args.size, args.seed = True, 50, 42
    cmd_seed(settings, args)
    if settings.tracker_database_url:
        from crm_store.db import check_connection, engine_for

        check_connection(engine_for(settings.tracker_database_url), "TRACKER_DATABASE_URL")
    return cmd_train(settings, args)


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    import secrets

    from bot.keys import ensure_key_file
    from bot.supervisor import Child, Supervisor, python_module
    from nlu.training import model_file

    if not settings.on_loopback and not settings.rasa_auth_token:
        raise CrmError(f"HOST={settings.host} exposes Rasa's HTTP API beyond this machine; set RASA_AUTH_TOKEN too")
    for name, port in (
        ("RASA_PORT", settings.rasa_port),
        ("ACTION_PORT", settings.action_port),
        ("CONSOLE_PORT", settings.console_port),
    ):
        ensure_port_free(settings.host, port, name)
    cmd_prepare(settings, args)
    model = model_file(settings.model_path)
    if not settings.rasa_auth_token:
        # Even on loopback the API needs a token: any web page open in a browser here could call it.
        ensure_key_file(settings.rasa_token_path)
    # Secrets travel to the children in their environment, never on a command line (`ps` shows those).
    env = {
        "ACTION_ENDPOINT_URL": settings.action_url,
        "ACTION_SERVER_TOKEN": settings.action_server_token or secrets.token_urlsafe(32),
        # Library deprecation chatter and TensorFlow's start-up notes bury what a person needs to read.
        "PYTHONWARNINGS": "ignore",
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }
    separate_worker = settings.ingest_worker == "process"
    var = settings.var_path
    rasa = Child(
        "rasa server",
        python_module(
            "bot.rasa.server", "--model", str(model), "--endpoints", "endpoints.yml", "--credentials", "credentials.yml"
        ),
        # "/" needs no API token and answers only once the model is loaded (before_server_start).
        f"{settings.rasa_url}/",
        env,
        check=None if separate_worker else ingestion_check(settings, "rasa"),
        heartbeat="rasa",
        var_path=var,
        workers=settings.rasa_workers,
    )
    actions = Child(
        "action server",
        python_module("bot.action_server"),
        f"http://{settings.host}:{settings.action_port}/health",
        env,
        heartbeat="actions",
        var_path=var,
    )
    console = Child(
        "agent console",
        python_module("bot.cli", "console"),
        f"http://{settings.host}:{settings.console_port}/health",
        env,
        heartbeat="console",
        var_path=var,
    )
    children = [actions, rasa, console]
    if separate_worker:
        # Rasa only appends to the spool; this child delivers it (to the CRM, or to RabbitMQ in scale-out).
        children.insert(
            0,
            Child(
                "spool worker",
                python_module("bot.cli", "ingest", "spool"),
                None,
                env,
                check=ingestion_check(settings, "spool"),
                degraded_check=ingestion_degraded(settings, "spool"),
            ),
        )
    if settings.event_broker_url:
        children.insert(
            0,
            Child(
                "crm ingestion",
                python_module("bot.cli", "ingest"),
                None,
                env,
                check=ingestion_check(settings, "consumer"),
                degraded_check=ingestion_degraded(settings, "consumer"),
            ),
        )
    if settings.scheduler_enabled:
        children.append(Child("analytics scheduler", python_module("bot.cli", "scheduler"), None, env))
    print(telegram_notice(settings))
    return Supervisor(children, cwd=str(PROJECT_ROOT), hang_seconds=settings.hang_seconds).run(ready_banner(settings))


def ingestion_check(settings: Settings, part: str):  # type: ignore[no-untyped-def]
    """The heartbeat of the ingestion worker living in that child: part of its health."""
    from bot.ingest_cli import heartbeat_check
    from crm_store.ingestion.consumer import CONSUMER_STATUS
    from crm_store.ingestion.spool import STATUS

    return heartbeat_check(settings.var_path, CONSUMER_STATUS if part == "consumer" else STATUS)


def ingestion_degraded(settings: Settings, part: str):  # type: ignore[no-untyped-def]
    """Why that ingestion worker, alive, cannot deliver now (its database or RabbitMQ is down)."""
    from bot.ingest_cli import degraded_check
    from crm_store.ingestion.consumer import CONSUMER_STATUS
    from crm_store.ingestion.spool import STATUS

    return degraded_check(settings.var_path, CONSUMER_STATUS if part == "consumer" else STATUS)


def cmd_ingest(settings: Settings, args: argparse.Namespace) -> int:
    import asyncio
    import signal

    from bot.ingest_cli import ingest_status, replay_dead

    action = getattr(args, "action", "consume")
    if action == "status":
        return ingest_status(settings, args)
    if action == "replay-dead":
        return replay_dead(settings, args)
    if action == "spool":
        from bot.ingest_cli import deliver_spool

        return deliver_spool(settings)

    from crm_store.db import unit_of_work
    from crm_store.ingestion.consumer import consume
    from crm_store.ingestion.rabbit import topology_from

    if not settings.event_broker_url:
        raise CrmError("EVENT_BROKER_URL is not set: in the embedded profile Rasa ingests events in-process.")

    from bot.ingest_cli import waiting_beat

    async def main() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        print(f"ingesting events from queue {settings.event_queue!r}")
        while not stop.is_set():
            # RabbitMQ or the CRM down is a wait, not a crash: what is queued stays queued, the spool keeps the rest.
            if not await loop.run_in_executor(
                None,
                lambda: wait_for(
                    settings, "consumer", needs_of(settings, "consumer"), waiting_beat(settings.var_path), stop.is_set
                ),
            ):
                break
            try:
                await consume(
                    settings.event_broker_url or "",
                    topology_from(settings),
                    lambda: unit_of_work(settings),
                    stop,
                    settings.var_path,
                )
            except (OSError, AMQPError, ChannelInvalidStateError, asyncio.TimeoutError) as exc:
                log.warning("lost RabbitMQ; waiting for it", extra={"error": type(exc).__name__})
        return 0

    from aiormq.exceptions import AMQPError, ChannelInvalidStateError

    from bot.dependencies import needs_of, wait_for

    return asyncio.run(main())


def cmd_chat(settings: Settings, args: argparse.Namespace) -> int:
    from bot.chat import repl

    return repl(settings.rasa_url, args.sender)


def ensure_port_free(host: str, port: int, var: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            raise CrmError(
                f"{var}={port} is already in use on {host}; stop what runs there or set {var} to a free port"
            ) from None


def telegram_notice(settings: Settings) -> str:
    if not settings.telegram_token:
        return "Telegram: not started (TELEGRAM_TOKEN is not set)"
    return f"Telegram: {settings.telegram_mode} mode"


def ready_banner(settings: Settings) -> str:
    rest = f"{settings.rasa_url}/webhooks/rest/webhook"
    return "\n".join(
        [
            "",
            "The assistant is ready.",
            f"  web chat:  {settings.rasa_url}/chat",
            f"  console:   http://{settings.host}:{settings.console_port}/"
            + (
                "  (demo log-ins: agent / agent-demo-pass, manager / manager-demo-pass)"
                if settings.console_demo_users and settings.host in ("127.0.0.1", "localhost", "::1")
                else ""
            ),
            "  terminal:  uv run crmbot chat        (you are the demo customer; try: where is my order A-10423?)",
            f"  REST:      curl -s {rest} -H 'Content-Type: application/json' \\",
            '               -d \'{"sender": "demo", "message": "where is my order A-10423?"}\'',
            "Ctrl-C stops everything.",
            "",
        ]
    )


COMMANDS: dict[str, Callable[[Settings, argparse.Namespace], int]] = {
    "migrate": cmd_migrate,
    "seed": cmd_seed,
    "train": cmd_train,
    "prepare": cmd_prepare,
    "run": cmd_run,
    "chat": cmd_chat,
    "ingest": cmd_ingest,
}

# Command groups that live in their own modules (`crmbot customer ...`, `crmbot job ...`).
# Each module has `register(sub) -> {command name: handler}`; handlers take (settings, args).
EXTENSIONS: tuple[str, ...] = (
    "analytics.cli",
    "analytics.digest.cli",
    "bot.cli_ocr",
    "bot.console.commands",
    "analytics.importing.cli",
    "bot.cli_customer",
)

if __name__ == "__main__":
    sys.exit(main())
