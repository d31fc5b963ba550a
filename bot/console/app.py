"""The agent console: a Starlette app served by `crmbot console` (and by `crmbot run`).

Handlers call services and render Jinja2 templates (autoescaped); live updates come over
server-sent events; the queue monitor and the watchdog run in this process's lifespan.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot.console import insight, manage, views
from bot.console.auth import LoginLimiter, Sessions
from bot.console.monitor import QueueMonitor
from crm_store.db import UnitOfWork, unit_of_work
from crm_store.services import console_users, console_views
from crm_store.settings import Settings

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
DEMO_USERS = (("agent", "agent", "agent-demo-pass"), ("manager", "manager", "manager-demo-pass"))
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class Console:
    """What every handler needs: settings, units of work, sessions, templates."""

    def __init__(self, settings: Settings, clock=datetime.utcnow) -> None:  # type: ignore[no-untyped-def]
        self.settings = settings
        self.clock = clock
        self.sessions = Sessions(settings)
        self.limiter = LoginLimiter()
        self.env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True))
        self.env.filters["ago"] = lambda at: _ago(self.clock(), at)
        self.env.filters["iso"] = lambda at: at.isoformat(timespec="seconds") + "Z" if at else ""
        self.monitor = QueueMonitor(self.uow, settings, clock)

    def uow(self) -> UnitOfWork:
        return unit_of_work(self.settings)

    def seen(self, user: console_users.UserView) -> None:
        console_users.touch(self.uow(), user.id, self.clock())

    def render(self, request: Request, template: str, status_code: int = 200, **context: object) -> HTMLResponse:
        user = getattr(request.state, "user", None)
        html = self.env.get_template(template).render(user=user, csrf=getattr(request.state, "csrf", ""), **context)
        return HTMLResponse(html, status_code=status_code)


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; form-action 'self'")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response


def prepare(settings: Settings, now: datetime) -> list[str]:
    """Canned replies, and the demo accounts on a loopback console; the demo names created."""
    console_views.ensure_canned_replies(unit_of_work(settings), now)
    if not settings.console_demo_users or settings.host not in LOOPBACK:
        return []
    return [name for name, role, password in DEMO_USERS
            if console_users.ensure_user(unit_of_work(settings), name, role, password, now)]


def create_app(settings: Settings, run_monitor: bool = True) -> Starlette:
    console = Console(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):  # type: ignore[no-untyped-def]
        await asyncio.to_thread(prepare, settings, console.clock())
        stop = asyncio.Event()
        task = asyncio.create_task(console.monitor.run(stop)) if run_monitor else None
        try:
            yield
        finally:
            stop.set()
            if task:
                await task

    async def health(_request: Request) -> Response:
        return PlainTextResponse("ok")

    routes = [
        Route("/health", health),
        Route("/login", views.login, methods=["GET", "POST"]),
        Route("/logout", views.logout, methods=["POST"]),
        Route("/", views.home),
        Route("/queue", views.queue_page),
        Route("/queue/_rows", views.queue_rows),
        Route("/events/queue", views.queue_events),
        Route("/handoffs/{id:int}", views.handoff_page),
        Route("/handoffs/{id:int}/_messages", views.handoff_messages),
        Route("/events/handoffs/{id:int}", views.handoff_events),
        Route("/handoffs/{id:int}/claim", views.claim, methods=["POST"]),
        Route("/handoffs/{id:int}/reply", views.reply, methods=["POST"]),
        Route("/handoffs/{id:int}/transfer", views.transfer, methods=["POST"]),
        Route("/handoffs/{id:int}/release", views.release, methods=["POST"]),
        Route("/handoffs/{id:int}/resolve", views.resolve, methods=["POST"]),
        Route("/handoffs/{id:int}/notes", views.add_note, methods=["POST"]),
        Route("/handoffs/{id:int}/export.{fmt:str}", manage.export),
        Route("/search", manage.search_page),
        Route("/overview", manage.overview_page),
        Route("/overview/{what:str}", manage.overview_list),
        Route("/admin/users", manage.users_page, methods=["GET", "POST"]),
        Route("/analytics", insight.analytics_page),
        Route("/analytics/segments/{id:int}", insight.segment_page),
        Route("/digest/manage", insight.digest_manage, methods=["GET", "POST"]),
        Route("/admin/users/{uid:int}/active", manage.user_active, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(SecurityHeaders)])
    app.state.console = console
    return app


def _ago(now: datetime, at: datetime | None) -> str:
    if at is None:
        return ""
    seconds = int((now - at).total_seconds())
    if seconds < 60:
        return f"{max(seconds, 0)} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"
