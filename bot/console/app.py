"""The agent console: a Starlette app served by `crmbot console` (and by `crmbot run`).

Handlers call services and render Jinja2 templates (autoescaped); live updates come over
server-sent events; the queue monitor runs in this process's lifespan (the watchdog is a
scheduler job, analytics/handoffs.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.convertors import Convertor, register_url_convertor
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot.console import insight, manage, views, workspace
from bot.console.auth import LoginLimiter, Sessions
from bot.console.monitor import QueueMonitor
from bot.heartbeat import LoopHeartbeat, dependency_probe, stack_health
from crm_store.db import UnitOfWork, unit_of_work
from crm_store.rate_limits import Limiter, storage_url
from crm_store.services import canned, console_users, handoffs
from crm_store.services import workspace as workspace_service
from crm_store.services.agents import display_name, initials
from crm_store.settings import Settings
from crm_store.values.languages import language_name

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
        self.limiter = LoginLimiter(Limiter(storage_url(settings)))
        self.env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True))
        self.env.filters["ago"] = lambda at: _ago(self.clock(), at)
        self.env.filters["display_name"] = display_name
        self.env.filters["initials"] = initials
        self.env.filters["language_name"] = language_name
        self.env.filters["iso"] = lambda at: at.isoformat(timespec="seconds") + "Z" if at else ""
        self.monitor = QueueMonitor(self.uow, settings, clock)
        self.read: dict[str, dict[int, int]] = {}

    def uow(self) -> UnitOfWork:
        return unit_of_work(self.settings)

    def mark_read(self, username: str, handoff_id: int, message_id: int) -> None:
        """The agent's page showed this chat up to `message_id`: those messages are not unread.
        Kept in memory: after a restart a chat counts as unread until the agent writes in it."""
        marks = self.read.setdefault(username, {})
        marks[handoff_id] = max(message_id, marks.get(handoff_id, 0))

    def read_marks(self, username: str) -> dict[int, int]:
        return dict(self.read.get(username, {}))

    def seen(self, user: console_users.UserView) -> None:
        console_users.touch(self.uow(), user.id, self.clock())

    def render(self, request: Request, template: str, status_code: int = 200, **context: object) -> HTMLResponse:
        user = getattr(request.state, "user", None)
        html = self.env.get_template(template).render(user=user, csrf=getattr(request.state, "csrf", ""), **context)
        return HTMLResponse(html, status_code=status_code)


class RowId(Convertor):
    """A database row id: digits that fit a 64-bit integer, so a longer number is "no such page"
    (404) instead of an overflow in the database driver (500)."""

    regex = "[0-9]{1,18}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(value)


register_url_convertor("rowid", RowId())


async def _unknown_record(request: Request, exc: Exception) -> Response:
    console = request.app.state.console
    if "text/html" in request.headers.get("accept", ""):
        return console.render(request, "error.html", 404, message=str(exc), back="/queue")
    return PlainTextResponse(str(exc), status_code=404)


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        response.headers.setdefault(
            "Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; form-action 'self'"
        )
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response


def prepare(settings: Settings, now: datetime) -> list[str]:
    """Canned replies, and the demo accounts on a loopback console; the demo names created."""
    canned.ensure_canned_replies(unit_of_work(settings), now)
    if not settings.console_demo_users or settings.host not in LOOPBACK:
        return []
    return [
        name
        for name, role, password in DEMO_USERS
        if console_users.ensure_user(unit_of_work(settings), name, role, password, now)
    ]


def create_app(settings: Settings, run_monitor: bool = True) -> Starlette:
    console = Console(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):  # type: ignore[no-untyped-def]
        await asyncio.to_thread(prepare, settings, console.clock())
        stop = asyncio.Event()
        task = asyncio.create_task(console.monitor.run(stop)) if run_monitor else None
        heartbeat = LoopHeartbeat(settings.var_path, "console", dependency_probe(settings, ("crm",)))
        if run_monitor:
            heartbeat.start()
        try:
            yield
        finally:
            heartbeat.stop()
            stop.set()
            if task:
                await task

    async def health(_request: Request) -> Response:
        return JSONResponse(stack_health(settings.var_path))

    async def favicon(_request: Request) -> Response:
        # Browsers ask for /favicon.ico whatever the page links; a 404 shows as a console error.
        return FileResponse(
            HERE / "static" / "favicon.svg",
            media_type="image/svg+xml",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    routes = [
        Route("/health", health),
        Route("/favicon.ico", favicon),
        Route("/login", views.login, methods=["GET", "POST"]),
        Route("/logout", views.logout, methods=["POST"]),
        Route("/", views.home),
        Route("/queue", views.queue_page),
        Route("/queue/_rows", views.queue_rows),
        Route("/events", workspace.live_events),
        Route("/next", workspace.next_chat),
        Route("/conversations/{id:rowid}", workspace.conversation_page),
        Route("/customers/{id:rowid}", workspace.customer_page),
        Route("/conversations/{id:rowid}/labels", workspace.add_label, methods=["POST"]),
        Route("/conversations/{id:rowid}/labels/remove", workspace.remove_label, methods=["POST"]),
        Route("/status", workspace.set_status, methods=["POST"]),
        Route("/handoffs/{id:rowid}", views.handoff_page),
        Route("/handoffs/{id:rowid}/_messages", views.handoff_messages),
        Route("/handoffs/{id:rowid}/claim", views.claim, methods=["POST"]),
        Route("/handoffs/{id:rowid}/reply", views.reply, methods=["POST"]),
        Route("/handoffs/{id:rowid}/transfer", views.transfer, methods=["POST"]),
        Route("/handoffs/{id:rowid}/release", views.release, methods=["POST"]),
        Route("/handoffs/{id:rowid}/resolve", views.resolve, methods=["POST"]),
        Route("/handoffs/{id:rowid}/notes", views.add_note, methods=["POST"]),
        Route("/handoffs/{id:rowid}/ticket", views.ticket, methods=["POST"]),
        Route("/handoffs/{id:rowid}/export.{fmt:str}", manage.export),
        Route("/search", manage.search_page),
        Route("/overview", manage.overview_page),
        Route("/overview/{what:str}", manage.overview_list),
        Route("/admin/users", manage.users_page, methods=["GET", "POST"]),
        Route("/analytics", insight.analytics_page),
        Route("/analytics/segments/{id:rowid}", insight.segment_page),
        Route("/digest/manage", insight.digest_manage, methods=["GET", "POST"]),
        Route("/admin/users/{uid:rowid}/active", manage.user_active, methods=["POST"]),
        Route("/admin/users/{uid:rowid}/languages", manage.user_languages, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={
            handoffs.UnknownHandoff: _unknown_record,
            workspace_service.UnknownConversation: _unknown_record,
        },
    )
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
