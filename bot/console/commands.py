"""`crmbot user add NAME --role agent|manager|admin` and `crmbot console`."""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import datetime
from typing import Any, Callable

from crm_store.errors import CrmError
from crm_store.settings import Settings


def register(sub: argparse._SubParsersAction) -> dict[str, Callable[[Settings, argparse.Namespace], int]]:
    user_p = sub.add_parser("user", help="agent console accounts")
    user_sub = user_p.add_subparsers(dest="user_command", required=True)
    add_p = user_sub.add_parser("add", help="add a console user (asks for the password)")
    add_p.add_argument("name")
    add_p.add_argument("--role", choices=("agent", "manager", "admin"), default="agent")
    sub.add_parser("console", help="serve the agent console on CONSOLE_PORT (crmbot run does this too)")
    return {"user": cmd_user, "console": cmd_console}


def cmd_user(settings: Settings, args: argparse.Namespace) -> int:
    from crm_store.db import check_connection, engine_for, migrate, unit_of_work
    from crm_store.services.console_users import add_user

    engine = engine_for(settings.database_url)
    check_connection(engine)
    migrate(engine)
    password = _read_password()
    user = add_user(unit_of_work(settings), args.name, args.role, password, datetime.utcnow())
    print(f"added {user.role} {user.username}")
    return 0


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Repeat it: ") != first:
            raise CrmError("The two passwords differ.")
        return first
    return sys.stdin.readline().rstrip("\n")  # piped: `printf 'secret\n' | crmbot user add ana`


def cmd_console(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from bot.console.app import create_app
    from bot.dependencies import needs_of, wait_for
    from crm_store.db import engine_for, migrate

    wait_for(settings, "console", needs_of(settings, "console"))  # the CRM down: wait, beating "degraded"
    engine = engine_for(settings.database_url)
    migrate(engine)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.console_port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=3,
        ws="none",  # Rasa pins an old `websockets` that uvicorn's auto-detection cannot import
        **proxy_options(settings),
    )
    return 0


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn believes X-Forwarded-For from 127.0.0.1 by default, so anyone on the machine could
    pick the address the log-in limit counts: only the proxies in TRUSTED_PROXIES may set it."""
    if not settings.proxies:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": ",".join(settings.proxies)}
